"""Inviting guests: invite, resend, reset redemption, revoke, block.

Every service validates its input first, then runs one transaction that locks the
tenant row, so two invitations of one address (from two tabs or two app servers)
create one guest. The invitation email is written to the outbox in that same
transaction and delivered after commit.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accessportal.links import absolute_url
from accessportal.validators import WebAddressValidator
from directory.audit import Activity, Actor, AppActor, record_event
from directory.emails import NOT_PUBLIC_DOMAIN, canonical_domain, canonical_email, has_public_domain
from directory.models import (
    Account,
    DirectoryRoleAssignment,
    DirectoryUser,
    Group,
    Tenant,
)
from directory.services import (
    GUEST_DYNAMIC_GROUP,
    GUEST_SYNCED_GROUP,
    OTHER_TENANT,
    PolicyError,
    add_group_member,
    guest_user_principal_name,
)
from invitations.models import MAX_MESSAGE_LENGTH, BlockedAddress, Invitation, OutboundEmail, validate_fields
from invitations.outbox import queue_email
from invitations.tickets import block_link_token, new_ticket


class InvitationError(PolicyError):
    """An invitation the policy refuses; the message is shown to the inviter as is."""


MAX_EMAIL_LENGTH = 254
MAX_DISPLAY_NAME_LENGTH = 256
MAX_REDIRECT_URL_LENGTH = 2048

EMAIL_REQUIRED = "Enter the email address of the person to invite."
EMAIL_TOO_LONG = "An email address can be at most 254 characters."
EMAIL_WITH_NAME = "Enter only the email address, without a name or angle brackets (for example name@fabrikam.com)."
EMAIL_LINE_BREAK = "An email address can't contain line breaks."
EMAIL_INVALID = "{email} is not a valid email address. Enter an address such as name@fabrikam.com."
DISPLAY_NAME_TOO_LONG = "The display name can be at most 256 characters."
DISPLAY_NAME_LINE_BREAK = "The display name can't contain line breaks."
MESSAGE_TOO_LONG = "The personal message can be at most 1,000 characters."
REDIRECT_URL_TOO_LONG = "The redirect URL can be at most 2,048 characters."
REDIRECT_URL_INVALID = "The redirect URL must be an http:// or https:// address, or a path on this site such as /apps/."
LANGUAGE_INVALID = "Choose a message language such as en-US."
INVITES_DISABLED = "Your organization doesn't allow anyone to invite guest users."
ADMINS_AND_GUEST_INVITERS_ONLY = (
    "Only Global Administrators, User Administrators and Guest Inviters can invite guest users in {organization}."
)
MEMBERS_AND_ADMINS_ONLY = "Only members and administrators can invite guest users in {organization}."
NOT_IN_ORGANIZATION = "You aren't a user in {organization}, so you can't invite guests to it."
DOMAIN_BLOCKED = "Invitations to {domain} are blocked by your organization's invitation policy."
OWN_DOMAIN = "{domain} is a domain of {organization}; add them as a member instead."
ALREADY_ACCEPTED = "{name} has already accepted the invitation."
NOT_PENDING = "Only a pending invitation can be {action}."
RESET_NOT_ALLOWED = (
    "Only a Global Administrator, User Administrator or Helpdesk Administrator can reset a guest's invitation status."
)
RESET_NOT_A_GUEST = "{name} is not a guest user, so there is no invitation status to reset."
MAIL_IN_USE = "{email} is already used by another user in {organization}."

_email_validator = EmailValidator()
_url_validator = WebAddressValidator(schemes=["http", "https"])
_language_pattern = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")

INVITER_ROLES = {
    DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR,
    DirectoryRoleAssignment.Role.USER_ADMINISTRATOR,
    DirectoryRoleAssignment.Role.GUEST_INVITER,
}
RESET_ROLES = {
    DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR,
    DirectoryRoleAssignment.Role.USER_ADMINISTRATOR,
    DirectoryRoleAssignment.Role.HELPDESK_ADMINISTRATOR,
}


@dataclass
class InviteResult:
    user: DirectoryUser
    invitation: Invitation | None
    created: bool
    email_sent: bool
    already_accepted: bool
    # Graph's inviteRedeemUrl: shown to the inviter once, to share by other means when no email went out.
    invite_redeem_url: str = ""


@dataclass(frozen=True)
class _Inviter:
    name: str
    email: str
    actor: Actor
    directory_user: DirectoryUser | None
    is_admin: bool


# Validation ------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """Trim, lower-case and check an address by the real product's rules; raises InvitationError."""
    email = email.strip()
    if not email:
        raise InvitationError(EMAIL_REQUIRED)
    if "\r" in email or "\n" in email:
        raise InvitationError(EMAIL_LINE_BREAK)
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvitationError(EMAIL_TOO_LONG)
    if "<" in email or ">" in email or '"' in email:
        raise InvitationError(EMAIL_WITH_NAME)
    email = canonical_email(email)
    if not has_public_domain(email):
        raise InvitationError(NOT_PUBLIC_DOMAIN.format(email=email, domain=domain_of(email)))
    try:
        _email_validator(email)
    except ValidationError as exc:
        raise InvitationError(EMAIL_INVALID.format(email=email)) from exc
    return email


