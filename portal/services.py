"""Group self-service from the portal: Manage app, Groups, join requests.

Every function here applies the portal's rules (only owners manage a group, only while
the tenant allows it; joining follows the group's join policy), validates all input
before writing, and then calls the directory services in one transaction, so a refusal
changes nothing. Emails go through the outbox in that same transaction.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse

from accessportal.links import absolute_url
from directory import services as directory
from directory.audit import Activity, record_event
from directory.emails import NOT_PUBLIC_DOMAIN, canonical_email, has_public_domain
from directory.models import Application, DirectoryUser, Group, Tenant
from directory.services import PolicyError
from invitations.models import OutboundEmail
from invitations.outbox import queue_email
from invitations.services import InviteResult, invite_guest
from portal.decisions import check_pending, check_requester, clean_reason, close_request, save_new_request
from portal.models import MAX_JUSTIFICATION_LENGTH, GroupJoinRequest

MAX_MESSAGE_LENGTH = 1_000
MAX_PEOPLE_PER_ADD = 50

NOTHING_TO_ADD = "Pick at least one person, or type an email address to invite."
TOO_MANY_PEOPLE = "Add at most 50 people at a time."
MESSAGE_TOO_LONG = "The welcome message can be at most 1,000 characters."
INVALID_EMAIL = "{email} is not a valid email address."
UNKNOWN_PERSON = "One of the people you picked is no longer in the directory. Search for them again."
SELF_SERVICE_OFF_FOR_MEMBERS = (
    "Your organization doesn't let people join or leave groups in My Apps. Ask an administrator for help."
)
GROUP_CLOSED = "{group} is closed: only its owners can add members."
GROUP_NEEDS_APPROVAL = "{group} needs an owner's approval: send a request with a business justification."
GROUP_IS_OPEN = "{group} is open to everyone: join it directly, no request needed."
ALREADY_REQUESTED = "You already asked to join {group}. An owner will decide, or you can cancel the request."
JUSTIFICATION_REQUIRED = "Enter a business justification so the owners know why you need to join."
JUSTIFICATION_TOO_LONG = "The business justification can be at most 1,000 characters."
CANT_CREATE_SECURITY = "Your organization doesn't let users create security groups."
CANT_CREATE_M365 = "Your organization doesn't let users create Microsoft 365 groups."
UNKNOWN_GROUP_TYPE = "Choose Security or Microsoft 365 as the group type."
UNKNOWN_JOIN_POLICY = "Choose who can join the group."
JOIN_POLICY_NEEDS_ASSIGNED = (
    "{group} has no hand-picked members (it is dynamic or synced from on-premises Active Directory), "
    "so it can only be closed to joining."
)
DESCRIPTION_TOO_LONG = "The group description can be at most 1,024 characters."


@dataclass(frozen=True)
class AddMembersResult:
    """Who was added (existing directory users) and who was invited (InviteResult of the invitations service)."""

    added: list[DirectoryUser] = field(default_factory=list)
    invited: list[InviteResult] = field(default_factory=list)

    @property
    def invited_without_email(self) -> list[InviteResult]:
        return [result for result in self.invited if not result.email_sent]


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().select_related("tenant").get(pk=group.pk)


def _normalize_emails(emails: Iterable[str]) -> list[str]:
    result: list[str] = []
    for raw in emails:
        email = canonical_email(raw)
        if not email:
            continue
        if not has_public_domain(email):
            raise PolicyError(NOT_PUBLIC_DOMAIN.format(email=email[:80], domain=email.rpartition("@")[2][:80]))
        try:
            validate_email(email)
        except ValidationError as exc:
            raise PolicyError(INVALID_EMAIL.format(email=email[:80])) from exc
        if email not in result:
            result.append(email)
    return result


def _parse_ids(user_ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    result: list[uuid.UUID] = []
    for raw in user_ids:
        try:
            parsed = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw).strip())
        except ValueError as exc:
            raise PolicyError(UNKNOWN_PERSON) from exc
        if parsed not in result:
            result.append(parsed)
    return result


def _check_guests_welcome(group: Group) -> None:
    if group.is_dynamic:
        raise PolicyError(directory.GUEST_DYNAMIC_GROUP)
    if group.on_premises_sync_enabled:
        raise PolicyError(directory.GUEST_SYNCED_GROUP)


def add_members(
    *,
    actor: DirectoryUser,
    group: Group,
    user_ids: Iterable[uuid.UUID | str] = (),
    emails: Iterable[str] = (),
    message: str = "",
    redirect_url: str = "",
) -> AddMembersResult:
    """Add directory users to the group and invite new addresses as guests, all or nothing.

    Addresses that belong to a user of the tenant add that user; others are invited
    through invitations.services.invite_guest, whose email is queued in this transaction.
    """
    message = message.strip()
    if len(message) > MAX_MESSAGE_LENGTH:
        raise PolicyError(MESSAGE_TOO_LONG)
    ids = _parse_ids(user_ids)
    addresses = _normalize_emails(emails)
    if not ids and not addresses:
        raise PolicyError(NOTHING_TO_ADD)
    if len(ids) + len(addresses) > MAX_PEOPLE_PER_ADD:
        raise PolicyError(TOO_MANY_PEOPLE)
    with transaction.atomic():
        if addresses:
            # invite_guest locks the tenant, then the group: take the locks in that same order.
            Tenant.objects.select_for_update().get(pk=group.tenant_id)
        group = _lock_group(group)
        directory.check_can_manage_members(actor=actor, group=group)
        users = list(DirectoryUser.objects.filter(tenant_id=group.tenant_id, pk__in=ids))
        if len(users) != len(ids):
            raise PolicyError(UNKNOWN_PERSON)
        known = {
            user.mail.lower(): user
            for user in DirectoryUser.objects.annotate(mail_lower=Lower("mail")).filter(
                tenant_id=group.tenant_id, mail_lower__in=addresses
            )
        }
        for address in addresses:
            user = known.get(address)
            if user is not None and user.pk not in {u.pk for u in users}:
                users.append(user)
        new_addresses = [address for address in addresses if address not in known]
        members = set(group.member_links.filter(user__in=users).values_list("user_id", flat=True))
        for user in users:
            directory.check_accepts_member(group=group, user=user)
            if user.pk in members:
                raise PolicyError(directory.ALREADY_MEMBER.format(name=user.display_name, group=group))
        if new_addresses:
            _check_guests_welcome(group)
        for user in users:
            directory.add_group_member(group=group, user=user, actor=actor)
        invited = [
            invite_guest(
                tenant=group.tenant,
                inviter=actor,
                email=address,
                group=group,
                message=message,
                redirect_url=redirect_url,
            )
            for address in new_addresses
        ]
    return AddMembersResult(added=users, invited=invited)


def remove_member(*, actor: DirectoryUser, group: Group, user: DirectoryUser) -> None:
    """An owner removes a member; audits "Remove member from group"."""
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_can_manage_members(actor=actor, group=group)
        directory.remove_group_member(group=group, user=user, actor=actor)


# Joining and leaving ---------------------------------------------------------


def _check_self_service_on(group: Group) -> None:
    if not group.tenant.owners_can_manage_group_membership_requests:
        raise PolicyError(SELF_SERVICE_OFF_FOR_MEMBERS)


def _check_join_policy(group: Group, expected: str) -> None:
    if group.join_policy == Group.JoinPolicy.CLOSED or not group.accepts_manual_members:
        raise PolicyError(GROUP_CLOSED.format(group=group))
    if group.join_policy != expected:
        message = GROUP_NEEDS_APPROVAL if group.join_policy == Group.JoinPolicy.OWNER_APPROVAL else GROUP_IS_OPEN
        raise PolicyError(message.format(group=group))


def join_group(*, actor: DirectoryUser, group: Group) -> None:
    """Join a group that is open to everyone; audits "Add member to group"."""
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_accepts_member(group=group, user=actor)
        _check_self_service_on(group)
        _check_join_policy(group, Group.JoinPolicy.OPEN)
        directory.add_group_member(group=group, user=actor, actor=actor)


def leave_group(*, actor: DirectoryUser, group: Group) -> None:
    """Leave a group with hand-picked members; audits "Remove member from group"."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_self_service_on(group)
        directory.remove_group_member(group=group, user=actor, actor=actor)


