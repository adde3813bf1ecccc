"""Reads for the portal's Manage app, Groups and join requests. Each is a constant number of queries.

Authorization lives here: a view fetches an object through the selector that decides
whether the signed-in directory user may see it, so an object they may not see is a 404.
"""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from directory.emails import canonical_email
from directory.models import Application, DirectoryUser, Group, GroupMember, GroupOwner
from directory.search import keys_with_prefix, users_with_term
from directory.selectors import apps_for_user
from directory.services import is_directory_admin
from portal.models import GroupJoinRequest

MAX_SUGGESTIONS = 10
JOINABLE_POLICIES = (Group.JoinPolicy.OPEN, Group.JoinPolicy.OWNER_APPROVAL)


def can_use_groups(*, user: DirectoryUser) -> bool:
    """False when the tenant restricts the Access Panel's groups features and the user is no administrator."""
    return not user.tenant.restrict_access_panel_groups or is_directory_admin(user)


def can_create_groups(*, user: DirectoryUser) -> bool:
    """Whether **Create group** is offered: the tenant lets users create some kind of group, or they administer it."""
    tenant = user.tenant
    return tenant.users_can_create_security_groups or tenant.users_can_create_m365_groups or is_directory_admin(user)


def managed_applications(*, user: DirectoryUser) -> QuerySet[Application]:
    """Self-service apps of the user's tenant whose self-service group the user owns (Manage app)."""
    return (
        Application.objects.filter(
            tenant_id=user.tenant_id,
            self_service_enabled=True,
            self_service_group__owner_links__user=user,
        )
        .select_related("self_service_group__tenant", "tenant")
        .defer("logo", "notes")
    )


def user_apps(user: DirectoryUser) -> QuerySet[Application]:
    """The user's My Apps, each with `is_owner`: Manage app, on managed_applications' terms."""
    owns_group = GroupOwner.objects.filter(group_id=OuterRef("self_service_group_id"), user=user)
    return (
        apps_for_user(user=user)
        .defer("logo", "notes")
        .annotate(is_owner=Exists(owns_group) & Q(self_service_enabled=True))
    )


def _with_group_flags(queryset: QuerySet[Group], *, user: DirectoryUser) -> QuerySet[Group]:
    return queryset.annotate(
        member_count=Count("member_links", distinct=True),
        is_owner=Exists(GroupOwner.objects.filter(group=OuterRef("pk"), user=user)),
        is_member=Exists(GroupMember.objects.filter(group=OuterRef("pk"), user=user)),
        has_pending_request=Exists(
            GroupJoinRequest.objects.filter(
                group=OuterRef("pk"), requester=user, status=GroupJoinRequest.Status.PENDING
            )
        ),
    )


def _joinable_q() -> Q:
    return Q(
        join_policy__in=JOINABLE_POLICIES,
        membership_type=Group.MembershipType.ASSIGNED,
        on_premises_sync_enabled=False,
    )


def _search(queryset: QuerySet[Group], q: str) -> QuerySet[Group]:
    q = q.strip()
    if q:
        queryset = queryset.filter(Q(display_name__icontains=q) | Q(description__icontains=q))
    return queryset


def groups_for_portal(*, user: DirectoryUser, q: str = "") -> dict[str, QuerySet[Group]]:
    """The two tabs of Groups: **Groups I own** and **Groups I'm in**, filtered by the search text."""
    tenant_groups = _with_group_flags(Group.objects.filter(tenant_id=user.tenant_id), user=user)
    owned = tenant_groups.filter(owner_links__user=user)
    member_of = tenant_groups.filter(member_links__user=user)
    return {
        "owned": _search(owned, q).order_by("display_name", "pk"),
        "member": _search(member_of, q).order_by("display_name", "pk"),
    }


def joinable_groups(*, user: DirectoryUser, q: str = "") -> QuerySet[Group]:
    """Groups the user could join or ask to join: open or owner approval, assigned, cloud, not a member yet."""
    groups = (
        _with_group_flags(Group.objects.filter(tenant_id=user.tenant_id), user=user)
        .filter(_joinable_q())
        .exclude(member_links__user=user)
    )
    return _search(groups, q).order_by("display_name", "pk")


def visible_groups(*, user: DirectoryUser) -> QuerySet[Group]:
    """Groups whose page the user may open: owned, joined, or open to joining."""
    return (
        _with_group_flags(Group.objects.filter(tenant_id=user.tenant_id), user=user)
        .filter(Q(owner_links__user=user) | Q(member_links__user=user) | _joinable_q())
        .distinct()
        .select_related("tenant")
    )


