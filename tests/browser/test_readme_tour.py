"""README.md's "A tour of the demo", the portal part, step by step on a fresh seed_demo.

Each block follows one bullet of the tour, as a trainer would walk it, each person in their
own browser. If the seed or the pages drift from the README, this test fails.
"""

import re

from playwright.sync_api import Locator, Page, expect

from directory.demo import ADELE, ALEX, DEMO_PASSWORD, LEE, MEGAN
from directory.models import Application, DirectoryUser, Group
from tests.browser.conftest import assert_accessible, sign_in

WELCOME = "Hi Lee, welcome to our Salesforce."


def contoso_user(mail: str) -> DirectoryUser:
    return DirectoryUser.objects.get(tenant__initial_domain="contoso.onmicrosoft.com", mail__iexact=mail)


def go_to(page: Page, section: str) -> None:
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name=section, exact=True).click()


def boxes_overlap(first: Locator, second: Locator) -> bool:
    a, b = first.bounding_box(), second.bounding_box()
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def my_apps(page: Page) -> None:
    """**My Apps**: tiles, search as you type, grid and list views, the "…" menu, launch, refusal."""
    sign_in(page, MEGAN, DEMO_PASSWORD)
    tiles = page.get_by_role("list", name="Your apps")
    expect(tiles.get_by_role("link", name="Salesforce", exact=True)).to_be_visible()
    page.get_by_role("searchbox", name="Search apps").fill("sales")
    expect(tiles.get_by_role("link", name="Workday")).to_be_hidden()
    expect(tiles.get_by_role("link", name="Salesforce", exact=True)).to_be_visible()
    # Search as you type: no Search button beside the box (it is there for browsers without JavaScript).
    expect(page.get_by_role("search").get_by_role("button", name="Search")).to_be_hidden()
    page.get_by_role("searchbox", name="Search apps").fill("")
    page.get_by_role("button", name="List view").click()
    expect(page.get_by_role("button", name="List view")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Grid view").click()
    page.get_by_role("button", name="More options for Salesforce").click()
    for item in ("Manage app", "Copy link", "App details"):
        expect(page.get_by_role("menuitem", name=item)).to_be_visible()
    page.keyboard.press("Escape")
    assert_accessible(page)

    page.goto(tiles.get_by_role("link", name="Salesforce", exact=True).get_attribute("href"))
    # Salesforce is the sample SAML app: the tile signs Megan in through a signed assertion.
    expect(page.get_by_test_id("name-id")).to_have_text("megan.bowen@contoso.com")
    page.goto("/")

    servicenow = Application.objects.get(tenant__initial_domain="contoso.onmicrosoft.com", display_name="ServiceNow")
    page.goto(f"/apps/{servicenow.pk}/launch/?tenantid={servicenow.tenant_id}")
    expect(page.get_by_role("heading", name="You don't have access to ServiceNow")).to_be_visible()


def manage_app(page: Page) -> None:
    """**Manage app**: + → Add members, type Lee's address, a welcome message, **Add** (no suggestion picked)."""
    page.goto("/")
    page.get_by_role("button", name="More options for Salesforce").click()
    page.get_by_role("menuitem", name="Manage app").click()
    expect(page.get_by_role("heading", name="Manage app: Salesforce")).to_be_visible()
    plus = page.get_by_role("button", name="Add members")
    expect(plus).to_have_attribute("title", "Add members")
    plus.click()
    dialog = page.get_by_role("dialog", name="Add members")
    dialog.get_by_label("Search by name or email address").fill(LEE)
    expect(dialog.get_by_text("No one selected yet.")).to_be_visible()
    note = dialog.get_by_text("No one selected yet.").bounding_box()
    assert note["y"] + note["height"] + 8 <= dialog.get_by_text("Welcome message (optional)").bounding_box()["y"]
    dialog.get_by_label("Welcome message (optional)").fill(WELCOME)
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()

    banner = page.locator("#members-status")
    expect(banner).to_contain_text(f"Invited {LEE} as a guest.")
    assert not boxes_overlap(banner, plus)
    row = page.get_by_role("row").filter(has_text=LEE)
    expect(row.get_by_role("cell", name="Lee Gu", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Guest")).to_be_visible()
    expect(row.get_by_role("cell", name="No", exact=True)).to_be_visible()
    assert_accessible(page)
    assert contoso_user(LEE).external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE


def groups_of_an_owner(page: Page) -> None:
    """**Groups** (Adele → Groups I own → Marketing): members, owners, + → Add members, row actions."""
    sign_in(page, ADELE, DEMO_PASSWORD)
    go_to(page, "Groups")
    page.get_by_role("link", name=re.compile(r"^Groups I own")).click()
    page.get_by_role("link", name="Marketing", exact=True).click()
    expect(page.get_by_role("heading", name="Marketing", level=1)).to_be_visible()
    for action in ("Edit details", "Delete group"):
        expect(page.get_by_role("link", name=action)).to_be_visible()
    # The only owner is not offered Remove owner; the page says why.
    expect(page.get_by_role("link", name=re.compile("^Remove owner"))).to_have_count(0)
    expect(page.get_by_text("Marketing needs at least one owner.")).to_be_visible()

    page.get_by_role("button", name="Add members").click()
    dialog = page.get_by_role("dialog", name="Add members")
    dialog.get_by_label("Search by name or email address").fill("Diego Siciliani")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("region", name="Members (3)")).to_be_visible()
    # One source for the count: the Details say the same as the list.
    expect(page.locator("#member-count")).to_have_text("3")

    row = page.get_by_role("row").filter(has_text="Diego Siciliani")
    make_owner = row.get_by_role("button", name=re.compile("^Make owner"))
    remove = row.get_by_role("link", name=re.compile("^Remove member"))
    for action in (make_owner, remove):
        expect(action).to_have_css("font-weight", "400")
        expect(action).to_have_css("text-decoration-line", "underline")
    assert abs(make_owner.bounding_box()["y"] - remove.bounding_box()["y"]) < 1
    assert_accessible(page)


def groups_of_a_member(page: Page) -> None:
    """Alex → Groups → Join group: Book Club is open, Marketing asks for a justification."""
    sign_in(page, ALEX, DEMO_PASSWORD)
    go_to(page, "Groups")
    page.get_by_role("link", name="Join group").click()
    page.get_by_role("link", name="Join group Book Club").click()
    page.get_by_role("button", name="Join group").click()
    expect(page.get_by_role("status")).to_contain_text("You joined Book Club.")

    go_to(page, "Groups")
    page.get_by_role("link", name="Join group").click()
    page.get_by_role("link", name="Request to join Marketing").click()
    page.get_by_label("Business justification").fill("I help with the campaign's logistics.")
    page.get_by_role("button", name="Request").click()
    expect(page.get_by_role("status")).to_contain_text("Your request to join Marketing was sent to its owners.")


def read_only_groups(page: Page) -> None:
    """Megan's dynamic and on-premises-synced groups are read-only and say why."""
    sign_in(page, MEGAN, DEMO_PASSWORD)
    for name, reason in (("Sales Department", "dynamic"), ("HQ Staff (on-premises)", "on-premises")):
        go_to(page, "Groups")
        page.get_by_role("link", name=re.compile(r"^Groups I own")).click()
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        expect(page.locator(".alert--warning")).to_contain_text(reason)
        expect(page.get_by_role("button", name="Add members")).to_have_count(0)


def requests(page: Page, alex: Page) -> None:
    """**Requests**: Adele approves Alex's join request with a reason; Alex asks for ServiceNow and cancels."""
    go_to(page, "Requests")
    waiting = page.get_by_role("region", name="Requests to join your groups (1)")
    waiting.get_by_label("Reason").fill("Welcome to the team.")
    waiting.get_by_role("button", name="Approve Alex Wilber for Marketing").click()
    expect(waiting.get_by_role("status")).to_have_text("Approved by Adele Vance: “Welcome to the team.”")
    assert_accessible(page)

    go_to(alex, "Add apps")
    alex.get_by_role("button", name="Request ServiceNow").click()
    go_to(alex, "Requests")
    row = alex.get_by_role("row", name=re.compile("ServiceNow"))
    expect(row).to_contain_text("Waiting for an approver")
    row.get_by_role("button", name="Cancel request for ServiceNow").click()
    expect(alex.get_by_role("row", name=re.compile("ServiceNow"))).to_contain_text("Cancelled by you")
    row = alex.get_by_role("row", name=re.compile("Marketing"))
    expect(row).to_contain_text("Approved by Adele Vance: “Welcome to the team.”")


def mailbox(lee: Page, megan: Page) -> None:
    """**Mailbox**: Lee opens the invitation, accepts, signs in, reviews the permissions, lands on the app."""
    lee.goto("/")
    go_to(lee, "Mailbox")
    lee.get_by_label("Recipient").fill(LEE)
    lee.get_by_role("link", name=re.compile("invited you")).first.click()
    email = lee.frame_locator("iframe.mailbox-frame")
    expect(email.get_by_text(WELCOME)).to_be_visible()
    email.get_by_role("link", name="Accept invitation").click()
    # The mailbox's plain-text copy says "Message from Megan Bowen:" too: wait for the invitation page itself.
    expect(lee.get_by_role("heading", name="You're invited to Contoso")).to_be_visible()
    expect(lee.get_by_text("Message from Megan Bowen", exact=True)).to_be_visible()
    lee.get_by_role("button", name="Accept invitation").click()
    lee.get_by_role("link", name="Sign in with your password").click()
    lee.get_by_label("Email address").fill(LEE)
    lee.get_by_role("button", name="Next").click()
    lee.get_by_label("Password").fill(DEMO_PASSWORD)
    lee.get_by_role("button", name="Sign in").click()
    expect(lee.get_by_role("heading", name="Review permissions")).to_be_visible()
    lee.get_by_role("button", name="Accept", exact=True).click()
    # The invitation's redirect is Salesforce's launch: the sample SAML app greets the new guest by his UPN.
    expect(lee.get_by_test_id("name-id")).to_have_text("lee.gu_fabrikam.com#EXT#@contoso.onmicrosoft.com")

    megan.reload()
    row = megan.get_by_role("row").filter(has_text=LEE)
    expect(row.get_by_role("cell", name="Yes", exact=True)).to_be_visible()


def test_the_readme_tour_works_on_a_fresh_demo(page: Page, new_page, demo):
    my_apps(page)
    manage_app(page)

    adele = new_page()
    groups_of_an_owner(adele)
    alex = new_page()
    groups_of_a_member(alex)
    requests(adele, alex)
    read_only_groups(new_page())

    mailbox(new_page(), page)
    marketing = Group.objects.get(tenant__initial_domain="contoso.onmicrosoft.com", display_name="Marketing")
    assert marketing.member_links.filter(user=contoso_user(ALEX)).exists()