def domain_of(email: str) -> str:
    return canonical_domain(email.rsplit("@", 1)[1])


def _clean_text(value: str, *, max_length: int, too_long: str, line_break: str | None = None) -> str:
    value = value.replace("\x00", "").strip()
    if len(value) > max_length:
        raise InvitationError(too_long)
    if line_break and ("\r" in value or "\n" in value):
        raise InvitationError(line_break)
    return value


def _clean_message(message: str) -> str:
    # Normalise line endings so the length limit counts what the guest reads.
    message = message.replace("\r\n", "\n").replace("\r", "\n")
    return _clean_text(message, max_length=MAX_MESSAGE_LENGTH, too_long=MESSAGE_TOO_LONG)


def clean_redirect_url(url: str) -> str:
    """An absolute http(s) URL or a local path; empty means My Apps of the inviting organization."""
    url = url.replace("\x00", "").strip()
    if not url:
        return ""
    if len(url) > MAX_REDIRECT_URL_LENGTH:
        raise InvitationError(REDIRECT_URL_TOO_LONG)
    if any(ch.isspace() for ch in url) or "\\" in url:
        raise InvitationError(REDIRECT_URL_INVALID)
    if url.startswith("/"):
        if url.startswith("//"):
            raise InvitationError(REDIRECT_URL_INVALID)
        return url
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise InvitationError(REDIRECT_URL_INVALID) from exc
    return url


def _clean_language(language: str) -> str:
    language = language.strip() or "en-US"
    if not _language_pattern.match(language):
        raise InvitationError(LANGUAGE_INVALID)
    return language


# Policy ----------------------------------------------------------------------


Inviter = DirectoryUser | Account | AppActor


def _resolve_inviter(*, tenant: Tenant, inviter: Inviter) -> _Inviter:
    if isinstance(inviter, AppActor):
        # An application granted User.Invite.All invites as an administrator would; only "none" stops it.
        return _Inviter(name=inviter.display_name, email="", actor=inviter, directory_user=None, is_admin=True)
    if isinstance(inviter, Account):
        if inviter.is_superuser:
            return _Inviter(
                name=inviter.get_full_name(), email=inviter.email, actor=inviter, directory_user=None, is_admin=True
            )
        user = DirectoryUser.objects.filter(tenant=tenant, account=inviter).first()
        if user is None:
            raise InvitationError(NOT_IN_ORGANIZATION.format(organization=tenant.display_name))
        inviter = user
    if inviter.tenant_id != tenant.pk:
        raise InvitationError(OTHER_TENANT.format(name=inviter.display_name))
    roles = set(inviter.role_assignments.values_list("role", flat=True))
    return _Inviter(
        name=inviter.display_name,
        email=inviter.mail,
        actor=inviter,
        directory_user=inviter,
        is_admin=bool(roles & INVITER_ROLES),
    )


