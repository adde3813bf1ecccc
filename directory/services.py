"""Every change to the directory goes through these functions.

Each service validates everything first, runs in one transaction, locks the row
whose invariant it checks, and records its audit event in that same transaction.
A refusal raises PolicyError with a sentence meant for the person who asked, and
changes nothing.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from directory.audit import Activity, Actor, record_event
from directory.emails import canonical_domain, canonical_email
from directory.models import (
    MAX_COLLABORATION_DOMAINS_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_SELF_SERVICE_APPROVERS,
    Account,
    Application,
    AppRole,
    AppRoleAssignment,
    DirectoryRoleAssignment,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Tenant,
    domain_validator,
)


class PolicyError(ValidationError):
    """A request the directory refuses; the message is shown to the person as is."""


OTHER_TENANT = "{name} belongs to another organization."
GUEST_DYNAMIC_GROUP = "Guest users can't be added to a dynamic group."
GUEST_SYNCED_GROUP = "Guest users can't be added to a group that is synced from on-premises Active Directory."
DYNAMIC_GROUP_NO_MANUAL_MEMBERS = (
    "{group} is a dynamic group: its membership rule decides who is a member, so members can't be "
    "added or removed by hand."
)
SYNCED_GROUP_READ_ONLY = "{group} is synced from on-premises Active Directory: manage its members there."
ALREADY_MEMBER = "{name} is already a member of {group}."
NOT_A_MEMBER = "{name} is not a member of {group}."
ALREADY_OWNER = "{name} is already an owner of {group}."
NOT_AN_OWNER = "{name} is not an owner of {group}."
LAST_OWNER = "{group} needs at least one owner. Add another owner before removing {name}."
NOT_OWNER_OF_GROUP = "Only the owners of {group} can manage its members."
SELF_SERVICE_GROUPS_OFF = (
    "Your organization doesn't let group owners manage membership in My Apps. "
    'Ask an administrator to turn on "Owners can manage group membership requests in the Access Panel".'
)
DYNAMIC_RULE_REQUIRED = "A dynamic group needs a membership rule."
RULE_ONLY_FOR_DYNAMIC = "Only dynamic groups have a membership rule; clear it or choose Dynamic user."
MAKE_DYNAMIC_WITH_MEMBERS = "{group} has {count} assigned members. Remove them before making its membership dynamic."
GROUP_NAME_REQUIRED = "Enter a group name."
ALREADY_ASSIGNED = "{name} is already assigned to {app}."
ROLE_OF_OTHER_APP = "The role {role} belongs to another application."
TOO_MANY_APPROVERS = "Choose at most 10 approvers."
SELF_SERVICE_GROUP_REQUIRED = (
    'Choose the group assigned users are added to ("To which group should assigned users be added?").'
)
SELF_SERVICE_GROUP_NOT_ASSIGNED = (
    "{group} can't be the self-service group: self-service needs an assigned group that isn't "
    "synced from on-premises Active Directory."
)
APPROVERS_REQUIRED = 'Choose at least one approver, or turn off "Require approval".'
DOMAIN_LIST_TOO_LONG = "The domain list can be at most 25,000 characters."
DOMAIN_LIST_NOT_ALLOWED = "Allowing invitations to any domain takes no domain list; clear it."
DOMAIN_LIST_REQUIRED = "List at least one domain, one per line."
INVALID_DOMAIN = "{domain!r} is not a domain name. Enter one domain per line, such as fabrikam.com."
MAIL_IN_USE = "{mail} is already used by another user in {tenant}."
UPN_IN_USE = "{upn} is already the user principal name of another user."
LAST_APPROVER = "{name} is the only approver of {app}. Choose another approver before deleting {name}."
UNKNOWN_ROLE = "{role} is not a directory role."
NOTES_TOO_LONG = "Notes can be at most 1,024 characters."
SELF_SERVICE_AFTER_CREATE = "Turn on self-service after the application exists."
SELF_SERVICE_GROUP_MUST_STAY_ASSIGNED = (
    "{group} is the self-service group of {app}: it must stay an assigned group that isn't synced from "
    "on-premises Active Directory. Choose another group for the application first."
)
ACCOUNT_IN_USE = "{account} is already linked to another user in {tenant}."


def _check_same_tenant(tenant: Tenant, *objects: DirectoryUser | Group | Application) -> None:
    for obj in objects:
        if obj.tenant_id != tenant.pk:
            raise PolicyError(OTHER_TENANT.format(name=obj.display_name))


def _lock_tenant(tenant: Tenant) -> None:
    """Serializes the changes that check a tenant-wide invariant, such as a user's mail being unique."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).exists()


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def guest_user_principal_name(*, mail: str, tenant: Tenant) -> str:
    """The UPN Azure gives an invited guest: john_contoso.com#EXT#@fabrikam.onmicrosoft.com."""
    return f"{mail.lower().replace('@', '_')}#EXT#@{tenant.initial_domain}"


