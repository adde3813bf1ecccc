import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from directory.audit import Activity
from directory.models import Account, AuditEvent, DirectoryUser, Tenant
from directory.selectors import directory_users_for_account
from invitations import redemption
from invitations.models import Invitation, OutboundEmail
from invitations.redemption import RedemptionError, redeem_invitation
from invitations.services import reset_redemption, revoke_invitation
from tests.factories import DEFAULT_PASSWORD, AccountFactory, DirectoryUserFactory, TenantFactory
from tests.invitations.redemption_support import code_from_outbox, database_snapshot, invite, latest_email, ticket_from

GUEST = "guest@fabrikam.example"


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def contoso(db):
    return TenantFactory(
        display_name="Contoso", initial_domain="contoso.onmicrosoft.com", verified_domains="contoso.com"
    )


@pytest.fixture
def megan(contoso):
    return DirectoryUserFactory(tenant=contoso, display_name="Megan Bowen", mail="megan.bowen@contoso.com")


@pytest.fixture
def pending(contoso, megan):
    return invite(tenant=contoso, inviter=megan, email=GUEST, message="Welcome <b>aboard</b>\nSecond line")


def redeem_url(ticket: str, step: str = "redeem") -> str:
    return reverse(f"invitations:{step}", args=[ticket])


def my_apps_of(tenant: Tenant) -> str:
    return f"{reverse('portal:my-apps')}?tenantid={tenant.pk}"


def redeem_events() -> int:
    return AuditEvent.objects.filter(activity=Activity.REDEEM_EXTERNAL_USER_INVITE).count()


# Landing page -------------------------------------------------------------------


def test_landing_get_shows_the_invitation_and_changes_nothing(client, pending):
    invitation, ticket = pending
    before = database_snapshot()
    emails = OutboundEmail.objects.count()

    response = client.get(redeem_url(ticket))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Contoso" in page
    assert "contoso.com" in page
    assert "Megan Bowen" in page
    assert "megan.bowen@contoso.com" in page
    assert "Welcome &lt;b&gt;aboard&lt;/b&gt;<br>Second line" in page
    assert "<b>aboard</b>" not in page
    assert "Accept invitation" in page
    assert "no-store" in response.headers["Cache-Control"]
    assert database_snapshot() == before
    assert OutboundEmail.objects.count() == emails


def test_unknown_ticket_shows_a_clear_404_page(client, db):
    response = client.get(redeem_url("no-such-ticket"))

    assert response.status_code == 404
    assert "This invitation link isn't valid" in response.content.decode()


def test_huge_ticket_is_a_404_not_an_error(client, db):
    response = client.get(redeem_url("x" * 5000))

    assert response.status_code == 404


def test_link_superseded_by_a_resend_says_a_newer_invitation_was_sent(client, contoso, megan, pending):
    _, old_ticket = pending
    invite(tenant=contoso, inviter=megan, email=GUEST)

    response = client.get(redeem_url(old_ticket))

    assert response.status_code == 410
    assert "A newer invitation was sent" in response.content.decode()


def test_link_revoked_by_an_admin_says_it_was_withdrawn(client, megan, pending):
    invitation, ticket = pending
    revoke_invitation(invitation=invitation, actor=megan)

    response = client.get(redeem_url(ticket))

    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()


# Expired links ------------------------------------------------------------------