def owned_groups(*, user: DirectoryUser) -> QuerySet[Group]:
    """Groups the user owns in the current tenant, locked by nothing: the services check again under lock."""
    return _with_group_flags(
        Group.objects.filter(tenant_id=user.tenant_id, owner_links__user=user), user=user
    ).select_related("tenant")


def group_members(*, group: Group) -> QuerySet[DirectoryUser]:
    return DirectoryUser.objects.filter(member_links__group=group).order_by("display_name", "pk")


def group_owners(*, group: Group) -> QuerySet[DirectoryUser]:
    return DirectoryUser.objects.filter(owned_group_links__group=group).order_by("display_name", "pk")


SEARCH_PAGE = 50


def people_search(*, group: Group, q: str) -> list[DirectoryUser]:
    """Up to ten of the group's tenant's users whose name, a word of it, mail or UPN starts with q; not members.

    The matching search keys come in name order from a prefix index (directory/search.py), a page
    at a time; only the users of a page are read, to leave out members and disabled users, and no
    more of them than are still wanted.
    """
    q = q.strip()
    if not q:
        return []
    keys = keys_with_prefix(tenant_id=group.tenant_id, q=q)
    found: list[DirectoryUser] = []
    seen: set = set()
    while len(found) < MAX_SUGGESTIONS:
        page = list(keys[:SEARCH_PAGE])
        ids = [user_id for _, user_id in page if not (user_id in seen or seen.add(user_id))]
        if ids:
            # In the keys' order (they carry the user's name), and no more users than are still wanted.
            found += (
                DirectoryUser.objects.filter(pk__in=ids, account_enabled=True)
                .exclude(member_links__group=group)
                .order_by("display_name", "pk")[: MAX_SUGGESTIONS - len(found)]
            )
        if len(page) < SEARCH_PAGE:
            break
        name, user_id = page[-1]
        keys = keys.filter(Q(display_name__gt=name) | Q(display_name=name, user_id__gt=user_id))
    return found[:MAX_SUGGESTIONS]


def exact_person(*, group: Group, q: str) -> DirectoryUser | None:
    """The one enabled user of the group's tenant, not yet a member, whose name, mail or UPN is exactly q."""
    q = q.strip()
    if not q:
        return None
    typed = q.lower()
    matches = list(
        DirectoryUser.objects.filter(
            Q(display_name__lower=typed) | Q(mail__lower=typed) | Q(user_principal_name__lower=typed),
            pk__in=users_with_term(tenant_id=group.tenant_id, q=typed),
            tenant_id=group.tenant_id,
            account_enabled=True,
        ).exclude(member_links__group=group)[:2]
    )
    return matches[0] if len(matches) == 1 else None


def directory_user_with_mail(*, group: Group, email: str) -> DirectoryUser | None:
    return DirectoryUser.objects.filter(tenant_id=group.tenant_id, mail__lower=canonical_email(email)).first()


def pending_join_requests_for_owner(*, user: DirectoryUser, group: Group | None = None) -> QuerySet[GroupJoinRequest]:
    """Pending requests to join groups the user owns (one group's, when given)."""
    requests = GroupJoinRequest.objects.filter(
        status=GroupJoinRequest.Status.PENDING,
        group__tenant_id=user.tenant_id,
        group__owner_links__user=user,
    )
    if group is not None:
        requests = requests.filter(group=group)
    return requests.select_related("requester", "group").order_by("created_date_time", "pk")


def join_requests_of(*, user: DirectoryUser) -> QuerySet[GroupJoinRequest]:
    """The user's own requests to join groups, newest first, with the decider."""
    return (
        GroupJoinRequest.objects.filter(requester=user)
        .select_related("group", "decided_by")
        .order_by("-created_date_time", "-pk")
    )


def decidable_join_requests(*, user: DirectoryUser) -> QuerySet[GroupJoinRequest]:
    """Requests (in any state) to join groups the user owns: the ones they may approve or deny."""
    return GroupJoinRequest.objects.filter(
        group__tenant_id=user.tenant_id, group__owner_links__user=user
    ).select_related("requester", "group__tenant", "decided_by")


def join_requests_context(*, user: DirectoryUser) -> dict[str, object]:
    """What `portal/_join_requests_section.html` needs: pending requests to decide, and the user's own."""
    return {
        "join_requests": list(pending_join_requests_for_owner(user=user)),
        "my_join_requests": list(join_requests_of(user=user)[:50]),
    }