# Users ---------------------------------------------------------------------


def create_user(
    *,
    tenant: Tenant,
    actor: Actor,
    display_name: str,
    mail: str,
    user_principal_name: str = "",
    account: Account | None = None,
    user_type: str = DirectoryUser.UserType.MEMBER,
    department: str = "",
    job_title: str = "",
    on_premises_sync_enabled: bool = False,
    account_enabled: bool = True,
) -> DirectoryUser:
    """Create a member (or an uninvited guest) in the tenant; audits "Add user"."""
    mail = canonical_email(mail)
    user = DirectoryUser(
        tenant=tenant,
        account=account,
        display_name=display_name.strip(),
        mail=mail,
        user_principal_name=user_principal_name or mail,
        user_type=user_type,
        department=department,
        job_title=job_title,
        on_premises_sync_enabled=on_premises_sync_enabled,
        account_enabled=account_enabled,
    )
    with transaction.atomic():
        _lock_tenant(tenant)
        _check_user_unique(user)
        user.full_clean()
        user.save()
        record_event(tenant=tenant, activity=Activity.ADD_USER, actor=actor, target=user)
    return user


def _check_user_unique(user: DirectoryUser) -> None:
    others = DirectoryUser.objects.filter(tenant=user.tenant).exclude(pk=user.pk)
    if others.filter(mail__lower=user.mail.lower()).exists():
        raise PolicyError(MAIL_IN_USE.format(mail=user.mail, tenant=user.tenant))
    # User principal names are unique across all tenants, as in Azure.
    if (
        DirectoryUser.objects.exclude(pk=user.pk)
        .filter(user_principal_name__lower=user.user_principal_name.lower())
        .exists()
    ):
        raise PolicyError(UPN_IN_USE.format(upn=user.user_principal_name))
    if user.account_id and others.filter(account_id=user.account_id).exists():
        raise PolicyError(ACCOUNT_IN_USE.format(account=user.account, tenant=user.tenant))


USER_EDITABLE_FIELDS = frozenset(
    {
        "display_name",
        "mail",
        "user_principal_name",
        "account",
        "department",
        "job_title",
        "account_enabled",
        "on_premises_sync_enabled",
        "user_type",
    }
)


def update_user(*, user: DirectoryUser, actor: Actor, **changes: object) -> DirectoryUser:
    """Change a user's properties; audits "Update user" with the changed property names."""
    unknown = set(changes) - USER_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_user() can't change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        _lock_tenant(user.tenant)
        user = DirectoryUser.objects.select_for_update().get(pk=user.pk)
        changed = [name for name, value in changes.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, changes[name])
        if "mail" in changed:
            user.mail = canonical_email(user.mail)
        if not changed:
            return user
        _check_user_unique(user)
        user.full_clean()
        user.save()
        record_event(
            tenant=user.tenant,
            activity=Activity.UPDATE_USER,
            actor=actor,
            target=user,
            details={"modifiedProperties": changed},
        )
    return user


