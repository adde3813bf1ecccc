"""People search through the users' search keys: the same matches and order as a scan, from an index."""

import pytest
from django.db import connection
from django.db.models import Q

from directory.models import DirectoryUser, UserSearchTerm
from directory.search import keys_with_prefix, search_terms
from directory.services import update_user
from portal import selectors
from tests.explain import plan
from tests.factories import DirectoryUserFactory, GroupFactory, GroupMemberFactory, TenantFactory

NAMES = [
    "Alex Wilber",
    "alex wilber",
    "Alexandra  Dunn",
    "Lee Gu",
    "Lee-Ann O'Neil",
    "Mary Anne Lee",
    "Zoë Brooks",
    "Pat 100%",
    "Pat_Under Score",
    "Adele Vance",
    "Megan Bowen",
    "Ángel Ruiz",
]
QUERIES = [
    "a",
    "A",
    "al",
    "alex w",
    "ALEX WILBER",
    "lee",
    "lee-",
    "ann",
    "anne lee",
    "o'n",
    "wil",
    "ilber",
    "100%",
    "%",
    "_",
    "pat_",
    "pat ",
    "user1",
    "user1@",
    "zz.",
    "z",
    "ve",
    "megan@",
    "x",
]


def scan(*, group, q: str) -> list[DirectoryUser]:
    """The search as it was written before the keys: a filter over every user row."""
    q = q.strip()
    matches = (
        Q(display_name__istartswith=q)
        | Q(display_name__icontains=f" {q}")
        | Q(mail__istartswith=q)
        | Q(user_principal_name__istartswith=q)
    )
    return list(
        DirectoryUser.objects.filter(matches, tenant_id=group.tenant_id, account_enabled=True)
        .exclude(member_links__group=group)
        .order_by("display_name", "pk")[: selectors.MAX_SUGGESTIONS]
    )


@pytest.fixture
def group(tenant):
    group = GroupFactory(tenant=tenant, display_name="Marketing")
    for n, name in enumerate(NAMES):
        upn = f"zz.{n}@{tenant.initial_domain}" if n % 3 == 0 else f"user{n}@member.example"
        user = DirectoryUserFactory(
            tenant=tenant, display_name=name, mail=f"user{n}@member.example", user_principal_name=upn, account=None
        )
        if n == 5:
            GroupMemberFactory(group=group, user=user)
    DirectoryUserFactory(tenant=TenantFactory(), display_name="Alex Elsewhere")
    return group


def test_search_keys_are_the_name_from_each_word_on_the_mail_and_the_upn():
    assert search_terms(
        display_name="Mary  Anne Lee", mail="M.Lee@Contoso.example", user_principal_name="ml@x.example"
    ) == {"mary  anne lee", "anne lee", "lee", "m.lee@contoso.example", "ml@x.example"}


@pytest.mark.parametrize("q", QUERIES)
def test_people_search_finds_what_a_scan_finds_in_the_same_order(group, q):
    assert selectors.people_search(group=group, q=q) == scan(group=group, q=q)


def test_people_search_folds_case_of_non_ascii_letters_on_every_database(group):
    # A scan folded only ASCII on SQLite (LIKE); the keys are lower-cased by Python on both databases.
    assert [u.display_name for u in selectors.people_search(group=group, q="ÁNGEL")] == ["Ángel Ruiz"]
    assert [u.display_name for u in selectors.people_search(group=group, q="zoë")] == ["Zoë Brooks"]


def test_search_keys_follow_renames_new_mail_and_deletes(tenant, group):
    user = DirectoryUser.objects.get(tenant=tenant, display_name="Megan Bowen")
    update_user(user=user, actor=None, display_name="Megan Smith", mail="megan.smith@member.example")
    assert "smith" in set(user.search_terms.values_list("term", flat=True))
    assert selectors.people_search(group=group, q="bowen") == []
    assert selectors.people_search(group=group, q="megan.s") == [user]
    user.delete()
    assert not UserSearchTerm.objects.filter(user_id=user.pk).exists()


