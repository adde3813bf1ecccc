"""Story 1: a Global Administrator sets self-service up in the admin center, as the seed document's Prerequisites.

The world starts with only a tenant, its administrator, the future owner and an unconfigured
enterprise application: every piece the story is about is made through the admin's forms.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from directory.audit import Activity
from directory.models import Application, AppRoleAssignment, AuditEvent, Group
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    ApplicationFactory,
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    TenantFactory,
)

GROUP_NAME = "Salesforce Users"
# How the admin's pickers show a directory user.
OWNER_OPTION = "Megan Bowen (megan.bowen@contoso.com)"
GROUP_DESCRIPTION = "People who use Salesforce; its owner invites partners from My Apps."

# Found by axe in the select2 library Django's admin ships (not ours), reported rather than
# rewritten: inside the (named) autocomplete combobox, select2 marks the shown selection
# role="textbox" without a name.
STOCK_ADMIN_VIOLATIONS = {"aria-input-field-name"}

_axe = Axe()


@pytest.fixture
def contoso(transactional_db, settings, live_server):
    settings.SITE_URL = live_server.url
    tenant = TenantFactory(
        display_name="Contoso", initial_domain="contoso.onmicrosoft.com", verified_domains="contoso.com"
    )
    admin_account = AccountFactory(
        email="admin@contoso.com", display_name="MOD Administrator", is_staff=True, is_superuser=True
    )
    admin = DirectoryUserFactory(
        tenant=tenant, display_name="MOD Administrator", mail="admin@contoso.com", account=admin_account
    )
    DirectoryRoleAssignmentFactory(user=admin)
    owner = DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen", mail="megan.bowen@contoso.com")
    DirectoryUserFactory(tenant=tenant, display_name="Megan Smith", mail="megan.smith@contoso.com")
    # The app exists (added from the gallery) but nothing about it is configured yet.
    application = ApplicationFactory(
        tenant=tenant, display_name="Salesforce", single_sign_on_mode=Application.SingleSignOnMode.DISABLED
    )
    return {"tenant": tenant, "admin": admin, "owner": owner, "application": application}


def serious_violations(page: Page) -> set[str]:
    results = _axe.run(page)
    return {
        violation["id"]
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    }


def assert_admin_accessible(page: Page) -> None:
    """The admin is Django's own UI: only violations known to come from its stock templates are let through."""
    assert serious_violations(page) <= STOCK_ADMIN_VIOLATIONS, f"Accessibility violations on {page.url}"


def pick_in_autocomplete(page: Page, inline: Locator, box: str, text: str, option: str) -> None:
    """Drive a Django admin autocomplete (select2): open the empty box, type, pick the suggestion."""
    # The empty row for a new entry is the inline's last one.
    inline.get_by_role("combobox", name=box).last.click()
    # Opening it puts the focus in its search field.
    page.keyboard.type(text)
    page.get_by_role("option", name=option, exact=True).click()