def expire(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(expires_date_time=timezone.now() - timedelta(minutes=1))


def test_expired_link_offers_a_new_link_without_showing_the_address(client, pending):
    invitation, ticket = pending
    expire(invitation)

    response = client.get(redeem_url(ticket))

    assert response.status_code == 410
    page = response.content.decode()
    assert "This invitation link has expired" in page
    assert "Send a new link" in page
    assert GUEST not in page


def test_send_a_new_link_emails_a_fresh_ticket_to_the_invited_address(client, pending):
    invitation, ticket = pending
    expire(invitation)

    response = client.post(redeem_url(ticket, "redeem-new-link"), {"email": "attacker@evil.example"})

    assert response.status_code == 200
    assert "We sent a new invitation link" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert not invitation.is_expired
    assert client.get(redeem_url(ticket)).status_code == 404
    email = latest_email(GUEST, OutboundEmail.Kind.INVITATION)
    assert email.invitation == invitation
    assert not OutboundEmail.objects.filter(to="attacker@evil.example").exists()
    assert client.get(redeem_url(ticket_from(email.body_text))).status_code == 200


def test_new_links_are_rate_limited_to_three_an_hour(client, contoso, pending):
    invitation, ticket = pending
    for _ in range(3):
        expire(Invitation.objects.get(invited_user=invitation.invited_user, status="PendingAcceptance"))
        assert client.post(redeem_url(ticket, "redeem-new-link")).status_code == 200
        ticket = ticket_from(latest_email(GUEST, OutboundEmail.Kind.INVITATION).body_text)
    expire(Invitation.objects.get(invited_user=invitation.invited_user, status="PendingAcceptance"))
    emails = OutboundEmail.objects.count()

    response = client.post(redeem_url(ticket, "redeem-new-link"))

    assert response.status_code == 429
    assert redemption.TOO_MANY_NEW_LINKS in response.content.decode()
    assert OutboundEmail.objects.count() == emails


def test_new_link_for_a_link_that_has_not_expired_changes_nothing(client, pending):
    _, ticket = pending
    before = database_snapshot()

    response = client.post(redeem_url(ticket, "redeem-new-link"))

    assert response.status_code == 302
    assert database_snapshot() == before


# Sign-in discovery --------------------------------------------------------------


def test_accept_invitation_goes_to_sign_in_discovery(client, pending):
    _, ticket = pending

    response = client.post(redeem_url(ticket))

    assert response.status_code == 302
    assert response.url == redeem_url(ticket, "redeem-sign-in")


def test_guest_without_account_is_offered_a_one_time_code(client, pending):
    _, ticket = pending

    response = client.get(redeem_url(ticket, "redeem-sign-in"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Verify your email" in page
    assert "Send code" in page
    assert "Sign in with your password" not in page


def test_existing_account_signs_in_with_password_then_reviews_permissions(client, pending):
    _, ticket = pending
    AccountFactory(email=GUEST)

    discovery = client.get(redeem_url(ticket, "redeem-sign-in"))
    sign_in = f"{reverse('portal:sign-in')}?{urlencode({'next': redeem_url(ticket, 'redeem-sign-in')})}"
    assert sign_in.replace("&", "&amp;") in discovery.content.decode()

    signed_in = client.post(
        reverse("portal:sign-in"),
        {"username": GUEST, "password": DEFAULT_PASSWORD, "next": redeem_url(ticket, "redeem-sign-in")},
    )
    assert signed_in.status_code == 302
    assert signed_in.url == redeem_url(ticket, "redeem-sign-in")
    assert client.get(signed_in.url).url == redeem_url(ticket, "redeem-consent")


def test_one_time_passcode_off_refuses_a_guest_without_account(client, contoso, pending):
    _, ticket = pending
    Tenant.objects.filter(pk=contoso.pk).update(email_otp_enabled=False)

    response = client.get(redeem_url(ticket, "redeem-sign-in"))

    assert response.status_code == 403
    assert "Contoso requires you to sign in with an existing account" in response.content.decode()
    assert client.post(redeem_url(ticket, "redeem-send-code")).status_code == 403


def test_one_time_passcode_off_still_lets_an_existing_account_sign_in(client, contoso, pending):
    _, ticket = pending
    Tenant.objects.filter(pk=contoso.pk).update(email_otp_enabled=False)
    AccountFactory(email=GUEST)

    response = client.get(redeem_url(ticket, "redeem-sign-in"))

    assert response.status_code == 200
    assert "Sign in with your password" in response.content.decode()
    assert "Send code" not in response.content.decode()


def test_passcode_flow_creates_a_passwordless_account_and_redeems(client, contoso, pending):
    invitation, ticket = pending

    sent = client.post(redeem_url(ticket, "redeem-send-code"))
    assert sent.status_code == 302
    verified = client.post(redeem_url(ticket, "redeem-code"), {"code": code_from_outbox(GUEST)})
    assert verified.status_code == 302
    assert verified.url == redeem_url(ticket, "redeem-consent")

    account = Account.objects.get(email=GUEST)
    assert not account.has_usable_password()
    assert client.session["_auth_user_id"] == str(account.pk)
    consent = client.get(verified.url)
    assert "Review permissions" in consent.content.decode()
    accepted = client.post(verified.url, {"action": "accept"})

    assert accepted.status_code == 302
    assert accepted.url == my_apps_of(contoso)
    guest = DirectoryUser.objects.get(pk=invitation.invited_user_id)
    assert guest.account == account
    assert guest.external_user_state == DirectoryUser.ExternalUserState.ACCEPTED


# Only the invited address -------------------------------------------------------


def test_signed_in_as_another_address_is_refused_with_a_sign_out_offer(client, pending):
    invitation, ticket = pending
    client.force_login(AccountFactory(email="someone.else@fabrikam.example"))

    for response in (
        client.get(redeem_url(ticket, "redeem-sign-in")),
        client.get(redeem_url(ticket, "redeem-consent")),
        client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"}),
    ):
        assert response.status_code == 403
        assert "This invitation is for someone else" in response.content.decode()
        assert "Sign out" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE


def test_signing_out_from_the_refusal_returns_to_the_invitation(client, pending):
    _, ticket = pending
    client.force_login(AccountFactory(email="someone.else@fabrikam.example"))

    response = client.post(reverse("portal:sign-out"), {"next": redeem_url(ticket)})

    assert response.url == redeem_url(ticket)
    assert "_auth_user_id" not in client.session


def test_redeem_service_refuses_another_account(pending):
    invitation, _ = pending

    with pytest.raises(RedemptionError, match="different email address"):
        redeem_invitation(invitation=invitation, account=AccountFactory(email="forwarded@elsewhere.example"))


def test_after_a_reset_the_next_redemption_binds_another_address(client, contoso, megan, pending):
    invitation, _ = pending
    first = AccountFactory(email=GUEST)
    redeem_invitation(invitation=invitation, account=first)
    admin = DirectoryUserFactory(tenant=contoso)
    admin.role_assignments.create(role="Global Administrator")
    ticket = ticket_from(reset_redemption(user=invitation.invited_user, actor=admin).invite_redeem_url)
    second = AccountFactory(email="new.address@northwind.example")
    client.force_login(second)

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})

    assert response.status_code == 302
    guest = DirectoryUser.objects.get(pk=invitation.invited_user_id)
    assert guest.account == second
    assert guest.invitation_accepted


def test_after_a_reset_a_new_address_proves_itself_with_a_code(client, contoso, pending):
    invitation, _ = pending
    redeem_invitation(invitation=invitation, account=AccountFactory(email=GUEST))
    admin = DirectoryUserFactory(tenant=contoso)
    admin.role_assignments.create(role="Global Administrator")
    ticket = ticket_from(reset_redemption(user=invitation.invited_user, actor=admin).invite_redeem_url)
    new_address = "new.address@northwind.example"

    assert "Which email address will you use?" in client.get(redeem_url(ticket, "redeem-sign-in")).content.decode()
    client.post(redeem_url(ticket, "redeem-send-code"), {"email": new_address})
    verified = client.post(
        f"{redeem_url(ticket, 'redeem-code')}?email={new_address}",
        {"email": new_address, "code": code_from_outbox(new_address)},
    )
    client.post(verified.url, {"action": "accept"})

    guest = DirectoryUser.objects.get(pk=invitation.invited_user_id)
    assert guest.account.email == new_address


def test_after_a_reset_a_code_needs_a_valid_address(client, contoso, pending):
    invitation, _ = pending
    redeem_invitation(invitation=invitation, account=AccountFactory(email=GUEST))
    admin = DirectoryUserFactory(tenant=contoso)
    admin.role_assignments.create(role="Global Administrator")
    ticket = ticket_from(reset_redemption(user=invitation.invited_user, actor=admin).invite_redeem_url)

    response = client.post(redeem_url(ticket, "redeem-send-code"), {"email": "not an address\r\nBcc: x@y.z"})

    assert response.status_code == 400
    assert "Enter the email address you want to use" in response.content.decode()
    assert not OutboundEmail.objects.filter(kind=OutboundEmail.Kind.ONE_TIME_CODE).exists()


def test_account_that_already_is_a_user_in_the_tenant_is_refused(client, contoso, pending):
    invitation, ticket = pending
    account = AccountFactory(email=GUEST)
    DirectoryUserFactory(tenant=contoso, mail="member@contoso.com", account=account)
    client.force_login(account)

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})

    assert response.status_code == 403
    assert "is already a user in Contoso" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE


