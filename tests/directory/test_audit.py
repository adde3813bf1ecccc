"""The audit log: Azure's activity names and categories, who initiated what, and nothing rewritten."""

import pytest

from directory.audit import Activity, actor_name, category_of, record_event
from directory.models import AuditEvent
from tests.factories import AccountFactory, AuditEventFactory, DirectoryUserFactory, GroupFactory, TenantFactory

Category = AuditEvent.Category

# The activity names of the real product, by category (reference/FACTS.md).
PRODUCT_ACTIVITIES = {
    Category.USER_MANAGEMENT: [
        "Invite external user",
        "Invite external user with reset invitation status",
        "Redeem external user invite",
        "Delete external user",
        "Email not sent, user unsubscribed",
        "Add user",
        "Update user",
        "Delete user",
    ],
    Category.GROUP_MANAGEMENT: [
        "Add group",
        "Update group",
        "Delete group",
        "Add member to group",
        "Remove member from group",
        "Add owner to group",
        "Remove owner from group",
    ],
    Category.SELF_SERVICE_GROUP_MANAGEMENT: [
        "Request to join a group",
        "Approve a pending request to join a group",
        "Reject a pending request to join a group",
        "Cancel a pending request to join a group",
    ],
    Category.APPLICATION_MANAGEMENT: [
        "Add app role assignment to service principal",
        "Remove app role assignment from service principal",
    ],
    Category.POLICY: ["Update authorization policy"],
}


@pytest.mark.parametrize(
    ("name", "category"),
    [(name, category) for category, names in PRODUCT_ACTIVITIES.items() for name in names],
)
def test_product_activity_exists_with_its_category(name, category):
    assert category_of(Activity(name)) == category


@pytest.mark.parametrize(
    "activity",
    [
        Activity.ADD_SERVICE_PRINCIPAL,
        Activity.UPDATE_SERVICE_PRINCIPAL,
        Activity.REQUEST_APP_ACCESS,
        Activity.APPROVE_APP_ACCESS,
        Activity.REJECT_APP_ACCESS,
        Activity.CANCEL_APP_ACCESS,
    ],
)
def test_application_activities_are_application_management(activity):
    assert category_of(activity) == Category.APPLICATION_MANAGEMENT


def test_every_activity_has_a_category():
    assert {category_of(activity) for activity in Activity} <= set(Category.values)


def test_actor_name_is_upn_email_or_the_portal(db):
    user = DirectoryUserFactory(user_principal_name="megan.bowen@contoso.onmicrosoft.com")
    account = AccountFactory(email="admin@contoso.com")

    assert actor_name(user) == "megan.bowen@contoso.onmicrosoft.com"
    assert actor_name(account) == "admin@contoso.com"
    assert actor_name(None) == "Access Portal"


def test_record_event_writes_every_field(tenant):
    actor = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, display_name="Marketing")

    event = record_event(
        tenant=tenant,
        activity=Activity.ADD_MEMBER_TO_GROUP,
        actor=actor,
        target=group,
        details={"user": "alex@contoso.com"},
    )

    event = AuditEvent.objects.get(pk=event.pk)
    assert event.tenant == tenant
    assert (event.activity, event.category) == ("Add member to group", "GroupManagement")
    assert (event.result, event.result_reason) == ("success", "")
    assert (event.initiated_by, event.initiated_by_user) == (actor.user_principal_name, actor)
    assert (event.target_type, event.target_id, event.target) == ("Group", str(group.pk), "Marketing")
    assert event.details == {"user": "alex@contoso.com"}
    assert event.activity_date_time is not None


def test_record_event_by_an_account_keeps_only_its_email(tenant):
    account = AccountFactory(email="admin@contoso.com")

    event = record_event(tenant=tenant, activity=Activity.UPDATE_AUTHORIZATION_POLICY, actor=account, target=tenant)

    assert (event.initiated_by, event.initiated_by_user) == ("admin@contoso.com", None)
    assert (event.category, event.target_type, event.details) == ("Policy", "Tenant", {})


def test_record_event_records_a_failure_with_its_reason(tenant):
    event = record_event(
        tenant=tenant,
        activity=Activity.EMAIL_NOT_SENT_UNSUBSCRIBED,
        actor=None,
        target="guest@fabrikam.com",
        result=AuditEvent.Result.FAILURE,
        result_reason="The recipient blocked future invitations.",
    )

    assert (event.result, event.result_reason) == ("failure", "The recipient blocked future invitations.")
    assert (event.target_type, event.target_id, event.target) == ("str", "", "guest@fabrikam.com")


def test_record_event_cuts_a_long_target_to_512_characters(tenant):
    event = record_event(tenant=tenant, activity=Activity.ADD_USER, actor=None, target="x" * 600)

    assert AuditEvent.objects.get(pk=event.pk).target == "x" * 512


def test_record_event_refuses_an_initiator_of_another_tenant(tenant):
    stranger = DirectoryUserFactory(tenant=TenantFactory())

    with pytest.raises(ValueError, match="another tenant"):
        record_event(tenant=tenant, activity=Activity.ADD_USER, actor=stranger, target=tenant)

    assert not AuditEvent.objects.exists()


def test_saved_audit_event_cannot_be_changed_or_deleted_through_the_model(db):
    event = AuditEventFactory()
    event.activity = "Delete user"

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.get().activity == "Add user"


def test_audit_log_lists_newest_first(tenant):
    first = record_event(tenant=tenant, activity=Activity.ADD_USER, actor=None, target=tenant)
    second = record_event(tenant=tenant, activity=Activity.UPDATE_USER, actor=None, target=tenant)

    assert list(AuditEvent.objects.filter(tenant=tenant)) == [second, first]