def check_can_invite(*, tenant: Tenant, inviter: _Inviter) -> None:
    """The tenant's guest invite setting (allowInvitesFrom) against the inviter."""
    policy = tenant.allow_invites_from
    if policy == Tenant.AllowInvitesFrom.EVERYONE:
        return
    if policy == Tenant.AllowInvitesFrom.NONE:
        raise InvitationError(INVITES_DISABLED)
    if inviter.is_admin:
        return
    if policy == Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS:
        raise InvitationError(ADMINS_AND_GUEST_INVITERS_ONLY.format(organization=tenant.display_name))
    user = inviter.directory_user
    is_member = user is not None and not user.is_guest
    guest_with_member_access = (
        user is not None and user.is_guest and tenant.guest_user_role_id == Tenant.GuestUserAccess.SAME_AS_MEMBERS
    )
    if not (is_member or guest_with_member_access):
        raise InvitationError(MEMBERS_AND_ADMINS_ONLY.format(organization=tenant.display_name))


def check_inviter_allowed(*, tenant: Tenant, inviter: DirectoryUser | Account) -> None:
    """Refuse early (for a form or a bulk dry run) when this inviter may not invite guests at all."""
    check_can_invite(tenant=tenant, inviter=_resolve_inviter(tenant=tenant, inviter=inviter))


def check_domain_allowed(*, tenant: Tenant, email: str) -> None:
    """Collaboration restrictions: an exact, case-insensitive domain match against the list."""
    domain = domain_of(email)
    mode = tenant.collaboration_restriction
    listed = domain in tenant.collaboration_domain_list
    if (mode == Tenant.CollaborationRestriction.DENY_LISTED and listed) or (
        mode == Tenant.CollaborationRestriction.ALLOW_LISTED and not listed
    ):
        raise InvitationError(DOMAIN_BLOCKED.format(domain=domain))


def _check_not_own_domain(*, tenant: Tenant, email: str) -> None:
    domain = domain_of(email)
    if domain in tenant.all_domains:
        raise InvitationError(OWN_DOMAIN.format(domain=domain, organization=tenant.display_name))


def check_group_takes_guests(*, tenant: Tenant, group: Group | None) -> None:
    if group is None:
        return
    if group.tenant_id != tenant.pk:
        raise InvitationError(OTHER_TENANT.format(name=group.display_name))
    if group.is_dynamic:
        raise InvitationError(GUEST_DYNAMIC_GROUP)
    if group.on_premises_sync_enabled:
        raise InvitationError(GUEST_SYNCED_GROUP)


def is_blocked(email: str) -> bool:
    return BlockedAddress.objects.filter(email__lower=email.lower()).exists()


# Links -----------------------------------------------------------------------


def redeem_url(plain_ticket: str) -> str:
    return absolute_url(reverse("invitations:redeem", args=[plain_ticket]))


def block_url(email: str) -> str:
    return absolute_url(reverse("invitations:block", args=[block_link_token(email)]))


def my_apps_url(tenant: Tenant) -> str:
    return absolute_url(reverse("portal:my-apps"), tenant_id=tenant.pk)


def shown_redirect_url(invitation: Invitation) -> str:
    url = invitation.invite_redirect_url
    if not url:
        return my_apps_url(invitation.tenant)
    return absolute_url(url) if url.startswith("/") else url


def invitation_subject(inviter_name: str) -> str:
    # The inviter's name comes from the directory; collapse any line breaks an admin typed into it.
    name = " ".join(inviter_name.split())
    return f"{name} invited you to access applications within their organization"