def test_pending_invitation_fails_at_redemption_when_the_domain_is_now_denied(client, contoso, pending):
    invitation, ticket = pending
    Tenant.objects.filter(pk=contoso.pk).update(
        collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED, collaboration_domains="fabrikam.example"
    )
    client.force_login(AccountFactory(email=GUEST))

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})

    assert response.status_code == 403
    assert "no longer allows guests from fabrikam.example" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert redeem_events() == 0


# Review permissions ---------------------------------------------------------------


def test_review_permissions_shows_what_the_organization_reads_and_its_privacy_statement(client, pending):
    _, ticket = pending
    client.force_login(AccountFactory(email=GUEST))

    page = client.get(redeem_url(ticket, "redeem-consent")).content.decode()

    assert "Review permissions" in page
    assert "Read your name, email address and photo" in page
    assert "https://privacy.example/statement" in page
    assert "Accept" in page
    assert "Cancel" in page


def test_review_permissions_says_when_there_is_no_privacy_statement(client, contoso, pending):
    _, ticket = pending
    Tenant.objects.filter(pk=contoso.pk).update(privacy_statement_url="")
    client.force_login(AccountFactory(email=GUEST))

    page = client.get(redeem_url(ticket, "redeem-consent")).content.decode()

    assert "Contoso has not provided a privacy statement" in page


