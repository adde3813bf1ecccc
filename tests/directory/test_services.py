"""Every directory service: the change it makes, its audit event, and each refusal changing nothing."""

from contextlib import contextmanager

import pytest

from directory import services
from directory.audit import Activity
from directory.models import (
    MAX_COLLABORATION_DOMAINS_LENGTH,
    Account,
    Application,
    AppRole,
    AppRoleAssignment,
    AuditEvent,
    DirectoryRoleAssignment,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Tenant,
)
from directory.services import PolicyError
from tests.factories import (
    ApplicationFactory,
    AppRoleAssignmentFactory,
    AppRoleFactory,
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)

Category = AuditEvent.Category
COUNTED_MODELS = [
    Account,
    Tenant,
    DirectoryUser,
    DirectoryRoleAssignment,
    Group,
    GroupOwner,
    GroupMember,
    Application,
    Application.self_service_approvers.through,
    AppRole,
    AppRoleAssignment,
    AuditEvent,
]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}


@contextmanager
def refused(message: str):
    """The block raises PolicyError with exactly `message` and leaves every table as it was."""
    before = row_counts()
    with pytest.raises(PolicyError) as excinfo:
        yield
    assert excinfo.value.messages == [message]
    assert row_counts() == before


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id"))


def assert_event(event: AuditEvent, *, activity: Activity, category: str, actor, target) -> None:
    assert event.activity == activity.value
    assert event.category == category
    assert event.result == AuditEvent.Result.SUCCESS
    if actor is None:
        assert event.initiated_by == "Access Portal"
        assert event.initiated_by_user is None
    elif isinstance(actor, DirectoryUser):
        assert event.initiated_by == actor.user_principal_name
        assert event.initiated_by_user == actor
    else:
        assert event.initiated_by == actor.email
        assert event.initiated_by_user is None
    assert event.target_type == type(target).__name__
    assert event.target_id == str(target.pk)
    assert event.target == str(target)
    assert event.tenant_id == getattr(target, "tenant_id", target.pk)


@pytest.fixture
def admin(tenant):
    return DirectoryUserFactory(tenant=tenant, display_name="Admin")


@pytest.fixture
def stranger(db):
    """A user of another tenant."""
    return DirectoryUserFactory(display_name="Stranger")


# Users -----------------------------------------------------------------------


def test_create_user_saves_member_with_lowercase_mail_and_audits_add_user(tenant, admin):
    user = services.create_user(
        tenant=tenant, actor=admin, display_name=" Alex Wilber ", mail="Alex.Wilber@Contoso.COM"
    )

    user.refresh_from_db()
    assert user.mail == "alex.wilber@contoso.com"
    assert user.user_principal_name == "alex.wilber@contoso.com"
    assert user.display_name == "Alex Wilber"
    assert user.user_type == DirectoryUser.UserType.MEMBER
    [event] = events()
    assert_event(event, activity=Activity.ADD_USER, category=Category.USER_MANAGEMENT, actor=admin, target=user)


def test_create_user_refuses_mail_used_in_same_tenant_whatever_its_case(tenant, admin):
    DirectoryUserFactory(tenant=tenant, mail="alex@contoso.com")

    with refused(services.MAIL_IN_USE.format(mail="alex@contoso.com", tenant=tenant)):
        services.create_user(
            tenant=tenant, actor=admin, display_name="Alex", mail="ALEX@contoso.com", user_principal_name="a2@x.example"
        )


def test_create_user_allows_same_mail_in_another_tenant(tenant, admin):
    DirectoryUserFactory(mail="alex@contoso.com", user_principal_name="alex@other.example")

    user = services.create_user(tenant=tenant, actor=admin, display_name="Alex", mail="alex@contoso.com")

    assert user.tenant == tenant


def test_create_user_refuses_user_principal_name_used_in_any_tenant(tenant, admin):
    DirectoryUserFactory(user_principal_name="alex@contoso.com")

    with refused(services.UPN_IN_USE.format(upn="Alex@Contoso.com")):
        services.create_user(
            tenant=tenant,
            actor=admin,
            display_name="Alex",
            mail="alex@x.example",
            user_principal_name="Alex@Contoso.com",
        )


def test_create_user_refuses_account_already_linked_in_tenant(tenant, admin):
    existing = DirectoryUserFactory(tenant=tenant)

    with refused(services.ACCOUNT_IN_USE.format(account=existing.account, tenant=tenant)):
        services.create_user(
            tenant=tenant, actor=admin, display_name="Twin", mail="twin@contoso.com", account=existing.account
        )


def test_create_user_links_one_account_in_several_tenants(tenant, admin):
    elsewhere = DirectoryUserFactory(mail="lee@fabrikam.com")

    user = services.create_user(
        tenant=tenant,
        actor=admin,
        display_name="Lee",
        mail="lee@fabrikam.com",
        user_principal_name="lee_fabrikam.com#EXT#@x.example",
        account=elsewhere.account,
    )

    assert set(elsewhere.account.directory_users.all()) == {elsewhere, user}


def test_create_user_refuses_actor_of_another_tenant(tenant, stranger):
    before = row_counts()

    with pytest.raises(ValueError, match="another tenant"):
        services.create_user(tenant=tenant, actor=stranger, display_name="Alex", mail="alex@contoso.com")

    assert row_counts() == before


