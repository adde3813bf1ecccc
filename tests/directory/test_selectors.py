"""What a directory user may see: My Apps, Groups I own, Groups I'm in, and which tenants an account enters."""

import pytest

from directory.models import AppRole, AppRoleAssignment, GroupMember, GroupOwner
from directory.selectors import apps_for_user, directory_users_for_account, groups_owned_by, groups_user_is_in
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)


def assign_user(app, user) -> AppRoleAssignment:
    return AppRoleAssignmentFactory(application=app, principal_user=user)


def assign_group(app, group) -> AppRoleAssignment:
    return AppRoleAssignmentFactory(application=app, principal_user=None, principal_group=group)


# My Apps -----------------------------------------------------------------------


def test_apps_for_user_lists_directly_assigned_apps_by_name(member):
    tenant = member.tenant
    for name in ["Workday", "Salesforce"]:
        assign_user(ApplicationFactory(tenant=tenant, display_name=name), member)
    ApplicationFactory(tenant=tenant, display_name="Not assigned")
    assign_user(ApplicationFactory(tenant=tenant, display_name="Someone else's"), DirectoryUserFactory(tenant=tenant))

    assert [app.display_name for app in apps_for_user(user=member)] == ["Salesforce", "Workday"]


def test_apps_for_user_lists_apps_assigned_to_the_users_groups(member):
    tenant = member.tenant
    group = GroupFactory(tenant=tenant, members=[member])
    other_group = GroupFactory(tenant=tenant, members=[DirectoryUserFactory(tenant=tenant)])
    assign_group(ApplicationFactory(tenant=tenant, display_name="Salesforce"), group)
    assign_group(ApplicationFactory(tenant=tenant, display_name="Payroll"), other_group)

    assert [app.display_name for app in apps_for_user(user=member)] == ["Salesforce"]


