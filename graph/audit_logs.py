"""Graph `directoryAudit` and `signIn`: the audit log and the sign-in log, read-only."""

import json

from django.db.models import QuerySet
from django.http import HttpRequest

from directory.models import AuditEvent, Tenant
from graph.api import operation
from graph.odata import page
from graph.resources import Prop, Resource, graph_datetime
from signin.models import SignInEvent

READ = ("AuditLog.Read.All",)
_TARGET_TYPES = {
    "DirectoryUser": "User",
    "Group": "Group",
    "Application": "ServicePrincipal",
    "AppRegistration": "Application",
    "Tenant": "Policy",
}
_OPERATION_TYPES = {"Add": "Add", "Invite": "Add", "Update": "Update", "Delete": "Delete", "Remove": "Delete"}


def _initiated_by(event: AuditEvent) -> dict:
    app = event.details.get("initiatedByApp")
    if app:
        return {"app": app, "user": None}
    user = {"id": str(event.initiated_by_user_id) if event.initiated_by_user_id else None}
    return {"app": None, "user": {**user, "displayName": None, "userPrincipalName": event.initiated_by}}


def _additional_details(event: AuditEvent) -> list[dict]:
    return [
        {"key": key, "value": value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}
        for key, value in event.details.items()
        if key != "initiatedByApp"
    ]


DIRECTORY_AUDIT = Resource(
    name="directoryAudit",
    entity_set="directoryAudits",
    props=(
        Prop("id", "string", lambda e: f"Directory_{e.pk}"),
        Prop("activityDateTime", "date-time", lambda e: graph_datetime(e.activity_date_time), "activity_date_time"),
        Prop("activityDisplayName", "string", lambda e: e.activity, "activity"),
        Prop("category", "string", lambda e: e.category, "category"),
        Prop("loggedByService", "string", lambda e: "Core Directory"),
        Prop("operationType", "string", lambda e: _OPERATION_TYPES.get(e.activity.split()[0], "Other")),
        Prop("result", "string", lambda e: e.result, "result"),
        Prop("resultReason", "string", lambda e: e.result_reason),
        Prop("initiatedBy", "object", _initiated_by, schema={"type": "object"}),
        Prop(
            "targetResources",
            "array",
            lambda e: [
                {
                    "id": e.target_id or None,
                    "displayName": e.target,
                    "type": _TARGET_TYPES.get(e.target_type, e.target_type),
                }
            ],
            schema={"type": "array", "items": {"type": "object"}},
        ),
        Prop("additionalDetails", "array", _additional_details, schema={"type": "array", "items": {"type": "object"}}),
    ),
)

SIGN_IN = Resource(
    name="signIn",
    entity_set="signIns",
    props=(
        Prop("id", "uuid", lambda e: str(e.pk), "id"),
        Prop("createdDateTime", "date-time", lambda e: graph_datetime(e.created_date_time), "created_date_time"),
        Prop("userId", "string", lambda e: str(e.user_id) if e.user_id else None),
        Prop("userDisplayName", "string", lambda e: e.user_display_name or None, "user_display_name"),
        Prop("userPrincipalName", "string", lambda e: e.user_principal_name or None, "user_principal_name"),
        Prop("appId", "string", lambda e: e.app_id or None, "app_id"),
        Prop("appDisplayName", "string", lambda e: e.app_display_name or None, "app_display_name"),
        Prop("resourceId", "string", lambda e: str(e.resource_id) if e.resource_id else None),
        Prop("correlationId", "string", lambda e: str(e.request_id)),
        Prop("ipAddress", "string", lambda e: e.ip_address),
        Prop("clientAppUsed", "string", lambda e: e.client_app_used or None),
        Prop("crossTenantAccessType", "string", lambda e: e.cross_tenant_access_type),
        Prop("isInteractive", "boolean", lambda e: e.sign_in_event_type == SignInEvent.EventType.INTERACTIVE_USER),
        Prop(
            "status",
            "object",
            lambda e: {"errorCode": e.error_code, "failureReason": e.failure_reason or None, "additionalDetails": None},
            schema={"type": "object"},
        ),
    ),
)


def audit_events_of(tenant: Tenant) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(tenant=tenant).order_by("-activity_date_time", "-pk")


@operation("GET", "/auditLogs/directoryAudits", permissions=READ, resource=DIRECTORY_AUDIT, collection=True)
def list_directory_audits(request: HttpRequest) -> dict:
    """List the directory audit log"""
    return page(request, audit_events_of(request.caller.tenant), DIRECTORY_AUDIT, context="auditLogs/directoryAudits")


@operation("GET", "/auditLogs/signIns", permissions=READ, resource=SIGN_IN, collection=True)
def list_sign_ins(request: HttpRequest) -> dict:
    """List the sign-in log"""
    events = SignInEvent.objects.filter(tenant=request.caller.tenant).order_by("-created_date_time", "-request_id")
    return page(request, events, SIGN_IN, context="auditLogs/signIns")
