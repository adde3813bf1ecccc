"""Graph `group` with its members and owners ($ref), through directory.services."""

from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.http import HttpRequest
from pydantic import Field

from directory import services
from directory.models import DirectoryUser, Group, Tenant
from graph.api import GraphBody, entity, get_or_404, operation, parse_id
from graph.errors import bad_request
from graph.odata import page
from graph.resources import Prop, Resource, graph_datetime
from graph.users import USER, users_of

READ = ("Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All")
WRITE = ("Group.ReadWrite.All",)
READ_MEMBERS = ("GroupMember.ReadWrite.All", *READ)
WRITE_MEMBERS = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All")
UNIFIED = "Unified"
DYNAMIC = "DynamicMembership"
REFERENCE_INVALID = (
    "The @odata.id must name a directory object, such as https://graph.microsoft.com/v1.0/directoryObjects/{id}."
)


def _group_types(group: Group) -> list[str]:
    types = [UNIFIED] if group.group_type == Group.GroupType.MICROSOFT_365 else []
    return [*types, DYNAMIC] if group.is_dynamic else types


GROUP = Resource(
    name="group",
    entity_set="groups",
    props=(
        Prop("id", "uuid", lambda g: str(g.pk), "id"),
        Prop("displayName", "string", lambda g: g.display_name, "display_name"),
        Prop("description", "string", lambda g: g.description or None),
        Prop("groupTypes", "array", _group_types, schema={"type": "array", "items": {"type": "string"}}),
        Prop("securityEnabled", "boolean", lambda g: g.group_type == Group.GroupType.SECURITY),
        Prop("mailEnabled", "boolean", lambda g: g.group_type == Group.GroupType.MICROSOFT_365),
        Prop("membershipRule", "string", lambda g: g.membership_rule or None),
        Prop("membershipRuleProcessingState", "string", lambda g: "On" if g.is_dynamic else None),
        Prop("onPremisesSyncEnabled", "boolean", lambda g: g.on_premises_sync_enabled or None),
        Prop("createdDateTime", "date-time", lambda g: graph_datetime(g.created_date_time), "created_date_time"),
    ),
)


def groups_of(tenant: Tenant) -> QuerySet[Group]:
    return Group.objects.filter(tenant=tenant).select_related("tenant").order_by("display_name", "pk")


def find_group(request: HttpRequest, key: str) -> Group:
    return get_or_404(groups_of(request.caller.tenant), key, pk=parse_id(key))


def referenced_user(request: HttpRequest, reference: str) -> DirectoryUser:
    """The user an @odata.id names (…/directoryObjects/{id} or …/users/{id}), in the caller's tenant."""
    segments = urlsplit(reference).path.rstrip("/").split("/")
    if len(segments) < 2 or segments[-2] not in {"directoryObjects", "users"}:
        raise bad_request(REFERENCE_INVALID)
    return get_or_404(users_of(request.caller.tenant), segments[-1], pk=parse_id(segments[-1]))


class NewGroup(GraphBody):
    displayName: str = Field(min_length=1, max_length=256)
    mailEnabled: bool
    mailNickname: str = Field(min_length=1, max_length=64)
    securityEnabled: bool
    description: str | None = Field(default=None, max_length=1024)
    groupTypes: list[str] = Field(default_factory=list, max_length=2)
    membershipRule: str | None = Field(default=None, max_length=3072)
    membershipRuleProcessingState: str | None = Field(default=None, pattern="^(On|Paused)$")
    owners_bind: list[str] = Field(default_factory=list, alias="owners@odata.bind", max_length=20)


class GroupUpdate(GraphBody):
    displayName: str | None = Field(default=None, min_length=1, max_length=256)
    description: str | None = Field(default=None, max_length=1024)
    membershipRule: str | None = Field(default=None, min_length=1, max_length=3072)


class Reference(GraphBody):
    odata_id: str = Field(alias="@odata.id", max_length=2048)


@operation("GET", "/groups", permissions=READ, resource=GROUP, collection=True)
def list_groups(request: HttpRequest) -> dict:
    """List groups"""
    return page(request, groups_of(request.caller.tenant), GROUP, context="groups")