def _absolute(path: str, group: Group) -> str:
    return absolute_url(path, tenant_id=group.tenant_id)


def app_invite_redirect_url(application: Application) -> str:
    """Where a guest invited from Manage app lands after accepting: the app's launch, in its organization."""
    return absolute_url(reverse("portal:launch", args=[application.pk]), tenant_id=application.tenant_id)


def request_to_join_group(*, actor: DirectoryUser, group: Group, justification: str) -> GroupJoinRequest:
    """Ask the owners of an owner-approval group to let the actor in; emails every owner.

    Audits "Request to join a group". The database allows one pending request per person and group.
    """
    justification = justification.strip()
    if not justification:
        raise PolicyError(JUSTIFICATION_REQUIRED)
    if len(justification) > MAX_JUSTIFICATION_LENGTH:
        raise PolicyError(JUSTIFICATION_TOO_LONG)
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_accepts_member(group=group, user=actor)
        _check_self_service_on(group)
        _check_join_policy(group, Group.JoinPolicy.OWNER_APPROVAL)
        if group.member_links.filter(user=actor).exists():
            raise PolicyError(directory.ALREADY_MEMBER.format(name=actor.display_name, group=group))
        pending = GroupJoinRequest.objects.filter(group=group, requester=actor, status=GroupJoinRequest.Status.PENDING)
        if pending.exists():
            raise PolicyError(ALREADY_REQUESTED.format(group=group))
        join_request = GroupJoinRequest(group=group, requester=actor, justification=justification)
        save_new_request(join_request, already_requested=ALREADY_REQUESTED.format(group=group))
        record_event(
            tenant=group.tenant,
            activity=Activity.REQUEST_TO_JOIN_GROUP,
            actor=actor,
            target=group,
            details={"requestId": str(join_request.pk), "justification": justification},
        )
        review_url = _absolute(reverse("portal:group", args=[group.pk]), group)
        for owner in group.owner_links.select_related("user").exclude(user=actor):
            queue_email(
                to=owner.user.mail,
                subject=f"{actor.display_name} wants to join {group.display_name}",
                template="new_join_request",
                context={
                    "owner_name": owner.user.display_name,
                    "requester_name": actor.display_name,
                    "requester_email": actor.mail,
                    "group": group.display_name,
                    "organization": group.tenant.display_name,
                    "justification": justification,
                    "review_url": review_url,
                },
                kind=OutboundEmail.Kind.NOTIFICATION,
                tenant=group.tenant,
                reply_to=actor.mail,
            )
    return join_request