def delete_user(*, user: DirectoryUser, actor: Actor) -> None:
    """Delete a user and its memberships; audits "Delete external user" for guests."""
    with transaction.atomic():
        user = DirectoryUser.objects.select_for_update().get(pk=user.pk)
        _check_not_last_owner_anywhere(user)
        _check_not_last_approver_anywhere(user)
        activity = Activity.DELETE_EXTERNAL_USER if user.is_guest else Activity.DELETE_USER
        record_event(tenant=user.tenant, activity=activity, actor=actor, target=user)
        user.delete()


def _check_not_last_owner_anywhere(user: DirectoryUser) -> None:
    for link in GroupOwner.objects.filter(user=user).select_related("group"):
        group = _lock_group(link.group)
        if group.owner_links.count() == 1:
            raise PolicyError(LAST_OWNER.format(group=group, name=user.display_name))


def _check_not_last_approver_anywhere(user: DirectoryUser) -> None:
    app_ids = list(
        user.approver_for_applications.filter(
            self_service_enabled=True, self_service_approval_required=True
        ).values_list("pk", flat=True)
    )
    for app in Application.objects.select_for_update().filter(pk__in=app_ids):
        if app.self_service_approvers.count() == 1:
            raise PolicyError(LAST_APPROVER.format(name=user.display_name, app=app))


def add_directory_role(*, user: DirectoryUser, role: str, actor: Actor) -> DirectoryRoleAssignment:
    """Give a user a directory role; audits "Add member to role"."""
    if role not in DirectoryRoleAssignment.Role.values:
        raise PolicyError(UNKNOWN_ROLE.format(role=role))
    with transaction.atomic():
        assignment, created = DirectoryRoleAssignment.objects.get_or_create(user=user, role=role)
        if created:
            assignment.full_clean()
            record_event(
                tenant=user.tenant,
                activity=Activity.ADD_MEMBER_TO_ROLE,
                actor=actor,
                target=user,
                details={"role": role},
            )
    return assignment


def remove_directory_role(*, assignment: DirectoryRoleAssignment, actor: Actor) -> None:
    """Take a directory role away; audits "Remove member from role"."""
    with transaction.atomic():
        record_event(
            tenant=assignment.user.tenant,
            activity=Activity.REMOVE_MEMBER_FROM_ROLE,
            actor=actor,
            target=assignment.user,
            details={"role": assignment.role},
        )
        assignment.delete()


# Groups --------------------------------------------------------------------


def _validate_group(group: Group) -> None:
    if not group.display_name.strip():
        raise PolicyError(GROUP_NAME_REQUIRED)
    if group.membership_type == Group.MembershipType.DYNAMIC_USER and not group.membership_rule.strip():
        raise PolicyError(DYNAMIC_RULE_REQUIRED)
    if group.membership_type == Group.MembershipType.ASSIGNED and group.membership_rule.strip():
        raise PolicyError(RULE_ONLY_FOR_DYNAMIC)
    group.full_clean()


def create_group(
    *,
    tenant: Tenant,
    actor: Actor,
    display_name: str,
    description: str = "",
    group_type: str = Group.GroupType.SECURITY,
    membership_type: str = Group.MembershipType.ASSIGNED,
    membership_rule: str = "",
    on_premises_sync_enabled: bool = False,
    join_policy: str = Group.JoinPolicy.CLOSED,
    owners: Iterable[DirectoryUser] = (),
) -> Group:
    """Create a group with its first owners; audits "Add group" and "Add owner to group"."""
    owners = list({owner.pk: owner for owner in owners}.values())
    group = Group(
        tenant=tenant,
        display_name=display_name.strip(),
        description=description.strip(),
        group_type=group_type,
        membership_type=membership_type,
        membership_rule=membership_rule.strip(),
        on_premises_sync_enabled=on_premises_sync_enabled,
        join_policy=join_policy,
    )
    _validate_group(group)
    _check_same_tenant(tenant, *owners)
    with transaction.atomic():
        group.save()
        record_event(tenant=tenant, activity=Activity.ADD_GROUP, actor=actor, target=group)
        adder = actor if isinstance(actor, DirectoryUser) else None
        for owner in owners:
            GroupOwner.objects.create(group=group, user=owner, added_by=adder)
            record_event(
                tenant=tenant,
                activity=Activity.ADD_OWNER_TO_GROUP,
                actor=actor,
                target=group,
                details={"user": owner.user_principal_name},
            )
    return group


