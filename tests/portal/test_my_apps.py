import gzip
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, reverse

from directory.logos import app_logo_png
from directory.models import AppRoleAssignment, GroupMember
from directory.selectors import apps_for_user
from tests.explain import plan
from tests.factories import (
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
)

MY_APPS_QUERIES = 8
LOGO = app_logo_png(name="Contoso Expenses", colour="#107c10")


def assign(application, user):
    return AppRoleAssignmentFactory(application=application, principal_user=user)


def assign_group(application, group):
    return AppRoleAssignmentFactory(application=application, principal_user=None, principal_group=group)


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.account)
    return client


def tile_names(html: str) -> list[str]:
    return re.findall(r'<span class="tile__name">([^<]*)</span>', html)


def test_my_apps_shows_apps_assigned_directly_and_through_a_group(signed_in, member, tenant):
    direct = ApplicationFactory(tenant=tenant, display_name="Contoso Expenses", logo=LOGO)
    via_group = ApplicationFactory(tenant=tenant, display_name="Salesforce")
    assign(direct, member)
    assign_group(via_group, GroupFactory(tenant=tenant, members=[member]))
    ApplicationFactory(tenant=tenant, display_name="Not assigned")

    response = signed_in.get(reverse("portal:my-apps"))

    assert response.status_code == 200
    assert tile_names(response.text) == ["Contoso Expenses", "Salesforce"]
    assert f'href="{reverse("portal:launch", args=[direct.pk])}"' in response.text
    assert f'src="{reverse("portal:app-logo", args=[direct.pk, direct.logo_hash])}"' in response.text


def test_my_apps_leaves_out_hidden_and_disabled_apps(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant, display_name="Hidden", hidden=True), member)
    assign(ApplicationFactory(tenant=tenant, display_name="Disabled", disabled=True), member)
    assign(ApplicationFactory(tenant=tenant, display_name="Visible"), member)

    response = signed_in.get(reverse("portal:my-apps"))

    assert tile_names(response.text) == ["Visible"]


def test_my_apps_search_filters_on_the_server_without_javascript(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant, display_name="Salesforce"), member)
    assign(ApplicationFactory(tenant=tenant, display_name="Workday"), member)

    response = signed_in.get(reverse("portal:my-apps"), {"q": "sales"})

    assert tile_names(response.text) == ["Salesforce"]
    assert "1 app matching “sales”" in response.text
    assert 'value="sales"' in response.text


def test_my_apps_search_without_results_says_so_and_offers_all_apps(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant, display_name="Salesforce"), member)

    response = signed_in.get(reverse("portal:my-apps"), {"q": "zzz"})

    assert tile_names(response.text) == []
    assert "No apps match “zzz”" in response.text
    assert 'role="search"' in response.text


def test_my_apps_result_count_is_in_a_live_region(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant), member)
    assign(ApplicationFactory(tenant=tenant), member)

    response = signed_in.get(reverse("portal:my-apps"))

    assert re.search(r'role="status" aria-live="polite" id="app-count"[^>]*>2 apps<', response.text)


def test_my_apps_list_view_from_the_link_marks_its_button_pressed(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant), member)

    grid = signed_in.get(reverse("portal:my-apps")).text
    listed = signed_in.get(reverse("portal:my-apps"), {"view": "list"}).text

    assert "tiles--list" not in grid
    assert 'class="tiles tiles--list"' in listed
    assert re.search(r'value="list" class="button button--toggle" aria-pressed="true"', listed)
    assert re.search(r'value="grid" class="button button--toggle" aria-pressed="false"', listed)
    assert 'data-view-explicit="true"' in listed
    assert 'data-view-explicit="false"' in grid


def test_my_apps_empty_state_points_to_add_apps(signed_in):
    response = signed_in.get(reverse("portal:my-apps"))

    assert "You don't have any apps yet" in response.text
    assert reverse("portal:add-apps") in response.text
    assert 'role="search"' not in response.text


def test_my_apps_shows_only_the_current_organizations_apps(signed_in, member):
    other = ApplicationFactory(display_name="Fabrikam Travel")
    assign(other, DirectoryUserFactory(tenant=other.tenant, account=member.account, guest=True))

    response = signed_in.get(reverse("portal:my-apps"))

    assert "Fabrikam Travel" not in response.text


def test_my_apps_tile_menu_button_names_the_app(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Workday")
    assign(app, member)

    html = signed_in.get(reverse("portal:my-apps")).text

    assert 'aria-haspopup="menu" aria-expanded="false"' in html
    assert "More options for Workday" in html
    assert ">Copy link<" in html
    assert f'data-copy-link="http://testserver/apps/{app.pk}/launch/?tenantid={tenant.pk}"' in html
    assert reverse("portal:app-details", args=[app.pk]) in html


def test_tile_menu_offers_manage_app_only_to_owners_of_the_self_service_group(client, tenant):
    owner, member = DirectoryUserFactory(tenant=tenant), DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner], members=[owner, member])
    app = ApplicationFactory(tenant=tenant, self_service_enabled=True, self_service_group=group)
    assign_group(app, group)

    client.force_login(owner.account)
    owner_html = client.get(reverse("portal:my-apps")).text
    client.force_login(member.account)
    member_html = client.get(reverse("portal:my-apps")).text

    assert ">Manage app<" in owner_html
    assert f"/apps/{app.pk}/manage/" in owner_html
    assert ">Manage app<" not in member_html