# The shared core -------------------------------------------------------------


def _add_to_group(*, group: Group | None, user: DirectoryUser, actor: Actor) -> None:
    if group is not None and not group.member_links.filter(user=user).exists():
        add_group_member(group=group, user=user, actor=actor)


def _issue_invitation(
    *,
    tenant: Tenant,
    user: DirectoryUser,
    inviter: _Inviter,
    redirect_url: str,
    message: str,
    message_language: str,
    send_invitation_message: bool,
    previous: Invitation | None = None,
    reset_redemption: bool = False,
) -> tuple[Invitation, bool, str]:
    """Revoke the previous pending invitation, create a new one and email it unless blocked.

    Runs inside the caller's transaction. Returns (invitation, email_sent, redeem URL).
    """
    now = timezone.now()
    send_count = 0
    if previous is not None:
        send_count = previous.send_count
        previous.status = Invitation.Status.REVOKED
        previous.revoked_date_time = now
        previous.save(update_fields=["status", "revoked_date_time"])
    invitation = Invitation(
        tenant=tenant,
        invited_user=user,
        invited_user_email_address=user.mail,
        invited_user_display_name=user.display_name,
        invited_by=inviter.directory_user,
        inviter_name=inviter.name[:256],
        inviter_email=inviter.email,
        invite_redirect_url=redirect_url,
        customized_message_body=message,
        message_language=message_language,
        send_invitation_message=send_invitation_message,
        reset_redemption=reset_redemption,
        created_date_time=now,
        send_count=send_count,
    )
    url = _new_link(invitation, now=now)
    email_sent = _count_email(invitation, now=now)
    validate_fields(invitation)
    invitation.save()
    _email_or_record(invitation=invitation, email_sent=email_sent, accept_url=url, actor=inviter.actor)
    return invitation, email_sent, url


def _new_link(invitation: Invitation, *, now: datetime) -> str:
    """Give the invitation a new ticket (any earlier link stops working) and a fresh lifetime; returns the URL."""
    plain, invitation.ticket_hash = new_ticket()
    lifetime = invitation.tenant.invitation_link_lifetime_days
    invitation.expires_date_time = now + timedelta(days=lifetime) if lifetime else None
    return redeem_url(plain)


def _count_email(invitation: Invitation, *, now: datetime) -> bool:
    """Whether the invitation will be emailed (asked for, and the address doesn't block invitations).

    When it will, the send is counted on the row before it is saved, so the row is written once.
    """
    if not invitation.send_invitation_message or is_blocked(invitation.invited_user.mail):
        return False
    invitation.send_count += 1
    invitation.last_sent_date_time = now
    return True


def _email_or_record(*, invitation: Invitation, email_sent: bool, accept_url: str, actor: Actor) -> None:
    """Once the row is saved: queue the email in the inviter's name, or, for an address that blocks
    invitations, audit "Email not sent, user unsubscribed" by `actor`."""
    if email_sent:
        _queue_invitation_email(invitation=invitation, accept_url=accept_url)
    elif invitation.send_invitation_message:
        _record_unsubscribed(invitation=invitation, actor=actor)


def _record_unsubscribed(*, invitation: Invitation, actor: Actor) -> None:
    user = invitation.invited_user
    record_event(
        tenant=invitation.tenant,
        activity=Activity.EMAIL_NOT_SENT_UNSUBSCRIBED,
        actor=actor,
        target=user,
        details={"invitedUserEmailAddress": user.mail, "invitationId": str(invitation.pk)},
    )