def test_update_user_saves_changes_and_audits_changed_properties(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant, department="Sales", job_title="Rep")

    updated = services.update_user(
        user=user, actor=admin, department="Marketing", job_title="Rep", mail="New@X.example"
    )

    user.refresh_from_db()
    assert (user.department, user.job_title, user.mail) == ("Marketing", "Rep", "new@x.example")
    assert updated.department == "Marketing"
    [event] = events()
    assert_event(event, activity=Activity.UPDATE_USER, category=Category.USER_MANAGEMENT, actor=admin, target=user)
    assert event.details == {"modifiedProperties": ["department", "mail"]}


def test_update_user_without_change_writes_no_audit_event(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant, department="Sales")

    services.update_user(user=user, actor=admin, department="Sales")

    assert events() == []


def test_update_user_refuses_mail_of_another_user_and_changes_nothing(tenant, admin):
    DirectoryUserFactory(tenant=tenant, mail="taken@contoso.com")
    user = DirectoryUserFactory(tenant=tenant, mail="mine@contoso.com", department="Sales")

    with refused(services.MAIL_IN_USE.format(mail="taken@contoso.com", tenant=tenant)):
        services.update_user(user=user, actor=admin, mail="Taken@contoso.com", department="Marketing")

    user.refresh_from_db()
    assert (user.mail, user.department) == ("mine@contoso.com", "Sales")


def test_update_user_refuses_account_linked_to_another_user_of_tenant(tenant, admin):
    other = DirectoryUserFactory(tenant=tenant)
    user = DirectoryUserFactory(tenant=tenant)

    with refused(services.ACCOUNT_IN_USE.format(account=other.account, tenant=tenant)):
        services.update_user(user=user, actor=admin, account=other.account)


def test_update_user_refuses_unknown_property(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)

    with pytest.raises(TypeError, match="tenant"):
        services.update_user(user=user, actor=admin, tenant=TenantFactory())


def test_delete_user_deletes_member_and_audits_delete_user(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)
    GroupFactory(tenant=tenant, members=[user])
    user_id, description = str(user.pk), str(user)

    services.delete_user(user=user, actor=admin)

    assert not DirectoryUser.objects.filter(pk=user_id).exists()
    assert not GroupMember.objects.exists()
    [event] = events()
    assert event.activity == Activity.DELETE_USER
    assert event.category == Category.USER_MANAGEMENT
    assert (event.target_id, event.target, event.initiated_by) == (user_id, description, admin.user_principal_name)


def test_delete_user_audits_delete_external_user_for_guest(tenant, admin):
    guest = DirectoryUserFactory(tenant=tenant, pending=True)

    services.delete_user(user=guest, actor=admin)

    [event] = events()
    assert event.activity == Activity.DELETE_EXTERNAL_USER
    assert event.category == Category.USER_MANAGEMENT


def test_delete_user_refuses_last_owner_of_a_group(tenant, admin):
    owner = DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen")
    group = GroupFactory(tenant=tenant, display_name="Salesforce Users", owners=[owner])

    with refused(services.LAST_OWNER.format(group=group, name="Megan Bowen")):
        services.delete_user(user=owner, actor=admin)


def test_delete_user_allows_owner_when_group_has_another_owner(tenant, admin):
    owner = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner, admin])

    services.delete_user(user=owner, actor=admin)

    assert list(group.owner_links.values_list("user", flat=True)) == [admin.pk]


def test_delete_user_refuses_only_approver_of_an_app_requiring_approval(tenant, admin):
    approver = DirectoryUserFactory(tenant=tenant, display_name="Megan Bowen")
    app = ApplicationFactory(
        tenant=tenant,
        display_name="Salesforce",
        self_service_enabled=True,
        self_service_group=GroupFactory(tenant=tenant),
        self_service_approval_required=True,
    )
    app.self_service_approvers.set([approver])

    with refused(services.LAST_APPROVER.format(name="Megan Bowen", app=app)):
        services.delete_user(user=approver, actor=admin)


def test_delete_user_allows_approver_when_app_has_another(tenant, admin):
    approver = DirectoryUserFactory(tenant=tenant)
    app = ApplicationFactory(
        tenant=tenant,
        self_service_enabled=True,
        self_service_group=GroupFactory(tenant=tenant),
        self_service_approval_required=True,
    )
    app.self_service_approvers.set([approver, admin])

    services.delete_user(user=approver, actor=admin)

    assert list(app.self_service_approvers.all()) == [admin]


def test_delete_user_keeps_the_audit_events_the_user_initiated(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)
    group = services.create_group(tenant=tenant, actor=user, display_name="Marketing", owners=[admin])

    services.delete_user(user=user, actor=admin)

    initiated = AuditEvent.objects.filter(target_id=str(group.pk))
    assert initiated.count() == 2
    assert {(e.initiated_by, e.initiated_by_user_id) for e in initiated} == {(user.user_principal_name, None)}


def test_add_directory_role_assigns_once_and_audits_add_member_to_role(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)
    role = DirectoryRoleAssignment.Role.GUEST_INVITER

    first = services.add_directory_role(user=user, role=role, actor=admin)
    again = services.add_directory_role(user=user, role=role, actor=admin)

    assert first == again
    [event] = events()
    assert_event(
        event, activity=Activity.ADD_MEMBER_TO_ROLE, category=Category.USER_MANAGEMENT, actor=admin, target=user
    )
    assert event.details == {"role": "Guest Inviter"}


