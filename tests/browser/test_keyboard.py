"""Story 7: the Add members dialog with the keyboard alone, and every story page at 320 px wide."""

import re

from playwright.sync_api import Locator, Page, expect

from directory.demo import DEMO_PASSWORD, MEGAN
from directory.models import DirectoryUser, Group
from invitations.models import Invitation, OutboundEmail
from tests.browser.conftest import assert_accessible, sign_in

GUEST = "pat.kim@litware.example"
# More presses than any page here has stops before its target: reaching the limit means a trap or a missing stop.
MAX_TAB_STOPS = 40


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, target: Locator) -> None:
    """Presses Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        if is_focused(target):
            return
    raise AssertionError(f"Tab never reached {target}")


def sign_in_with_the_keyboard(page: Page, email: str) -> None:
    page.goto("/sign-in/")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(email)
    page.keyboard.press("Enter")
    # Microsoft's second step: the password box has the focus.
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()


def open_manage_app_with_the_keyboard(page: Page) -> None:
    more = page.get_by_role("button", name="More options for Salesforce")
    tab_to(page, more)
    page.keyboard.press("Enter")
    manage = page.get_by_role("menuitem", name="Manage app")
    expect(manage).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Copy link")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(manage).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Manage app: Salesforce")).to_be_visible()


def test_a_keyboard_user_invites_a_guest_from_the_add_members_dialog(page: Page, demo):
    salesforce_users = Group.objects.get(display_name="Salesforce Users")
    sign_in_with_the_keyboard(page, MEGAN)
    open_manage_app_with_the_keyboard(page)
    add = page.get_by_role("button", name="Add members")
    tab_to(page, add)
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog", name="Add members")
    expect(dialog).to_be_visible()
    search = dialog.get_by_label("Search by name or email address")
    expect(search).to_be_focused()
    page.keyboard.type(GUEST)
    invite = dialog.get_by_role("button", name=f"Invite {GUEST} as a guest")
    expect(invite).to_be_visible()
    tab_to(page, invite)
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("list", name="Selected").get_by_role("listitem")).to_contain_text(GUEST)
    expect(search).to_be_focused()
    expect(dialog.get_by_role("status")).to_have_text(f"{GUEST} selected.")

    message = dialog.get_by_label("Welcome message")
    tab_to(page, message)
    page.keyboard.type("Welcome to Contoso's Salesforce.")
    tab_to(page, dialog.get_by_role("button", name="Add", exact=True))
    page.keyboard.press("Enter")

    # The live region next to the list announces the result; the dialog closes and focus goes back to +.
    expect(page.locator("#members-status")).to_have_text(f"Invited {GUEST} as a guest.")
    expect(page.locator("#members-status")).to_have_attribute("role", "status")
    expect(dialog).to_be_hidden()
    expect(add).to_be_focused()
    expect(page.get_by_role("row", name=re.compile(GUEST))).to_contain_text("No")
    assert_accessible(page)

    guest = DirectoryUser.objects.get(mail=GUEST)
    assert guest.user_type == DirectoryUser.UserType.GUEST
    assert guest.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert salesforce_users.member_links.filter(user=guest).exists()
    invitation = Invitation.objects.get(invited_user=guest)
    assert invitation.customized_message_body == "Welcome to Contoso's Salesforce."
    assert OutboundEmail.objects.filter(to=GUEST).count() == 1


def test_escape_closes_the_add_members_dialog_and_returns_focus_to_the_add_button(page: Page, demo):
    sign_in_with_the_keyboard(page, MEGAN)
    open_manage_app_with_the_keyboard(page)
    add = page.get_by_role("button", name="Add members")
    tab_to(page, add)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add members")
    expect(dialog.get_by_label("Search by name or email address")).to_be_focused()
    page.keyboard.type("Isaiah")
    expect(dialog.get_by_role("button", name=re.compile("Isaiah Langer"))).to_be_visible()
    assert_accessible(page)

    # In the search box the first Escape clears the search (the browser's own search-field behaviour),
    # the second closes the dialog.
    page.keyboard.press("Escape")
    expect(dialog.get_by_label("Search by name or email address")).to_have_value("")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(add).to_be_focused()

    # The page behind the open modal is inert: Tab cycles through the dialog (and the browser's own
    # controls, where focus shows as the body) but never reaches a link or button of the page.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    for _ in range(15):
        page.keyboard.press("Tab")
        assert dialog.evaluate(
            "dialog => dialog.contains(document.activeElement) || document.activeElement === document.body"
        )
    # Anywhere else in the dialog one Escape closes it.
    tab_to(page, dialog.get_by_label("Welcome message"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(add).to_be_focused()
    assert not DirectoryUser.objects.filter(mail=GUEST).exists()


def assert_fits_320(page: Page) -> None:
    """No horizontal scrolling at 320 CSS pixels (WCAG 1.4.10 Reflow), and axe clean."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url} is {width}px wide at a 320px viewport"
    assert_accessible(page)


def test_the_story_pages_reflow_at_320_pixels(page: Page, new_page, demo):
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, MEGAN, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()
    assert_fits_320(page)

    page.get_by_role("button", name="More options for Salesforce").click()
    page.get_by_role("menuitem", name="Manage app").click()
    expect(page.get_by_role("heading", name="Manage app: Salesforce")).to_be_visible()
    assert_fits_320(page)
    page.get_by_role("button", name="Add members").click()
    dialog = page.get_by_role("dialog", name="Add members")
    dialog.get_by_label("Search by name or email address").fill(GUEST)
    dialog.get_by_role("button", name=f"Invite {GUEST} as a guest").click()
    dialog.get_by_label("Welcome message").fill("Welcome to Contoso's Salesforce.")
    assert_fits_320(page)
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#members-status")).to_have_text(f"Invited {GUEST} as a guest.")
    assert_fits_320(page)

    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", name="Groups", exact=True)).to_be_visible()
    assert_fits_320(page)
    page.get_by_role("link", name="Salesforce Users").click()
    expect(page.get_by_role("heading", name="Salesforce Users")).to_be_visible()
    assert_fits_320(page)

    # The guest opens the invitation link on a phone.
    body = OutboundEmail.objects.get(to=GUEST).body_text
    link = re.search(r"https?://\S+/invitations/redeem/\S+/", body)
    assert link is not None, body
    guest_page = new_page()
    guest_page.set_viewport_size({"width": 320, "height": 640})
    guest_page.goto(link.group(0))
    expect(guest_page.get_by_role("heading", name="You're invited to Contoso")).to_be_visible()
    expect(guest_page.get_by_role("button", name="Accept invitation")).to_be_visible()
    assert_fits_320(guest_page)