GROUP_EDITABLE_FIELDS = frozenset(
    {
        "display_name",
        "description",
        "group_type",
        "membership_type",
        "membership_rule",
        "on_premises_sync_enabled",
        "join_policy",
    }
)


def update_group(*, group: Group, actor: Actor, **changes: object) -> Group:
    """Change a group's properties; audits "Update group" with the changed property names."""
    unknown = set(changes) - GROUP_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_group() can't change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        group = _lock_group(group)
        changed = [name for name, value in changes.items() if getattr(group, name) != value]
        if not changed:
            return group
        for name in changed:
            setattr(group, name, changes[name])
        _validate_group(group)
        if "membership_type" in changed and group.is_dynamic:
            count = group.member_links.count()
            if count:
                raise PolicyError(MAKE_DYNAMIC_WITH_MEMBERS.format(group=group, count=count))
        if not group.accepts_manual_members:
            app = Application.objects.filter(self_service_group=group, self_service_enabled=True).first()
            if app is not None:
                raise PolicyError(SELF_SERVICE_GROUP_MUST_STAY_ASSIGNED.format(group=group, app=app))
        group.save()
        record_event(
            tenant=group.tenant,
            activity=Activity.UPDATE_GROUP,
            actor=actor,
            target=group,
            details={"modifiedProperties": changed},
        )
    return group


def delete_group(*, group: Group, actor: Actor) -> None:
    """Delete a group with its memberships and assignments; audits "Delete group"."""
    with transaction.atomic():
        group = _lock_group(group)
        record_event(tenant=group.tenant, activity=Activity.DELETE_GROUP, actor=actor, target=group)
        Application.objects.filter(self_service_group=group).update(self_service_enabled=False, self_service_group=None)
        group.delete()


def is_directory_admin(user: DirectoryUser) -> bool:
    roles = {
        DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR,
        DirectoryRoleAssignment.Role.USER_ADMINISTRATOR,
    }
    return user.role_assignments.filter(role__in=roles).exists()


def check_can_manage_members(*, actor: DirectoryUser, group: Group) -> None:
    """The portal rule: only owners manage members, and only while the tenant allows it."""
    _check_same_tenant(actor.tenant, group)
    if not group.owner_links.filter(user=actor).exists():
        raise PolicyError(NOT_OWNER_OF_GROUP.format(group=group))
    if not group.tenant.owners_can_manage_group_membership_requests:
        raise PolicyError(SELF_SERVICE_GROUPS_OFF)


def check_accepts_member(*, group: Group, user: DirectoryUser) -> None:
    """The structural rule: dynamic and synced groups take no manual members, guests least of all."""
    _check_same_tenant(group.tenant, user)
    if user.is_guest and group.is_dynamic:
        raise PolicyError(GUEST_DYNAMIC_GROUP)
    if user.is_guest and group.on_premises_sync_enabled:
        raise PolicyError(GUEST_SYNCED_GROUP)
    _check_membership_editable(group)


def _check_membership_editable(group: Group) -> None:
    if group.is_dynamic:
        raise PolicyError(DYNAMIC_GROUP_NO_MANUAL_MEMBERS.format(group=group))
    if group.on_premises_sync_enabled:
        raise PolicyError(SYNCED_GROUP_READ_ONLY.format(group=group))