def test_add_directory_role_refuses_unknown_role(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)

    with refused(services.UNKNOWN_ROLE.format(role="Emperor")):
        services.add_directory_role(user=user, role="Emperor", actor=admin)


def test_remove_directory_role_deletes_and_audits_remove_member_from_role(tenant, admin):
    assignment = DirectoryRoleAssignmentFactory(user__tenant=tenant)

    services.remove_directory_role(assignment=assignment, actor=admin)

    assert not DirectoryRoleAssignment.objects.exists()
    [event] = events()
    assert_event(
        event,
        activity=Activity.REMOVE_MEMBER_FROM_ROLE,
        category=Category.USER_MANAGEMENT,
        actor=admin,
        target=assignment.user,
    )


def test_is_directory_admin_for_global_and_user_administrators_only(tenant):
    global_admin = DirectoryRoleAssignmentFactory(user__tenant=tenant).user
    user_admin = DirectoryRoleAssignmentFactory(
        user__tenant=tenant, role=DirectoryRoleAssignment.Role.USER_ADMINISTRATOR
    )
    inviter = DirectoryRoleAssignmentFactory(user__tenant=tenant, role=DirectoryRoleAssignment.Role.GUEST_INVITER)

    assert services.is_directory_admin(global_admin)
    assert services.is_directory_admin(user_admin.user)
    assert not services.is_directory_admin(inviter.user)
    assert not services.is_directory_admin(DirectoryUserFactory(tenant=tenant))


def test_guest_user_principal_name_has_the_ext_form(tenant):
    tenant.initial_domain = "fabrikam.onmicrosoft.com"

    upn = services.guest_user_principal_name(mail="John@Contoso.com", tenant=tenant)

    assert upn == "john_contoso.com#EXT#@fabrikam.onmicrosoft.com"


# Groups ----------------------------------------------------------------------


def test_create_group_saves_group_with_owners_and_audits_each(tenant, admin):
    owner = DirectoryUserFactory(tenant=tenant)

    group = services.create_group(
        tenant=tenant, actor=admin, display_name=" Marketing ", description="Team", owners=[owner, owner]
    )

    assert group.display_name == "Marketing"
    assert [link.user for link in group.owner_links.all()] == [owner]
    assert group.owner_links.get().added_by == admin
    add_group, add_owner = events()
    assert_event(add_group, activity=Activity.ADD_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group)
    assert_event(
        add_owner, activity=Activity.ADD_OWNER_TO_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group
    )
    assert add_owner.details == {"user": owner.user_principal_name}


def test_create_group_saves_dynamic_group_with_rule(tenant):
    group = services.create_group(
        tenant=tenant,
        actor=None,
        display_name="Sales",
        membership_type=Group.MembershipType.DYNAMIC_USER,
        membership_rule=' (user.department -eq "Sales") ',
    )

    group.refresh_from_db()
    assert group.is_dynamic
    assert group.membership_rule == '(user.department -eq "Sales")'


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"display_name": "  "}, services.GROUP_NAME_REQUIRED),
        ({"membership_type": Group.MembershipType.DYNAMIC_USER}, services.DYNAMIC_RULE_REQUIRED),
        ({"membership_rule": '(user.department -eq "Sales")'}, services.RULE_ONLY_FOR_DYNAMIC),
    ],
)
def test_create_group_refuses_invalid_properties(tenant, admin, properties, message):
    properties = {"display_name": "Sales", **properties}

    with refused(message):
        services.create_group(tenant=tenant, actor=admin, **properties)


def test_create_group_refuses_owner_of_another_tenant(tenant, admin, stranger):
    with refused(services.OTHER_TENANT.format(name="Stranger")):
        services.create_group(tenant=tenant, actor=admin, display_name="Sales", owners=[admin, stranger])


def test_update_group_saves_changes_and_audits_changed_properties(tenant, admin):
    group = GroupFactory(tenant=tenant, display_name="Sales")

    services.update_group(group=group, actor=admin, display_name="Sales EMEA", join_policy=Group.JoinPolicy.OPEN)

    group.refresh_from_db()
    assert (group.display_name, group.join_policy) == ("Sales EMEA", Group.JoinPolicy.OPEN)
    [event] = events()
    assert_event(event, activity=Activity.UPDATE_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group)
    assert event.details == {"modifiedProperties": ["display_name", "join_policy"]}


def test_update_group_without_change_writes_no_audit_event(tenant, admin):
    group = GroupFactory(tenant=tenant, display_name="Sales")

    services.update_group(group=group, actor=admin, display_name="Sales")

    assert events() == []


def test_update_group_makes_empty_group_dynamic(tenant, admin):
    group = GroupFactory(tenant=tenant)

    services.update_group(
        group=group, actor=admin, membership_type=Group.MembershipType.DYNAMIC_USER, membership_rule="(user.x -eq 1)"
    )

    group.refresh_from_db()
    assert group.is_dynamic


def test_update_group_refuses_making_group_with_members_dynamic(tenant, admin):
    group = GroupFactory(
        tenant=tenant, display_name="Sales", members=DirectoryUserFactory.create_batch(2, tenant=tenant)
    )

    with refused(services.MAKE_DYNAMIC_WITH_MEMBERS.format(group=group, count=2)):
        services.update_group(
            group=group,
            actor=admin,
            membership_type=Group.MembershipType.DYNAMIC_USER,
            membership_rule="(user.x -eq 1)",
        )

    group.refresh_from_db()
    assert not group.is_dynamic
    assert group.membership_rule == ""


