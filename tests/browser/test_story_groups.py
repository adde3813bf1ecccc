"""Story 5, self-service membership: join requests decided by the owner, open groups, Add apps."""

from playwright.sync_api import Page, expect

from directory.demo import ADELE, ALEX, DEMO_PASSWORD
from directory.models import AuditEvent, DirectoryUser, Group, GroupMember
from invitations.models import OutboundEmail
from portal.models import AppAccessRequest, GroupJoinRequest, RequestStatus
from tests.browser.conftest import assert_accessible, sign_in

JUSTIFICATION = "I'm running the spring campaign's logistics with the Marketing team."


def contoso_user(mail: str) -> DirectoryUser:
    return DirectoryUser.objects.get(tenant__initial_domain="contoso.onmicrosoft.com", mail=mail)


def read_email(page: Page, subject: str) -> None:
    """Opens the newest email with this subject from the demo mailbox in the top bar."""
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Mailbox").click()
    expect(page.get_by_role("heading", name="Mailbox")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    assert_accessible(page)


def my_apps_tile(page: Page, name: str):
    return page.get_by_role("list", name="Your apps").get_by_role("link", name=name, exact=True)


def go_to(page: Page, section: str) -> None:
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name=section, exact=True).click()


def test_a_join_request_approved_by_the_owner_makes_the_requester_a_member(page: Page, new_page, demo):
    marketing = Group.objects.get(display_name="Marketing")
    alex = contoso_user(ALEX)

    sign_in(page, ALEX, DEMO_PASSWORD)
    go_to(page, "Groups")
    expect(page.get_by_role("heading", name="Groups", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Join group").click()
    expect(page.get_by_role("heading", name="Join group")).to_be_visible()
    page.get_by_role("search").get_by_label("Search groups").fill("Market")
    expect(page.get_by_role("status").filter(has_text="open to joining")).to_have_text(
        "1 group open to joining matching “Market”"
    )
    expect(page.get_by_text("Owner approval")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Request to join Marketing").click()

    expect(page.get_by_role("heading", name="Request to join Marketing")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Business justification").fill(JUSTIFICATION)
    page.get_by_role("button", name="Request").click()
    expect(page.get_by_role("status")).to_contain_text("Your request to join Marketing was sent to its owners.")
    expect(page.get_by_role("heading", name="Your request to join")).to_be_visible()
    assert_accessible(page)

    join_request = GroupJoinRequest.objects.get(group=marketing, requester=alex)
    assert join_request.status == RequestStatus.PENDING
    assert join_request.justification == JUSTIFICATION
    assert not GroupMember.objects.filter(group=marketing, user=alex).exists()
    assert OutboundEmail.objects.filter(to=ADELE, subject="Alex Wilber wants to join Marketing").exists()

    # Adele decides in her own browser.
    adele_page = new_page()
    sign_in(adele_page, ADELE, DEMO_PASSWORD)
    go_to(adele_page, "Requests")
    requests_to_join = adele_page.get_by_role("region", name="Requests to join your groups (1)")
    expect(requests_to_join.get_by_role("heading", name="Alex Wilber → Marketing")).to_be_visible()
    expect(requests_to_join).to_contain_text(JUSTIFICATION)
    assert_accessible(adele_page)
    # The group's own page lists the same request for its owner.
    go_to(adele_page, "Groups")
    adele_page.get_by_role("link", name="Marketing", exact=True).click()
    group_requests = adele_page.get_by_role("region", name="Requests to join (1)")
    expect(group_requests).to_contain_text(JUSTIFICATION)
    assert_accessible(adele_page)
    group_requests.get_by_label("Reason").fill("Welcome aboard for the campaign.")
    group_requests.get_by_role("button", name="Approve Alex Wilber for Marketing").click()
    decision = group_requests.get_by_role("status")
    expect(decision).to_have_text("Approved by Adele Vance: “Welcome aboard for the campaign.”")
    expect(group_requests.get_by_role("button", name="Approve Alex Wilber for Marketing")).to_have_count(0)
    assert_accessible(adele_page)

    join_request.refresh_from_db()
    assert join_request.status == RequestStatus.APPROVED
    assert join_request.decided_by == contoso_user(ADELE)
    assert join_request.decision_reason == "Welcome aboard for the campaign."
    assert GroupMember.objects.filter(group=marketing, user=alex).exists()
    assert AuditEvent.objects.filter(activity="Request to join a group", initiated_by_user=alex).exists()
    adele_did = set(AuditEvent.objects.filter(initiated_by_user__mail=ADELE).values_list("activity", flat=True))
    assert {"Approve a pending request to join a group", "Add member to group"} <= adele_did

    # Alex reads the decision in the demo mailbox, and Marketing is now among his groups.
    read_email(page, "Your request to join Marketing was approved")
    expect(page.get_by_text("Adele Vance approved your request to join the group Marketing")).to_be_visible()
    expect(page.locator("pre")).to_contain_text("Welcome aboard for the campaign.")
    go_to(page, "Groups")
    page.get_by_role("link", name="Groups I'm in").click()
    expect(page.get_by_role("link", name="Groups I'm in")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("table").get_by_role("link", name="Marketing", exact=True)).to_be_visible()
    assert_accessible(page)


def test_an_open_group_is_joined_at_once(page: Page, demo):
    # As in the README's tour: Alex joins Book Club, an open group Adele owns.
    book_club = Group.objects.get(display_name="Book Club")
    alex = contoso_user(ALEX)

    sign_in(page, ALEX, DEMO_PASSWORD)
    go_to(page, "Groups")
    page.get_by_role("link", name="Join group").click()
    page.get_by_role("link", name="Join group Book Club").click()
    expect(page.get_by_role("heading", name="Join Book Club")).to_be_visible()
    expect(page.get_by_text("Book Club is open: you become a member at once.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Join group").click()

    expect(page.get_by_role("status")).to_contain_text("You joined Book Club.")
    expect(page.get_by_role("link", name="Leave group")).to_be_visible()
    assert_accessible(page)
    assert GroupMember.objects.filter(group=book_club, user=alex).exists()
    assert not GroupJoinRequest.objects.filter(group=book_club).exists()
    assert AuditEvent.objects.filter(activity="Add member to group", initiated_by_user=alex).exists()


def test_add_apps_grants_an_app_without_approval_at_once_and_sends_the_other_to_its_approver(
    page: Page, new_page, demo
):
    alex = contoso_user(ALEX)

    sign_in(page, ALEX, DEMO_PASSWORD)
    expect(page.get_by_role("link", name="Salesforce", exact=True)).to_have_count(0)
    go_to(page, "Add apps")
    expect(page.get_by_role("heading", name="Add apps")).to_be_visible()
    assert_accessible(page)

    servicenow = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="ServiceNow"))
    expect(servicenow).to_contain_text("Needs approval")
    servicenow.get_by_label("Business justification").fill("I log facilities tickets for the warehouse.")
    servicenow.get_by_role("button", name="Request ServiceNow").click()
    expect(page.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Your request for ServiceNow was sent to its approvers for a decision."
    )
    expect(page.get_by_role("row", name="ServiceNow")).to_contain_text("Waiting for an approver")
    assert_accessible(page)

    go_to(page, "Add apps")
    salesforce = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Salesforce"))
    expect(salesforce).to_contain_text("Available at once")
    salesforce.get_by_role("button", name="Request Salesforce").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="You now have access")).to_have_text(
        "You now have access to Salesforce."
    )
    expect(my_apps_tile(page, "Salesforce")).to_be_visible()
    expect(page.get_by_role("link", name="ServiceNow", exact=True)).to_have_count(0)
    assert_accessible(page)

    salesforce_request = AppAccessRequest.objects.get(requester=alex, application__display_name="Salesforce")
    assert salesforce_request.status == RequestStatus.APPROVED
    assert salesforce_request.decided_by is None
    assert GroupMember.objects.filter(group__display_name="Salesforce Users", user=alex).exists()
    servicenow_request = AppAccessRequest.objects.get(requester=alex, application__display_name="ServiceNow")
    assert servicenow_request.status == RequestStatus.PENDING
    assert OutboundEmail.objects.filter(to=ADELE, subject="Alex Wilber requested access to ServiceNow").exists()

    # Adele, ServiceNow's approver, decides on her Requests page.
    adele_page = new_page()
    sign_in(adele_page, ADELE, DEMO_PASSWORD)
    go_to(adele_page, "Requests")
    waiting = adele_page.get_by_role("region", name="App access requests waiting for you (1)")
    expect(waiting.get_by_role("heading", name="Alex Wilber → ServiceNow")).to_be_visible()
    expect(waiting).to_contain_text("I log facilities tickets for the warehouse.")
    assert_accessible(adele_page)
    waiting.get_by_label("Reason").fill("Approved for facilities work.")
    waiting.get_by_role("button", name="Approve Alex Wilber for ServiceNow").click()
    expect(adele_page.get_by_role("status")).to_contain_text("You approved Alex Wilber's request for ServiceNow.")
    expect(adele_page.get_by_role("region", name="App access requests waiting for you (1)")).to_have_count(0)
    assert_accessible(adele_page)

    servicenow_request.refresh_from_db()
    assert servicenow_request.status == RequestStatus.APPROVED
    assert servicenow_request.decided_by == contoso_user(ADELE)
    assert GroupMember.objects.filter(group__display_name="ServiceNow Users", user=alex).exists()
    assert AuditEvent.objects.filter(
        activity="Approve a pending request to access an application", initiated_by_user__mail=ADELE
    ).exists()

    read_email(page, "Your request for ServiceNow was approved")
    expect(page.locator("pre")).to_contain_text("Approved for facilities work.")
    go_to(page, "Apps")
    expect(my_apps_tile(page, "ServiceNow")).to_be_visible()
    go_to(page, "Requests")
    expect(page.get_by_role("row", name="ServiceNow")).to_contain_text(
        "Approved by Adele Vance: “Approved for facilities work.”"
    )
    assert_accessible(page)