def _queue_invitation_email(*, invitation: Invitation, accept_url: str) -> None:
    tenant = invitation.tenant
    user = invitation.invited_user
    queue_email(
        to=user.mail,
        subject=invitation_subject(invitation.inviter_name),
        template="invitation",
        context={
            "inviter_name": invitation.inviter_name,
            "inviter_email": invitation.inviter_email,
            "organization": tenant.display_name,
            "organization_domain": tenant.primary_domain,
            "message": invitation.customized_message_body,
            "accept_url": accept_url,
            "redirect_url": shown_redirect_url(invitation),
            "block_url": block_url(user.mail),
            "privacy_statement_url": tenant.privacy_statement_url,
        },
        kind=OutboundEmail.Kind.INVITATION,
        tenant=tenant,
        reply_to=invitation.inviter_email,
        invitation=invitation,
    )


def _original_inviter(*, user: DirectoryUser, last: Invitation | None, acting: _Inviter) -> _Inviter:
    """Who the guest was invited by (their last invitation, else the directory's invitedBy), acting through `acting`.

    A reset or a resend is done by an administrator, but the guest keeps hearing from the
    person who invited them; the audit event names the administrator.
    """
    if last is not None:
        return replace(acting, name=last.inviter_name, email=last.inviter_email, directory_user=last.invited_by)
    if user.invited_by is not None:
        inviter = user.invited_by
        return replace(acting, name=inviter.display_name, email=inviter.mail, directory_user=inviter)
    return acting


def _pending_invitation(user: DirectoryUser) -> Invitation | None:
    return (
        Invitation.objects.select_for_update()
        .filter(invited_user=user, status=Invitation.Status.PENDING_ACCEPTANCE)
        .first()
    )


def _lock_tenant(tenant: Tenant) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


# Services --------------------------------------------------------------------


def invite_guest(
    *,
    tenant: Tenant,
    inviter: Inviter,
    email: str,
    group: Group | None = None,
    display_name: str = "",
    message: str = "",
    redirect_url: str = "",
    message_language: str = "en-US",
    send_invitation_message: bool = True,
) -> InviteResult:
    """Invite a guest by email, or add an existing user of that address to the group.

    Creates the guest (PendingAcceptance), the group membership and the invitation in one
    transaction under the tenant lock; the email is queued in it and sent after commit.
    A pending guest gets a fresh invitation (the old link dies); an accepted guest or a
    member only gets the membership.
    """
    fields = _clean_invite_fields(email=email, display_name=display_name, message=message, redirect_url=redirect_url)
    message_language = _clean_language(message_language)
    resolved = _resolve_inviter(tenant=tenant, inviter=inviter)

    with transaction.atomic():
        tenant = _lock_tenant(tenant)
        if group is not None:
            group = Group.objects.get(pk=group.pk)
        user = DirectoryUser.objects.filter(tenant=tenant, mail__lower=fields["email"].lower()).first()
        return _invite_locked(
            tenant=tenant,
            inviter=resolved,
            user=user,
            group=group,
            message_language=message_language,
            send_invitation_message=send_invitation_message,
            **fields,
        )


def _clean_invite_fields(*, email: str, display_name: str, message: str, redirect_url: str) -> dict[str, str]:
    """An invitation's typed fields as they are stored; raises the PolicyError of the first bad one."""
    return {
        "email": normalize_email(email),
        "display_name": _clean_text(
            display_name,
            max_length=MAX_DISPLAY_NAME_LENGTH,
            too_long=DISPLAY_NAME_TOO_LONG,
            line_break=DISPLAY_NAME_LINE_BREAK,
        ),
        "message": _clean_message(message),
        "redirect_url": clean_redirect_url(redirect_url),
    }


