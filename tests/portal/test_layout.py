import re

import pytest
from django.urls import reverse

from directory.models import DirectoryRoleAssignment
from portal.access_requests import request_app_access
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
)

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="topbar__nav" aria-label="My Apps">(.*?)</nav>', html, re.DOTALL).group(1)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


@pytest.fixture
def pages(client, tenant, member):
    """Every page this part of the portal renders, in its richest state, as (name, response)."""
    approver = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[member], members=[member])
    mine = ApplicationFactory(tenant=tenant, self_service_enabled=True, self_service_group=group)
    AppRoleAssignmentFactory(application=mine, principal_user=member)
    other = ApplicationFactory(
        tenant=tenant,
        self_service_enabled=True,
        self_service_approval_required=True,
        self_service_group=GroupFactory(tenant=tenant),
    )
    other.self_service_approvers.set([approver])
    request_app_access(application=other, requester=member)
    DirectoryUserFactory(account=member.account, guest=True)  # a second organization shows the switcher

    responses = []
    client.force_login(member.account)
    for name, url in [
        ("my apps", reverse("portal:my-apps")),
        ("my apps list", reverse("portal:my-apps") + "?view=list&q=app"),
        ("my apps no result", reverse("portal:my-apps") + "?q=zzz"),
        ("refusal", reverse("portal:launch", args=[other.pk])),
        ("sample app", reverse("portal:sample-app", args=[mine.pk])),
        ("app details", reverse("portal:app-details", args=[mine.pk])),
        ("profile", reverse("portal:profile")),
        ("add apps", reverse("portal:add-apps")),
        ("request form", reverse("portal:request-app", args=[other.pk])),
        ("requests", reverse("portal:requests")),
    ]:
        responses.append((name, client.get(url)))
    client.force_login(approver.account)
    responses.append(("approvals", client.get(reverse("portal:requests"))))
    client.force_login(AccountFactory())
    responses.append(("no organization", client.get(reverse("portal:my-apps"))))
    client.logout()
    responses.append(("sign in", client.get(reverse("portal:sign-in"))))
    return responses


def test_pages_have_no_inline_scripts_styles_or_handlers(pages):
    for name, response in pages:
        html = response.content.decode()
        assert response.status_code in {200, 403}, name
        assert not INLINE_SCRIPT.search(html), name
        assert not STYLE_ATTRIBUTE.search(html), name
        assert not EVENT_HANDLER.search(html), name


def test_pages_are_sent_with_a_content_security_policy(pages):
    for name, response in pages:
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, name
        assert "style-src 'self'" in policy, name


def test_pages_have_a_skip_link_to_the_main_content(pages):
    for name, response in pages:
        html = response.content.decode()
        assert '<a class="skip-link" href="#main">Skip to main content</a>' in html, name
        assert '<main id="main"' in html, name


def test_top_bar_nav_marks_the_current_section(client, member):
    client.force_login(member.account)
    cases = {
        reverse("portal:my-apps"): "Apps",
        reverse("portal:requests"): "Requests",
        reverse("portal:add-apps"): "Add apps",
    }
    for url, label in cases.items():
        html = client.get(url).content.decode()
        current = re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', html)
        assert current == [label], url


def test_top_bar_has_apps_groups_requests_and_add_apps(client, member):
    client.force_login(member.account)

    html = client.get(reverse("portal:my-apps")).content.decode()

    assert nav_links(html) == ["Apps", "Groups", "Requests", "Add apps"]
    assert 'href="/groups/"' in html


def test_restricted_groups_features_hide_groups_from_non_admins(client, tenant, member):
    tenant.restrict_access_panel_groups = True
    tenant.save()
    client.force_login(member.account)

    html = client.get(reverse("portal:my-apps")).content.decode()

    assert nav_links(html) == ["Apps", "Requests", "Add apps"]


def test_restricted_groups_features_still_show_groups_to_admins(client, tenant, member):
    tenant.restrict_access_panel_groups = True
    tenant.save()
    DirectoryRoleAssignmentFactory(user=member, role=DirectoryRoleAssignment.Role.USER_ADMINISTRATOR)
    client.force_login(member.account)

    html = client.get(reverse("portal:my-apps")).content.decode()

    assert "Groups" in nav_links(html)


def test_sign_in_page_is_organization_neutral_without_portal_navigation(client, tenant):
    html = client.get(reverse("portal:sign-in")).content.decode()

    assert '<h1 id="sign-in-heading">Sign in</h1>' in html
    assert tenant.display_name not in html
    assert nav_links(html) == []
    assert 'autocomplete="username"' in html