def add_group_member(*, group: Group, user: DirectoryUser, actor: Actor) -> GroupMember:
    """Add a user to an assigned cloud group; audits "Add member to group"."""
    with transaction.atomic():
        group = _lock_group(group)
        check_accepts_member(group=group, user=user)
        if group.member_links.filter(user=user).exists():
            raise PolicyError(ALREADY_MEMBER.format(name=user.display_name, group=group))
        try:
            with transaction.atomic():
                link = GroupMember.objects.create(
                    group=group, user=user, added_by=actor if isinstance(actor, DirectoryUser) else None
                )
        except IntegrityError as exc:  # a concurrent add won the race
            raise PolicyError(ALREADY_MEMBER.format(name=user.display_name, group=group)) from exc
        record_event(
            tenant=group.tenant,
            activity=Activity.ADD_MEMBER_TO_GROUP,
            actor=actor,
            target=group,
            details={"user": user.user_principal_name, "userId": str(user.pk)},
        )
    return link


def remove_group_member(*, group: Group, user: DirectoryUser, actor: Actor) -> None:
    """Remove a user from an assigned cloud group; audits "Remove member from group"."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_membership_editable(group)
        deleted, _ = GroupMember.objects.filter(group=group, user=user).delete()
        if not deleted:
            raise PolicyError(NOT_A_MEMBER.format(name=user.display_name, group=group))
        record_event(
            tenant=group.tenant,
            activity=Activity.REMOVE_MEMBER_FROM_GROUP,
            actor=actor,
            target=group,
            details={"user": user.user_principal_name, "userId": str(user.pk)},
        )


def add_group_owner(*, group: Group, user: DirectoryUser, actor: Actor) -> GroupOwner:
    """Make a user an owner of a group; audits "Add owner to group"."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_same_tenant(group.tenant, user)
        if group.owner_links.filter(user=user).exists():
            raise PolicyError(ALREADY_OWNER.format(name=user.display_name, group=group))
        link = GroupOwner.objects.create(
            group=group, user=user, added_by=actor if isinstance(actor, DirectoryUser) else None
        )
        record_event(
            tenant=group.tenant,
            activity=Activity.ADD_OWNER_TO_GROUP,
            actor=actor,
            target=group,
            details={"user": user.user_principal_name, "userId": str(user.pk)},
        )
    return link


def remove_group_owner(*, group: Group, user: DirectoryUser, actor: Actor) -> None:
    """Remove an owner, never the last one; audits "Remove owner from group"."""
    with transaction.atomic():
        group = _lock_group(group)
        owners = list(group.owner_links.values_list("user_id", flat=True))
        if user.pk not in owners:
            raise PolicyError(NOT_AN_OWNER.format(name=user.display_name, group=group))
        if len(owners) == 1:
            raise PolicyError(LAST_OWNER.format(group=group, name=user.display_name))
        GroupOwner.objects.filter(group=group, user=user).delete()
        record_event(
            tenant=group.tenant,
            activity=Activity.REMOVE_OWNER_FROM_GROUP,
            actor=actor,
            target=group,
            details={"user": user.user_principal_name, "userId": str(user.pk)},
        )


# Applications ---------------------------------------------------------------


def default_app_role(application: Application) -> AppRole:
    role, _ = AppRole.objects.get_or_create(application=application, display_name=AppRole.DEFAULT_ACCESS)
    return role


def create_application(*, tenant: Tenant, actor: Actor, display_name: str, **properties: object) -> Application:
    """Add an enterprise application with its "Default Access" role; audits "Add service principal"."""
    application = Application(tenant=tenant, display_name=display_name.strip(), **properties)
    _check_notes(application)
    application.full_clean(exclude=["self_service_group", "self_service_role"])
    if application.self_service_enabled:
        raise PolicyError(SELF_SERVICE_AFTER_CREATE)
    with transaction.atomic():
        application.save()
        default_app_role(application)
        record_event(tenant=tenant, activity=Activity.ADD_SERVICE_PRINCIPAL, actor=actor, target=application)
    return application


APPLICATION_EDITABLE_FIELDS = frozenset(
    {
        "display_name",
        "homepage_url",
        "account_enabled",
        "app_role_assignment_required",
        "visible_to_users",
        "logo",
        "notes",
        "single_sign_on_mode",
        "sign_on_url",
        "self_service_enabled",
        "self_service_group",
        "self_service_approval_required",
        "self_service_role",
        "self_service_approvers",
    }
)


