"""Story 1: a Global Administrator walks the seed document's three Prerequisites procedures by their labels.

On a fresh seed_demo, with an app and a group the seed has not wired (Dropbox Business and a new
"Dropbox Partners" group): enable self-service group management, create the group and make Megan
Bowen its owner, configure Dropbox Business for self-service and assign Megan. Megan then finds
Manage app on the Dropbox Business tile. Once with the mouse at 1280 px, once with the keyboard alone
at 320 px; axe on every blade, and at 320 px the page never scrolls sideways.
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from directory.audit import Activity
from directory.demo import ADMIN, DEMO_PASSWORD, MEGAN
from directory.models import Application, AppRoleAssignment, AuditEvent, Group, Tenant
from tests.browser.conftest import assert_accessible, sign_in

GROUP_NAME = "Dropbox Partners"
GROUP_DESCRIPTION = "Partners who share files with Contoso in Dropbox Business."
OWNER = "Megan Bowen"
OWNER_EMAIL = MEGAN
APP = "Dropbox Business"
# More presses than any admin page has stops before its target: reaching it means a trap or a missing stop.
MAX_TAB_STOPS = 150


class Walker:
    """Clicks, types and picks either with the mouse or with the keyboard alone."""

    def __init__(self, page: Page, *, keyboard: bool, width: int) -> None:
        self.page, self.keyboard, self.width = page, keyboard, width

    def _focused(self, locator: Locator) -> bool:
        return locator.evaluate("element => element === document.activeElement")

    def tab_to(self, target: Locator) -> None:
        for _ in range(MAX_TAB_STOPS):
            self.page.keyboard.press("Tab")
            if self._focused(target):
                return
        raise AssertionError(f"Tab never reached {target}")

    def activate(self, target: Locator) -> None:
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.press("Enter")
        else:
            target.click()

    def fill(self, target: Locator, text: str) -> None:
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.type(text)
        else:
            target.fill(text)

    def select(self, target: Locator, label: str) -> None:
        if self.keyboard:
            # A focused, closed <select> picks the option whose label is typed.
            self.tab_to(target)
            self.page.keyboard.type(label)
            expect(target.locator("option:checked")).to_have_text(label)
        else:
            target.select_option(label=label)

    def tick(self, target: Locator) -> None:
        if self.keyboard:
            self.tab_to(target)
            self.page.keyboard.press("Space")
        else:
            target.check()
        expect(target).to_be_checked()

    def choose(self, group: Locator, label: str) -> None:
        """A radio button of a group: Tab stops on the checked one, the arrow keys move the choice."""
        target = group.get_by_label(label, exact=True)
        if not self.keyboard:
            target.check()
            return
        self.tab_to(group.locator("input:checked"))
        for _ in range(group.locator("input").count()):
            if target.is_checked():
                return
            self.page.keyboard.press("ArrowUp")
        expect(target).to_be_checked()

    def blade(self, title: str) -> None:
        """The blade is open, passes axe and (on a narrow screen) never scrolls sideways."""
        expect(self.page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        assert_accessible(self.page)
        if self.width <= 320:
            assert self.page.evaluate("document.documentElement.scrollWidth") <= self.width, f"{title} scrolls"

    def nav(self, label: str) -> None:
        self.activate(self.page.get_by_role("navigation", name="Admin center").get_by_role("link", name=label))

    def menu(self, label: str) -> None:
        self.activate(self.page.get_by_role("navigation", name="Manage").get_by_role("link", name=label, exact=True))

    def command(self, label: str) -> None:
        self.activate(self.page.get_by_role("toolbar", name="Commands").get_by_role("link", name=label))

    def save(self, name: str = "Save") -> None:
        self.activate(self.page.get_by_role("button", name=name, exact=True))

    def status(self, text: str) -> None:
        expect(self.page.get_by_role("status").filter(has_text=text)).to_be_visible()


@pytest.mark.parametrize(("keyboard", "width"), [(False, 1280), (True, 320)], ids=["mouse-1280", "keyboard-320"])
def test_an_administrator_walks_the_prerequisites_by_their_labels(page: Page, new_page, demo, keyboard, width):
    page.set_viewport_size({"width": width, "height": 900})
    walk = Walker(page, keyboard=keyboard, width=width)
    contoso = Tenant.objects.get(display_name="Contoso")
    contoso.owners_can_manage_group_membership_requests = False
    contoso.save()
    seeded = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    page.goto("/admin/")
    walk.fill(page.get_by_label("Email address"), ADMIN)
    walk.fill(page.get_by_label("Password"), DEMO_PASSWORD)
    walk.save("Log in")
    walk.blade("Home")
    expect(page.get_by_text("Access Portal admin center")).to_be_visible()

    # Enable self-service group management for your tenant.
    walk.nav("Azure Active Directory")
    walk.blade("Contoso | Overview")
    walk.menu("Groups")
    walk.blade("Groups | All groups")
    walk.menu("General")
    walk.blade("Groups | General")
    expect(page.get_by_role("heading", name="Self Service Group Management")).to_be_visible()
    walk.choose(
        page.get_by_role("group", name="Owners can manage group membership requests in the Access Panel"), "Yes"
    )
    walk.save()
    walk.status("Successfully updated the group settings for Contoso.")

    # Create a group to assign to the app and make the user an owner.
    walk.nav("Azure Active Directory")
    walk.menu("Groups")
    walk.command("New group")
    walk.blade("New group")
    walk.select(page.get_by_label("Group type"), "Security")
    walk.fill(page.get_by_label("Group name"), GROUP_NAME)
    walk.fill(page.get_by_label("Group description"), GROUP_DESCRIPTION)
    walk.select(page.get_by_label("Membership type"), "Assigned")
    walk.save("Create")
    walk.blade("Groups | All groups")
    walk.status(f"Successfully created group {GROUP_NAME}.")
    walk.activate(page.get_by_role("table").get_by_role("link", name=GROUP_NAME, exact=True))
    walk.blade(f"{GROUP_NAME} | Overview")
    walk.menu("Owners")
    walk.blade(f"{GROUP_NAME} | Owners")
    walk.command("Add owners")
    walk.fill(page.get_by_role("searchbox", name="Search"), "Megan")
    walk.save("Search")
    walk.tick(page.get_by_role("checkbox", name=OWNER))
    walk.save("Select")
    walk.blade(f"{GROUP_NAME} | Owners")
    expect(page.get_by_role("region", name="Owners").get_by_role("link", name=OWNER)).to_be_visible()

    # Configure the app for self-service and assign the group to the app.
    walk.nav("Azure Active Directory")
    walk.menu("Enterprise applications")
    walk.menu("All applications")
    walk.blade("Enterprise applications | All applications")
    walk.activate(page.get_by_role("table").get_by_role("link", name=APP, exact=True))
    walk.blade(f"{APP} | Overview")
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    for label in ("Properties", "Owners"):
        walk.menu(label)
        walk.blade(f"{APP} | {label}")
    walk.menu("Single sign-on")
    walk.blade(f"{APP} | Single sign-on")
    walk.choose(page.get_by_role("group", name="Single sign-on mode"), "Linked")
    walk.fill(page.get_by_label("Sign-on URL"), "https://www.dropbox.com/business")
    walk.save()
    walk.status(f"Successfully updated single sign-on for {APP}.")
    walk.menu("Self-service")
    walk.blade(f"{APP} | Self-service")
    walk.choose(page.get_by_role("group", name="Allow users to request access to this application?"), "Yes")
    walk.select(page.get_by_label("To which group should assigned users be added?"), GROUP_NAME)
    walk.save()
    walk.status(f"Successfully updated self-service for {APP}.")
    walk.menu("Users and groups")
    walk.blade(f"{APP} | Users and groups")
    assignments = page.get_by_role("region", name="Assigned users and groups")
    expect(assignments.get_by_role("link", name=GROUP_NAME)).to_be_visible()
    walk.command("Add user/group")
    expect(page.get_by_role("heading", name="Add Assignment")).to_be_visible()
    walk.activate(page.get_by_role("link", name="None Selected"))
    expect(page.get_by_role("heading", name="Users and groups", exact=True)).to_be_visible()
    walk.fill(page.get_by_role("searchbox", name="Search"), OWNER)
    walk.save("Search")
    walk.tick(page.get_by_role("checkbox", name=OWNER))
    walk.save("Select")
    expect(page.get_by_role("link", name="1 selected")).to_be_visible()
    walk.blade(f"{APP} | Users and groups")
    walk.save("Assign")
    walk.status(f"Assigned {OWNER} to {APP}.")
    expect(assignments.get_by_role("link", name=OWNER)).to_be_visible()

    contoso.refresh_from_db()
    assert contoso.owners_can_manage_group_membership_requests is True
    group = Group.objects.get(tenant=contoso, display_name=GROUP_NAME)
    assert (group.description, group.group_type, group.membership_type) == (
        GROUP_DESCRIPTION,
        Group.GroupType.SECURITY,
        Group.MembershipType.ASSIGNED,
    )
    assert list(group.owner_links.values_list("user__mail", flat=True)) == [OWNER_EMAIL]
    dropbox = Application.objects.get(tenant=contoso, display_name=APP)
    assert (dropbox.self_service_enabled, dropbox.self_service_group) == (True, group)
    assert dropbox.single_sign_on_mode == Application.SingleSignOnMode.LINKED
    assert AppRoleAssignment.objects.filter(application=dropbox, principal_group=group).exists()
    assert AppRoleAssignment.objects.filter(application=dropbox, principal_user__mail=OWNER_EMAIL).exists()
    events = AuditEvent.objects.filter(tenant=contoso, id__gt=seeded).order_by("id")
    assert {event.initiated_by for event in events} == {ADMIN}
    assert [event.activity for event in events] == [
        Activity.UPDATE_AUTHORIZATION_POLICY,
        Activity.ADD_GROUP,
        Activity.ADD_OWNER_TO_GROUP,
        Activity.UPDATE_SERVICE_PRINCIPAL,
        # Turning self-service on assigns its group to the app, before the update is logged.
        Activity.ADD_APP_ROLE_ASSIGNMENT,
        Activity.UPDATE_SERVICE_PRINCIPAL,
        Activity.ADD_APP_ROLE_ASSIGNMENT,
    ]

    # The new owner, in their own browser, finds the app in My Apps with Manage app in its menu.
    megan = new_page()
    sign_in(megan, OWNER_EMAIL, DEMO_PASSWORD)
    expect(megan.get_by_role("link", name=APP, exact=True)).to_be_visible()
    megan.get_by_role("button", name=f"More options for {APP}").click()
    megan.get_by_role("menuitem", name="Manage app").click()
    expect(megan.get_by_role("heading", name=re.compile(f"Manage app: {APP}"))).to_be_visible()
    assert_accessible(megan)
