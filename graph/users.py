"""Graph `user`: list, get, create (members), update, delete, through directory.services."""

import uuid

from django.db.models import QuerySet
from django.http import HttpRequest
from pydantic import Field

from directory import services
from directory.models import DirectoryUser, Tenant
from graph.api import GraphBody, entity, get_or_404, operation
from graph.errors import bad_request
from graph.odata import page
from graph.resources import Prop, Resource, graph_datetime

READ = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All")
WRITE = ("User.ReadWrite.All",)
UPN_DOMAIN_INVALID = (
    "The domain portion of the userPrincipalName property is invalid. "
    "You must use one of the verified domain names in your organization."
)

USER = Resource(
    name="user",
    entity_set="users",
    props=(
        Prop("id", "uuid", lambda u: str(u.pk), "id"),
        Prop("displayName", "string", lambda u: u.display_name, "display_name"),
        Prop("mail", "string", lambda u: u.mail or None, "mail"),
        Prop("userPrincipalName", "string", lambda u: u.user_principal_name, "user_principal_name"),
        Prop("userType", "string", lambda u: u.user_type, "user_type"),
        Prop("accountEnabled", "boolean", lambda u: u.account_enabled, "account_enabled"),
        Prop("externalUserState", "string", lambda u: u.external_user_state or None, "external_user_state"),
        Prop(
            "externalUserStateChangeDateTime",
            "date-time",
            lambda u: graph_datetime(u.external_user_state_change_date_time),
        ),
        Prop("creationType", "string", lambda u: u.creation_type or None, "creation_type"),
        Prop("department", "string", lambda u: u.department or None),
        Prop("jobTitle", "string", lambda u: u.job_title or None),
        Prop("onPremisesSyncEnabled", "boolean", lambda u: u.on_premises_sync_enabled or None),
        Prop("createdDateTime", "date-time", lambda u: graph_datetime(u.created_date_time), "created_date_time"),
    ),
)


def users_of(tenant: Tenant) -> QuerySet[DirectoryUser]:
    return DirectoryUser.objects.filter(tenant=tenant).order_by("display_name", "pk")


def find_user(request: HttpRequest, key: str) -> DirectoryUser:
    """The caller's tenant's user by object id or user principal name; 404 for any other tenant's."""
    try:
        lookup = {"pk": uuid.UUID(key)}
    except ValueError:
        if "@" not in key or len(key) > 320:
            raise bad_request(f"Invalid object identifier '{key[:80]}'.") from None
        lookup = {"user_principal_name__lower": key.lower()}
    return get_or_404(users_of(request.caller.tenant), key, **lookup)


class PasswordProfile(GraphBody):
    password: str | None = Field(default=None, max_length=256)
    forceChangePasswordNextSignIn: bool | None = None
    forceChangePasswordNextSignInWithMfa: bool | None = None


class UserUpdate(GraphBody):
    displayName: str | None = Field(default=None, min_length=1, max_length=256)
    mail: str | None = Field(default=None, max_length=254)
    userPrincipalName: str | None = Field(default=None, min_length=3, max_length=320)
    accountEnabled: bool | None = None
    department: str | None = Field(default=None, max_length=64)
    jobTitle: str | None = Field(default=None, max_length=128)
    userType: str | None = Field(default=None, pattern="^(Member|Guest)$")


class NewUser(GraphBody):
    accountEnabled: bool
    displayName: str = Field(min_length=1, max_length=256)
    mailNickname: str = Field(min_length=1, max_length=64)
    userPrincipalName: str = Field(min_length=3, max_length=320)
    # Accepted as Graph requires it; members sign in with the sign-in account linked to them.
    passwordProfile: PasswordProfile | None = None
    mail: str | None = Field(default=None, max_length=254)
    department: str = Field(default="", max_length=64)
    jobTitle: str = Field(default="", max_length=128)


_FIELDS = {
    "displayName": "display_name",
    "mail": "mail",
    "userPrincipalName": "user_principal_name",
    "accountEnabled": "account_enabled",
    "department": "department",
    "jobTitle": "job_title",
    "userType": "user_type",
}

_CLEARABLE = {"department", "jobTitle"}


@operation("GET", "/users", permissions=READ, resource=USER, collection=True)
def list_users(request: HttpRequest) -> dict:
    """List users"""
    return page(request, users_of(request.caller.tenant), USER, context="users")


@operation("POST", "/users", permissions=WRITE, body=NewUser, resource=USER, status=201)
def create_user(request: HttpRequest) -> dict:
    """Create a member user"""
    body: NewUser = request.data
    tenant = request.caller.tenant
    if body.userPrincipalName.rpartition("@")[2].lower() not in tenant.all_domains:
        raise bad_request(UPN_DOMAIN_INVALID)
    user = services.create_user(
        tenant=tenant,
        actor=request.caller.app,
        display_name=body.displayName,
        mail=body.mail or body.userPrincipalName,
        user_principal_name=body.userPrincipalName,
        department=body.department,
        job_title=body.jobTitle,
        account_enabled=body.accountEnabled,
    )
    return entity(request, USER, user, context="users/$entity")


@operation("GET", "/users/{user-id}", permissions=READ, resource=USER)
def get_user(request: HttpRequest, user_id: str) -> dict:
    """Get a user by id or userPrincipalName"""
    return entity(request, USER, find_user(request, user_id), context="users/$entity")


@operation("PATCH", "/users/{user-id}", permissions=WRITE, body=UserUpdate)
def update_user(request: HttpRequest, user_id: str) -> None:
    """Update a user"""
    user = find_user(request, user_id)
    changes = {}
    for name, value in request.data.model_dump(exclude_unset=True).items():
        if name not in _FIELDS:
            continue
        if value is None and name not in _CLEARABLE:
            raise bad_request(f"The property '{name}' can't be null.")
        changes[_FIELDS[name]] = "" if value is None else value
    services.update_user(user=user, actor=request.caller.app, **changes)


@operation("DELETE", "/users/{user-id}", permissions=WRITE)
def delete_user(request: HttpRequest, user_id: str) -> None:
    """Delete a user"""
    services.delete_user(user=find_user(request, user_id), actor=request.caller.app)