def update_application(*, application: Application, actor: Actor, **changes: object) -> Application:
    """Change an application's properties, single sign-on and self-service settings.

    Turning on self-service assigns the chosen group to the application (as Azure does),
    so its members see the app. Audits "Update service principal".
    """
    unknown = set(changes) - APPLICATION_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_application() can't change {', '.join(sorted(unknown))}")
    approvers = changes.pop("self_service_approvers", None)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        changed = [name for name, value in changes.items() if getattr(application, name) != value]
        for name in changed:
            setattr(application, name, changes[name])
        current_approvers = list(application.self_service_approvers.all())
        if approvers is not None:
            approvers = list(approvers)
            if {a.pk for a in approvers} != {a.pk for a in current_approvers}:
                changed.append("self_service_approvers")
        else:
            approvers = current_approvers
        if not changed:
            return application
        _check_notes(application)
        _validate_self_service(application, approvers)
        application.full_clean()
        application.save()
        if "self_service_approvers" in changed:
            application.self_service_approvers.set(approvers)
        # Only when self-service is turned on or moved to another group, so an administrator who
        # removed the group's assignment on purpose doesn't see it come back on an unrelated edit.
        if application.self_service_enabled and {"self_service_enabled", "self_service_group"} & set(changed):
            group = application.self_service_group
            if not AppRoleAssignment.objects.filter(application=application, principal_group=group).exists():
                role = application.self_service_role or default_app_role(application)
                AppRoleAssignment.objects.create(application=application, app_role=role, principal_group=group)
                record_event(
                    tenant=application.tenant,
                    activity=Activity.ADD_APP_ROLE_ASSIGNMENT,
                    actor=actor,
                    target=application,
                    details={"group": group.display_name, "role": role.display_name},
                )
        record_event(
            tenant=application.tenant,
            activity=Activity.UPDATE_SERVICE_PRINCIPAL,
            actor=actor,
            target=application,
            details={"modifiedProperties": changed},
        )
    return application


def _check_notes(application: Application) -> None:
    if len(application.notes) > MAX_NOTES_LENGTH:
        raise PolicyError(NOTES_TOO_LONG)


def _validate_self_service(application: Application, approvers: list[DirectoryUser]) -> None:
    _check_same_tenant(application.tenant, *approvers)
    if len(approvers) > MAX_SELF_SERVICE_APPROVERS:
        raise PolicyError(TOO_MANY_APPROVERS)
    role = application.self_service_role
    if role is not None and role.application_id != application.pk:
        raise PolicyError(ROLE_OF_OTHER_APP.format(role=role))
    group = application.self_service_group
    if group is not None:
        _check_same_tenant(application.tenant, group)
    if not application.self_service_enabled:
        return
    if group is None:
        raise PolicyError(SELF_SERVICE_GROUP_REQUIRED)
    if not group.accepts_manual_members:
        raise PolicyError(SELF_SERVICE_GROUP_NOT_ASSIGNED.format(group=group))
    if application.self_service_approval_required and not approvers:
        raise PolicyError(APPROVERS_REQUIRED)