def test_update_group_refuses_dynamic_without_rule(tenant, admin):
    group = GroupFactory(tenant=tenant)

    with refused(services.DYNAMIC_RULE_REQUIRED):
        services.update_group(group=group, actor=admin, membership_type=Group.MembershipType.DYNAMIC_USER)


@pytest.mark.parametrize(
    "changes",
    [
        {"membership_type": Group.MembershipType.DYNAMIC_USER, "membership_rule": "(user.x -eq 1)"},
        {"on_premises_sync_enabled": True},
    ],
)
def test_update_group_refuses_making_self_service_group_dynamic_or_synced(tenant, admin, changes):
    group = GroupFactory(tenant=tenant, display_name="Salesforce Users")
    app = ApplicationFactory(
        tenant=tenant, display_name="Salesforce", self_service_enabled=True, self_service_group=group
    )

    with refused(services.SELF_SERVICE_GROUP_MUST_STAY_ASSIGNED.format(group=group, app=app)):
        services.update_group(group=group, actor=admin, **changes)


def test_update_group_refuses_unknown_property(tenant, admin):
    with pytest.raises(TypeError, match="tenant"):
        services.update_group(group=GroupFactory(tenant=tenant), actor=admin, tenant=tenant)


def test_delete_group_deletes_it_turns_off_self_service_and_audits(tenant, admin):
    group = GroupFactory(tenant=tenant, owners=[admin], members=[admin])
    app = ApplicationFactory(tenant=tenant, self_service_enabled=True, self_service_group=group)
    group_id, description = str(group.pk), str(group)

    services.delete_group(group=group, actor=admin)

    assert not Group.objects.exists()
    assert not GroupMember.objects.exists()
    app.refresh_from_db()
    assert (app.self_service_enabled, app.self_service_group) == (False, None)
    [event] = events()
    assert (event.activity, event.category) == (Activity.DELETE_GROUP, Category.GROUP_MANAGEMENT)
    assert (event.target_id, event.target) == (group_id, description)


# Who may manage members --------------------------------------------------------


def test_check_can_manage_members_allows_owner_when_tenant_allows_self_service(tenant):
    owner = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner])

    services.check_can_manage_members(actor=owner, group=group)


def test_check_can_manage_members_refuses_member_who_is_not_owner(tenant):
    member = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, display_name="Marketing", members=[member])

    with refused(services.NOT_OWNER_OF_GROUP.format(group=group)):
        services.check_can_manage_members(actor=member, group=group)


def test_check_can_manage_members_refuses_owner_when_tenant_setting_is_off(db):
    tenant = TenantFactory(owners_can_manage_group_membership_requests=False)
    owner = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner])

    with refused(services.SELF_SERVICE_GROUPS_OFF):
        services.check_can_manage_members(actor=owner, group=group)


def test_check_can_manage_members_refuses_group_of_another_tenant(tenant, stranger):
    group = GroupFactory(tenant=tenant, display_name="Marketing")

    with refused(services.OTHER_TENANT.format(name="Marketing")):
        services.check_can_manage_members(actor=stranger, group=group)


# Members -----------------------------------------------------------------------


def test_add_group_member_adds_and_audits_add_member_to_group(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)

    link = services.add_group_member(group=group, user=user, actor=admin)

    assert (link.group, link.user, link.added_by) == (group, user, admin)
    [event] = events()
    assert_event(
        event, activity=Activity.ADD_MEMBER_TO_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group
    )
    assert event.details == {"user": user.user_principal_name, "userId": str(user.pk)}


def test_add_group_member_adds_pending_guest_to_assigned_group(tenant, admin):
    guest = DirectoryUserFactory(tenant=tenant, pending=True)
    group = GroupFactory(tenant=tenant)

    services.add_group_member(group=group, user=guest, actor=None)

    assert group.member_links.get().user == guest


@pytest.mark.parametrize("state", ["guest", "pending"])
def test_add_group_member_refuses_guest_in_dynamic_group(tenant, admin, state):
    guest = DirectoryUserFactory(tenant=tenant, **{state: True})
    group = GroupFactory(tenant=tenant, dynamic=True)

    with refused(services.GUEST_DYNAMIC_GROUP):
        services.add_group_member(group=group, user=guest, actor=admin)


@pytest.mark.parametrize("state", ["guest", "pending"])
def test_add_group_member_refuses_guest_in_synced_group(tenant, admin, state):
    guest = DirectoryUserFactory(tenant=tenant, **{state: True})
    group = GroupFactory(tenant=tenant, synced=True)

    with refused(services.GUEST_SYNCED_GROUP):
        services.add_group_member(group=group, user=guest, actor=admin)


def test_add_group_member_refuses_member_in_dynamic_group(tenant, admin):
    group = GroupFactory(tenant=tenant, dynamic=True, display_name="Sales")
    user = DirectoryUserFactory(tenant=tenant)

    with refused(services.DYNAMIC_GROUP_NO_MANUAL_MEMBERS.format(group=group)):
        services.add_group_member(group=group, user=user, actor=admin)


def test_add_group_member_refuses_member_in_synced_group(tenant, admin):
    group = GroupFactory(tenant=tenant, synced=True, display_name="HR")
    user = DirectoryUserFactory(tenant=tenant)

    with refused(services.SYNCED_GROUP_READ_ONLY.format(group=group)):
        services.add_group_member(group=group, user=user, actor=admin)


