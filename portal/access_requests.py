"""Self-service access to applications: who may launch what, requests, and their decisions.

A request for an app that needs no approval adds the requester to the app's
self-service group at once; otherwise it waits for any one of the app's approvers.
Every write runs in one transaction with its audit event and its emails (written to
the outbox in that same transaction).
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from accessportal.links import absolute_url
from directory.audit import Activity, record_event
from directory.models import Application, DirectoryUser, GroupMember
from directory.selectors import assigned_filter, is_assigned
from directory.services import PolicyError, add_group_member
from invitations.models import OutboundEmail
from invitations.outbox import queue_email
from portal.decisions import check_pending, check_requester, clean_reason, close_request, save_new_request
from portal.models import MAX_JUSTIFICATION_LENGTH, AppAccessRequest, RequestStatus

NOT_SELF_SERVICE = "{app} doesn't accept access requests. Ask your administrator for access."
APP_UNAVAILABLE = "{app} isn't available to request right now."
ALREADY_HAS_ACCESS = "You already have access to {app}."
ALREADY_REQUESTED = "You've already asked for access to {app}. Your request is waiting for an approver."
JUSTIFICATION_TOO_LONG = "Keep the business justification to 1,000 characters or fewer."
NO_APPROVERS = "{app} has nobody who can approve requests yet. Ask your administrator."
NOT_AN_APPROVER = "Only the approvers of {app} can decide this request."
SELF_SERVICE_TURNED_OFF = "Self-service access to {app} was turned off, so this request can't be approved."


# Reads ---------------------------------------------------------------------


def may_launch(*, user: DirectoryUser, application: Application) -> bool:
    """Azure's rule: an enabled app of the user's tenant, assigned unless it doesn't require assignment."""
    if application.tenant_id != user.tenant_id or not application.account_enabled:
        return False
    return not application.app_role_assignment_required or is_assigned(user=user, application=application)


def requestable_apps_for_user(*, user: DirectoryUser) -> QuerySet[Application]:
    """Self-service apps of the user's tenant the user doesn't have yet, with `pending_request` annotated."""
    pending = AppAccessRequest.objects.filter(application=OuterRef("pk"), requester=user, status=RequestStatus.PENDING)
    return (
        Application.objects.filter(
            tenant_id=user.tenant_id,
            self_service_enabled=True,
            self_service_group__isnull=False,
            visible_to_users=True,
            account_enabled=True,
        )
        .exclude(assigned_filter(user))
        .annotate(pending_request=Exists(pending))
        .defer("logo", "notes")
        .order_by("display_name")
    )


def app_requests_by(*, user: DirectoryUser) -> QuerySet[AppAccessRequest]:
    """The user's own app access requests, newest first."""
    return AppAccessRequest.objects.filter(requester=user).select_related("application", "decided_by")


def app_requests_for_approver(*, user: DirectoryUser) -> QuerySet[AppAccessRequest]:
    """Requests (any status) for the apps the user approves; the only way a decider reaches a request."""
    return AppAccessRequest.objects.filter(
        application__tenant_id=user.tenant_id, application__self_service_approvers=user
    ).select_related("application", "requester", "decided_by")


# Writes --------------------------------------------------------------------


def _link(name: str, user: DirectoryUser) -> str:
    return absolute_url(reverse(name), tenant_id=user.tenant_id)


def _lock_request(access_request: AppAccessRequest) -> AppAccessRequest:
    return (
        AppAccessRequest.objects.select_for_update(of=("self",))
        .select_related("application__tenant", "application__self_service_group", "requester")
        .get(pk=access_request.pk)
    )