def test_owner_of_a_group_that_is_not_the_apps_self_service_group_gets_no_manage_app(client, tenant, member):
    GroupFactory(tenant=tenant, owners=[member])
    assign(ApplicationFactory(tenant=tenant), member)
    client.force_login(member.account)

    assert ">Manage app<" not in client.get(reverse("portal:my-apps")).text


def test_no_manage_app_once_self_service_is_turned_off(client, tenant, member):
    group = GroupFactory(tenant=tenant, owners=[member], members=[member])
    app = ApplicationFactory(tenant=tenant, self_service_enabled=False, self_service_group=group)
    assign_group(app, group)
    client.force_login(member.account)

    html = client.get(reverse("portal:my-apps")).text

    assert app.display_name in html
    assert ">Manage app<" not in html


@pytest.mark.parametrize("count", [1, 200])
def test_my_apps_query_count_is_constant(signed_in, member, tenant, count, django_assert_max_num_queries):
    group = GroupFactory(tenant=tenant, members=[member], owners=[member])
    apps = ApplicationFactory.create_batch(count, tenant=tenant, self_service_enabled=True, self_service_group=group)
    AppRoleAssignment.objects.bulk_create(
        AppRoleAssignment(application=app, app_role=app.app_roles.get(), principal_user=member) for app in apps
    )

    with django_assert_max_num_queries(MY_APPS_QUERIES):
        response = signed_in.get(reverse("portal:my-apps"))

    assert len(tile_names(response.text)) == count


def app_queries(client, path: str = "") -> tuple[str, list[str]]:
    """The page, and the queries it ran that read applications."""
    with CaptureQueriesContext(connection) as queries:
        html = client.get(path or reverse("portal:my-apps")).text
    return html, [q["sql"] for q in queries if "directory_application" in q["sql"]]


def test_my_apps_keeps_the_tiles_and_reads_no_app_until_something_changes(signed_in, member, tenant):
    for app in ApplicationFactory.create_batch(3, tenant=tenant):
        assign(app, member)

    first, read_first = app_queries(signed_in)
    again, read_again = app_queries(signed_in)

    assert len(read_first) == 1
    assert read_again == []
    assert tile_names(again) == tile_names(first)


# What each change must show on the next page, however it was written (signals or not).
CHANGES_SHOWN = {
    "renamed (queryset update)": (
        lambda app, group, member: type(app).objects.filter(pk=app.pk).update(display_name="Renamed"),
        ["Renamed", "Via group"],
    ),
    "hidden (save)": (lambda app, group, member: (setattr(app, "visible_to_users", False), app.save()), ["Via group"]),
    "unassigned (delete)": (lambda app, group, member: app.assignments.all().delete(), ["Via group"]),
    "left the group (raw SQL)": (
        lambda app, group, member: connection.cursor().execute(
            "DELETE FROM directory_groupmember WHERE group_id = %s",
            [GroupMember._meta.get_field("group").get_db_prep_value(group.pk, connection)],
        ),
        ["Direct"],
    ),
    "new app assigned (bulk insert)": (
        lambda app, group, member: assign(ApplicationFactory(tenant=app.tenant, display_name="Added"), member),
        ["Added", "Direct", "Via group"],
    ),
}