def test_add_group_member_refuses_existing_member(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant, display_name="Alex")
    group = GroupFactory(tenant=tenant, display_name="Sales", members=[user])

    with refused(services.ALREADY_MEMBER.format(name="Alex", group=group)):
        services.add_group_member(group=group, user=user, actor=admin)


def test_add_group_member_refuses_user_of_another_tenant(tenant, admin, stranger):
    group = GroupFactory(tenant=tenant)

    with refused(services.OTHER_TENANT.format(name="Stranger")):
        services.add_group_member(group=group, user=stranger, actor=admin)


def test_add_group_member_refuses_actor_of_another_tenant(tenant, stranger):
    group = GroupFactory(tenant=tenant)
    user = DirectoryUserFactory(tenant=tenant)
    before = row_counts()

    with pytest.raises(ValueError, match="another tenant"):
        services.add_group_member(group=group, user=user, actor=stranger)

    assert row_counts() == before


def test_remove_group_member_removes_and_audits_remove_member_from_group(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, members=[user])

    services.remove_group_member(group=group, user=user, actor=admin)

    assert not group.member_links.exists()
    [event] = events()
    assert_event(
        event, activity=Activity.REMOVE_MEMBER_FROM_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group
    )
    assert event.details == {"user": user.user_principal_name, "userId": str(user.pk)}


def test_remove_group_member_refuses_user_who_is_not_a_member(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant, display_name="Alex")
    group = GroupFactory(tenant=tenant, display_name="Sales")

    with refused(services.NOT_A_MEMBER.format(name="Alex", group=group)):
        services.remove_group_member(group=group, user=user, actor=admin)


@pytest.mark.parametrize(
    ("trait", "message"),
    [("dynamic", services.DYNAMIC_GROUP_NO_MANUAL_MEMBERS), ("synced", services.SYNCED_GROUP_READ_ONLY)],
)
def test_remove_group_member_refuses_dynamic_and_synced_groups(tenant, admin, trait, message):
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, display_name="Sales", **{trait: True})
    # Written directly: these memberships come from the rule or from on-premises, not from a service.
    GroupMember.objects.create(group=group, user=user)

    with refused(message.format(group=group)):
        services.remove_group_member(group=group, user=user, actor=admin)


# Owners ------------------------------------------------------------------------


def test_add_group_owner_adds_and_audits_add_owner_to_group(tenant, admin):
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, dynamic=True)

    link = services.add_group_owner(group=group, user=user, actor=admin)

    assert (link.user, link.added_by) == (user, admin)
    [event] = events()
    assert_event(
        event, activity=Activity.ADD_OWNER_TO_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group
    )
    assert event.details == {"user": user.user_principal_name, "userId": str(user.pk)}


def test_add_group_owner_refuses_existing_owner(tenant, admin):
    group = GroupFactory(tenant=tenant, display_name="Sales", owners=[admin])

    with refused(services.ALREADY_OWNER.format(name="Admin", group=group)):
        services.add_group_owner(group=group, user=admin, actor=admin)


def test_add_group_owner_refuses_user_of_another_tenant(tenant, admin, stranger):
    group = GroupFactory(tenant=tenant)

    with refused(services.OTHER_TENANT.format(name="Stranger")):
        services.add_group_owner(group=group, user=stranger, actor=admin)


def test_remove_group_owner_removes_and_audits_remove_owner_from_group(tenant, admin):
    owner = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner, admin])

    services.remove_group_owner(group=group, user=owner, actor=admin)

    assert [link.user for link in group.owner_links.all()] == [admin]
    [event] = events()
    assert_event(
        event, activity=Activity.REMOVE_OWNER_FROM_GROUP, category=Category.GROUP_MANAGEMENT, actor=admin, target=group
    )


def test_remove_group_owner_refuses_last_owner(tenant, admin):
    group = GroupFactory(tenant=tenant, display_name="Sales", owners=[admin])

    with refused(services.LAST_OWNER.format(group=group, name="Admin")):
        services.remove_group_owner(group=group, user=admin, actor=admin)


def test_remove_group_owner_refuses_user_who_is_not_an_owner(tenant, admin):
    group = GroupFactory(tenant=tenant, display_name="Sales", owners=[DirectoryUserFactory(tenant=tenant)])

    with refused(services.NOT_AN_OWNER.format(name="Admin", group=group)):
        services.remove_group_owner(group=group, user=admin, actor=admin)


# Applications ------------------------------------------------------------------


def test_create_application_saves_it_with_default_access_role_and_audits(tenant, admin):
    app = services.create_application(
        tenant=tenant, actor=admin, display_name=" Salesforce ", homepage_url="https://login.salesforce.com/"
    )

    assert app.display_name == "Salesforce"
    assert [role.display_name for role in app.app_roles.all()] == ["Default Access"]
    [event] = events()
    assert_event(
        event,
        activity=Activity.ADD_SERVICE_PRINCIPAL,
        category=Category.APPLICATION_MANAGEMENT,
        actor=admin,
        target=app,
    )


def test_create_application_refuses_self_service_before_it_exists(tenant, admin):
    with refused(services.SELF_SERVICE_AFTER_CREATE):
        services.create_application(tenant=tenant, actor=admin, display_name="Salesforce", self_service_enabled=True)