def test_exact_person_matches_a_whole_name_mail_or_upn_not_a_word(group, tenant):
    lee = DirectoryUser.objects.get(tenant=tenant, display_name="Lee Gu")
    assert selectors.exact_person(group=group, q="LEE GU") == lee
    assert selectors.exact_person(group=group, q=lee.mail.upper()) == lee
    assert selectors.exact_person(group=group, q="gu") is None
    assert selectors.exact_person(group=group, q="alex wilber") is None  # two people are called that


@pytest.mark.parametrize(
    ("q", "index"), [("a", "prefix1"), ("al", "prefix2"), ("ale", "prefix3"), ("alex w", "prefix3")]
)
def test_the_search_keys_are_read_in_name_order_from_a_prefix_index(group, q, index):
    # In name order from the index, so a common prefix stops after a page instead of sorting every match.
    if connection.vendor == "postgresql":
        # A few rows are cheaper to sort than to read in order: sorting is priced out, as scans are.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
    explained = plan(keys_with_prefix(tenant_id=group.tenant_id, q=q)[:50])
    assert f"user_search_term_{index}" in explained, explained
    if connection.vendor == "sqlite":
        assert f"COVERING INDEX user_search_term_{index}" in explained, explained
        assert "TEMP B-TREE" not in explained, explained
    else:
        # An index-only scan once VACUUM has marked the pages all-visible; here, a plain index scan.
        assert "Sort" not in explained, explained
        if len(q) > 3:
            assert "Index Cond" in explained and "~>=~" in explained, explained


def test_a_rename_moves_the_user_in_the_suggestion_order(tenant, group):
    adele = DirectoryUser.objects.get(tenant=tenant, display_name="Adele Vance")
    assert selectors.people_search(group=group, q="a")[0] == adele
    update_user(user=adele, actor=None, display_name="Zed Adele")
    assert set(adele.search_terms.values_list("display_name", flat=True)) == {"Zed Adele"}
    found = selectors.people_search(group=group, q="a")
    assert found == scan(group=group, q="a")
    assert adele in found and found[0] != adele


def test_people_search_pages_past_members_and_disabled_users_to_find_ten(tenant, group):
    for n in range(60):
        user = DirectoryUserFactory(tenant=tenant, display_name=f"Pat {n:02}", account=None, disabled=n % 3 == 1)
        if n % 3 == 0:
            GroupMemberFactory(group=group, user=user)
    DirectoryUserFactory(tenant=tenant, display_name="Pat Zulu", account=None)

    found = selectors.people_search(group=group, q="pat")

    assert found == scan(group=group, q="pat")
    assert len(found) == 10
    assert all(u.account_enabled and not u.member_links.filter(group=group).exists() for u in found)


@pytest.mark.parametrize(
    "lookup",
    [
        lambda t: DirectoryUser.objects.filter(tenant=t, mail__lower="user1@member.example"),
        lambda t: DirectoryUser.objects.filter(user_principal_name__lower="zz.0@" + t.initial_domain),
        lambda t: DirectoryUser.objects.filter(mail__lower="user1@member.example", user_type="Member"),
    ],
    ids=["mail in a tenant", "upn", "mail in any tenant"],
)
def test_email_lookups_use_the_lower_cased_indexes(group, tenant, lookup):
    explained = plan(lookup(tenant))
    if connection.vendor == "postgresql":
        # The lower-cased address is looked up in an index, not filtered row by row.
        assert any("Index Cond" in line and "lower(" in line for line in explained.splitlines()), explained
    else:
        assert any(
            name in explained for name in ("user_mail_unique_per_tenant", "user_upn_ci_unique", "user_mail_lower")
        )


def test_the_admin_user_search_finds_substrings_from_trigram_indexes_on_postgresql(group, tenant):
    from directory.admin.pickers import people_matching

    found, more = people_matching(DirectoryUser.objects.filter(tenant=tenant), "ILBER")
    assert [u.display_name for u in found] == ["Alex Wilber", "alex wilber"]
    assert not more
    # Across tenants, so a tiny test table's tenant index is no cheaper way in than the trigrams.
    explained = plan(DirectoryUser.objects.filter(display_name__icontains="ilber"))
    if connection.vendor == "postgresql":
        assert "user_display_name_trgm" in explained, explained
    else:
        # SQLite's LIKE has no index to use: the users are scanned (PostgreSQL is the production database).
        assert "SCAN directory_directoryuser" in explained, explained
