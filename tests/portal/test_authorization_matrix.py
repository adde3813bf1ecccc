"""Every portal URL × every kind of visitor: the status each gets, no data leaking, no change when refused.

The rows are checked against the URL patterns of the `portal` namespace: a URL added
without a row here (or a row left for a removed URL) fails
test_every_portal_url_has_a_row.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from directory.models import (
    Account,
    Application,
    AppRoleAssignment,
    AuditEvent,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Tenant,
)
from invitations.models import Invitation, OutboundEmail
from portal.models import AppAccessRequest, GroupJoinRequest
from tests.factories import (
    AccountFactory,
    AppAccessRequestFactory,
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    GroupJoinRequestFactory,
    TenantFactory,
)

ACTORS = ("anonymous", "member", "owner", "approver", "other_tenant", "pending_guest", "disabled")
# Strings only people of the organization who may see these objects should ever get.
SECRETS = ("Zeta Secret Group", "Omega Secret App", "Target Person", "Zeta justification", "Omega justification")
SNAPSHOT_MODELS = (
    Tenant,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Application,
    AppRoleAssignment,
    GroupJoinRequest,
    AppAccessRequest,
    Invitation,
    OutboundEmail,
    AuditEvent,
)


@dataclass
class World:
    tenant: Tenant
    group: Group
    app: Application
    target: DirectoryUser
    newcomer: DirectoryUser
    co_owner: DirectoryUser
    join_request: GroupJoinRequest
    app_request: AppAccessRequest
    accounts: dict[str, Account | None]


@pytest.fixture
def world(db) -> World:
    tenant = TenantFactory(owners_can_manage_group_membership_requests=True)
    owner = DirectoryUserFactory(tenant=tenant, display_name="Owner Person")
    co_owner = DirectoryUserFactory(tenant=tenant, display_name="Co Owner")
    member = DirectoryUserFactory(tenant=tenant, display_name="Member Person")
    approver = DirectoryUserFactory(tenant=tenant, display_name="Approver Person")
    target = DirectoryUserFactory(tenant=tenant, display_name="Target Person")
    newcomer = DirectoryUserFactory(tenant=tenant, display_name="Newcomer Person")
    group = GroupFactory(
        tenant=tenant, display_name="Zeta Secret Group", owners=[owner, co_owner], members=[member, target]
    )
    app = ApplicationFactory(
        tenant=tenant,
        display_name="Omega Secret App",
        self_service_enabled=True,
        self_service_group=group,
        self_service_approval_required=True,
    )
    app.self_service_approvers.set([approver])
    AppRoleAssignmentFactory(application=app, principal_user=None, principal_group=group)
    join_request = GroupJoinRequestFactory(group=group, requester=approver, justification="Zeta justification")
    app_request = AppAccessRequestFactory(application=app, requester=owner, justification="Omega justification")
    other = DirectoryUserFactory(tenant=TenantFactory(), display_name="Other Tenant Person")
    pending = DirectoryUserFactory(tenant=tenant, pending=True, display_name="Pending Guest")
    disabled = DirectoryUserFactory(tenant=tenant, disabled=True, display_name="Disabled Person")
    return World(
        tenant=tenant,
        group=group,
        app=app,
        target=target,
        newcomer=newcomer,
        co_owner=co_owner,
        join_request=join_request,
        app_request=app_request,
        accounts={
            "anonymous": None,
            "member": member.account,
            "owner": owner.account,
            "approver": approver.account,
            "other_tenant": other.account,
            # The account of an invited guest who never redeemed: no directory user is linked to it.
            "pending_guest": AccountFactory(email=pending.mail),
            "disabled": disabled.account,
        },
    )


def expect(*, member: int, owner: int, approver: int, **others: int) -> dict[str, int]:
    """Statuses by actor; by default anonymous → sign-in, pending guest and disabled user → 403, other tenant → 404."""
    statuses = {"anonymous": 302, "pending_guest": 403, "disabled": 403, "other_tenant": 404}
    statuses.update(member=member, owner=owner, approver=approver, **others)
    return statuses


def everyone(status: int, **others: int) -> dict[str, int]:
    return dict.fromkeys(ACTORS, status) | others


SIGNED_IN_200 = expect(member=200, owner=200, approver=200, other_tenant=200)
METHOD_NOT_ALLOWED = everyone(405, anonymous=302, pending_guest=403, disabled=403)
OWNER_ONLY = expect(member=404, owner=200, approver=404)
OWNER_ONLY_POST = expect(member=404, owner=302, approver=404)


@dataclass
class Row:
    kwargs: Callable[[World], dict] = lambda w: {}
    get: dict[str, int] = field(default_factory=dict)
    post: dict[str, int] | None = None
    data: Callable[[World], dict] = lambda w: {}
    query: Callable[[World], dict] = lambda w: {}
    # The product's own refusal page names the app to people of its organization ("you have no access to X").
    refusal_names: tuple[str, ...] = ()


def app_id(w: World) -> dict:
    return {"app_id": w.app.pk}


def group_id(w: World) -> dict:
    return {"group_id": w.group.pk}


ROWS: dict[str, Row] = {
    # My Apps, launch, profile, Add apps, app access requests (another issue's pages).
    "my-apps": Row(get=SIGNED_IN_200),
    "sign-in": Row(get=everyone(302, anonymous=200)),
    "sign-out": Row(get=everyone(405), post=everyone(302)),
    # Public like a static file at its content-hashed URL (a version that isn't the logo's is 404).
    "app-logo": Row(lambda w: {"app_id": w.app.pk, "version": "0" * 16}, get=everyone(404)),
    "launch": Row(app_id, get=expect(member=302, owner=403, approver=403), refusal_names=("Omega Secret App",)),
    "app-details": Row(app_id, get=expect(member=200, owner=404, approver=404)),
    "sample-app": Row(app_id, get=expect(member=200, owner=403, approver=403), refusal_names=("Omega Secret App",)),
    "profile": Row(get=everyone(200, anonymous=302)),
    "switch-organization": Row(get=everyone(405), post=everyone(302), data=lambda w: {"tenant_id": str(w.tenant.pk)}),
    "add-apps": Row(get=SIGNED_IN_200),
    "request-app": Row(
        app_id,
        get=expect(member=200, owner=200, approver=200),
        post=expect(member=200, owner=200, approver=302),
        data=lambda w: {"justification": "Please"},
    ),
    "requests": Row(get=SIGNED_IN_200),
    "approve-app-request": Row(
        lambda w: {"request_id": w.app_request.pk},
        get=everyone(405),
        post=expect(member=404, owner=404, approver=302),
    ),
    "deny-app-request": Row(
        lambda w: {"request_id": w.app_request.pk},
        get=everyone(405),
        post=expect(member=404, owner=404, approver=302),
    ),
    "cancel-app-request": Row(
        lambda w: {"request_id": w.app_request.pk},
        get=everyone(405),
        post=expect(member=404, owner=302, approver=404),
    ),
    # Manage app.
    "manage-app": Row(app_id, get=OWNER_ONLY),
    "manage-app-add": Row(app_id, get=OWNER_ONLY, post=OWNER_ONLY_POST, data=lambda w: {"user": [str(w.newcomer.pk)]}),
    "manage-app-remove-member": Row(
        lambda w: {"app_id": w.app.pk, "user_id": w.target.pk}, get=OWNER_ONLY, post=OWNER_ONLY_POST
    ),
    "people-search": Row(get=OWNER_ONLY, query=lambda w: {"group": str(w.group.pk), "q": "Target"}),
    # Groups.
    "groups": Row(get=SIGNED_IN_200),
    "groups-join": Row(get=SIGNED_IN_200),
    "group-new": Row(
        get=SIGNED_IN_200,
        post=expect(member=302, owner=302, approver=302, other_tenant=302),
        data=lambda w: {"group_type": "Security", "display_name": "Created", "description": "", "join_policy": "open"},
    ),
    "group": Row(group_id, get=expect(member=200, owner=200, approver=404)),
    "group-add-members": Row(
        group_id, get=OWNER_ONLY, post=OWNER_ONLY_POST, data=lambda w: {"email": ["new.guest@partner.example"]}
    ),
    "group-remove-member": Row(
        lambda w: {"group_id": w.group.pk, "user_id": w.target.pk}, get=OWNER_ONLY, post=OWNER_ONLY_POST
    ),
    "group-edit": Row(
        group_id,
        get=OWNER_ONLY,
        post=OWNER_ONLY_POST,
        data=lambda w: {"display_name": "Renamed", "description": "", "join_policy": "open"},
    ),
    "group-add-owner": Row(
        lambda w: {"group_id": w.group.pk, "user_id": w.target.pk}, get=METHOD_NOT_ALLOWED, post=OWNER_ONLY_POST
    ),
    "group-remove-owner": Row(
        lambda w: {"group_id": w.group.pk, "user_id": w.co_owner.pk}, get=OWNER_ONLY, post=OWNER_ONLY_POST
    ),
    "group-delete": Row(group_id, get=OWNER_ONLY, post=OWNER_ONLY_POST),
    # The group is closed: nobody may join it, not even its owner.
    "group-join": Row(
        group_id,
        get=expect(member=404, owner=404, approver=404),
        post=expect(member=404, owner=404, approver=404),
        data=lambda w: {"justification": "Let me in"},
    ),
    "group-leave": Row(
        group_id, get=expect(member=200, owner=404, approver=404), post=expect(member=302, owner=404, approver=404)
    ),
    "approve-join-request": Row(
        lambda w: {"request_id": w.join_request.pk}, get=METHOD_NOT_ALLOWED, post=OWNER_ONLY_POST
    ),
    "deny-join-request": Row(lambda w: {"request_id": w.join_request.pk}, get=METHOD_NOT_ALLOWED, post=OWNER_ONLY_POST),
    "cancel-join-request": Row(
        lambda w: {"request_id": w.join_request.pk},
        get=METHOD_NOT_ALLOWED,
        post=expect(member=404, owner=404, approver=302),
    ),
    # Demo mode only (tests/portal/test_scenarios.py): outside it, nobody may reset anything.
    "scenarios": Row(get=everyone(404), post=everyone(404), data=lambda w: {"scenario": "configured"}),
}


def _names(resolver: URLResolver) -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _names(pattern)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name or f"<unnamed {pattern.pattern}>")
    return names


def portal_url_names() -> set[str]:
    portal = [p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "portal"]
    assert portal, "the portal namespace is not in the root URLconf"
    return set().union(*(_names(resolver) for resolver in portal))


def test_every_portal_url_has_a_row():
    names = portal_url_names()
    assert names - set(ROWS) == set(), "add a row to ROWS for each new portal URL"
    assert set(ROWS) - names == set(), "remove the rows of URLs that no longer exist"


def test_every_state_changing_url_is_also_tried_with_post():
    # Every URL whose GET answers 405 only takes POST: it must have a POST column.
    assert all(row.post is not None for row in ROWS.values() if 405 in row.get.values())


def snapshot() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


CASES = [(name, "get", actor) for name in ROWS for actor in ACTORS] + [
    (name, "post", actor) for name, row in ROWS.items() if row.post is not None for actor in ACTORS
]


@pytest.mark.parametrize(("name", "method", "actor"), CASES)
def test_authorization_matrix(client, world, name, method, actor):
    row = ROWS[name]
    expected = (row.get if method == "get" else row.post)[actor]
    account = world.accounts[actor]
    if account is not None:
        client.force_login(account)
    url = reverse(f"portal:{name}", kwargs=row.kwargs(world))
    before = snapshot()

    response = client.get(url, row.query(world)) if method == "get" else client.post(url, row.data(world))

    assert response.status_code == expected, f"{method.upper()} {name} as {actor}"
    body = response.content.decode(errors="replace")
    if actor == "anonymous" and expected == 302 and name not in {"sign-out"}:
        assert response["Location"].startswith(reverse("portal:sign-in"))
    refused = expected in {403, 404, 405} or actor == "anonymous"
    outsider = actor in {"anonymous", "other_tenant", "pending_guest", "disabled"}
    if refused or outsider:
        shown = () if outsider else row.refusal_names
        leaked = [secret for secret in SECRETS if secret in body and secret not in shown]
        assert not leaked, f"{method.upper()} {name} as {actor} shows {leaked}"
    if method == "post" and refused:
        assert snapshot() == before, f"refused POST {name} as {actor} changed data"