def _invite_locked(
    *,
    tenant: Tenant,
    inviter: _Inviter,
    user: DirectoryUser | None,
    email: str,
    group: Group | None,
    display_name: str,
    message: str,
    redirect_url: str,
    message_language: str,
    send_invitation_message: bool,
) -> InviteResult:
    """invite_guest's rules for one address, under the caller's tenant lock, with its user looked up."""
    if user is not None and not user.is_pending:
        # A member or an accepted guest: membership only, no invitation.
        _add_to_group(group=group, user=user, actor=inviter.actor)
        return InviteResult(user=user, invitation=None, created=False, email_sent=False, already_accepted=user.is_guest)

    check_can_invite(tenant=tenant, inviter=inviter)
    check_domain_allowed(tenant=tenant, email=email)
    created = user is None
    if created:
        _check_not_own_domain(tenant=tenant, email=email)
        check_group_takes_guests(tenant=tenant, group=group)
        user = _create_guest(tenant=tenant, email=email, display_name=display_name, inviter=inviter)
    _add_to_group(group=group, user=user, actor=inviter.actor)
    previous = None if created else _pending_invitation(user)
    invitation, email_sent, url = _issue_invitation(
        tenant=tenant,
        user=user,
        inviter=inviter,
        redirect_url=redirect_url or (previous.invite_redirect_url if previous else ""),
        message=message,
        message_language=message_language,
        send_invitation_message=send_invitation_message,
        previous=previous,
    )
    record_event(
        tenant=tenant,
        activity=Activity.INVITE_EXTERNAL_USER,
        actor=inviter.actor,
        target=user,
        details={
            "invitedUserEmailAddress": email,
            "invitationId": str(invitation.pk),
            "inviteRedirectUrl": invitation.invite_redirect_url,
            "sendInvitationMessage": send_invitation_message,
            "resend": previous is not None,
            "group": group.display_name if group else "",
        },
    )
    return InviteResult(
        user=user,
        invitation=invitation,
        created=created,
        email_sent=email_sent,
        already_accepted=False,
        invite_redeem_url=url,
    )


@dataclass(frozen=True)
class GuestInvite:
    """One address of a batch for invite_guests, with invite_guest's optional inputs."""

    email: str
    display_name: str = ""
    message: str = ""
    redirect_url: str = ""
    send_invitation_message: bool = True


def invite_guests(
    *, tenant: Tenant, inviter: Inviter, invites: list[GuestInvite], group: Group | None = None
) -> list[InviteResult | PolicyError]:
    """invite_guest for a batch: each address by the same rules, the shared work done once.

    One transaction, one tenant lock, the inviter and group resolved once and every address's user
    looked up in one query; each address in a savepoint of its own, so a refused one (its error in
    the list, in order) undoes nothing else. Emails are queued in the transaction, sent after commit.
    """
    resolved = _resolve_inviter(tenant=tenant, inviter=inviter)
    cleaned = []
    for invite in invites:
        try:
            fields = _clean_invite_fields(
                email=invite.email,
                display_name=invite.display_name,
                message=invite.message,
                redirect_url=invite.redirect_url,
            )
            cleaned.append(replace(invite, **fields))
        except PolicyError as error:
            cleaned.append(error)
    results: list[InviteResult | PolicyError] = []
    with transaction.atomic():
        tenant = _lock_tenant(tenant)
        if group is not None:
            group = Group.objects.get(pk=group.pk)
        emails = [invite.email.lower() for invite in cleaned if isinstance(invite, GuestInvite)]
        users = {
            user.mail.lower(): user for user in DirectoryUser.objects.filter(tenant=tenant, mail__lower__in=emails)
        }
        for invite in cleaned:
            if isinstance(invite, PolicyError):
                results.append(invite)
                continue
            try:
                with transaction.atomic():
                    result = _invite_locked(
                        tenant=tenant,
                        inviter=resolved,
                        user=users.get(invite.email.lower()),
                        email=invite.email,
                        group=group,
                        display_name=invite.display_name,
                        message=invite.message,
                        redirect_url=invite.redirect_url,
                        message_language="en-US",
                        send_invitation_message=invite.send_invitation_message,
                    )
            except PolicyError as error:
                results.append(error)
            else:
                users[invite.email.lower()] = result.user
                results.append(result)
    return results


