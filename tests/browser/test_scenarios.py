"""The trainer's **Scenarios** page (demo mode): every scenario, reset from the top bar on a fresh database.

After each reset the test checks what the scenario's description promises the audience.
"""

import re

from playwright.sync_api import Page, expect

from directory.demo import ADELE, DEMO_PASSWORD, LEE, MEGAN, SCENARIOS
from tests.browser.conftest import assert_accessible, sign_in

RESET_TIMEOUT_MS = 120_000


def reset_to(page: Page, name: str) -> None:
    """Top bar → Scenarios → the scenario's button; the page confirms what the audience will see."""
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Scenarios").click()
    expect(page.get_by_role("heading", name="Scenarios", level=1)).to_be_visible()
    scenario = SCENARIOS[name]
    label = re.compile(rf"^Reset the demo to this scenario\W+{re.escape(scenario.title)}$")
    button = page.get_by_role("button", name=label)
    # A reset deletes and seeds the whole demo (password hashes included): slower than a page.
    button.click(timeout=RESET_TIMEOUT_MS)
    expect(page.get_by_role("status")).to_contain_text(
        f"The demo now starts at “{scenario.title}”.", timeout=RESET_TIMEOUT_MS
    )
    expect(page.get_by_role("status")).to_contain_text(scenario.audience_sees)


def open_manage_salesforce(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="More options for Salesforce").click()
    page.get_by_role("menuitem", name="Manage app").click()
    expect(page.get_by_role("heading", name="Manage app: Salesforce")).to_be_visible()


def lee_row(page: Page):
    return page.get_by_role("row").filter(has_text=LEE)


def test_every_scenario_resets_the_demo_to_what_it_promises(page: Page, demo):
    page.goto("/sign-in/")
    reset_to(page, "prerequisites")
    assert_accessible(page)
    sign_in(page, MEGAN, DEMO_PASSWORD)
    tiles = page.get_by_role("list", name="Your apps")
    expect(tiles.get_by_role("link", name="Workday")).to_be_visible()
    expect(tiles.get_by_role("link", name="Salesforce", exact=True)).to_have_count(0)

    reset_to(page, "configured")
    sign_in(page, MEGAN, DEMO_PASSWORD)
    open_manage_salesforce(page)
    expect(page.get_by_role("region", name="Users (3)")).to_be_visible()
    expect(lee_row(page)).to_have_count(0)

    reset_to(page, "invited")
    sign_in(page, MEGAN, DEMO_PASSWORD)
    open_manage_salesforce(page)
    expect(lee_row(page).get_by_role("cell", name="No", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Mailbox").click()
    expect(page.get_by_role("link", name=re.compile("Megan Bowen invited you"))).to_have_count(1)

    reset_to(page, "redeemed")
    sign_in(page, LEE, DEMO_PASSWORD)
    switcher = page.get_by_label("Organization")
    expect(switcher.get_by_role("option")).to_have_text([re.compile("Contoso"), re.compile("Fabrikam")])
    switcher.select_option(label="Contoso (guest)")
    page.get_by_role("button", name="Switch").click()
    tiles = page.get_by_role("list", name="Your apps")
    expect(tiles.get_by_role("link", name="Salesforce", exact=True)).to_be_visible()

    reset_to(page, "requests")
    sign_in(page, ADELE, DEMO_PASSWORD)
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Requests").click()
    expect(page.get_by_role("heading", name="Alex Wilber → Marketing")).to_be_visible()
    expect(page.get_by_role("heading", name="Alex Wilber → ServiceNow")).to_be_visible()
    assert_accessible(page)
