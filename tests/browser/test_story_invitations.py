"""Stories 2–4: owners invite guests from My Apps, and the guests redeem from the demo mailbox.

Every person has their own browser (context), as in a real demo: the inviter and the guest
never share a session. Emails are read in the demo mailbox, the way a trainee would.
"""

import re

from playwright.sync_api import Page, expect

from directory.audit import Activity
from directory.demo import DEMO_PASSWORD
from directory.models import AuditEvent, DirectoryUser, Group, GroupMember
from invitations.models import Invitation, OutboundEmail
from tests.browser.conftest import assert_accessible, sign_in

MEGAN = "megan.bowen@contoso.com"
ADELE = "adele.vance@contoso.com"
LEE = "lee.gu@fabrikam.com"
WELCOME = "Welcome to Contoso's Salesforce! We'll share the Q3 pipeline there."


def contoso_user(mail: str) -> DirectoryUser:
    return DirectoryUser.objects.get(tenant__initial_domain="contoso.onmicrosoft.com", mail__iexact=mail)


def open_manage_app(page: Page, app: str) -> None:
    """My Apps → the tile's "…" → Manage app."""
    page.goto("/")
    page.get_by_role("button", name=f"More options for {app}").click()
    page.get_by_role("menuitem", name="Manage app").click()
    expect(page.get_by_role("heading", name=f"Manage app: {app}")).to_be_visible()


def add_members(page: Page, email: str, message: str, *, check_accessibility: bool = False) -> None:
    """+ → Add members: type the address, pick the invitation, write the welcome message, Add."""
    page.get_by_role("button", name="Add members").click()
    dialog = page.get_by_role("dialog", name="Add members")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Search by name or email address").fill(email)
    dialog.get_by_role("button", name=f"Invite {email} as a guest").click()
    expect(dialog.get_by_role("list", name="Selected")).to_contain_text(email)
    dialog.get_by_label("Welcome message (optional)").fill(message)
    if check_accessibility:
        assert_accessible(page)
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_be_hidden()


def member_row(page: Page, email: str):
    return page.get_by_role("row").filter(has_text=email)


def open_newest_email(
    page: Page, to: str, subject: str | re.Pattern[str], *, check_accessibility: bool = False
) -> None:
    """The demo mailbox, searched by recipient; newest first, so the first matching link is the latest."""
    page.goto("/invitations/mailbox/")
    page.get_by_label("Recipient").fill(to)
    expect(page.get_by_role("status").filter(has_text=f"to addresses containing {to}")).to_be_attached()
    if check_accessibility:
        assert_accessible(page)
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()
    if check_accessibility:
        assert_accessible(page)


def read_code_from_mailbox(page: Page, to: str) -> str:
    """The one-time code in the newest email to the address, read in the mailbox's plain-text view."""
    open_newest_email(page, to, re.compile("code", re.IGNORECASE))
    code = re.search(r"\b\d{6,8}\b", page.locator("pre.mailbox-text").inner_text())
    assert code, "No code in the email"
    return code.group(0)


def invite_from_manage_app(page: Page, email: str) -> None:
    sign_in(page, MEGAN, DEMO_PASSWORD)
    open_manage_app(page, "Salesforce")
    add_members(page, email, WELCOME)
    expect(member_row(page, email)).to_be_visible()