def assign_app(
    *,
    application: Application,
    principal: DirectoryUser | Group,
    actor: Actor,
    app_role: AppRole | None = None,
) -> AppRoleAssignment:
    """Assign a user or a group to an application; audits "Add app role assignment to service principal"."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _check_same_tenant(application.tenant, principal)
        role = app_role or default_app_role(application)
        if role.application_id != application.pk:
            raise PolicyError(ROLE_OF_OTHER_APP.format(role=role))
        is_user = isinstance(principal, DirectoryUser)
        lookup = {"principal_user": principal} if is_user else {"principal_group": principal}
        if application.assignments.filter(**lookup).exists():
            raise PolicyError(ALREADY_ASSIGNED.format(name=principal.display_name, app=application))
        assignment = AppRoleAssignment.objects.create(application=application, app_role=role, **lookup)
        record_event(
            tenant=application.tenant,
            activity=Activity.ADD_APP_ROLE_ASSIGNMENT,
            actor=actor,
            target=application,
            details={
                "principal": principal.display_name,
                "principalType": "User" if is_user else "Group",
                "role": role.display_name,
            },
        )
    return assignment


def unassign_app(*, assignment: AppRoleAssignment, actor: Actor) -> None:
    """Remove a user or group assignment; audits "Remove app role assignment from service principal"."""
    with transaction.atomic():
        assignment = AppRoleAssignment.objects.select_related("application__tenant").get(pk=assignment.pk)
        record_event(
            tenant=assignment.application.tenant,
            activity=Activity.REMOVE_APP_ROLE_ASSIGNMENT,
            actor=actor,
            target=assignment.application,
            details={"principal": assignment.principal.display_name},
        )
        assignment.delete()


# Tenant settings -------------------------------------------------------------

TENANT_SETTING_FIELDS = frozenset(
    {
        "display_name",
        "verified_domains",
        "privacy_statement_url",
        "branding_color",
        "owners_can_manage_group_membership_requests",
        "restrict_access_panel_groups",
        "users_can_create_security_groups",
        "users_can_create_m365_groups",
        "guest_user_role_id",
        "allow_invites_from",
        "email_otp_enabled",
        "collaboration_restriction",
        "collaboration_domains",
        "invitation_link_lifetime_days",
    }
)


def normalize_domain_list(text: str) -> str:
    """One lower-case domain per line, duplicates dropped; refuses anything that is not a domain."""
    # The limit applies to the stored list: browsers send a textarea's line breaks as CRLF, so the
    # raw text may be longer than what is stored. Beyond twice the limit it is refused unparsed.
    if len(text) > 2 * MAX_COLLABORATION_DOMAINS_LENGTH:
        raise PolicyError(DOMAIN_LIST_TOO_LONG)
    domains: dict[str, None] = {}
    for line in text.splitlines():
        domain = canonical_domain(line)
        if not domain:
            continue
        try:
            domain_validator(domain)
        except ValidationError as exc:
            raise PolicyError(INVALID_DOMAIN.format(domain=domain[:80])) from exc
        domains[domain] = None
    normalized = "\n".join(domains)
    if len(normalized) > MAX_COLLABORATION_DOMAINS_LENGTH:
        raise PolicyError(DOMAIN_LIST_TOO_LONG)
    return normalized


def update_tenant_settings(*, tenant: Tenant, actor: Actor, **changes: object) -> Tenant:
    """Change tenant settings; audits "Update authorization policy" with the changed names.

    As in Azure, switching the collaboration restriction mode discards the old domain list
    unless a new list comes with the switch.
    """
    unknown = set(changes) - TENANT_SETTING_FIELDS
    if unknown:
        raise TypeError(f"update_tenant_settings() can't change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        for key in ("collaboration_domains", "verified_domains"):
            if key in changes:
                changes[key] = normalize_domain_list(str(changes[key]))
        mode = changes.get("collaboration_restriction", tenant.collaboration_restriction)
        if (
            mode != tenant.collaboration_restriction
            and changes.get("collaboration_domains", tenant.collaboration_domains) == tenant.collaboration_domains
        ):
            changes["collaboration_domains"] = ""
        domains = changes.get("collaboration_domains", tenant.collaboration_domains)
        if mode == Tenant.CollaborationRestriction.ALLOW_ANY and domains:
            raise PolicyError(DOMAIN_LIST_NOT_ALLOWED)
        if mode != Tenant.CollaborationRestriction.ALLOW_ANY and not domains:
            raise PolicyError(DOMAIN_LIST_REQUIRED)
        changed = [name for name, value in changes.items() if getattr(tenant, name) != value]
        if not changed:
            return tenant
        for name in changed:
            setattr(tenant, name, changes[name])
        tenant.full_clean()
        tenant.save()
        record_event(
            tenant=tenant,
            activity=Activity.UPDATE_AUTHORIZATION_POLICY,
            actor=actor,
            target=tenant,
            details={"modifiedProperties": changed},
        )
    return tenant