def _create_guest(*, tenant: Tenant, email: str, display_name: str, inviter: _Inviter) -> DirectoryUser:
    now = timezone.now()
    user = DirectoryUser(
        tenant=tenant,
        display_name=display_name or _home_display_name(email) or email.split("@", 1)[0],
        mail=email,
        user_principal_name=guest_user_principal_name(mail=email, tenant=tenant),
        user_type=DirectoryUser.UserType.GUEST,
        creation_type=DirectoryUser.CreationType.INVITATION,
        external_user_state=DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE,
        external_user_state_change_date_time=now,
        invited_by=inviter.directory_user,
    )
    validate_fields(user)
    user.save()
    return user


def _home_display_name(email: str) -> str:
    """The name the person already goes by here: their sign-in account's, else their home organization's."""
    account_name = Account.objects.filter(email=email.lower()).values_list("display_name", flat=True).first()
    if account_name:
        return account_name
    home = DirectoryUser.objects.filter(mail__lower=email.lower(), user_type=DirectoryUser.UserType.MEMBER)
    return home.values_list("display_name", flat=True).first() or ""


def resend_invitation(*, invitation: Invitation, actor: DirectoryUser | Account) -> InviteResult:
    """**Resend invitation**: the same invitation (inviter, message, redirect) with a new link; the old link dies.

    The email still comes from the original inviter; the audit event names whoever resent it.
    """
    with transaction.atomic():
        tenant = _lock_tenant(invitation.tenant)
        resolved = _resolve_inviter(tenant=tenant, inviter=actor)
        invitation = (
            Invitation.objects.select_for_update().select_related("tenant", "invited_user").get(pk=invitation.pk)
        )
        user = invitation.invited_user
        if not user.is_pending:
            raise InvitationError(ALREADY_ACCEPTED.format(name=user.display_name))
        if invitation.status != Invitation.Status.PENDING_ACCEPTANCE:
            raise InvitationError(NOT_PENDING.format(action="resent"))
        check_can_invite(tenant=tenant, inviter=resolved)
        check_domain_allowed(tenant=tenant, email=user.mail)
        now = timezone.now()
        url = _new_link(invitation, now=now)
        invitation.send_invitation_message = True
        email_sent = _count_email(invitation, now=now)
        invitation.save(
            update_fields=[
                "ticket_hash",
                "expires_date_time",
                "send_invitation_message",
                "send_count",
                "last_sent_date_time",
            ]
        )
        _email_or_record(invitation=invitation, email_sent=email_sent, accept_url=url, actor=resolved.actor)
        record_event(
            tenant=tenant,
            activity=Activity.INVITE_EXTERNAL_USER,
            actor=resolved.actor,
            target=user,
            details={
                "invitedUserEmailAddress": user.mail,
                "invitationId": str(invitation.pk),
                "resend": True,
                "resentBy": resolved.email,
                "invitedBy": invitation.inviter_email,
            },
        )
    return InviteResult(
        user=user,
        invitation=invitation,
        created=False,
        email_sent=email_sent,
        already_accepted=False,
        invite_redeem_url=url,
    )


def _check_can_reset(*, tenant: Tenant, actor: Inviter) -> None:
    if isinstance(actor, AppActor):
        # An application's permission (User.ReadWrite.All) is checked by the API that accepted its token.
        return
    if isinstance(actor, Account):
        if actor.is_superuser:
            return
        actor = DirectoryUser.objects.filter(tenant=tenant, account=actor).first()
        if actor is None:
            raise InvitationError(RESET_NOT_ALLOWED)
    if actor.tenant_id != tenant.pk or not actor.role_assignments.filter(role__in=RESET_ROLES).exists():
        raise InvitationError(RESET_NOT_ALLOWED)


