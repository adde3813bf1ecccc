"""Reads that decide what a directory user may see. Each is a constant number of queries."""

from django.db.models import Aggregate, BigIntegerField, Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from directory.models import (
    Account,
    Application,
    AppRoleAssignment,
    AppsChange,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
)


class _XorOfTags(Aggregate):
    """The XOR of a tenant's AppsChange tags; SQLite keeps one row per tenant, so its tag."""

    function = "BIT_XOR"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="MAX", **extra_context)


def apps_version(tenant_ref: str = "tenant_id") -> Coalesce:
    """The tenant's apps version (see AppsChange), as an expression on the row whose `tenant_ref` names it."""
    tags = AppsChange.objects.filter(tenant_id=OuterRef(tenant_ref)).values("tenant_id")
    return Coalesce(Subquery(tags.annotate(version=_XorOfTags("tag")).values("version")), 0)


def assigned_filter(user: DirectoryUser) -> Q:
    """Applications the user is assigned to, directly or through a group (a filter on Application).

    Two id subqueries, each read from an index (assignments by user; the user's groups, then
    assignments by group), rather than an EXISTS evaluated for every application of the tenant.
    """
    direct = AppRoleAssignment.objects.filter(principal_user=user).values("application_id")
    user_groups = GroupMember.objects.filter(user=user).values("group_id")
    through_groups = AppRoleAssignment.objects.filter(principal_group_id__in=user_groups).values("application_id")
    return Q(pk__in=direct) | Q(pk__in=through_groups)


def apps_for_user(*, user: DirectoryUser) -> QuerySet[Application]:
    """Apps on the user's My Apps: assigned directly or through a group, visible and enabled."""
    return (
        Application.objects.filter(tenant_id=user.tenant_id, visible_to_users=True, account_enabled=True)
        .filter(assigned_filter(user))
        .order_by("display_name", "pk")
    )


def is_assigned(*, user: DirectoryUser, application: Application) -> bool:
    """The user is assigned to the app directly or through a group."""
    return Application.objects.filter(pk=application.pk).filter(assigned_filter(user)).exists()


def groups_owned_by(*, user: DirectoryUser) -> QuerySet[Group]:
    """Groups the user owns, with their member count."""
    return (
        Group.objects.filter(tenant_id=user.tenant_id, owner_links__user=user)
        .annotate(member_count=Count("member_links", distinct=True))
        .order_by("display_name")
    )


def groups_user_is_in(*, user: DirectoryUser) -> QuerySet[Group]:
    """Groups the user is a member of, with their member count and whether the user owns them."""
    # Filtering through Exists, not member_links__user, so the count below isn't limited to the user's own link.
    return (
        Group.objects.filter(
            Exists(GroupMember.objects.filter(group=OuterRef("pk"), user=user)), tenant_id=user.tenant_id
        )
        .annotate(
            member_count=Count("member_links", distinct=True),
            is_owner=Exists(GroupOwner.objects.filter(group=OuterRef("pk"), user=user)),
        )
        .order_by("display_name")
    )


def directory_users_for_account(*, account: Account) -> QuerySet[DirectoryUser]:
    """The account's enabled directory users that may sign in: members and accepted guests.

    Each has its tenant and the tenant's `apps_version`, which keys the cached My Apps tiles.
    """
    return (
        DirectoryUser.objects.filter(account=account, account_enabled=True)
        .exclude(external_user_state=DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE)
        .select_related("tenant")
        .annotate(apps_version=apps_version())
        .order_by("tenant__display_name")
    )
