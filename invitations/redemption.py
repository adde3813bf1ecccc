"""Redeeming an invitation: finding it by its ticket, deciding where the guest lands, and the redemption itself.

Opening a link changes nothing (mail scanners open links); only redeem_invitation,
called after the guest proved their address and accepted the permissions, does.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from directory.audit import Activity, record_event
from directory.emails import canonical_email
from directory.models import Account, DirectoryUser, Tenant
from directory.services import PolicyError
from invitations import ratelimit
from invitations.models import Invitation
from invitations.services import InvitationError, check_domain_allowed, resend_invitation
from invitations.tickets import hash_ticket

# A real ticket is 43 characters; anything much longer is not worth hashing.
MAX_TICKET_LENGTH = 128
NEW_LINK_LIMIT = 3
NEW_LINK_PERIOD_SECONDS = 60 * 60

ENTER_ADDRESS = "Enter the email address you want to use, such as name@fabrikam.com."
NOT_PENDING = "This invitation can no longer be accepted. Open the link in the newest invitation email."
EXPIRED = "This invitation link has expired. Ask for a new link to be sent to the invited address."
ALREADY_REDEEMED = "This invitation was already accepted by another account."
WRONG_ACCOUNT = (
    "This invitation was sent to a different email address than the one you're signed in with. "
    "Sign out, then open the link again and sign in with the invited address."
)
ACCOUNT_DISABLED = "Your account is disabled. Ask your administrator to enable it."
DOMAIN_NOT_ALLOWED = (
    "{organization}'s invitation policy no longer allows guests from {domain}, so this invitation "
    "can't be accepted. Contact the person who invited you."
)
ACCOUNT_ALREADY_IN_TENANT = (
    "Your account {email} is already a user in {organization}, so it can't accept another invitation there. "
    "Sign in to My Apps with it instead."
)
NO_INVITER = "The person who invited you is no longer in the organization. Ask someone there to invite you again."
TOO_MANY_NEW_LINKS = "A new link was already requested several times. Wait an hour, then try again."


class RedemptionError(PolicyError):
    """A redemption the invitation's organization refuses."""


def invitation_for_ticket(ticket: str) -> Invitation | None:
    """The invitation whose ticket hashes to this one, or None. Never changes anything."""
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        return None
    return Invitation.objects.select_related("tenant", "invited_user").filter(ticket_hash=hash_ticket(ticket)).first()


def has_newer_invitation(invitation: Invitation) -> bool:
    return (
        Invitation.objects.filter(
            invited_user_id=invitation.invited_user_id, created_date_time__gt=invitation.created_date_time
        )
        .exclude(pk=invitation.pk)
        .exists()
    )


def may_redeem_as(*, invitation: Invitation, account: Account) -> bool:
    """Only the owner of the invited address, unless an admin reset lets the next person bind their address."""
    return invitation.reset_redemption or account.email == canonical_email(invitation.invited_user_email_address)


def is_redeemed_by(*, invitation: Invitation, account: Account) -> bool:
    return (
        invitation.status == Invitation.Status.COMPLETED
        and account.is_authenticated
        and invitation.invited_user.account_id == account.pk
    )


def destination_url(*, invitation: Invitation, host: str, secure: bool) -> str:
    """The invitation's redirect URL when it points at this site, else My Apps of the inviting organization."""
    url = invitation.invite_redirect_url.strip()
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={host}, require_https=secure):
        return url
    return f"{reverse('portal:my-apps')}?tenantid={invitation.tenant_id}"


def request_new_link(*, invitation: Invitation) -> Invitation:
    """Email a fresh link for an expired invitation to its invited address; at most 3 per hour per guest."""
    if invitation.status != Invitation.Status.PENDING_ACCEPTANCE or not invitation.is_expired:
        raise RedemptionError(NOT_PENDING)
    if not ratelimit.hit(
        scope="invitation-new-link",
        # Per guest, not per invitation: an invitation keeps its row when it gets a new link.
        identifier=str(invitation.invited_user_id),
        limit=NEW_LINK_LIMIT,
        period_seconds=NEW_LINK_PERIOD_SECONDS,
    ):
        raise RedemptionError(TOO_MANY_NEW_LINKS)
    # Sent on behalf of the original inviter, whose right to invite is checked again.
    inviter = invitation.invited_by or Account.objects.filter(email=canonical_email(invitation.inviter_email)).first()
    if inviter is None:
        raise RedemptionError(NO_INVITER)
    return resend_invitation(invitation=invitation, actor=inviter).invitation


def redeem_invitation(*, invitation: Invitation, account: Account) -> Invitation:
    """Link the invited guest to the account and mark the invitation Completed; audits "Redeem external user invite".

    Idempotent and race-safe: the invitation row is locked, so of two concurrent calls by
    the same account one redeems and the other returns the completed invitation.
    """
    with transaction.atomic():
        # Lock the invitation alone and read the rest afterwards: on PostgreSQL, rows joined into a
        # locking query keep the snapshot from before the wait, so a joined user could look unredeemed.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        tenant = Tenant.objects.get(pk=invitation.tenant_id)
        if invitation.status == Invitation.Status.COMPLETED:
            if DirectoryUser.objects.filter(pk=invitation.invited_user_id, account=account).exists():
                return invitation
            raise RedemptionError(ALREADY_REDEEMED)
        if invitation.status != Invitation.Status.PENDING_ACCEPTANCE:
            raise RedemptionError(NOT_PENDING)
        if invitation.is_expired:
            raise RedemptionError(EXPIRED)
        if not account.is_active:
            raise RedemptionError(ACCOUNT_DISABLED)
        if not may_redeem_as(invitation=invitation, account=account):
            raise RedemptionError(WRONG_ACCOUNT)
        try:
            check_domain_allowed(tenant=tenant, email=account.email)
        except InvitationError as exc:
            domain = account.email.rsplit("@", 1)[-1]
            raise RedemptionError(DOMAIN_NOT_ALLOWED.format(organization=tenant.display_name, domain=domain)) from exc
        user = DirectoryUser.objects.select_for_update().get(pk=invitation.invited_user_id)
        if DirectoryUser.objects.filter(tenant=tenant, account=account).exclude(pk=user.pk).exists():
            raise RedemptionError(
                ACCOUNT_ALREADY_IN_TENANT.format(email=account.email, organization=tenant.display_name)
            )
        now = timezone.now()
        user.account = account
        user.external_user_state = DirectoryUser.ExternalUserState.ACCEPTED
        user.external_user_state_change_date_time = now
        user.full_clean()
        user.save(update_fields=["account", "external_user_state", "external_user_state_change_date_time"])
        was_reset = invitation.reset_redemption
        invitation.status = Invitation.Status.COMPLETED
        invitation.redeemed_date_time = now
        invitation.reset_redemption = False
        invitation.save(update_fields=["status", "redeemed_date_time", "reset_redemption"])
        record_event(
            tenant=tenant,
            activity=Activity.REDEEM_EXTERNAL_USER_INVITE,
            actor=user,
            target=user,
            details={"invitationId": str(invitation.pk), "redeemedBy": account.email, "afterReset": was_reset},
        )
    return invitation