def test_review_permissions_needs_sign_in(client, pending):
    _, ticket = pending

    response = client.get(redeem_url(ticket, "redeem-consent"))

    assert response.status_code == 302
    assert response.url == redeem_url(ticket, "redeem-sign-in")


def test_accept_links_the_guest_marks_accepted_audits_and_lands_on_my_apps(client, contoso, pending):
    invitation, ticket = pending
    account = AccountFactory(email=GUEST)
    client.force_login(account)

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})

    assert response.status_code == 302
    assert response.url == my_apps_of(contoso)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED
    assert invitation.redeemed_date_time is not None
    guest = invitation.invited_user
    guest.refresh_from_db()
    assert guest.account == account
    assert guest.external_user_state == DirectoryUser.ExternalUserState.ACCEPTED
    assert guest.external_user_state_change_date_time == invitation.redeemed_date_time
    event = AuditEvent.objects.get(activity=Activity.REDEEM_EXTERNAL_USER_INVITE)
    assert event.tenant == contoso
    assert event.target_id == str(guest.pk)


@pytest.mark.parametrize("redirect_url", ["/account/", "http://localhost/account/?tab=1"])
def test_accept_honours_a_redirect_url_on_this_site(client, contoso, megan, redirect_url):
    _, ticket = invite(tenant=contoso, inviter=megan, email=GUEST, redirect_url=redirect_url)
    client.force_login(AccountFactory(email=GUEST))

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"}, HTTP_HOST="localhost")

    assert response.url == redirect_url


