"""The apps version (AppsChange): every change to what My Apps shows changes it, however it is written."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from directory.models import AppRoleAssignment, AppsChange, GroupMember, GroupOwner, Tenant
from directory.selectors import apps_version
from tests.factories import (
    ApplicationFactory,
    AppRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)


def version_of(tenant) -> int:
    return Tenant.objects.annotate(version=apps_version("pk")).get(pk=tenant.pk).version


@pytest.fixture
def app(tenant):
    return ApplicationFactory(tenant=tenant)


@pytest.fixture
def group(tenant):
    return GroupFactory(tenant=tenant)


# Each change, written the way that skips Django's signals where there is one.
CHANGES = {
    "app created": lambda app, group, user: ApplicationFactory(tenant=app.tenant),
    "app renamed (queryset update)": lambda app, group, user: (
        type(app).objects.filter(pk=app.pk).update(display_name="Renamed")
    ),
    "app hidden (save)": lambda app, group, user: (setattr(app, "visible_to_users", False), app.save()),
    "app deleted": lambda app, group, user: app.delete(),
    "user assigned": lambda app, group, user: AppRoleAssignmentFactory(application=app, principal_user=user),
    "group assigned (bulk insert)": lambda app, group, user: AppRoleAssignment.objects.bulk_create(
        [AppRoleAssignment(application=app, app_role=app.app_roles.get(), principal_group=group)]
    ),
    "member added (bulk insert)": lambda app, group, user: GroupMember.objects.bulk_create(
        [GroupMember(group=group, user=DirectoryUserFactory(tenant=group.tenant))]
    ),
    "member removed (raw SQL)": lambda app, group, user: connection.cursor().execute(
        "DELETE FROM directory_groupmember WHERE group_id = %s",
        [GroupMember._meta.get_field("group").get_db_prep_value(group.pk, connection)],
    ),
    "owner added": lambda app, group, user: GroupOwner.objects.create(group=group, user=user),
    "group deleted": lambda app, group, user: group.delete(),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_kind_of_change_gives_the_tenant_a_new_apps_version(change, tenant, app, group, member):
    GroupMember.objects.create(group=group, user=member)
    before = version_of(tenant)

    CHANGES[change](app, group, member)

    assert version_of(tenant) != before


def test_a_change_in_one_tenant_leaves_another_tenants_version(tenant, app, member):
    other = TenantFactory()
    ApplicationFactory(tenant=other)
    before = version_of(other)

    AppRoleAssignmentFactory(application=app, principal_user=member)
    app.delete()

    assert version_of(other) == before


def test_changes_that_show_nowhere_on_my_apps_leave_the_version(tenant, member):
    before = version_of(tenant)

    member.display_name = "Renamed person"
    member.save()
    GroupFactory(tenant=tenant)

    assert version_of(tenant) == before


def test_every_statement_inside_one_transaction_gives_a_new_version(tenant, app, member):
    # A page read between two changes of one transaction must not be kept past the second.
    with transaction.atomic():
        versions = [version_of(tenant)]
        for display_name in ("First", "Second", "Third"):
            type(app).objects.filter(pk=app.pk).update(display_name=display_name)
            versions.append(version_of(tenant))

    assert len(set(versions)) == 4


def test_a_deleted_tenant_leaves_no_change_rows(tenant, app, group, member):
    AppRoleAssignmentFactory(application=app, principal_group=group, principal_user=None)
    GroupMember.objects.create(group=group, user=member)
    assert AppsChange.objects.filter(tenant=tenant).exists()

    tenant.delete()

    assert not AppsChange.objects.filter(tenant_id=tenant.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_committed_changes_keep_few_rows_and_every_commit_gives_a_new_version():
    tenant = TenantFactory()
    app = ApplicationFactory(tenant=tenant)
    users = DirectoryUserFactory.create_batch(60, tenant=tenant)
    versions = [version_of(tenant)]

    for user in users:
        with transaction.atomic():
            AppRoleAssignmentFactory(application=app, principal_user=user)
        versions.append(version_of(tenant))

    assert len(set(versions)) == len(versions)
    # PostgreSQL merges a tenant's committed rows into a writer's own past 32; SQLite keeps one.
    assert AppsChange.objects.filter(tenant=tenant).count() <= (33 if connection.vendor == "postgresql" else 1)


if connection.vendor == "postgresql":
    # Only PostgreSQL has concurrent writers (SQLite takes one at a time), so only it can show this.

    @pytest.mark.django_db(transaction=True)
    def test_a_writer_never_waits_for_another_open_transaction_changing_the_same_tenant():
        tenant = TenantFactory()
        apps = ApplicationFactory.create_batch(2, tenant=tenant)
        first_wrote, second_done = threading.Event(), threading.Event()
        errors = []

        def first():
            try:
                with transaction.atomic():
                    AppRoleAssignmentFactory(application=apps[0], principal_user=DirectoryUserFactory(tenant=tenant))
                    first_wrote.set()
                    # Still open: the second writer must commit before this one does.
                    assert second_done.wait(timeout=10)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                close_old_connections()
                connection.close()

        def second():
            try:
                assert first_wrote.wait(timeout=10)
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '5s'")
                with transaction.atomic():
                    AppRoleAssignmentFactory(application=apps[1], principal_user=DirectoryUserFactory(tenant=tenant))
                second_done.set()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert errors == []
        assert AppsChange.objects.filter(tenant=tenant).count() >= 2
