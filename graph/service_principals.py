"""Graph `servicePrincipal` (enterprise applications), `application` (app registrations) and
`appRoleAssignment` (user and group assignments), through directory.services."""

import uuid

from django.db.models import QuerySet
from django.http import HttpRequest

from directory import services
from directory.models import Application, AppRole, AppRoleAssignment, Group, Tenant
from graph.api import GraphBody, entity, get_or_404, operation, parse_id
from graph.errors import bad_request
from graph.odata import page
from graph.resources import ZERO_GUID, Prop, Resource, graph_datetime
from graph.users import find_user
from signin.models import AppRegistration

READ_APPS = ("Application.Read.All", "Directory.Read.All")
READ_ASSIGNMENTS = ("AppRoleAssignment.ReadWrite.All", *READ_APPS)
WRITE_ASSIGNMENTS = ("AppRoleAssignment.ReadWrite.All",)
READ_USER_ASSIGNMENTS = ("AppRoleAssignment.ReadWrite.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All")
RESOURCE_MISMATCH = "resourceId must be the id of the service principal in the request URL."
UNKNOWN_APP_ROLE = "appRoleId {role} isn't an app role of {app}."


def app_role_id(role: AppRole) -> str:
    """Graph names the default access role by the zero GUID."""
    return ZERO_GUID if role.display_name == AppRole.DEFAULT_ACCESS else str(role.pk)


def _app_roles(application: Application) -> list[dict]:
    return [
        {
            "id": str(role.pk),
            "displayName": role.display_name,
            "value": role.value or None,
            "description": role.description or None,
            "allowedMemberTypes": ["User"],
            "isEnabled": True,
        }
        for role in application.app_roles.all()
        if role.display_name != AppRole.DEFAULT_ACCESS
    ]


def _app_id(application: Application) -> str:
    registration = getattr(application, "app_registration", None)
    return str(registration.client_id if registration is not None else application.pk)


SERVICE_PRINCIPAL = Resource(
    name="servicePrincipal",
    entity_set="servicePrincipals",
    props=(
        Prop("id", "uuid", lambda a: str(a.pk), "id"),
        Prop("appId", "string", _app_id),
        Prop("displayName", "string", lambda a: a.display_name, "display_name"),
        Prop("accountEnabled", "boolean", lambda a: a.account_enabled, "account_enabled"),
        Prop("appRoleAssignmentRequired", "boolean", lambda a: a.app_role_assignment_required),
        Prop("homepage", "string", lambda a: a.homepage_url or None),
        Prop("loginUrl", "string", lambda a: a.sign_on_url or None),
        Prop("notes", "string", lambda a: a.notes or None),
        Prop("preferredSingleSignOnMode", "string", lambda a: a.single_sign_on_mode),
        Prop("servicePrincipalType", "string", lambda a: "Application"),
        Prop(
            "tags",
            "array",
            lambda a: [] if a.visible_to_users else ["HideApp"],
            schema={"type": "array", "items": {"type": "string"}},
        ),
        Prop("appRoles", "array", _app_roles, schema={"type": "array", "items": {"type": "object"}}),
    ),
)

APPLICATION = Resource(
    name="application",
    entity_set="applications",
    props=(
        Prop("id", "uuid", lambda r: str(r.pk), "id"),
        Prop("appId", "string", lambda r: str(r.client_id)),
        Prop("displayName", "string", lambda r: r.display_name, "display_name"),
        Prop("signInAudience", "string", lambda r: "AzureADMyOrg"),
        Prop("createdDateTime", "date-time", lambda r: graph_datetime(r.created_date_time)),
        Prop("web", "object", lambda r: {"redirectUris": r.redirect_uri_list}, schema={"type": "object"}),
        Prop(
            "passwordCredentials",
            "array",
            lambda r: [
                {
                    "keyId": str(s.pk),
                    "displayName": s.description or None,
                    "hint": s.hint,
                    "startDateTime": graph_datetime(s.created_date_time),
                    "endDateTime": graph_datetime(s.expires_date_time),
                    "secretText": None,
                }
                for s in r.client_secrets.all()
            ],
            schema={"type": "array", "items": {"type": "object"}},
        ),
    ),
)


def _principal_type(a: AppRoleAssignment) -> str:
    return "User" if a.principal_user_id else "Group"


APP_ROLE_ASSIGNMENT = Resource(
    name="appRoleAssignment",
    entity_set="appRoleAssignments",
    props=(
        Prop("id", "uuid", lambda a: str(a.pk), "id"),
        Prop("appRoleId", "uuid", lambda a: app_role_id(a.app_role)),
        Prop("principalId", "uuid", lambda a: str(a.principal_user_id or a.principal_group_id)),
        Prop("principalDisplayName", "string", lambda a: a.principal.display_name),
        Prop("principalType", "string", _principal_type),
        Prop("resourceId", "uuid", lambda a: str(a.application_id)),
        Prop("resourceDisplayName", "string", lambda a: a.application.display_name),
        Prop("createdDateTime", "date-time", lambda a: graph_datetime(a.created_date_time)),
    ),
)


def service_principals_of(tenant: Tenant) -> QuerySet[Application]:
    return (
        Application.objects.filter(tenant=tenant)
        .select_related("app_registration")
        .prefetch_related("app_roles")
        .order_by("display_name", "pk")
    )