def request_app_access(
    *, application: Application, requester: DirectoryUser, justification: str = ""
) -> AppAccessRequest:
    """Ask for a self-service app; without approval the requester joins its group at once.

    With approval, the request waits and each approver gets a "new_app_request" email
    through the outbox. Audits "Request access to an application".
    """
    justification = justification.strip()
    if len(justification) > MAX_JUSTIFICATION_LENGTH:
        raise PolicyError(JUSTIFICATION_TOO_LONG)
    with transaction.atomic():
        # Locking the app orders concurrent requests behind any change to its self-service settings.
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("tenant", "self_service_group")
            .defer("logo")
            .get(pk=application.pk)
        )
        if application.tenant_id != requester.tenant_id:
            raise PolicyError(NOT_SELF_SERVICE.format(app=application))
        if not application.self_service_enabled or application.self_service_group is None:
            raise PolicyError(NOT_SELF_SERVICE.format(app=application))
        if not application.account_enabled or not application.visible_to_users or not requester.account_enabled:
            raise PolicyError(APP_UNAVAILABLE.format(app=application))
        if is_assigned(user=requester, application=application):
            raise PolicyError(ALREADY_HAS_ACCESS.format(app=application))
        pending = AppAccessRequest.objects.filter(
            application=application, requester=requester, status=RequestStatus.PENDING
        )
        if pending.exists():
            raise PolicyError(ALREADY_REQUESTED.format(app=application))
        approvers = []
        if application.self_service_approval_required:
            approvers = list(application.self_service_approvers.filter(account_enabled=True))
            if not approvers:
                raise PolicyError(NO_APPROVERS.format(app=application))

        access_request = AppAccessRequest(application=application, requester=requester, justification=justification)
        if not application.self_service_approval_required:
            access_request.status = RequestStatus.APPROVED
            access_request.decided_date_time = timezone.now()
        save_new_request(access_request, already_requested=ALREADY_REQUESTED.format(app=application))
        record_event(
            tenant=application.tenant,
            activity=Activity.REQUEST_APP_ACCESS,
            actor=requester,
            target=application,
            details={
                "requestId": str(access_request.pk),
                "approvalRequired": application.self_service_approval_required,
                "justification": justification,
            },
        )
        if not application.self_service_approval_required:
            add_group_member(group=application.self_service_group, user=requester, actor=requester)
            return access_request
        for approver in approvers:
            queue_email(
                to=approver.mail,
                subject=f"{requester.display_name} requested access to {application.display_name}",
                template="new_app_request",
                context={
                    "approver_name": approver.display_name,
                    "requester_name": requester.display_name,
                    "requester_email": requester.mail,
                    "application": application.display_name,
                    "organization": application.tenant.display_name,
                    "justification": justification,
                    "review_url": _link("portal:requests", approver),
                },
                kind=OutboundEmail.Kind.NOTIFICATION,
                tenant=application.tenant,
            )
    return access_request


def _decide(
    *, access_request: AppAccessRequest, approver: DirectoryUser, reason: str, approve: bool
) -> AppAccessRequest:
    reason = clean_reason(reason)
    with transaction.atomic():
        access_request = _lock_request(access_request)
        application = access_request.application
        if (
            application.tenant_id != approver.tenant_id
            or not application.self_service_approvers.filter(pk=approver.pk).exists()
        ):
            raise PolicyError(NOT_AN_APPROVER.format(app=application))
        check_pending(access_request, actor=approver)
        requester = access_request.requester
        group = application.self_service_group
        if approve:
            if not application.self_service_enabled or group is None:
                raise PolicyError(SELF_SERVICE_TURNED_OFF.format(app=application))
            # Someone may have added the requester by hand meanwhile; the request is still granted.
            if not GroupMember.objects.filter(group=group, user=requester).exists():
                add_group_member(group=group, user=requester, actor=approver)
        close_request(
            access_request,
            status=RequestStatus.APPROVED if approve else RequestStatus.DENIED,
            decided_by=approver,
            reason=reason,
        )
        record_event(
            tenant=application.tenant,
            activity=Activity.APPROVE_APP_ACCESS if approve else Activity.REJECT_APP_ACCESS,
            actor=approver,
            target=application,
            details={
                "requestId": str(access_request.pk),
                "requester": requester.user_principal_name,
                "reason": reason,
            },
        )
        queue_email(
            to=requester.mail,
            subject=f"Your request for {application.display_name} was {'approved' if approve else 'denied'}",
            template="app_request_decision",
            context={
                "requester_name": requester.display_name,
                "decided_by": approver.display_name,
                "application": application.display_name,
                "organization": application.tenant.display_name,
                "approved": approve,
                "reason": reason,
                "portal_url": _link("portal:my-apps", requester),
            },
            kind=OutboundEmail.Kind.NOTIFICATION,
            tenant=application.tenant,
        )
    return access_request


def approve_app_request(
    *, access_request: AppAccessRequest, approver: DirectoryUser, reason: str = ""
) -> AppAccessRequest:
    """Grant a pending request: the requester joins the app's self-service group and is emailed.

    The request row is locked, so of two approvers deciding at once exactly one wins and the
    other is told what happened. Audits "Approve a pending request to access an application".
    """
    return _decide(access_request=access_request, approver=approver, reason=reason, approve=True)


def deny_app_request(
    *, access_request: AppAccessRequest, approver: DirectoryUser, reason: str = ""
) -> AppAccessRequest:
    """Refuse a pending request and email the requester. Audits "Reject a pending request to access an application"."""
    return _decide(access_request=access_request, approver=approver, reason=reason, approve=False)


def cancel_app_request(*, access_request: AppAccessRequest, requester: DirectoryUser) -> AppAccessRequest:
    """The requester withdraws a pending request. Audits "Cancel a pending request to access an application"."""
    with transaction.atomic():
        access_request = _lock_request(access_request)
        check_requester(access_request, actor=requester)
        check_pending(access_request, actor=requester)
        close_request(access_request, status=RequestStatus.CANCELLED, decided_by=requester)
        record_event(
            tenant=access_request.application.tenant,
            activity=Activity.CANCEL_APP_ACCESS,
            actor=requester,
            target=access_request.application,
            details={"requestId": str(access_request.pk)},
        )
    return access_request
