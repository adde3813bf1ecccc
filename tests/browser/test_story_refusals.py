"""Story 6: the refusals a user meets, each with a sentence saying why, and nothing changed."""

from playwright.sync_api import Page, expect

from directory.demo import BLOCKED_DOMAIN, DEMO_PASSWORD, MEGAN
from directory.models import Application, AuditEvent, DirectoryUser, Group, GroupMember
from invitations.models import Invitation, OutboundEmail
from invitations.services import DOMAIN_BLOCKED
from tests.browser.conftest import assert_accessible, sign_in

BLOCKED_ADDRESS = f"kim.akers@{BLOCKED_DOMAIN}"


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (DirectoryUser, Invitation, OutboundEmail, GroupMember, AuditEvent)
    }


def test_inviting_a_denied_domain_shows_the_reason_in_the_dialog_and_changes_nothing(page: Page, demo):
    before = row_counts()

    sign_in(page, MEGAN, DEMO_PASSWORD)
    page.get_by_role("button", name="More options for Salesforce").click()
    page.get_by_role("menuitem", name="Manage app").click()
    expect(page.get_by_role("heading", name="Manage app: Salesforce")).to_be_visible()
    page.get_by_role("button", name="Add members").click()
    dialog = page.get_by_role("dialog", name="Add members")
    dialog.get_by_label("Search by name or email address").fill(BLOCKED_ADDRESS)
    dialog.get_by_role("button", name=f"Invite {BLOCKED_ADDRESS} as a guest").click()
    expect(dialog.get_by_role("list", name="Selected")).to_contain_text(BLOCKED_ADDRESS)
    dialog.get_by_label("Welcome message").fill("Join us on Salesforce.")
    dialog.get_by_role("button", name="Add", exact=True).click()

    expect(dialog.get_by_role("alert")).to_have_text(DOMAIN_BLOCKED.format(domain=BLOCKED_DOMAIN))
    # The dialog stays open with the person still picked, so the owner sees what was refused.
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("list", name="Selected")).to_contain_text(BLOCKED_ADDRESS)
    assert_accessible(page)

    expect(page.get_by_role("region", name="Users (3)")).not_to_contain_text(BLOCKED_ADDRESS)
    assert row_counts() == before
    assert not DirectoryUser.objects.filter(mail__iexact=BLOCKED_ADDRESS).exists()
    assert not Invitation.objects.filter(invited_user_email_address__iexact=BLOCKED_ADDRESS).exists()
    assert not OutboundEmail.objects.filter(to__icontains=BLOCKED_DOMAIN).exists()


def test_a_dynamic_group_offers_no_add_and_says_why(page: Page, demo):
    sales = Group.objects.get(display_name="Sales Department")
    before = row_counts()

    # Megan owns Sales Department in the demo, so only the membership rule keeps her from adding people.
    sign_in(page, MEGAN, DEMO_PASSWORD)
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Sales Department").click()
    expect(page.get_by_role("heading", name="Sales Department")).to_be_visible()

    expect(page.get_by_text("Dynamic user")).to_be_visible()
    expect(page.get_by_role("region", name="Members", exact=True)).to_contain_text(
        "Sales Department is a dynamic group: its membership rule decides who is a member, "
        "so members can't be added or removed by hand."
    )
    expect(page.get_by_role("button", name="Add members")).to_have_count(0)
    expect(page.get_by_role("link", name="Add members")).to_have_count(0)
    expect(page.get_by_role("link", name="Remove member", exact=False)).to_have_count(0)
    assert_accessible(page)

    # The add page itself refuses too: hiding the button is not the only guard.
    page.goto(f"/groups/{sales.pk}/add/")
    expect(page.get_by_role("heading", name="Sales Department")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Sales Department is a dynamic group")
    assert row_counts() == before


def test_a_direct_launch_link_to_an_unassigned_app_opens_the_refusal_page(page: Page, demo):
    dropbox = Application.objects.get(display_name="Dropbox Business")
    servicenow = Application.objects.get(display_name="ServiceNow")

    sign_in(page, MEGAN, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Apps")).to_be_visible()
    page.goto(f"/apps/{dropbox.pk}/launch/?tenantid={dropbox.tenant_id}")
    expect(page.get_by_role("heading", name="You don't have access to Dropbox Business")).to_be_visible()
    expect(page.get_by_text("ask your administrator to assign you to Dropbox Business")).to_be_visible()
    expect(page.get_by_text("Error code: AADSTS50105")).to_be_visible()
    expect(page.get_by_role("link", name="Request access")).to_have_count(0)
    assert_accessible(page)

    # A self-service app refuses the same way but offers the request.
    page.goto(f"/apps/{servicenow.pk}/launch/?tenantid={servicenow.tenant_id}")
    expect(page.get_by_role("heading", name="You don't have access to ServiceNow")).to_be_visible()
    page.get_by_role("link", name="Request access").click()
    expect(page.get_by_role("heading", name="Request ServiceNow")).to_be_visible()
    assert_accessible(page)