def _decide_join_request(
    *, actor: DirectoryUser, join_request: GroupJoinRequest, approve: bool, reason: str
) -> GroupJoinRequest:
    reason = clean_reason(reason)
    with transaction.atomic():
        # The request row is the lock two deciding owners queue on: the second sees the first's decision.
        join_request = (
            GroupJoinRequest.objects.select_for_update(of=("self",)).select_related("requester").get(pk=join_request.pk)
        )
        group = _lock_group(join_request.group)
        directory.check_can_manage_members(actor=actor, group=group)
        check_pending(join_request, actor=actor)
        requester = join_request.requester
        if approve and not group.member_links.filter(user=requester).exists():
            directory.add_group_member(group=group, user=requester, actor=actor)
        close_request(
            join_request,
            status=GroupJoinRequest.Status.APPROVED if approve else GroupJoinRequest.Status.DENIED,
            decided_by=actor,
            reason=reason,
        )
        record_event(
            tenant=group.tenant,
            activity=Activity.APPROVE_JOIN_REQUEST if approve else Activity.REJECT_JOIN_REQUEST,
            actor=actor,
            target=group,
            details={"requestId": str(join_request.pk), "user": requester.user_principal_name, "reason": reason},
        )
        verb = "approved" if approve else "denied"
        queue_email(
            to=requester.mail,
            subject=f"Your request to join {group.display_name} was {verb}",
            template="join_request_decision",
            context={
                "requester_name": requester.display_name,
                "group": group.display_name,
                "organization": group.tenant.display_name,
                "approved": approve,
                "decided_by": actor.display_name,
                "reason": reason,
                "portal_url": _absolute(reverse("portal:groups"), group),
            },
            kind=OutboundEmail.Kind.NOTIFICATION,
            tenant=group.tenant,
        )
    return join_request


def approve_join_request(*, actor: DirectoryUser, join_request: GroupJoinRequest, reason: str = "") -> GroupJoinRequest:
    """An owner lets the requester in; audits "Approve a pending request to join a group" and emails the requester."""
    return _decide_join_request(actor=actor, join_request=join_request, approve=True, reason=reason)