@pytest.mark.parametrize("change", CHANGES_SHOWN)
def test_a_change_shows_on_the_next_page_although_the_tiles_were_kept(change, signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Direct")
    assign(app, member)
    group = GroupFactory(tenant=tenant, members=[member])
    assign_group(ApplicationFactory(tenant=tenant, display_name="Via group"), group)
    assert tile_names(signed_in.get(reverse("portal:my-apps")).text) == ["Direct", "Via group"]
    make_change, shown = CHANGES_SHOWN[change]

    make_change(app, group, member)

    assert tile_names(signed_in.get(reverse("portal:my-apps")).text) == shown


def test_kept_tiles_follow_the_address_the_page_was_asked_at(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant)
    assign(app, member)
    launch = reverse("portal:launch", args=[app.pk])

    signed_in.get(reverse("portal:my-apps"))
    html = signed_in.get(reverse("portal:my-apps"), headers={"host": "localhost"}).text

    assert f'data-copy-link="http://localhost{launch}?tenantid={tenant.pk}"' in html


def test_kept_tiles_are_each_persons_own(client, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Only Megan")
    assign(app, member)
    other = DirectoryUserFactory(tenant=tenant)
    client.force_login(member.account)
    assert tile_names(client.get(reverse("portal:my-apps")).text) == ["Only Megan"]

    client.force_login(other.account)

    assert tile_names(client.get(reverse("portal:my-apps")).text) == []


def test_app_details_shows_sso_mode_homepage_and_direct_link(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Workday", homepage_url="https://workday.example/")
    assign(app, member)

    response = signed_in.get(reverse("portal:app-details", args=[app.pk]))

    assert response.status_code == 200
    assert "OpenID Connect / OAuth" in response.text
    assert "https://workday.example/" in response.text
    assert f"/apps/{app.pk}/launch/?tenantid={tenant.pk}" in response.text


def test_app_details_of_an_app_the_user_does_not_have_is_404(signed_in, tenant):
    app = ApplicationFactory(tenant=tenant)

    assert signed_in.get(reverse("portal:app-details", args=[app.pk])).status_code == 404


def test_my_apps_redirects_anonymous_people_to_sign_in(client, db):
    response = client.get(reverse("portal:my-apps"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign-in"))


def test_my_apps_lists_an_app_assigned_several_ways_once(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, display_name="Contoso Expenses")
    assign(app, member)
    for _ in range(2):
        assign_group(app, GroupFactory(tenant=tenant, members=[member]))
    other = DirectoryUserFactory(tenant=tenant)
    assign_group(
        ApplicationFactory(tenant=tenant, display_name="Others only"), GroupFactory(tenant=tenant, members=[other])
    )

    assert tile_names(signed_in.get(reverse("portal:my-apps")).text) == ["Contoso Expenses"]


def test_my_apps_reads_assignments_through_indexes(member, tenant):
    assign(ApplicationFactory(tenant=tenant), member)
    explained = plan(apps_for_user(user=member))
    if connection.vendor == "postgresql":
        assert "Seq Scan on directory_approleassignment" not in explained, explained
        assert "Seq Scan on directory_groupmember" not in explained, explained
    else:
        assert "SCAN directory_approleassignment" not in explained, explained
        assert "SCAN directory_groupmember" not in explained, explained


def reverse_calls(client) -> int:
    """How many URLs the page reversed (a counting wrapper around Django's resolver)."""
    calls = []
    original = URLResolver._reverse_with_prefix

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    URLResolver._reverse_with_prefix = counting
    try:
        assert client.get(reverse("portal:my-apps")).status_code == 200
    finally:
        URLResolver._reverse_with_prefix = original
    return len(calls)


def test_my_apps_builds_tile_urls_once_per_page_not_per_tile(signed_in, member, tenant):
    group = GroupFactory(tenant=tenant, members=[member], owners=[member])
    assign(ApplicationFactory(tenant=tenant, self_service_enabled=True, self_service_group=group), member)
    one_tile = reverse_calls(signed_in)
    for app in ApplicationFactory.create_batch(20, tenant=tenant, self_service_enabled=True, self_service_group=group):
        assign(app, member)

    assert reverse_calls(signed_in) == one_tile


def test_tile_urls_are_the_ones_reverse_gives(signed_in, member, tenant):
    app = ApplicationFactory(tenant=tenant, logo=LOGO)
    assign(app, member)
    html = signed_in.get(reverse("portal:my-apps")).text
    for name in ("portal:launch", "portal:app-details"):
        assert f'"{reverse(name, args=[app.pk])}"' in html
    assert f'"{reverse("portal:app-logo", args=[app.pk, app.logo_hash])}"' in html
    assert f'data-copy-link="http://testserver{reverse("portal:launch", args=[app.pk])}?tenantid={tenant.pk}"' in html


def csrf_token_in(response) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', gzip.decompress(response.content).decode())[1]


def test_my_apps_is_compressed_and_its_csrf_token_differs_in_every_response(signed_in, member, tenant):
    for app in ApplicationFactory.create_batch(30, tenant=tenant):
        assign(app, member)

    first = signed_in.get(reverse("portal:my-apps"), headers={"accept-encoding": "gzip"})
    second = signed_in.get(reverse("portal:my-apps"), headers={"accept-encoding": "gzip"})

    assert first["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first["Vary"]
    assert len(first.content) < len(gzip.decompress(first.content)) / 4
    # BREACH guesses a secret that repeats across responses; the masked token never does.
    assert csrf_token_in(first) != csrf_token_in(second)


def test_my_apps_is_sent_plain_to_a_client_that_does_not_accept_gzip(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant), member)
    response = signed_in.get(reverse("portal:my-apps"))
    assert not response.has_header("Content-Encoding")


def test_a_tile_escapes_the_app_name_everywhere_it_appears(signed_in, member, tenant):
    assign(ApplicationFactory(tenant=tenant, display_name='<b>"Tom" & Jerry\'s</b>'), member)
    html = signed_in.get(reverse("portal:my-apps")).text
    escaped = "&lt;b&gt;&quot;Tom&quot; &amp; Jerry&#x27;s&lt;/b&gt;"
    assert f'<span class="tile__name">{escaped}</span>' in html
    assert f"More options for {escaped}</span>" in html
    assert 'data-app-name="&lt;b&gt;&quot;tom&quot; &amp; jerry&#x27;s&lt;/b&gt;"' in html
    assert "<b>" not in html