def test_apps_for_user_does_not_count_ownership_as_membership(member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    assign_group(ApplicationFactory(tenant=member.tenant), group)

    assert list(apps_for_user(user=member)) == []


@pytest.mark.parametrize("trait", ["hidden", "disabled"])
def test_apps_for_user_excludes_hidden_and_disabled_apps(member, trait):
    tenant = member.tenant
    group = GroupFactory(tenant=tenant, members=[member])
    assign_user(ApplicationFactory(tenant=tenant, **{trait: True}), member)
    assign_group(ApplicationFactory(tenant=tenant, **{trait: True}), group)
    visible = ApplicationFactory(tenant=tenant)
    assign_user(visible, member)

    assert list(apps_for_user(user=member)) == [visible]


def test_apps_for_user_excludes_apps_of_another_tenant(member):
    foreign = ApplicationFactory(tenant=TenantFactory())
    # Written directly: no service would assign a user to another tenant's app, the selector must still hold.
    AppRoleAssignment.objects.create(
        application=foreign,
        app_role=AppRole.objects.get(application=foreign),
        principal_user=member,
    )
    foreign_group = GroupFactory(tenant=foreign.tenant)
    GroupMember.objects.create(group=foreign_group, user=member)
    assign_group(ApplicationFactory(tenant=foreign.tenant), foreign_group)

    assert list(apps_for_user(user=member)) == []


def test_apps_for_user_lists_app_once_when_assigned_directly_and_through_groups(member):
    tenant = member.tenant
    app = ApplicationFactory(tenant=tenant)
    assign_user(app, member)
    for group in GroupFactory.create_batch(2, tenant=tenant, members=[member]):
        assign_group(app, group)

    assert list(apps_for_user(user=member)) == [app]


@pytest.mark.parametrize("count", [1, 50])
def test_apps_for_user_takes_one_query_whatever_the_number_of_apps(member, django_assert_num_queries, count):
    tenant = member.tenant
    group = GroupFactory(tenant=tenant, members=[member])
    for n in range(count):
        app = ApplicationFactory(tenant=tenant)
        assign_user(app, member)
        if n % 2:
            assign_group(app, group)

    with django_assert_num_queries(1):
        apps = [(app.display_name, app.launch_url, app.single_sign_on_mode) for app in apps_for_user(user=member)]

    assert len(apps) == count


# Groups ------------------------------------------------------------------------


def test_groups_owned_by_lists_owned_groups_with_member_count(member):
    tenant = member.tenant
    others = DirectoryUserFactory.create_batch(3, tenant=tenant)
    GroupFactory(tenant=tenant, display_name="Sales", owners=[member, others[0]], members=others)
    GroupFactory(tenant=tenant, display_name="Marketing", owners=[member])
    GroupFactory(tenant=tenant, display_name="Finance", owners=[others[0]], members=[member])

    groups = groups_owned_by(user=member)

    assert [(g.display_name, g.member_count) for g in groups] == [("Marketing", 0), ("Sales", 3)]


def test_groups_owned_by_excludes_groups_of_another_tenant(member):
    GroupOwner.objects.create(group=GroupFactory(tenant=TenantFactory()), user=member)

    assert list(groups_owned_by(user=member)) == []


@pytest.mark.parametrize("count", [1, 50])
def test_groups_owned_by_takes_one_query_whatever_the_number_of_groups(member, django_assert_num_queries, count):
    tenant = member.tenant
    other = DirectoryUserFactory(tenant=tenant)
    GroupFactory.create_batch(count, tenant=tenant, owners=[member, other], members=[member, other])

    with django_assert_num_queries(1):
        groups = [(g.display_name, g.member_count) for g in groups_owned_by(user=member)]

    assert len(groups) == count
    assert {n for _, n in groups} == {2}


def test_groups_user_is_in_lists_member_groups_with_count_and_ownership(member):
    tenant = member.tenant
    other = DirectoryUserFactory(tenant=tenant)
    GroupFactory(tenant=tenant, display_name="Sales", owners=[member], members=[member, other])
    GroupFactory(tenant=tenant, display_name="Marketing", owners=[other], members=[member])
    GroupFactory(tenant=tenant, display_name="Finance", owners=[member])
    GroupFactory(tenant=tenant, display_name="Legal", members=[other])

    groups = groups_user_is_in(user=member)

    assert [(g.display_name, g.member_count, g.is_owner) for g in groups] == [
        ("Marketing", 1, False),
        ("Sales", 2, True),
    ]


def test_groups_user_is_in_excludes_groups_of_another_tenant(member):
    GroupMember.objects.create(group=GroupFactory(tenant=TenantFactory()), user=member)

    assert list(groups_user_is_in(user=member)) == []


@pytest.mark.parametrize("count", [1, 50])
def test_groups_user_is_in_takes_one_query_whatever_the_number_of_groups(member, django_assert_num_queries, count):
    tenant = member.tenant
    other = DirectoryUserFactory(tenant=tenant)
    GroupFactory.create_batch(count, tenant=tenant, owners=[other], members=[member, other])

    with django_assert_num_queries(1):
        groups = [(g.display_name, g.member_count, g.is_owner) for g in groups_user_is_in(user=member)]

    assert len(groups) == count
    assert {(n, owner) for _, n, owner in groups} == {(2, False)}


# Tenants an account can enter --------------------------------------------------


def test_directory_users_for_account_lists_members_and_accepted_guests_by_tenant_name(db):
    account = AccountFactory(email="lee.gu@fabrikam.com")
    home = DirectoryUserFactory(tenant=TenantFactory(display_name="Fabrikam"), account=account, mail=account.email)
    guest = DirectoryUserFactory(tenant=TenantFactory(display_name="Contoso"), account=account, guest=True)
    DirectoryUserFactory(tenant=TenantFactory(display_name="Adatum"), account=account, disabled=True)
    DirectoryUserFactory(tenant=TenantFactory(display_name="Woodgrove"), pending=True, mail=account.email)
    DirectoryUserFactory(tenant=home.tenant)

    assert list(directory_users_for_account(account=account)) == [guest, home]


def test_directory_users_for_account_excludes_disabled_accepted_guest(db):
    guest = DirectoryUserFactory(guest=True, disabled=True)

    assert list(directory_users_for_account(account=guest.account)) == []


@pytest.mark.parametrize("count", [1, 50])
def test_directory_users_for_account_takes_one_query_whatever_the_number_of_tenants(
    db, django_assert_num_queries, count
):
    account = AccountFactory()
    DirectoryUserFactory.create_batch(count, account=account, guest=True)

    with django_assert_num_queries(1):
        names = [user.tenant.display_name for user in directory_users_for_account(account=account)]

    assert len(names) == count