def test_an_app_owner_invites_a_guest_from_manage_app(page: Page, demo):
    guest_email = "kim.akers@litware.example"
    sign_in(page, MEGAN, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Apps")).to_be_visible()
    assert_accessible(page)

    open_manage_app(page, "Salesforce")
    assert_accessible(page)
    add_members(page, guest_email, WELCOME, check_accessibility=True)

    row = member_row(page, guest_email)
    expect(row).to_be_visible()
    expect(row.get_by_role("cell", name="Guest")).to_be_visible()
    expect(row.get_by_role("cell", name="No", exact=True)).to_be_visible()
    assert_accessible(page)

    guest = contoso_user(guest_email)
    assert guest.user_type == DirectoryUser.UserType.GUEST
    assert guest.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert guest.account is None
    assert guest.invited_by == contoso_user(MEGAN)
    assert GroupMember.objects.filter(group__display_name="Salesforce Users", user=guest).exists()
    invitation = Invitation.objects.get(invited_user=guest)
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert invitation.customized_message_body == WELCOME
    assert invitation.inviter_email == MEGAN
    email = OutboundEmail.objects.get(to=guest_email)
    assert email.kind == OutboundEmail.Kind.INVITATION
    assert WELCOME in email.body_text
    assert AuditEvent.objects.filter(
        activity=Activity.INVITE_EXTERNAL_USER, target_id=str(guest.pk), initiated_by=MEGAN
    ).exists()
    assert AuditEvent.objects.filter(
        activity=Activity.ADD_MEMBER_TO_GROUP, target="Salesforce Users", details__userId=str(guest.pk)
    ).exists()


def test_a_group_owner_invites_a_guest_from_groups_i_own(page: Page, demo):
    guest_email = "pat.green@litware.example"
    sign_in(page, ADELE, DEMO_PASSWORD)
    page.get_by_role("navigation", name="My Apps").get_by_role("link", name="Groups").click()
    page.get_by_role("link", name=re.compile(r"^Groups I own")).click()
    expect(page.get_by_role("link", name="Marketing", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Marketing", exact=True).click()
    expect(page.get_by_role("heading", name="Marketing", level=1)).to_be_visible()
    assert_accessible(page)
    add_members(page, guest_email, "Hi Pat, this is our marketing team.", check_accessibility=True)

    row = member_row(page, guest_email)
    expect(row.get_by_role("cell", name="Guest")).to_be_visible()
    expect(row.get_by_role("cell", name="No", exact=True)).to_be_visible()
    assert_accessible(page)

    guest = contoso_user(guest_email)
    assert guest.user_type == DirectoryUser.UserType.GUEST
    assert guest.external_user_state == DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
    assert guest.invited_by == contoso_user(ADELE)
    marketing = Group.objects.get(tenant=guest.tenant, display_name="Marketing")
    assert marketing.member_links.filter(user=guest).exists()
    assert Invitation.objects.get(invited_user=guest).inviter_email == ADELE
    assert OutboundEmail.objects.filter(to=guest_email, kind=OutboundEmail.Kind.INVITATION).count() == 1


def test_a_guest_redeems_with_a_one_time_code_and_the_inviter_sees_it_accepted(page: Page, new_page, demo):
    guest_email = "kim.akers@litware.example"
    invite_from_manage_app(page, guest_email)

    guest = new_page()
    open_newest_email(guest, guest_email, re.compile("invited you"), check_accessibility=True)
    email = guest.frame_locator("iframe.mailbox-frame")
    expect(email.get_by_text(WELCOME)).to_be_visible()
    email.get_by_role("link", name="Accept invitation").click()

    expect(guest.get_by_role("heading", name="You're invited to Contoso")).to_be_visible()
    expect(guest.get_by_text(WELCOME)).to_be_visible()
    assert_accessible(guest)
    guest.get_by_role("button", name="Accept invitation").click()

    expect(guest.get_by_role("heading", name="Verify your email")).to_be_visible()
    assert_accessible(guest)
    guest.get_by_role("button", name="Send code").click()

    expect(guest.get_by_role("heading", name="Enter code")).to_be_visible()
    assert_accessible(guest)
    enter_code = guest.url
    code = read_code_from_mailbox(guest, guest_email)
    guest.goto(enter_code)
    expect(guest.get_by_role("heading", name="Enter code")).to_be_visible()
    guest.get_by_role("textbox", name="Code").fill(code)
    guest.get_by_role("button", name="Sign in").click()

    expect(guest.get_by_role("heading", name="Review permissions")).to_be_visible()
    assert_accessible(guest)
    guest.get_by_role("button", name="Accept", exact=True).click()

    # The invitation's redirect is Salesforce's launch: the sample SAML app greets the guest by their UPN.
    expect(guest.get_by_test_id("name-id")).to_have_text("kim.akers_litware.example#EXT#@contoso.onmicrosoft.com")
    guest.goto("/")
    expect(guest.get_by_role("link", name="Salesforce", exact=True)).to_be_visible()
    assert_accessible(guest)

    page.reload()
    row = member_row(page, guest_email)
    expect(row.get_by_role("cell", name="Yes", exact=True)).to_be_visible()

    user = contoso_user(guest_email)
    assert user.external_user_state == DirectoryUser.ExternalUserState.ACCEPTED
    assert user.account is not None
    assert user.account.email == guest_email
    assert Invitation.objects.get(invited_user=user).status == Invitation.Status.COMPLETED
    assert AuditEvent.objects.filter(activity=Activity.REDEEM_EXTERNAL_USER_INVITE, target_id=str(user.pk)).exists()


def test_a_member_of_another_organization_redeems_with_his_password_and_can_switch(page: Page, new_page, demo):
    invite_from_manage_app(page, LEE)

    lee = new_page()
    open_newest_email(lee, LEE, re.compile("invited you"))
    lee.frame_locator("iframe.mailbox-frame").get_by_role("link", name="Accept invitation").click()
    lee.get_by_role("button", name="Accept invitation").click()

    expect(lee.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert_accessible(lee)
    lee.get_by_role("link", name="Sign in with your password").click()
    lee.get_by_label("Email address").fill(LEE)
    lee.get_by_role("button", name="Next").click()
    lee.get_by_label("Password").fill(DEMO_PASSWORD)
    lee.get_by_role("button", name="Sign in").click()

    expect(lee.get_by_role("heading", name="Review permissions")).to_be_visible()
    lee.get_by_role("button", name="Accept", exact=True).click()
    expect(lee.get_by_test_id("name-id")).to_have_text("lee.gu_fabrikam.com#EXT#@contoso.onmicrosoft.com")

    lee.goto("/")
    switcher = lee.get_by_label("Organization")
    expect(switcher.get_by_role("option")).to_have_text([re.compile("Contoso"), re.compile("Fabrikam")])
    assert_accessible(lee)

    guest = contoso_user(LEE)
    assert guest.external_user_state == DirectoryUser.ExternalUserState.ACCEPTED
    fabrikam_lee = DirectoryUser.objects.get(tenant__initial_domain="fabrikam.onmicrosoft.com", mail=LEE)
    assert guest.account == fabrikam_lee.account