def test_an_administrator_sets_up_self_service_for_an_app_through_the_admin_center(
    page: Page, new_page, contoso, live_server
):
    tenant, owner, application = contoso["tenant"], contoso["owner"], contoso["application"]

    page.goto("/admin/")
    page.get_by_label("Email address").fill("admin@contoso.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Microsoft Entra ID (demo directory)")).to_be_visible()
    assert_admin_accessible(page)

    # Enable self-service group management (Groups – General).
    page.get_by_role("link", name="Tenants").click()
    page.get_by_role("link", name="Contoso", exact=True).click()
    setting = page.get_by_role("group", name="Owners can manage group membership requests in the Access Panel")
    setting.get_by_label("Yes").check()
    assert_admin_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # Create a Security group with Assigned membership.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Add group").click()
    page.get_by_label("Tenant").select_option(label="Contoso")
    page.get_by_label("Group type").select_option(label="Security")
    page.get_by_label("Group name").fill(GROUP_NAME)
    page.get_by_label("Group description").fill(GROUP_DESCRIPTION)
    page.get_by_label("Membership type").select_option(label="Assigned")
    assert_admin_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # Open it from the list and add the owner.
    page.get_by_role("table").get_by_role("link", name=GROUP_NAME, exact=True).click()
    owners = page.locator("#owner_links-group")
    pick_in_autocomplete(page, owners, "Search users", "Megan", OWNER_OPTION)
    assert_admin_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # Configure the app: single sign-on, then self-service, then users and groups.
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Enterprise applications").click()
    page.get_by_role("link", name="Salesforce", exact=True).click()
    sign_on_url = f"{live_server.url}/sample-app/{application.pk}/"
    page.get_by_label("Single sign-on mode").select_option(label="SAML")
    page.get_by_label("Sign-on URL").fill(sign_on_url)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("group", name="Allow users to request access to this application?").get_by_label("Yes").check()
    page.get_by_label("To which group should assigned users be added?").select_option(label=GROUP_NAME)
    assert_admin_accessible(page)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # The self-service group now appears under Users and groups; assign the owner too.
    assignments = page.locator("#assignments-group")
    expect(assignments.get_by_role("combobox").filter(has_text=GROUP_NAME)).to_be_visible()
    pick_in_autocomplete(page, assignments, "Search users", "Megan B", OWNER_OPTION)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert_admin_accessible(page)

    tenant.refresh_from_db()
    assert tenant.owners_can_manage_group_membership_requests is True
    group = Group.objects.get(tenant=tenant, display_name=GROUP_NAME)
    assert (group.description, group.group_type, group.membership_type) == (
        GROUP_DESCRIPTION,
        Group.GroupType.SECURITY,
        Group.MembershipType.ASSIGNED,
    )
    assert list(group.owner_links.values_list("user", flat=True)) == [owner.pk]
    application.refresh_from_db()
    assert application.single_sign_on_mode == Application.SingleSignOnMode.SAML
    assert application.sign_on_url == sign_on_url
    assert application.self_service_enabled is True
    assert application.self_service_group == group
    assert AppRoleAssignment.objects.filter(application=application, principal_group=group).exists()
    assert AppRoleAssignment.objects.filter(application=application, principal_user=owner).exists()

    events = AuditEvent.objects.filter(tenant=tenant).order_by("id")
    assert {event.initiated_by for event in events} == {"admin@contoso.com"}
    assert [(event.activity, event.target) for event in events] == [
        (Activity.UPDATE_AUTHORIZATION_POLICY, "Contoso"),
        (Activity.ADD_GROUP, GROUP_NAME),
        (Activity.ADD_OWNER_TO_GROUP, GROUP_NAME),
        (Activity.UPDATE_SERVICE_PRINCIPAL, "Salesforce"),
        # Turning self-service on assigns its group to the app, before the update is logged.
        (Activity.ADD_APP_ROLE_ASSIGNMENT, "Salesforce"),
        (Activity.UPDATE_SERVICE_PRINCIPAL, "Salesforce"),
        (Activity.ADD_APP_ROLE_ASSIGNMENT, "Salesforce"),
    ]
    assert events[0].details["modifiedProperties"] == ["owners_can_manage_group_membership_requests"]
    assert events[4].details["group"] == GROUP_NAME
    assert events[6].details["principal"] == "Megan Bowen"

    # The owner, in their own browser, finds the app in My Apps with Manage app in its menu.
    megan = new_page()
    sign_in(megan, "megan.bowen@contoso.com", DEFAULT_PASSWORD)
    expect(megan.get_by_role("heading", name="Apps")).to_be_visible()
    expect(megan.get_by_role("link", name="Salesforce", exact=True)).to_be_visible()
    megan.get_by_role("button", name="More options for Salesforce").click()
    expect(megan.get_by_role("menuitem", name="Manage app")).to_be_visible()
    assert_accessible(megan)