def test_update_application_saves_properties_and_audits_update_service_principal(tenant, admin):
    app = ApplicationFactory(tenant=tenant)

    services.update_application(application=app, actor=admin, notes="Sales team CRM", visible_to_users=False)

    app.refresh_from_db()
    assert (app.notes, app.visible_to_users) == ("Sales team CRM", False)
    [event] = events()
    assert_event(
        event,
        activity=Activity.UPDATE_SERVICE_PRINCIPAL,
        category=Category.APPLICATION_MANAGEMENT,
        actor=admin,
        target=app,
    )
    assert event.details == {"modifiedProperties": ["notes", "visible_to_users"]}


def test_update_application_refuses_notes_over_1024_characters(tenant, admin):
    app = ApplicationFactory(tenant=tenant)

    with refused(services.NOTES_TOO_LONG):
        services.update_application(application=app, actor=admin, notes="x" * 1025)

    services.update_application(application=app, actor=admin, notes="x" * 1024)
    app.refresh_from_db()
    assert len(app.notes) == 1024


def test_create_application_refuses_notes_over_1024_characters(tenant, admin):
    with refused(services.NOTES_TOO_LONG):
        services.create_application(tenant=tenant, actor=admin, display_name="Salesforce", notes="x" * 1025)


def test_update_application_turning_on_self_service_assigns_group_with_default_access(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)

    services.update_application(application=app, actor=admin, self_service_enabled=True, self_service_group=group)

    assignment = AppRoleAssignment.objects.get()
    assert (assignment.application, assignment.principal_group, assignment.principal_user) == (app, group, None)
    assert assignment.app_role.display_name == "Default Access"
    assign, update = events()
    assert_event(
        assign,
        activity=Activity.ADD_APP_ROLE_ASSIGNMENT,
        category=Category.APPLICATION_MANAGEMENT,
        actor=admin,
        target=app,
    )
    assert_event(
        update,
        activity=Activity.UPDATE_SERVICE_PRINCIPAL,
        category=Category.APPLICATION_MANAGEMENT,
        actor=admin,
        target=app,
    )
    assert update.details == {"modifiedProperties": ["self_service_enabled", "self_service_group"]}