@pytest.mark.parametrize("redirect_url", ["https://evil.example/phish", "http://localhost.evil.example/"])
def test_accept_never_redirects_to_another_host(client, contoso, megan, redirect_url):
    _, ticket = invite(tenant=contoso, inviter=megan, email=GUEST, redirect_url=redirect_url)
    client.force_login(AccountFactory(email=GUEST))

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"}, HTTP_HOST="localhost")

    assert response.url == my_apps_of(contoso)


def test_cancel_leaves_the_invitation_pending(client, pending):
    invitation, ticket = pending
    client.force_login(AccountFactory(email=GUEST))

    response = client.post(redeem_url(ticket, "redeem-consent"), {"action": "cancel"})

    assert response.status_code == 200
    assert "You didn't accept the invitation" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING_ACCEPTANCE
    assert invitation.invited_user.is_pending
    assert redeem_events() == 0


def test_second_accept_is_idempotent_and_lands_in_the_same_place(client, contoso, pending):
    _, ticket = pending
    client.force_login(AccountFactory(email=GUEST))

    first = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})
    second = client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})

    assert first.url == second.url == my_apps_of(contoso)
    assert redeem_events() == 1


def test_redeemed_link_takes_the_same_guest_straight_to_the_destination(client, contoso, pending):
    invitation, ticket = pending
    account = AccountFactory(email=GUEST)
    redeem_invitation(invitation=invitation, account=account)
    client.force_login(account)

    response = client.get(redeem_url(ticket))

    assert response.status_code == 302
    assert response.url == my_apps_of(contoso)


def test_redeemed_link_asks_an_anonymous_visitor_to_sign_in(client, pending):
    invitation, ticket = pending
    redeem_invitation(invitation=invitation, account=AccountFactory(email=GUEST))

    response = client.get(redeem_url(ticket))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign-in"))


def test_redeemed_link_opened_by_another_account_is_refused(client, pending):
    invitation, ticket = pending
    redeem_invitation(invitation=invitation, account=AccountFactory(email=GUEST))
    client.force_login(AccountFactory(email="other@fabrikam.example"))

    response = client.get(redeem_url(ticket))

    assert response.status_code == 409
    assert "already accepted" in response.content.decode()


def test_redeem_service_refuses_a_second_account_after_redemption(pending):
    invitation, _ = pending
    redeem_invitation(invitation=invitation, account=AccountFactory(email=GUEST))

    with pytest.raises(RedemptionError, match="already accepted"):
        redeem_invitation(invitation=invitation, account=AccountFactory(email="x@fabrikam.example"))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_accept_once():
    tenant = TenantFactory(display_name="Contoso")
    inviter = DirectoryUserFactory(tenant=tenant)
    invitation, _ = invite(tenant=tenant, inviter=inviter, email=GUEST)
    account = AccountFactory(email=GUEST)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def accept() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(redeem_invitation(invitation=invitation, account=account).status)
        except Exception as exc:  # noqa: BLE001 (the assertion below shows what went wrong)
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == [Invitation.Status.COMPLETED, Invitation.Status.COMPLETED]
    assert redeem_events() == 1
    assert DirectoryUser.objects.get(pk=invitation.invited_user_id).account == account


def test_guest_with_an_existing_account_ends_with_both_organizations(client, contoso, megan):
    fabrikam = TenantFactory(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com", verified_domains="")
    lee = DirectoryUserFactory(tenant=fabrikam, display_name="Lee Gu", mail="lee.gu@fabrikam.com")
    _, ticket = invite(tenant=contoso, inviter=megan, email="lee.gu@fabrikam.com")
    client.post(
        reverse("portal:sign-in"),
        {"username": "lee.gu@fabrikam.com", "password": DEFAULT_PASSWORD, "next": redeem_url(ticket, "redeem-sign-in")},
    )

    client.post(redeem_url(ticket, "redeem-consent"), {"action": "accept"})

    tenants = [user.tenant.display_name for user in directory_users_for_account(account=lee.account)]
    assert tenants == ["Contoso", "Fabrikam"]
