"""The invariants hold in the database itself: direct ORM writes that break one raise IntegrityError.

Each bad write runs in its own savepoint (`transaction.atomic()`), so PostgreSQL's aborted
transaction doesn't spill into the rest of the test.
"""

import hashlib
import uuid
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.models import (
    MAX_COLLABORATION_DOMAINS_LENGTH,
    MAX_NOTES_LENGTH,
    Account,
    Application,
    AppRoleAssignment,
    AuditEvent,
    DirectoryRoleAssignment,
    DirectoryUser,
    Group,
    GroupMember,
    GroupOwner,
    Tenant,
)
from invitations.models import Invitation
from portal.models import AppAccessRequest, GroupJoinRequest, RequestStatus
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    AppRoleAssignmentFactory,
    AppRoleFactory,
    AuditEventFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)


@contextmanager
def refused_by_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


def new_user(tenant: Tenant, **fields: object) -> DirectoryUser:
    mail = fields.pop("mail", f"{uuid.uuid4().hex[:12]}@contoso.com")
    fields.setdefault("user_principal_name", mail)
    return DirectoryUser.objects.create(tenant=tenant, display_name="Someone", mail=mail, **fields)


# Users -------------------------------------------------------------------------


def test_mail_is_unique_per_tenant_whatever_its_case(tenant):
    new_user(tenant, mail="Alex@Contoso.com")
    new_user(TenantFactory(), mail="alex@contoso.com", user_principal_name="alex@elsewhere.example")

    with refused_by_database():
        new_user(tenant, mail="alex@CONTOSO.com", user_principal_name="other@contoso.com")


def test_user_principal_name_is_unique_across_tenants_whatever_its_case(tenant):
    new_user(tenant, user_principal_name="alex@contoso.com")

    with refused_by_database():
        new_user(TenantFactory(), user_principal_name="ALEX@contoso.com")


def test_one_account_is_linked_at_most_once_per_tenant(tenant):
    account = AccountFactory()
    new_user(tenant, account=account)
    new_user(TenantFactory(), account=account)

    with refused_by_database():
        new_user(tenant, account=account)


def test_users_without_account_may_be_many_in_a_tenant(tenant):
    new_user(tenant)
    new_user(tenant)

    assert DirectoryUser.objects.filter(tenant=tenant, account=None).count() == 2


def guest_fields(state: str, account: Account | None) -> dict[str, object]:
    return {
        "user_type": DirectoryUser.UserType.GUEST,
        "creation_type": DirectoryUser.CreationType.INVITATION,
        "external_user_state": state,
        "account": account,
    }


def test_accepted_guest_has_an_account(tenant):
    new_user(tenant, **guest_fields(DirectoryUser.ExternalUserState.ACCEPTED, AccountFactory()))

    with refused_by_database():
        new_user(tenant, **guest_fields(DirectoryUser.ExternalUserState.ACCEPTED, None))


def test_pending_guest_has_no_account(tenant):
    new_user(tenant, **guest_fields(DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE, None))

    with refused_by_database():
        new_user(tenant, **guest_fields(DirectoryUser.ExternalUserState.PENDING_ACCEPTANCE, AccountFactory()))


def test_invited_user_has_an_external_state(tenant):
    with refused_by_database():
        new_user(tenant, **guest_fields("", None))


def test_user_type_is_member_or_guest(tenant):
    with refused_by_database():
        new_user(tenant, user_type="Admin")


def test_account_with_directory_users_is_protected(tenant):
    guest = DirectoryUserFactory(tenant=tenant, guest=True)

    with pytest.raises(IntegrityError):
        guest.account.delete()

    assert Account.objects.filter(pk=guest.account_id).exists()


# Accounts ----------------------------------------------------------------------


def test_account_email_is_stored_lower_case(db):
    Account.objects.create(email="megan@contoso.com")

    with refused_by_database():
        Account.objects.create(email="Alex@contoso.com")


def test_account_email_is_unique(db):
    Account.objects.create(email="megan@contoso.com")

    with refused_by_database():
        Account.objects.create(email="megan@contoso.com")


# Directory roles ---------------------------------------------------------------


def test_directory_role_is_assigned_once_and_must_be_known(tenant):
    user = DirectoryUserFactory(tenant=tenant)
    DirectoryRoleAssignment.objects.create(user=user, role=DirectoryRoleAssignment.Role.GUEST_INVITER)

    with refused_by_database():
        DirectoryRoleAssignment.objects.create(user=user, role=DirectoryRoleAssignment.Role.GUEST_INVITER)
    with refused_by_database():
        DirectoryRoleAssignment.objects.create(user=user, role="Emperor")