@operation("POST", "/groups", permissions=WRITE, body=NewGroup, resource=GROUP, status=201)
def create_group(request: HttpRequest) -> dict:
    """Create a group"""
    body: NewGroup = request.data
    unknown = set(body.groupTypes) - {UNIFIED, DYNAMIC}
    if unknown:
        raise bad_request(f"groupTypes may hold only {UNIFIED} and {DYNAMIC}, not '{sorted(unknown)[0][:40]}'.")
    if UNIFIED not in body.groupTypes and (body.mailEnabled or not body.securityEnabled):
        raise bad_request(
            "A group without Unified in groupTypes is a security group: mailEnabled false, securityEnabled true."
        )
    group = services.create_group(
        tenant=request.caller.tenant,
        actor=request.caller.app,
        display_name=body.displayName,
        description=body.description or "",
        group_type=Group.GroupType.MICROSOFT_365 if UNIFIED in body.groupTypes else Group.GroupType.SECURITY,
        membership_type=Group.MembershipType.DYNAMIC_USER
        if DYNAMIC in body.groupTypes
        else Group.MembershipType.ASSIGNED,
        membership_rule=body.membershipRule or "",
        owners=[referenced_user(request, reference) for reference in body.owners_bind],
    )
    return entity(request, GROUP, group, context="groups/$entity")


@operation("GET", "/groups/{group-id}", permissions=READ, resource=GROUP)
def get_group(request: HttpRequest, group_id: str) -> dict:
    """Get a group"""
    return entity(request, GROUP, find_group(request, group_id), context="groups/$entity")


@operation("PATCH", "/groups/{group-id}", permissions=WRITE, body=GroupUpdate)
def update_group(request: HttpRequest, group_id: str) -> None:
    """Update a group"""
    group = find_group(request, group_id)
    given = request.data.model_dump(exclude_unset=True)
    if given.get("displayName", "") is None or given.get("membershipRule", "") is None:
        raise bad_request("displayName and membershipRule can't be null.")
    names = {"displayName": "display_name", "description": "description", "membershipRule": "membership_rule"}
    changes = {names[name]: value or "" for name, value in given.items() if name in names}
    services.update_group(group=group, actor=request.caller.app, **changes)


@operation("DELETE", "/groups/{group-id}", permissions=WRITE)
def delete_group(request: HttpRequest, group_id: str) -> None:
    """Delete a group"""
    services.delete_group(group=find_group(request, group_id), actor=request.caller.app)


@operation("GET", "/groups/{group-id}/members", permissions=READ_MEMBERS, resource=USER, collection=True)
def list_members(request: HttpRequest, group_id: str) -> dict:
    """List a group's members"""
    group = find_group(request, group_id)
    return page(request, users_of(group.tenant).filter(member_links__group=group), USER, context="directoryObjects")


@operation("POST", "/groups/{group-id}/members/$ref", permissions=WRITE_MEMBERS, body=Reference, status=204)
def add_member(request: HttpRequest, group_id: str) -> None:
    """Add a member"""
    group = find_group(request, group_id)
    services.add_group_member(
        group=group, user=referenced_user(request, request.data.odata_id), actor=request.caller.app
    )


@operation("DELETE", "/groups/{group-id}/members/{member-id}/$ref", permissions=WRITE_MEMBERS)
def remove_member(request: HttpRequest, group_id: str, member_id: str) -> None:
    """Remove a member"""
    group = find_group(request, group_id)
    user = get_or_404(users_of(group.tenant), member_id, pk=parse_id(member_id), member_links__group=group)
    services.remove_group_member(group=group, user=user, actor=request.caller.app)


@operation("GET", "/groups/{group-id}/owners", permissions=READ_MEMBERS, resource=USER, collection=True)
def list_owners(request: HttpRequest, group_id: str) -> dict:
    """List a group's owners"""
    group = find_group(request, group_id)
    return page(
        request, users_of(group.tenant).filter(owned_group_links__group=group), USER, context="directoryObjects"
    )


@operation("POST", "/groups/{group-id}/owners/$ref", permissions=WRITE_MEMBERS, body=Reference, status=204)
def add_owner(request: HttpRequest, group_id: str) -> None:
    """Add an owner"""
    group = find_group(request, group_id)
    services.add_group_owner(
        group=group, user=referenced_user(request, request.data.odata_id), actor=request.caller.app
    )


@operation("DELETE", "/groups/{group-id}/owners/{owner-id}/$ref", permissions=WRITE_MEMBERS)
def remove_owner(request: HttpRequest, group_id: str, owner_id: str) -> None:
    """Remove an owner"""
    group = find_group(request, group_id)
    user = get_or_404(users_of(group.tenant), owner_id, pk=parse_id(owner_id), owned_group_links__group=group)
    services.remove_group_owner(group=group, user=user, actor=request.caller.app)