def deny_join_request(*, actor: DirectoryUser, join_request: GroupJoinRequest, reason: str = "") -> GroupJoinRequest:
    """An owner turns the request down; audits "Reject a pending request to join a group" and emails the requester."""
    return _decide_join_request(actor=actor, join_request=join_request, approve=False, reason=reason)


def cancel_join_request(*, actor: DirectoryUser, join_request: GroupJoinRequest) -> GroupJoinRequest:
    """The requester withdraws a pending request; audits "Cancel a pending request to join a group"."""
    with transaction.atomic():
        join_request = (
            GroupJoinRequest.objects.select_for_update(of=("self",))
            .select_related("group__tenant", "requester")
            .get(pk=join_request.pk)
        )
        check_requester(join_request, actor=actor)
        check_pending(join_request, actor=actor)
        close_request(join_request, status=GroupJoinRequest.Status.CANCELLED, decided_by=actor)
        record_event(
            tenant=join_request.group.tenant,
            activity=Activity.CANCEL_JOIN_REQUEST,
            actor=actor,
            target=join_request.group,
            details={"requestId": str(join_request.pk)},
        )
    return join_request


# Owning a group --------------------------------------------------------------


def create_portal_group(
    *,
    actor: DirectoryUser,
    display_name: str,
    description: str = "",
    group_type: str = Group.GroupType.SECURITY,
    join_policy: str = Group.JoinPolicy.OPEN,
) -> Group:
    """Create an assigned cloud group owned by its creator, open to join unless chosen otherwise.

    Audits "Add group" and "Add owner to group".
    """
    tenant = actor.tenant
    if group_type not in Group.GroupType.values:
        raise PolicyError(UNKNOWN_GROUP_TYPE)
    if join_policy not in Group.JoinPolicy.values:
        raise PolicyError(UNKNOWN_JOIN_POLICY)
    if not directory.is_directory_admin(actor):
        if group_type == Group.GroupType.SECURITY and not tenant.users_can_create_security_groups:
            raise PolicyError(CANT_CREATE_SECURITY)
        if group_type == Group.GroupType.MICROSOFT_365 and not tenant.users_can_create_m365_groups:
            raise PolicyError(CANT_CREATE_M365)
    if len(description.strip()) > 1024:
        raise PolicyError(DESCRIPTION_TOO_LONG)
    return directory.create_group(
        tenant=tenant,
        actor=actor,
        display_name=display_name,
        description=description,
        group_type=group_type,
        join_policy=join_policy,
        owners=[actor],
    )


def update_group_details(
    *, actor: DirectoryUser, group: Group, display_name: str, description: str, join_policy: str
) -> Group:
    """An owner's **Edit details**: name, description and join policy; audits "Update group"."""
    if join_policy not in Group.JoinPolicy.values:
        raise PolicyError(UNKNOWN_JOIN_POLICY)
    if len(description.strip()) > 1024:
        raise PolicyError(DESCRIPTION_TOO_LONG)
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_can_manage_members(actor=actor, group=group)
        if join_policy != Group.JoinPolicy.CLOSED and not group.accepts_manual_members:
            raise PolicyError(JOIN_POLICY_NEEDS_ASSIGNED.format(group=group))
        return directory.update_group(
            group=group,
            actor=actor,
            display_name=display_name.strip(),
            description=description.strip(),
            join_policy=join_policy,
        )


def add_owner(*, actor: DirectoryUser, group: Group, user: DirectoryUser) -> None:
    """An owner makes another user of the tenant an owner; audits "Add owner to group"."""
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_can_manage_members(actor=actor, group=group)
        directory.add_group_owner(group=group, user=user, actor=actor)


def remove_owner(*, actor: DirectoryUser, group: Group, user: DirectoryUser) -> None:
    """An owner removes an owner (never the last); audits "Remove owner from group"."""
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_can_manage_members(actor=actor, group=group)
        directory.remove_group_owner(group=group, user=user, actor=actor)


def delete_portal_group(*, actor: DirectoryUser, group: Group) -> None:
    """An owner deletes the group with its memberships; audits "Delete group"."""
    with transaction.atomic():
        group = _lock_group(group)
        directory.check_can_manage_members(actor=actor, group=group)
        directory.delete_group(group=group, actor=actor)