# Groups ------------------------------------------------------------------------


def test_assigned_group_has_no_membership_rule(tenant):
    Group.objects.create(tenant=tenant, display_name="Sales")

    with refused_by_database():
        Group.objects.create(tenant=tenant, display_name="Sales", membership_rule='(user.department -eq "Sales")')


def test_dynamic_group_has_a_membership_rule(tenant):
    Group.objects.create(
        tenant=tenant,
        display_name="Sales",
        membership_type=Group.MembershipType.DYNAMIC_USER,
        membership_rule='(user.department -eq "Sales")',
    )

    with refused_by_database():
        Group.objects.create(tenant=tenant, display_name="Sales", membership_type=Group.MembershipType.DYNAMIC_USER)


def test_group_type_and_join_policy_must_be_known(tenant):
    with refused_by_database():
        Group.objects.create(tenant=tenant, display_name="Sales", group_type="Distribution")
    with refused_by_database():
        Group.objects.create(tenant=tenant, display_name="Sales", join_policy="whenever")


def test_group_member_is_unique(tenant):
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, members=[user])

    with refused_by_database():
        GroupMember.objects.create(group=group, user=user)


def test_group_owner_is_unique(tenant):
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[user])

    with refused_by_database():
        GroupOwner.objects.create(group=group, user=user)


# Applications ------------------------------------------------------------------


def test_assignment_has_exactly_one_principal(tenant):
    app = ApplicationFactory(tenant=tenant)
    role = AppRoleFactory(application=app)
    user = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant)

    with refused_by_database():
        AppRoleAssignment.objects.create(application=app, app_role=role, principal_user=user, principal_group=group)
    with refused_by_database():
        AppRoleAssignment.objects.create(application=app, app_role=role)


def test_user_is_assigned_to_an_app_once(tenant):
    assignment = AppRoleAssignmentFactory(application__tenant=tenant)

    with refused_by_database():
        AppRoleAssignment.objects.create(
            application=assignment.application, app_role=assignment.app_role, principal_user=assignment.principal_user
        )


def test_group_is_assigned_to_an_app_once(tenant):
    group = GroupFactory(tenant=tenant)
    assignment = AppRoleAssignmentFactory(application__tenant=tenant, principal_user=None, principal_group=group)

    with refused_by_database():
        AppRoleAssignment.objects.create(
            application=assignment.application, app_role=assignment.app_role, principal_group=group
        )


def test_application_notes_are_at_most_1024_characters(tenant):
    Application.objects.create(tenant=tenant, display_name="Salesforce", notes="x" * MAX_NOTES_LENGTH)

    with refused_by_database():
        Application.objects.create(tenant=tenant, display_name="Salesforce", notes="x" * (MAX_NOTES_LENGTH + 1))


def test_self_service_needs_a_group(tenant):
    Application.objects.create(
        tenant=tenant,
        display_name="Salesforce",
        self_service_enabled=True,
        self_service_group=GroupFactory(tenant=tenant),
    )

    with refused_by_database():
        Application.objects.create(tenant=tenant, display_name="Salesforce", self_service_enabled=True)


def test_single_sign_on_mode_must_be_known(tenant):
    with refused_by_database():
        Application.objects.create(tenant=tenant, display_name="Salesforce", single_sign_on_mode="kerberos")


# Tenant settings ---------------------------------------------------------------


def test_collaboration_domains_are_at_most_25000_characters(db):
    denied = Tenant.CollaborationRestriction.DENY_LISTED
    TenantFactory(collaboration_restriction=denied, collaboration_domains="x" * MAX_COLLABORATION_DOMAINS_LENGTH)

    with refused_by_database():
        TenantFactory(
            collaboration_restriction=denied, collaboration_domains="x" * (MAX_COLLABORATION_DOMAINS_LENGTH + 1)
        )


def test_allow_any_domain_takes_no_list(db):
    with refused_by_database():
        TenantFactory(
            collaboration_restriction=Tenant.CollaborationRestriction.ALLOW_ANY, collaboration_domains="fabrikam.com"
        )


def test_tenant_choices_must_be_known(db):
    with refused_by_database():
        TenantFactory(allow_invites_from="anyone")
    with refused_by_database():
        TenantFactory(collaboration_restriction="allowSome")
    with refused_by_database():
        TenantFactory(guest_user_role_id="00000000-0000-0000-0000-000000000000")