def test_update_application_self_service_uses_the_chosen_role(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    role = AppRoleFactory(application=app, display_name="Sales Rep")

    services.update_application(
        application=app,
        actor=admin,
        self_service_enabled=True,
        self_service_group=GroupFactory(tenant=tenant),
        self_service_role=role,
    )

    assert AppRoleAssignment.objects.get().app_role == role


def test_update_application_keeps_existing_group_assignment_when_self_service_turns_on(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)
    AppRoleAssignmentFactory(application=app, principal_user=None, principal_group=group)

    services.update_application(application=app, actor=admin, self_service_enabled=True, self_service_group=group)

    assert AppRoleAssignment.objects.count() == 1
    assert [e.activity for e in events()] == [Activity.UPDATE_SERVICE_PRINCIPAL]


def test_update_application_unrelated_edit_does_not_reassign_self_service_group(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)
    services.update_application(application=app, actor=admin, self_service_enabled=True, self_service_group=group)
    services.unassign_app(assignment=AppRoleAssignment.objects.get(), actor=admin)

    services.update_application(application=app, actor=admin, notes="Renamed")

    assert not AppRoleAssignment.objects.exists()


def test_update_application_sets_up_to_10_approvers(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    approvers = DirectoryUserFactory.create_batch(10, tenant=tenant)

    services.update_application(
        application=app,
        actor=admin,
        self_service_enabled=True,
        self_service_group=GroupFactory(tenant=tenant),
        self_service_approval_required=True,
        self_service_approvers=approvers,
    )

    assert set(app.self_service_approvers.all()) == set(approvers)
    assert "self_service_approvers" in events()[-1].details["modifiedProperties"]


def test_update_application_refuses_11_approvers(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    approvers = DirectoryUserFactory.create_batch(11, tenant=tenant)

    with refused(services.TOO_MANY_APPROVERS):
        services.update_application(application=app, actor=admin, self_service_approvers=approvers)


def test_update_application_refuses_approver_of_another_tenant(tenant, admin, stranger):
    app = ApplicationFactory(tenant=tenant)

    with refused(services.OTHER_TENANT.format(name="Stranger")):
        services.update_application(application=app, actor=admin, self_service_approvers=[admin, stranger])


def test_update_application_refuses_self_service_without_group(tenant, admin):
    app = ApplicationFactory(tenant=tenant)

    with refused(services.SELF_SERVICE_GROUP_REQUIRED):
        services.update_application(application=app, actor=admin, self_service_enabled=True)

    app.refresh_from_db()
    assert not app.self_service_enabled


@pytest.mark.parametrize("trait", ["dynamic", "synced"])
def test_update_application_refuses_dynamic_or_synced_self_service_group(tenant, admin, trait):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, display_name="Sales", **{trait: True})

    with refused(services.SELF_SERVICE_GROUP_NOT_ASSIGNED.format(group=group)):
        services.update_application(application=app, actor=admin, self_service_enabled=True, self_service_group=group)


@pytest.mark.parametrize("enabled", [True, False])
def test_update_application_refuses_self_service_group_of_another_tenant(tenant, admin, enabled):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(display_name="Elsewhere")

    with refused(services.OTHER_TENANT.format(name="Elsewhere")):
        services.update_application(
            application=app, actor=admin, self_service_enabled=enabled, self_service_group=group
        )

    app.refresh_from_db()
    assert app.self_service_group is None


def test_update_application_refuses_approval_without_approvers(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)

    with refused(services.APPROVERS_REQUIRED):
        services.update_application(
            application=app,
            actor=admin,
            self_service_enabled=True,
            self_service_group=group,
            self_service_approval_required=True,
        )


def test_update_application_refuses_role_of_another_application(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    role = AppRoleFactory(application=ApplicationFactory(tenant=tenant), display_name="Reader")

    with refused(services.ROLE_OF_OTHER_APP.format(role=role)):
        services.update_application(application=app, actor=admin, self_service_role=role)


def test_update_application_refuses_unknown_property(tenant, admin):
    with pytest.raises(TypeError, match="tenant"):
        services.update_application(application=ApplicationFactory(tenant=tenant), actor=admin, tenant=tenant)


# Assignments -------------------------------------------------------------------


def test_assign_app_assigns_user_with_default_access_and_audits(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    user = DirectoryUserFactory(tenant=tenant)

    assignment = services.assign_app(application=app, principal=user, actor=admin)

    assert (assignment.principal_user, assignment.principal_group) == (user, None)
    assert assignment.app_role.display_name == "Default Access"
    [event] = events()
    assert_event(
        event,
        activity=Activity.ADD_APP_ROLE_ASSIGNMENT,
        category=Category.APPLICATION_MANAGEMENT,
        actor=admin,
        target=app,
    )
    assert event.details == {"principal": user.display_name, "principalType": "User", "role": "Default Access"}


def test_assign_app_assigns_group_with_chosen_role(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)
    role = AppRoleFactory(application=app, display_name="Reader")

    assignment = services.assign_app(application=app, principal=group, actor=admin, app_role=role)

    assert (assignment.principal_user, assignment.principal_group, assignment.app_role) == (None, group, role)
    assert events()[0].details == {"principal": group.display_name, "principalType": "Group", "role": "Reader"}


@pytest.mark.parametrize("kind", ["user", "group"])
def test_assign_app_refuses_principal_already_assigned(tenant, admin, kind):
    app = ApplicationFactory(tenant=tenant, display_name="Salesforce")
    principal = (
        DirectoryUserFactory(tenant=tenant, display_name="Sales")
        if kind == "user"
        else GroupFactory(tenant=tenant, display_name="Sales")
    )
    services.assign_app(application=app, principal=principal, actor=admin)

    with refused(services.ALREADY_ASSIGNED.format(name="Sales", app=app)):
        services.assign_app(application=app, principal=principal, actor=admin)


@pytest.mark.parametrize("kind", ["user", "group"])
def test_assign_app_refuses_principal_of_another_tenant(tenant, admin, kind):
    app = ApplicationFactory(tenant=tenant)
    principal = (
        DirectoryUserFactory(display_name="Elsewhere") if kind == "user" else GroupFactory(display_name="Elsewhere")
    )

    with refused(services.OTHER_TENANT.format(name="Elsewhere")):
        services.assign_app(application=app, principal=principal, actor=admin)


def test_assign_app_refuses_role_of_another_application(tenant, admin):
    app = ApplicationFactory(tenant=tenant)
    role = AppRoleFactory(application=ApplicationFactory(tenant=tenant), display_name="Reader")

    with refused(services.ROLE_OF_OTHER_APP.format(role=role)):
        services.assign_app(application=app, principal=admin, actor=admin, app_role=role)


def test_unassign_app_removes_assignment_and_audits(tenant, admin):
    assignment = AppRoleAssignmentFactory(application__tenant=tenant)

    services.unassign_app(assignment=assignment, actor=admin)

    assert not AppRoleAssignment.objects.exists()
    [event] = events()
    assert_event(
        event,
        activity=Activity.REMOVE_APP_ROLE_ASSIGNMENT,
        category=Category.APPLICATION_MANAGEMENT,
        actor=admin,
        target=assignment.application,
    )
    assert event.details == {"principal": assignment.principal_user.display_name}


# Tenant settings ---------------------------------------------------------------


def test_update_tenant_settings_saves_and_audits_update_authorization_policy(tenant, admin):
    services.update_tenant_settings(
        tenant=tenant,
        actor=admin,
        owners_can_manage_group_membership_requests=False,
        allow_invites_from=Tenant.AllowInvitesFrom.ADMINS_AND_GUEST_INVITERS,
    )

    tenant.refresh_from_db()
    assert not tenant.owners_can_manage_group_membership_requests
    assert tenant.allow_invites_from == "adminsAndGuestInviters"
    [event] = events()
    assert (event.activity, event.category) == (Activity.UPDATE_AUTHORIZATION_POLICY, Category.POLICY)
    assert (event.target_type, event.target_id, event.initiated_by) == (
        "Tenant",
        str(tenant.pk),
        admin.user_principal_name,
    )
    assert event.details == {
        "modifiedProperties": ["owners_can_manage_group_membership_requests", "allow_invites_from"]
    }


def test_update_tenant_settings_without_change_writes_no_audit_event(tenant, admin):
    services.update_tenant_settings(tenant=tenant, actor=admin, email_otp_enabled=tenant.email_otp_enabled)

    assert events() == []


def test_update_tenant_settings_normalizes_domain_list(tenant, admin):
    services.update_tenant_settings(
        tenant=tenant,
        actor=admin,
        collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED,
        collaboration_domains=" Fabrikam.com \r\n\r\nfabrikam.com\nwoodgrove.example\n",
    )

    tenant.refresh_from_db()
    assert tenant.collaboration_domains == "fabrikam.com\nwoodgrove.example"
    assert tenant.collaboration_domain_list == ["fabrikam.com", "woodgrove.example"]


def deny_fabrikam(tenant: Tenant) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(
        collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED, collaboration_domains="fabrikam.com"
    )


def test_update_tenant_settings_switching_mode_discards_the_list(tenant, admin):
    deny_fabrikam(tenant)

    services.update_tenant_settings(
        tenant=tenant, actor=admin, collaboration_restriction=Tenant.CollaborationRestriction.ALLOW_ANY
    )

    tenant.refresh_from_db()
    assert (tenant.collaboration_restriction, tenant.collaboration_domains) == ("allowAny", "")
    assert events()[0].details == {"modifiedProperties": ["collaboration_restriction", "collaboration_domains"]}


def test_update_tenant_settings_switching_listed_mode_without_new_list_is_refused(tenant, admin):
    deny_fabrikam(tenant)

    with refused(services.DOMAIN_LIST_REQUIRED):
        services.update_tenant_settings(
            tenant=tenant, actor=admin, collaboration_restriction=Tenant.CollaborationRestriction.ALLOW_LISTED
        )

    tenant.refresh_from_db()
    assert (tenant.collaboration_restriction, tenant.collaboration_domains) == ("denyListed", "fabrikam.com")


def test_update_tenant_settings_switching_mode_takes_the_new_list(tenant, admin):
    deny_fabrikam(tenant)

    services.update_tenant_settings(
        tenant=tenant,
        actor=admin,
        collaboration_restriction=Tenant.CollaborationRestriction.ALLOW_LISTED,
        collaboration_domains="contoso.com",
    )

    tenant.refresh_from_db()
    assert (tenant.collaboration_restriction, tenant.collaboration_domains) == ("allowListed", "contoso.com")


def test_update_tenant_settings_refuses_list_with_allow_any(tenant, admin):
    with refused(services.DOMAIN_LIST_NOT_ALLOWED):
        services.update_tenant_settings(tenant=tenant, actor=admin, collaboration_domains="fabrikam.com")


def test_update_tenant_settings_refuses_listed_mode_without_domains(tenant, admin):
    with refused(services.DOMAIN_LIST_REQUIRED):
        services.update_tenant_settings(
            tenant=tenant,
            actor=admin,
            collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED,
            collaboration_domains="\n  \n",
        )


@pytest.mark.parametrize("bad", ["not a domain", "fabrikam", "@fabrikam.com", "-x.com", "https://fabrikam.com"])
def test_update_tenant_settings_refuses_invalid_domain(tenant, admin, bad):
    with refused(services.INVALID_DOMAIN.format(domain=bad.lower())):
        services.update_tenant_settings(
            tenant=tenant,
            actor=admin,
            collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED,
            collaboration_domains=f"fabrikam.com\n{bad}",
        )


def long_domain_list(length: int) -> str:
    """Distinct valid domains, one per line, exactly `length` characters long."""
    domains = [f"d{n:05}.example" for n in range(length // 15 + 1)]
    text = "\n".join(domains)[:length]
    while not text.endswith(".example"):  # trim a cut-off last domain, then pad the first to the length
        text = text.rsplit("\n", 1)[0]
    return "x" * (length - len(text)) + text


def test_update_tenant_settings_accepts_list_of_exactly_25000_characters(tenant, admin):
    domains = long_domain_list(MAX_COLLABORATION_DOMAINS_LENGTH)
    assert len(domains) == MAX_COLLABORATION_DOMAINS_LENGTH

    services.update_tenant_settings(
        tenant=tenant,
        actor=admin,
        collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED,
        collaboration_domains=domains,
    )

    tenant.refresh_from_db()
    assert tenant.collaboration_domains == domains


def test_update_tenant_settings_measures_the_stored_list_not_the_browsers_line_endings(tenant, admin):
    domains = long_domain_list(MAX_COLLABORATION_DOMAINS_LENGTH)

    services.update_tenant_settings(
        tenant=tenant,
        actor=admin,
        collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED,
        collaboration_domains=domains.replace("\n", "\r\n") + "\r\n",
    )

    tenant.refresh_from_db()
    assert tenant.collaboration_domains == domains


def test_update_tenant_settings_refuses_list_over_25000_characters(tenant, admin):
    with refused(services.DOMAIN_LIST_TOO_LONG):
        services.update_tenant_settings(
            tenant=tenant,
            actor=admin,
            collaboration_restriction=Tenant.CollaborationRestriction.DENY_LISTED,
            collaboration_domains=long_domain_list(MAX_COLLABORATION_DOMAINS_LENGTH + 1),
        )


def test_update_tenant_settings_normalizes_verified_domains(tenant, admin):
    services.update_tenant_settings(tenant=tenant, actor=admin, verified_domains="Contoso.com\ncontoso.com\n")

    tenant.refresh_from_db()
    assert tenant.verified_domain_list == ["contoso.com"]
    assert tenant.primary_domain == "contoso.com"


def test_update_tenant_settings_refuses_unknown_setting(tenant, admin):
    with pytest.raises(TypeError, match="initial_domain"):
        services.update_tenant_settings(tenant=tenant, actor=admin, initial_domain="x.onmicrosoft.com")
