from tests.factories import (
    AppRoleAssignmentFactory,
    AuditEventFactory,
    DirectoryRoleAssignmentFactory,
    DirectoryUserFactory,
    GroupMemberFactory,
    GroupOwnerFactory,
)


def test_every_factory_builds_a_valid_saved_object(db):
    objects = [
        AppRoleAssignmentFactory(),
        AuditEventFactory(),
        DirectoryRoleAssignmentFactory(),
        DirectoryUserFactory(guest=True),
        DirectoryUserFactory(pending=True),
        GroupMemberFactory(),
        GroupOwnerFactory(),
    ]
    for obj in objects:
        obj.full_clean()
        assert obj.pk is not None
