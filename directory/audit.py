"""Audit activity names (Azure's own) and the one function that records them."""

from dataclasses import dataclass

from django.db import models

from directory.models import Account, AuditEvent, DirectoryUser, Tenant

Category = AuditEvent.Category


class Activity(models.TextChoices):
    INVITE_EXTERNAL_USER = "Invite external user"
    INVITE_EXTERNAL_USER_RESET = "Invite external user with reset invitation status"
    REDEEM_EXTERNAL_USER_INVITE = "Redeem external user invite"
    DELETE_EXTERNAL_USER = "Delete external user"
    EMAIL_NOT_SENT_UNSUBSCRIBED = "Email not sent, user unsubscribed"
    ADD_USER = "Add user"
    UPDATE_USER = "Update user"
    DELETE_USER = "Delete user"
    ADD_MEMBER_TO_ROLE = "Add member to role"
    REMOVE_MEMBER_FROM_ROLE = "Remove member from role"
    ADD_GROUP = "Add group"
    UPDATE_GROUP = "Update group"
    DELETE_GROUP = "Delete group"
    ADD_MEMBER_TO_GROUP = "Add member to group"
    REMOVE_MEMBER_FROM_GROUP = "Remove member from group"
    ADD_OWNER_TO_GROUP = "Add owner to group"
    REMOVE_OWNER_FROM_GROUP = "Remove owner from group"
    REQUEST_TO_JOIN_GROUP = "Request to join a group"
    APPROVE_JOIN_REQUEST = "Approve a pending request to join a group"
    REJECT_JOIN_REQUEST = "Reject a pending request to join a group"
    CANCEL_JOIN_REQUEST = "Cancel a pending request to join a group"
    ADD_SERVICE_PRINCIPAL = "Add service principal"
    UPDATE_SERVICE_PRINCIPAL = "Update service principal"
    ADD_APP_ROLE_ASSIGNMENT = "Add app role assignment to service principal"
    REMOVE_APP_ROLE_ASSIGNMENT = "Remove app role assignment from service principal"
    REQUEST_APP_ACCESS = "Request access to an application"
    APPROVE_APP_ACCESS = "Approve a pending request to access an application"
    REJECT_APP_ACCESS = "Reject a pending request to access an application"
    CANCEL_APP_ACCESS = "Cancel a pending request to access an application"
    ADD_APPLICATION = "Add application"
    UPDATE_APPLICATION = "Update application"
    # Azure's activity name really ends with a space.
    UPDATE_APPLICATION_SECRETS = "Update application – Certificates and secrets management "
    CONSENT_TO_APPLICATION = "Consent to application"
    UPDATE_AUTHORIZATION_POLICY = "Update authorization policy"
    BULK_INVITE_FINISHED = "Bulk invite users - finished (bulk)"
    # Not an Azure activity (Azure has no revoke); named in its style for the admin's revoke action.
    REVOKE_EXTERNAL_USER_INVITE = "Revoke external user invite"


_GROUP = {
    Activity.ADD_GROUP,
    Activity.UPDATE_GROUP,
    Activity.DELETE_GROUP,
    Activity.ADD_MEMBER_TO_GROUP,
    Activity.REMOVE_MEMBER_FROM_GROUP,
    Activity.ADD_OWNER_TO_GROUP,
    Activity.REMOVE_OWNER_FROM_GROUP,
}
_SELF_SERVICE_GROUP = {
    Activity.REQUEST_TO_JOIN_GROUP,
    Activity.APPROVE_JOIN_REQUEST,
    Activity.REJECT_JOIN_REQUEST,
    Activity.CANCEL_JOIN_REQUEST,
}
_APPLICATION = {
    Activity.ADD_SERVICE_PRINCIPAL,
    Activity.UPDATE_SERVICE_PRINCIPAL,
    Activity.ADD_APP_ROLE_ASSIGNMENT,
    Activity.REMOVE_APP_ROLE_ASSIGNMENT,
    Activity.REQUEST_APP_ACCESS,
    Activity.APPROVE_APP_ACCESS,
    Activity.REJECT_APP_ACCESS,
    Activity.CANCEL_APP_ACCESS,
    Activity.ADD_APPLICATION,
    Activity.UPDATE_APPLICATION,
    Activity.UPDATE_APPLICATION_SECRETS,
    Activity.CONSENT_TO_APPLICATION,
}


def category_of(activity: Activity) -> str:
    if activity in _GROUP:
        return Category.GROUP_MANAGEMENT
    if activity in _SELF_SERVICE_GROUP:
        return Category.SELF_SERVICE_GROUP_MANAGEMENT
    if activity in _APPLICATION:
        return Category.APPLICATION_MANAGEMENT
    if activity == Activity.UPDATE_AUTHORIZATION_POLICY:
        return Category.POLICY
    return Category.USER_MANAGEMENT


@dataclass(frozen=True)
class AppActor:
    """An application acting on its own (Graph's client credentials): Azure's initiatedBy.app."""

    app_id: str
    display_name: str
    service_principal_id: str = ""


Actor = Account | DirectoryUser | AppActor | None


def actor_name(actor: Actor) -> str:
    if actor is None:
        return "Access Portal"
    if isinstance(actor, AppActor):
        return actor.display_name
    if isinstance(actor, DirectoryUser):
        return actor.user_principal_name
    return actor.email


def record_event(
    *,
    tenant: Tenant,
    activity: Activity,
    actor: Actor,
    target: object,
    details: dict | None = None,
    result: str = AuditEvent.Result.SUCCESS,
    result_reason: str = "",
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    if isinstance(actor, DirectoryUser) and actor.tenant_id != tenant.pk:
        # A programming error, not a user's mistake: the event would name a stranger as initiator.
        raise ValueError(f"{actor} can't initiate a change in another tenant ({tenant}).")
    details = dict(details or {})
    if isinstance(actor, AppActor):
        details["initiatedByApp"] = {
            "appId": actor.app_id,
            "displayName": actor.display_name,
            "servicePrincipalId": actor.service_principal_id,
        }
    return AuditEvent.objects.create(
        tenant=tenant,
        category=category_of(activity),
        activity=activity.value,
        result=result,
        result_reason=result_reason,
        initiated_by=actor_name(actor),
        initiated_by_user=actor if isinstance(actor, DirectoryUser) else None,
        target_type=type(target).__name__,
        target_id=str(getattr(target, "pk", "") or ""),
        target=str(target)[:512],
        details=details,
    )