def reset_redemption(
    *,
    user: DirectoryUser,
    actor: Inviter,
    email: str = "",
    redirect_url: str = "",
    send_invitation_message: bool = True,
) -> InviteResult:
    """**Reset invitation status**: unlink the guest's account and invite again.

    Keeps the object id, memberships and app assignments; the next redemption may bind
    whoever proves the (optionally new) address. Audits "Invite external user with reset
    invitation status".
    """
    new_email = normalize_email(email) if email.strip() else ""
    redirect_url = clean_redirect_url(redirect_url)
    with transaction.atomic():
        tenant = _lock_tenant(user.tenant)
        _check_can_reset(tenant=tenant, actor=actor)
        user = DirectoryUser.objects.select_for_update().get(pk=user.pk)
        if not user.is_guest:
            raise InvitationError(RESET_NOT_A_GUEST.format(name=user.display_name))
        resolved = _resolve_inviter(tenant=tenant, inviter=actor)
        if new_email and new_email != user.mail:
            check_domain_allowed(tenant=tenant, email=new_email)
            _check_not_own_domain(tenant=tenant, email=new_email)
            if DirectoryUser.objects.filter(tenant=tenant, mail__lower=new_email.lower()).exclude(pk=user.pk).exists():
                raise InvitationError(MAIL_IN_USE.format(email=new_email, organization=tenant.display_name))
            user.mail = new_email
        previous_account = user.account
        user.account = None
        user.external_user_state = DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE
        user.external_user_state_change_date_time = timezone.now()
        user.creation_type = DirectoryUser.CreationType.INVITATION
        user.full_clean()
        user.save()
        previous = _pending_invitation(user)
        last = previous or Invitation.objects.filter(invited_user=user).order_by("-created_date_time").first()
        invitation, email_sent, url = _issue_invitation(
            tenant=tenant,
            user=user,
            inviter=_original_inviter(user=user, last=last, acting=resolved),
            redirect_url=redirect_url or (last.invite_redirect_url if last else ""),
            message=last.customized_message_body if last else "",
            message_language=last.message_language if last else "en-US",
            send_invitation_message=send_invitation_message,
            previous=previous,
            reset_redemption=True,
        )
        record_event(
            tenant=tenant,
            activity=Activity.INVITE_EXTERNAL_USER_RESET,
            actor=resolved.actor,
            target=user,
            details={
                "invitedUserEmailAddress": user.mail,
                "invitationId": str(invitation.pk),
                "previousAccount": previous_account.email if previous_account else "",
                "resetRedemption": True,
                "resetBy": resolved.email,
                "invitedBy": invitation.inviter_email,
            },
        )
    return InviteResult(
        user=user,
        invitation=invitation,
        created=False,
        email_sent=email_sent,
        already_accepted=False,
        invite_redeem_url=url,
    )


def revoke_invitation(*, invitation: Invitation, actor: DirectoryUser | Account) -> Invitation:
    """Revoke a pending invitation: its link stops working. The guest user stays."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("tenant", "invited_user").get(pk=invitation.pk)
        )
        if invitation.status != Invitation.Status.PENDING_ACCEPTANCE:
            raise InvitationError(NOT_PENDING.format(action="revoked"))
        invitation.status = Invitation.Status.REVOKED
        invitation.revoked_date_time = timezone.now()
        invitation.save(update_fields=["status", "revoked_date_time"])
        record_event(
            tenant=invitation.tenant,
            activity=Activity.REVOKE_EXTERNAL_USER_INVITE,
            actor=actor,
            target=invitation.invited_user,
            details={
                "invitedUserEmailAddress": invitation.invited_user_email_address,
                "invitationId": str(invitation.pk),
            },
        )
    return invitation


def block_future_invitations(*, email: str) -> BlockedAddress:
    """**Block future invitations**: no invitation email goes to this address again."""
    email = normalize_email(email)
    try:
        with transaction.atomic():
            blocked, _ = BlockedAddress.objects.get_or_create(email=email)
    except IntegrityError:  # a concurrent click won the race
        blocked = BlockedAddress.objects.get(email__lower=email.lower())
    return blocked
