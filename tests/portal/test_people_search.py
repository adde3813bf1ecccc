"""The Add members search box: suggestions from the tenant's directory, and the guest invitation offer."""

import pytest
from django.urls import reverse

from portal import selectors
from tests.factories import DirectoryUserFactory, GroupFactory, GroupMemberFactory, TenantFactory


@pytest.fixture
def owner(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen", mail="megan@contoso.example")


@pytest.fixture
def group(tenant, owner):
    return GroupFactory(tenant=tenant, display_name="Marketing", owners=[owner])


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.account)
    return client


def search(client, group, q):
    return client.get(reverse("portal:people-search"), {"group": str(group.pk), "q": q})


def names(people) -> list[str]:
    return [person.display_name for person in people]


def test_people_search_matches_name_word_mail_and_upn_prefixes(group, tenant):
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", mail="awilber@contoso.example")
    DirectoryUserFactory(
        tenant=tenant, display_name="Lee Gu", mail="lee@contoso.example", user_principal_name="zz.lee@contoso.example"
    )

    assert names(selectors.people_search(group=group, q="ale")) == ["Alex Wilber"]
    assert names(selectors.people_search(group=group, q="WILB")) == ["Alex Wilber"]
    assert names(selectors.people_search(group=group, q="awil")) == ["Alex Wilber"]
    assert names(selectors.people_search(group=group, q="zz.l")) == ["Lee Gu"]
    assert names(selectors.people_search(group=group, q="ilber")) == []
    assert selectors.people_search(group=group, q="   ") == []


def test_people_search_leaves_out_members_other_tenants_and_disabled_users(group, tenant):
    member = DirectoryUserFactory(tenant=tenant, display_name="Sam Member")
    GroupMemberFactory(group=group, user=member)
    DirectoryUserFactory(tenant=TenantFactory(), display_name="Sam Elsewhere")
    DirectoryUserFactory(tenant=tenant, display_name="Sam Disabled", disabled=True)
    DirectoryUserFactory(tenant=tenant, display_name="Sam Candidate")

    assert names(selectors.people_search(group=group, q="sam")) == ["Sam Candidate"]


def test_people_search_returns_at_most_ten(group, tenant):
    DirectoryUserFactory.create_batch(12, tenant=tenant, display_name="Pat Example")
    assert len(selectors.people_search(group=group, q="pat")) == 10


def test_people_search_view_suggests_people_and_marks_guests(owner_client, group, tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True, display_name="Lee Gu")
    DirectoryUserFactory(tenant=tenant, display_name="Lee Member")

    response = search(owner_client, group, "lee")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Lee Gu" in body and "Lee Member" in body
    assert body.count("badge--guest") == 1
    assert f'data-value="{guest.pk}"' in body
    assert "2 suggestions." in body
    assert 'hx-swap-oob="innerHTML"' in body
    assert "Invite" not in body


def test_people_search_offers_to_invite_an_unknown_address(owner_client, group):
    body = search(owner_client, group, "Someone@Fabrikam.example").content.decode()
    assert "Invite someone@fabrikam.example as a guest" in body
    assert 'data-pick="email"' in body


def test_people_search_does_not_offer_to_invite_a_directory_address(owner_client, group, tenant):
    DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", mail="alex@contoso.example")
    body = search(owner_client, group, "ALEX@contoso.example").content.decode()
    assert "Alex Wilber" in body
    assert "as a guest" not in body


def test_people_search_does_not_offer_to_invite_a_half_typed_address(owner_client, group):
    body = search(owner_client, group, "someone@fab").content.decode()
    assert "as a guest" not in body


@pytest.mark.parametrize("group_param", ["", "not-a-uuid", "other"])
def test_people_search_is_404_without_a_group_the_user_owns(client, tenant, group, group_param):
    member = DirectoryUserFactory(tenant=tenant)
    client.force_login(member.account)
    DirectoryUserFactory(tenant=tenant, display_name="Secret Person")
    param = str(group.pk) if group_param == "other" else group_param
    response = client.get(reverse("portal:people-search"), {"group": param, "q": "secret"})
    assert response.status_code == 404
    assert "Secret Person" not in response.content.decode()


def test_people_search_is_404_while_owners_may_not_manage_members(owner_client, group, tenant):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    assert search(owner_client, group, "a").status_code == 404


def test_people_search_is_404_for_a_dynamic_group(owner_client, owner, tenant):
    dynamic = GroupFactory(tenant=tenant, dynamic=True, owners=[owner])
    assert search(owner_client, dynamic, "a").status_code == 404


@pytest.mark.parametrize("size", [1, 200])
def test_people_search_query_count_is_constant(owner_client, group, tenant, size, django_assert_max_num_queries):
    for n in range(size):
        user = DirectoryUserFactory(tenant=tenant, display_name=f"Pat {n}")
        if n % 2:
            GroupMemberFactory(group=group, user=user)
    # The matching keys (a page of 50, from their index) and those users are two of them.
    with django_assert_max_num_queries(9):
        response = search(owner_client, group, "pat")
    assert response.status_code == 200


def test_people_search_says_when_an_address_is_already_a_member(owner_client, group, tenant):
    alex = DirectoryUserFactory(tenant=tenant, display_name="Alex Wilber", mail="alex@contoso.example")
    GroupMemberFactory(group=group, user=alex)
    body = search(owner_client, group, "alex@contoso.example").content.decode()
    assert "Alex Wilber (alex@contoso.example) is already a member of Marketing." in body
    assert "as a guest" not in body


def test_a_typed_unicode_domain_is_offered_in_its_ascii_form_and_finds_the_guest_already_there(
    owner_client, group, tenant
):
    offer = search(owner_client, group, "Sam@Bücher.example").content.decode()
    assert 'data-value="sam@xn--bcher-kva.example"' in offer

    guest = DirectoryUserFactory(tenant=tenant, mail="lee@xn--bcher-kva.example", display_name="Lee Guest")
    GroupMemberFactory(group=group, user=guest)
    html = search(owner_client, group, "lee@bücher.example").content.decode()
    assert "Invite lee@" not in html
    assert selectors.directory_user_with_mail(group=group, email="LEE@bücher.example") == guest