def assignments() -> QuerySet[AppRoleAssignment]:
    return AppRoleAssignment.objects.select_related(
        "application", "app_role", "principal_user", "principal_group"
    ).order_by("created_date_time", "pk")


def registrations_of(tenant: Tenant) -> QuerySet[AppRegistration]:
    return (
        AppRegistration.objects.filter(tenant=tenant).prefetch_related("client_secrets").order_by("display_name", "pk")
    )


def find_service_principal(request: HttpRequest, key: str) -> Application:
    return get_or_404(service_principals_of(request.caller.tenant), key, pk=parse_id(key))


class NewAppRoleAssignment(GraphBody):
    principalId: uuid.UUID
    resourceId: uuid.UUID
    appRoleId: uuid.UUID


@operation("GET", "/servicePrincipals", permissions=READ_APPS, resource=SERVICE_PRINCIPAL, collection=True)
def list_service_principals(request: HttpRequest) -> dict:
    """List service principals (enterprise applications)"""
    return page(request, service_principals_of(request.caller.tenant), SERVICE_PRINCIPAL, context="servicePrincipals")


@operation("GET", "/servicePrincipals/{service-principal-id}", permissions=READ_APPS, resource=SERVICE_PRINCIPAL)
def get_service_principal(request: HttpRequest, service_principal_id: str) -> dict:
    """Get a service principal"""
    application = find_service_principal(request, service_principal_id)
    return entity(request, SERVICE_PRINCIPAL, application, context="servicePrincipals/$entity")


@operation(
    "GET",
    "/servicePrincipals/{service-principal-id}/appRoleAssignedTo",
    permissions=READ_ASSIGNMENTS,
    resource=APP_ROLE_ASSIGNMENT,
    collection=True,
)
def list_app_role_assigned_to(request: HttpRequest, service_principal_id: str) -> dict:
    """List the users and groups assigned to a service principal"""
    application = find_service_principal(request, service_principal_id)
    context = f"servicePrincipals('{application.pk}')/appRoleAssignedTo"
    return page(request, assignments().filter(application=application), APP_ROLE_ASSIGNMENT, context=context)


@operation(
    "POST",
    "/servicePrincipals/{service-principal-id}/appRoleAssignedTo",
    permissions=WRITE_ASSIGNMENTS,
    body=NewAppRoleAssignment,
    resource=APP_ROLE_ASSIGNMENT,
    status=201,
)
def assign(request: HttpRequest, service_principal_id: str) -> dict:
    """Assign a user or a group to a service principal"""
    body: NewAppRoleAssignment = request.data
    application = find_service_principal(request, service_principal_id)
    if body.resourceId != application.pk:
        raise bad_request(RESOURCE_MISMATCH)
    group = Group.objects.filter(tenant=request.caller.tenant, pk=body.principalId).first()
    principal = group or find_user(request, str(body.principalId))
    role = None
    if str(body.appRoleId) != ZERO_GUID:
        role = application.app_roles.filter(pk=body.appRoleId).first()
        if role is None:
            raise bad_request(UNKNOWN_APP_ROLE.format(role=body.appRoleId, app=application.display_name))
    assignment = services.assign_app(
        application=application, principal=principal, actor=request.caller.app, app_role=role
    )
    context = f"servicePrincipals('{application.pk}')/appRoleAssignedTo/$entity"
    return entity(request, APP_ROLE_ASSIGNMENT, assignments().get(pk=assignment.pk), context=context)


@operation(
    "DELETE",
    "/servicePrincipals/{service-principal-id}/appRoleAssignedTo/{app-role-assignment-id}",
    permissions=WRITE_ASSIGNMENTS,
)
def unassign(request: HttpRequest, service_principal_id: str, app_role_assignment_id: str) -> None:
    """Remove an assignment from a service principal"""
    application = find_service_principal(request, service_principal_id)
    assignment = get_or_404(
        assignments(), app_role_assignment_id, pk=parse_id(app_role_assignment_id), application=application
    )
    services.unassign_app(assignment=assignment, actor=request.caller.app)


@operation(
    "GET",
    "/users/{user-id}/appRoleAssignments",
    permissions=READ_USER_ASSIGNMENTS,
    resource=APP_ROLE_ASSIGNMENT,
    collection=True,
)
def list_user_app_role_assignments(request: HttpRequest, user_id: str) -> dict:
    """List a user's app role assignments"""
    user = find_user(request, user_id)
    context = f"users('{user.pk}')/appRoleAssignments"
    return page(request, assignments().filter(principal_user=user), APP_ROLE_ASSIGNMENT, context=context)


@operation("GET", "/applications", permissions=READ_APPS, resource=APPLICATION, collection=True)
def list_applications(request: HttpRequest) -> dict:
    """List applications (app registrations)"""
    return page(request, registrations_of(request.caller.tenant), APPLICATION, context="applications")


@operation("GET", "/applications/{application-id}", permissions=READ_APPS, resource=APPLICATION)
def get_application(request: HttpRequest, application_id: str) -> dict:
    """Get an application (app registration)"""
    registration = get_or_404(registrations_of(request.caller.tenant), application_id, pk=parse_id(application_id))
    return entity(request, APPLICATION, registration, context="applications/$entity")