# Audit log ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"activity": "Delete user"},
        {"result": AuditEvent.Result.FAILURE},
        {"initiated_by": "someone.else@contoso.com"},
        {"target": "Something else"},
        {"details": {"forged": True}},
        {"activity_date_time": timezone.now()},
    ],
)
def test_audit_event_cannot_be_updated_in_the_database(db, change):
    event = AuditEventFactory(details={"a": 1})

    with refused_by_database():
        AuditEvent.objects.filter(pk=event.pk).update(**change)

    assert AuditEvent.objects.get(pk=event.pk).activity == "Add user"


def test_audit_event_initiator_cannot_be_swapped_in_the_database(tenant):
    event = AuditEventFactory(tenant=tenant, initiated_by_user=DirectoryUserFactory(tenant=tenant))

    with refused_by_database():
        AuditEvent.objects.filter(pk=event.pk).update(initiated_by_user=DirectoryUserFactory(tenant=tenant))


def test_audit_event_forgets_a_deleted_initiator_but_keeps_the_name(tenant):
    initiator = DirectoryUserFactory(tenant=tenant)
    event = AuditEventFactory(tenant=tenant, initiated_by=initiator.user_principal_name, initiated_by_user=initiator)

    initiator.delete()

    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.initiated_by, event.initiated_by_user) == (initiator.user_principal_name, None)


def test_audit_event_cannot_clear_its_initiator_together_with_another_change(tenant):
    event = AuditEventFactory(tenant=tenant, initiated_by_user=DirectoryUserFactory(tenant=tenant))

    with refused_by_database():
        AuditEvent.objects.filter(pk=event.pk).update(initiated_by_user=None, activity="Delete user")


def test_deleting_a_tenant_deletes_its_audit_log(tenant):
    initiator = DirectoryUserFactory(tenant=tenant)
    AuditEventFactory(tenant=tenant, initiated_by_user=initiator)

    tenant.delete()

    assert not AuditEvent.objects.exists()


# Requests (portal) -------------------------------------------------------------


@pytest.mark.parametrize(("model", "target"), [(GroupJoinRequest, "group"), (AppAccessRequest, "application")])
def test_one_pending_request_per_requester_and_target(tenant, model, target):
    requester = DirectoryUserFactory(tenant=tenant)
    obj = GroupFactory(tenant=tenant) if target == "group" else ApplicationFactory(tenant=tenant)
    model.objects.create(
        requester=requester, status=RequestStatus.DENIED, decided_date_time=timezone.now(), **{target: obj}
    )
    model.objects.create(requester=requester, **{target: obj})
    model.objects.create(requester=DirectoryUserFactory(tenant=tenant), **{target: obj})

    with refused_by_database():
        model.objects.create(requester=requester, **{target: obj})


@pytest.mark.parametrize(("model", "target"), [(GroupJoinRequest, "group"), (AppAccessRequest, "application")])
def test_request_is_decided_exactly_when_not_pending(tenant, model, target):
    requester = DirectoryUserFactory(tenant=tenant)
    obj = GroupFactory(tenant=tenant) if target == "group" else ApplicationFactory(tenant=tenant)

    with refused_by_database():
        model.objects.create(requester=requester, status=RequestStatus.APPROVED, **{target: obj})
    with refused_by_database():
        model.objects.create(requester=requester, decided_date_time=timezone.now(), **{target: obj})
    with refused_by_database():
        model.objects.create(requester=requester, status="maybe", decided_date_time=timezone.now(), **{target: obj})


# Invitations -------------------------------------------------------------------


def new_invitation(user: DirectoryUser, **fields: object) -> Invitation:
    return Invitation.objects.create(
        tenant=user.tenant,
        invited_user=user,
        invited_user_email_address=user.mail,
        inviter_name="Megan Bowen",
        inviter_email="megan.bowen@contoso.com",
        ticket_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        **fields,
    )


def test_one_pending_invitation_per_user(tenant):
    guest = DirectoryUserFactory(tenant=tenant, pending=True)
    new_invitation(guest, status=Invitation.Status.REVOKED, revoked_date_time=timezone.now())
    new_invitation(guest)

    with refused_by_database():
        new_invitation(guest)


def test_completed_invitation_has_redemption_time(tenant):
    guest = DirectoryUserFactory(tenant=tenant, pending=True)

    with refused_by_database():
        new_invitation(guest, status=Invitation.Status.COMPLETED)


def test_self_service_group_cannot_be_deleted_from_under_its_application(tenant):
    from django.db.models import RestrictedError

    from directory.services import update_application

    group = GroupFactory(tenant=tenant)
    application = ApplicationFactory(tenant=tenant)
    update_application(application=application, actor=None, self_service_enabled=True, self_service_group=group)
    with pytest.raises(RestrictedError), transaction.atomic():
        group.delete()
    tenant.delete()
    assert not Application.objects.filter(pk=application.pk).exists()
