import io
from datetime import UTC, datetime
from html import escape

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import CheckboxInput
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy
from PIL import Image

from directory.admin.groups import NOTHING_PICKED
from directory.admin_forms import LOGO_NOT_PNG, LOGO_NOT_SQUARE
from directory.audit import Activity
from directory.models import (
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
from directory.services import (
    ALREADY_ASSIGNED,
    ALREADY_MEMBER,
    DOMAIN_LIST_REQUIRED,
    DYNAMIC_RULE_REQUIRED,
    GUEST_DYNAMIC_GROUP,
    INVALID_DOMAIN,
    LAST_OWNER,
    SELF_SERVICE_GROUP_NOT_ASSIGNED,
    SYNCED_GROUP_READ_ONLY,
    TOO_MANY_APPROVERS,
)
from tests import factories
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    AppRoleAssignmentFactory,
    AuditEventFactory,
    DirectoryUserFactory,
    GroupFactory,
    TenantFactory,
)


@pytest.fixture
def superuser(tenant):
    """A Global Administrator of `tenant`: the admin center's organization in the top bar."""
    account = AccountFactory(is_staff=True, is_superuser=True)
    DirectoryUserFactory(tenant=tenant, account=account, display_name="MOD Administrator")
    return account


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response) -> dict[str, object]:
    """What a browser posts back from an admin add or change page when nothing is touched."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, object] = {"_save": "Save"}
    for form in forms:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


def png(width: int, height: int, image_format: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#0078d4").save(buffer, format=image_format)
    return SimpleUploadedFile(f"logo.{image_format.lower()}", buffer.getvalue(), content_type="image/png")


def audit_count() -> int:
    return AuditEvent.objects.count()


# Every registered model ------------------------------------------------------

PROJECT_APPS = {"directory", "invitations", "portal", "signin"}
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS),
    key=lambda model: model._meta.label,
)


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_every_registered_model_has_working_admin_pages(staff_client, superuser, rf, model):
    factory = getattr(factories, f"{model.__name__}Factory", None)
    assert factory is not None, f"Add {model.__name__}Factory to tests/factories.py so its admin pages are tested."
    obj = factory()
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = superuser

    # An admin may send "add" elsewhere (an invitation is sent, not added); the page it leads to must load.
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    expected_add_status = 200 if model_admin.has_add_permission(request) else 403
    assert staff_client.get(admin_url(model, "add"), follow=True).status_code == expected_add_status


def test_auth_groups_are_not_in_the_admin_center():
    from django.contrib.auth.models import Group as AuthGroup

    assert AuthGroup not in admin.site._registry


def test_admin_pages_are_served_with_the_content_security_policy(staff_client, tenant):
    response = staff_client.get(admin_url(Tenant, "change", tenant.pk))

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# Audit logs ------------------------------------------------------------------


def test_audit_log_cannot_be_added_changed_or_deleted(staff_client):
    event = AuditEventFactory()

    changelist = staff_client.get(admin_url(AuditEvent, "changelist"))
    detail = staff_client.get(admin_url(AuditEvent, "change", event.pk))

    assert changelist.status_code == 200
    assert b'name="action"' not in changelist.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert staff_client.get(admin_url(AuditEvent, "add")).status_code == 403
    assert staff_client.post(admin_url(AuditEvent, "change", event.pk), {"activity": "x"}).status_code == 403
    assert staff_client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.activity == "Add user"


# Organizations ---------------------------------------------------------------


EXTERNAL_COLLABORATION = reverse_lazy("admin:directory_tenant_external_collaboration")
GROUPS_GENERAL = reverse_lazy("admin:directory_group_settings_general")


def blade_data(response) -> dict[str, object]:
    """What a browser posts back from a blade's form when nothing is touched."""
    data: dict[str, object] = {}
    for bound in response.context["form"]:
        value = bound.value()
        if isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    return data


def test_external_collaboration_save_writes_update_authorization_policy(staff_client, tenant, superuser):
    data = blade_data(staff_client.get(EXTERNAL_COLLABORATION))
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.DENY_LISTED
    data["collaboration_domains"] = "Fabrikam.com\nfabrikam.com\n"

    response = staff_client.post(EXTERNAL_COLLABORATION, data, follow=True)

    assert response.redirect_chain[-1][1] == 302
    assert "Successfully updated the external collaboration settings" in response.text
    tenant.refresh_from_db()
    assert tenant.collaboration_domains == "fabrikam.com"
    event = AuditEvent.objects.get(activity=Activity.UPDATE_AUTHORIZATION_POLICY)
    assert event.initiated_by == superuser.email
    assert set(event.details["modifiedProperties"]) == {"collaboration_restriction", "collaboration_domains"}


def test_external_collaboration_refuses_an_invalid_domain_list_and_changes_nothing(staff_client, tenant):
    data = blade_data(staff_client.get(EXTERNAL_COLLABORATION))
    data["allow_invites_from"] = Tenant.AllowInvitesFrom.NONE
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.DENY_LISTED
    data["collaboration_domains"] = "fabrikam.com\nnot a domain"
    before = audit_count()

    response = staff_client.post(EXTERNAL_COLLABORATION, data)

    assert response.status_code == 200
    assert escape(INVALID_DOMAIN.format(domain="not a domain")) in response.text
    tenant.refresh_from_db()
    assert tenant.allow_invites_from != Tenant.AllowInvitesFrom.NONE
    assert tenant.collaboration_domains == ""
    assert audit_count() == before


def test_external_collaboration_shows_the_service_refusal_on_the_domain_list(staff_client, tenant):
    tenant.collaboration_restriction = Tenant.CollaborationRestriction.DENY_LISTED
    tenant.collaboration_domains = "fabrikam.com"
    tenant.save()
    data = blade_data(staff_client.get(EXTERNAL_COLLABORATION))
    # Switching the mode discards the old list, so the new mode is left without one.
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.ALLOW_LISTED
    before = audit_count()

    response = staff_client.post(EXTERNAL_COLLABORATION, data)

    assert response.status_code == 200
    assert escape(DOMAIN_LIST_REQUIRED) in response.text
    assert "collaboration_domains" in response.context["form"].errors
    tenant.refresh_from_db()
    assert tenant.collaboration_restriction == Tenant.CollaborationRestriction.DENY_LISTED
    assert audit_count() == before


def test_external_collaboration_switch_to_any_domain_discards_the_old_list(staff_client, tenant):
    tenant.collaboration_restriction = Tenant.CollaborationRestriction.DENY_LISTED
    tenant.collaboration_domains = "fabrikam.com"
    tenant.save()
    data = blade_data(staff_client.get(EXTERNAL_COLLABORATION))
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.ALLOW_ANY

    assert staff_client.post(EXTERNAL_COLLABORATION, data).status_code == 302
    tenant.refresh_from_db()
    assert tenant.collaboration_domains == ""


def test_groups_general_saves_self_service_group_management_with_a_confirmation(staff_client, tenant, superuser):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    page = staff_client.get(GROUPS_GENERAL)
    assert "Self Service Group Management" in page.text
    data = blade_data(page)
    data["owners_can_manage_group_membership_requests"] = "True"

    response = staff_client.post(GROUPS_GENERAL, data, follow=True)

    assert "Successfully updated the group settings" in response.text
    tenant.refresh_from_db()
    assert tenant.owners_can_manage_group_membership_requests is True
    event = AuditEvent.objects.get(activity=Activity.UPDATE_AUTHORIZATION_POLICY)
    assert event.details["modifiedProperties"] == ["owners_can_manage_group_membership_requests"]
    assert event.initiated_by == superuser.email


def test_groups_general_shows_all_four_settings_of_the_product(staff_client):
    form = staff_client.get(GROUPS_GENERAL).context["form"]

    assert [str(field.label) for field in form] == [
        "Owners can manage group membership requests in the Access Panel",
        "Restrict user ability to access groups features in the Access Panel",
        "Users can create security groups in Azure portals, API or PowerShell",
        "Users can create Microsoft 365 groups in Azure portals, API or PowerShell",
    ]


def test_tenant_add_creates_the_organization_with_an_audit_event(staff_client):
    url = admin_url(Tenant, "add")
    data = form_data(staff_client.get(url))
    data.update(display_name="Northwind", initial_domain="northwind.onmicrosoft.com", verified_domains="northwind.com")

    response = staff_client.post(url, data)

    assert response.status_code == 302
    tenant = Tenant.objects.get(initial_domain="northwind.onmicrosoft.com")
    assert AuditEvent.objects.filter(tenant=tenant, activity=Activity.UPDATE_AUTHORIZATION_POLICY).exists()


# Users -----------------------------------------------------------------------


def test_user_add_goes_through_create_user(staff_client, tenant):
    url = admin_url(DirectoryUser, "add")
    data = form_data(staff_client.get(url))
    data.update(tenant=str(tenant.pk), display_name="Nestor Wilke", mail="Nestor@Contoso.com", user_type="Member")
    data["user_principal_name"] = "nestor@contoso.com"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    user = DirectoryUser.objects.get(mail="nestor@contoso.com")
    assert AuditEvent.objects.filter(activity=Activity.ADD_USER, target_id=str(user.pk)).exists()


def test_user_role_inline_adds_a_directory_role_through_the_service(staff_client, member):
    url = admin_url(DirectoryUser, "change", member.pk)
    data = form_data(staff_client.get(url))
    data["role_assignments-TOTAL_FORMS"] = "1"
    data["role_assignments-0-role"] = DirectoryRoleAssignment.Role.GUEST_INVITER
    data["role_assignments-0-user"] = str(member.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert member.role_assignments.get().role == DirectoryRoleAssignment.Role.GUEST_INVITER
    assert AuditEvent.objects.filter(activity=Activity.ADD_MEMBER_TO_ROLE).exists()


def test_user_delete_refused_for_the_last_owner_of_a_group(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])

    response = staff_client.post(admin_url(DirectoryUser, "delete", member.pk), {"post": "yes"}, follow=True)

    assert escape(LAST_OWNER.format(group=group, name=member.display_name)) in response.text
    assert DirectoryUser.objects.filter(pk=member.pk).exists()


def test_users_changelist_shows_invitation_accepted(staff_client, tenant):
    DirectoryUserFactory(tenant=tenant, guest=True)
    DirectoryUserFactory(tenant=tenant, pending=True)

    response = staff_client.get(admin_url(DirectoryUser, "changelist"))

    assert "Invitation accepted" in response.text
    assert '<td class="field-invitation_accepted">Yes</td>' in response.text
    assert '<td class="field-invitation_accepted">No</td>' in response.text


def test_users_changelist_query_count_does_not_grow_with_rows(staff_client, tenant, django_assert_max_num_queries):
    url = admin_url(DirectoryUser, "changelist")
    # The administrator's own user is the first row.
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    DirectoryUserFactory.create_batch(29, tenant=tenant)

    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)
    assert response.context["cl"].result_count == 30


def test_user_overview_shows_the_b2b_invitation_state(staff_client, tenant):
    guest = DirectoryUserFactory(tenant=tenant, pending=True)
    member = DirectoryUserFactory(tenant=tenant)

    guest_page = staff_client.get(admin_url(DirectoryUser, "overview", guest.pk))
    member_page = staff_client.get(admin_url(DirectoryUser, "overview", member.pk))

    assert guest_page.status_code == 200
    assert "B2B invitation" in guest_page.text
    assert "PendingAcceptance" in guest_page.text
    assert "Resend invitation" in guest_page.text
    assert "Reset redemption status" in guest_page.text
    assert "there is no B2B invitation" in member_page.text
    assert "Resend invitation" not in member_page.text


def test_users_list_opens_a_users_overview(staff_client, member):
    response = staff_client.get(admin_url(DirectoryUser, "changelist"))

    assert admin_url(DirectoryUser, "overview", member.pk) in response.text
    assert "Select directory user to change" not in response.text
    for column in ("Name", "User principal name", "User type", "Creation type", "Invitation accepted"):
        assert column.lower() in response.text.lower()


# Groups ----------------------------------------------------------------------


def test_new_group_creates_the_group_in_the_admins_organization(staff_client, tenant):
    url = admin_url(Group, "add")
    page = staff_client.get(url)
    assert "Save and add another" not in page.text
    assert 'value="Create"' in page.text
    data = form_data(page)
    data.update(display_name="Sales", group_type="Security", description="Sales people", membership_type="Assigned")

    response = staff_client.post(url, data, follow=True)

    group = Group.objects.get(display_name="Sales")
    assert group.tenant == tenant
    assert response.redirect_chain[-1][0] == admin_url(Group, "changelist")
    assert "Successfully created group Sales." in response.text
    assert AuditEvent.objects.filter(activity=Activity.ADD_GROUP, target_id=str(group.pk)).exists()


def test_new_group_refusal_keeps_what_was_typed_and_creates_nothing(staff_client):
    url = admin_url(Group, "add")
    data = form_data(staff_client.get(url))
    data.update(display_name="Sales", group_type="Security", membership_type="DynamicUser", membership_rule="")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(DYNAMIC_RULE_REQUIRED) in response.text
    assert 'value="Sales"' in response.text
    assert not Group.objects.filter(display_name="Sales").exists()


def test_group_overview_shows_type_membership_counts_and_object_id(staff_client, member):
    other = DirectoryUserFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant, owners=[member], members=[member, other])

    response = staff_client.get(admin_url(Group, "overview", group.pk))

    assert response.status_code == 200
    assert response.context["counts"] == {"members": 2, "owners": 1}
    assert str(group.pk) in response.text
    assert "Copy to clipboard" in response.text
    assert response.context["blade"].title == f"{group.display_name} | Overview"


def test_groups_list_opens_the_groups_overview(staff_client, member):
    group = GroupFactory(tenant=member.tenant)

    response = staff_client.get(admin_url(Group, "changelist"))

    assert admin_url(Group, "overview", group.pk) in response.text
    assert "Groups | All groups" in response.text
    assert "Select group to change" not in response.text


def test_add_owners_picker_searches_the_groups_organization_only(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    megan = DirectoryUserFactory(tenant=member.tenant, display_name="Megan Bowen")
    DirectoryUserFactory(tenant=member.tenant, display_name="Alex Wilber")
    stranger = DirectoryUserFactory(display_name="Megan Stranger")

    response = staff_client.get(admin_url(Group, "add_owners", group.pk), {"q": "megan"})

    values = [choice.value for choice in response.context["choices"]]
    assert values == [str(megan.pk)]
    assert str(stranger.pk) not in response.text


def test_add_owners_select_makes_the_user_an_owner_through_the_service(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    megan = DirectoryUserFactory(tenant=member.tenant, display_name="Megan Bowen")

    response = staff_client.post(admin_url(Group, "add_owners", group.pk), {"user": [str(megan.pk)]}, follow=True)

    assert response.redirect_chain[-1][0] == admin_url(Group, "owners", group.pk)
    assert "Megan Bowen" in response.text
    assert GroupOwner.objects.filter(group=group, user=megan).exists()
    event = AuditEvent.objects.get(activity=Activity.ADD_OWNER_TO_GROUP)
    assert event.details["userId"] == str(megan.pk)


def test_add_owners_with_nobody_ticked_says_what_to_do(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])

    response = staff_client.post(admin_url(Group, "add_owners", group.pk), {"user": ["not-an-id"]})

    assert response.status_code == 200
    assert NOTHING_PICKED in response.text


def test_add_members_refuses_a_guest_in_a_dynamic_group_and_adds_nobody(staff_client, member):
    group = GroupFactory(tenant=member.tenant, dynamic=True, owners=[member])
    guest = DirectoryUserFactory(tenant=member.tenant, guest=True)
    before = audit_count()

    response = staff_client.post(admin_url(Group, "add_members", group.pk), {"user": [str(guest.pk)]})

    assert response.status_code == 200
    assert escape(GUEST_DYNAMIC_GROUP) in response.text
    assert not GroupMember.objects.filter(group=group).exists()
    assert audit_count() == before


def test_add_members_is_all_or_nothing(staff_client, member):
    """Two people ticked, the second refused (already a member): the first is not added either."""
    owner = DirectoryUserFactory(tenant=member.tenant, display_name="Aaron Owner")
    newcomer = DirectoryUserFactory(tenant=member.tenant, display_name="Aaron Newcomer")
    group = GroupFactory(tenant=member.tenant, owners=[owner], members=[member])
    before = audit_count()

    response = staff_client.post(
        admin_url(Group, "add_members", group.pk), {"user": [str(newcomer.pk), str(member.pk)]}
    )

    assert response.status_code == 200
    assert escape(ALREADY_MEMBER.format(name=member.display_name, group=group)) in response.text
    assert not GroupMember.objects.filter(group=group, user=newcomer).exists()
    assert audit_count() == before


def test_owners_blade_refuses_removing_the_last_owner(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    before = audit_count()

    response = staff_client.post(admin_url(Group, "owners", group.pk), {"remove": str(member.pk)})

    assert response.status_code == 200
    assert escape(LAST_OWNER.format(group=group, name=member.display_name)) in response.text
    assert GroupOwner.objects.filter(group=group, user=member).exists()
    assert audit_count() == before


def test_members_blade_refuses_removing_a_member_of_a_synced_group(staff_client, member):
    owner = DirectoryUserFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant, synced=True, owners=[owner], members=[member])

    response = staff_client.post(admin_url(Group, "members", group.pk), {"remove": str(member.pk)})

    assert response.status_code == 200
    assert escape(SYNCED_GROUP_READ_ONLY.format(group=group)) in response.text
    assert GroupMember.objects.filter(group=group, user=member).exists()


def test_members_blade_removes_a_member_through_the_service(staff_client, member):
    owner = DirectoryUserFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant, owners=[owner], members=[member])

    response = staff_client.post(admin_url(Group, "members", group.pk), {"remove": str(member.pk)})

    assert response.status_code == 302
    assert not GroupMember.objects.filter(group=group, user=member).exists()
    assert AuditEvent.objects.filter(activity=Activity.REMOVE_MEMBER_FROM_GROUP).exists()


def test_members_blade_query_count_does_not_grow_with_members(staff_client, member, django_assert_max_num_queries):
    group = GroupFactory(tenant=member.tenant, owners=[member], members=[member])
    url = admin_url(Group, "members", group.pk)
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    for user in DirectoryUserFactory.create_batch(20, tenant=member.tenant):
        GroupMember.objects.create(group=group, user=user)

    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)
    assert len(response.context["rows"]) == 21


def test_groups_changelist_counts_members_with_a_constant_query_count(
    staff_client, member, django_assert_max_num_queries
):
    url = admin_url(Group, "changelist")
    GroupFactory(tenant=member.tenant, members=[member])
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    for _ in range(29):
        GroupFactory(tenant=member.tenant, members=[member, DirectoryUserFactory(tenant=member.tenant)])

    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)
    assert response.context["cl"].result_count == 30
    assert '<td class="field-member_count">2</td>' in response.text


# Enterprise applications -----------------------------------------------------


def test_application_add_goes_through_create_application(staff_client, tenant):
    url = admin_url(Application, "add")
    data = form_data(staff_client.get(url))
    data.update(tenant=str(tenant.pk), display_name="Salesforce", single_sign_on_mode="saml")
    data["sign_on_url"] = "https://contoso.my.salesforce.com/"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    application = Application.objects.get(display_name="Salesforce")
    assert application.app_roles.filter(display_name="Default Access").exists()
    assert AuditEvent.objects.filter(activity=Activity.ADD_SERVICE_PRINCIPAL).exists()


def test_self_service_blade_save_assigns_the_group(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant)
    url = admin_url(Application, "self_service", application.pk)
    data = blade_data(staff_client.get(url))
    data.update(
        self_service_enabled="True",
        self_service_group=str(group.pk),
        self_service_approval_required="True",
        self_service_approvers=[str(member.pk)],
    )

    response = staff_client.post(url, data, follow=True)

    assert f"Successfully updated self-service for {application}." in response.text
    application.refresh_from_db()
    assert application.self_service_group == group
    assert list(application.self_service_approvers.all()) == [member]
    assert AppRoleAssignment.objects.filter(application=application, principal_group=group).exists()
    assert AuditEvent.objects.filter(activity=Activity.UPDATE_SERVICE_PRINCIPAL).exists()


def test_self_service_blade_asks_the_products_questions(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)

    form = staff_client.get(admin_url(Application, "self_service", application.pk)).context["form"]

    assert [str(field.label) for field in form] == [
        "Allow users to request access to this application?",
        "To which group should assigned users be added?",
        "Require approval before granting access to this application?",
        "Who is allowed to approve access to this application?",
        "To which role should users be assigned in this application?",
    ]


def test_self_service_blade_refuses_eleven_approvers(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)
    approvers = DirectoryUserFactory.create_batch(11, tenant=tenant)
    url = admin_url(Application, "self_service", application.pk)
    data = blade_data(staff_client.get(url))
    data["self_service_approvers"] = [str(user.pk) for user in approvers]
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(TOO_MANY_APPROVERS) in response.text
    assert not application.self_service_approvers.exists()
    assert audit_count() == before


def test_self_service_blade_shows_the_services_refusal_and_changes_nothing(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    synced = GroupFactory(tenant=member.tenant, synced=True)
    url = admin_url(Application, "self_service", application.pk)
    data = blade_data(staff_client.get(url))
    data.update(self_service_enabled="True", self_service_group=str(synced.pk))
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(SELF_SERVICE_GROUP_NOT_ASSIGNED.format(group=synced)) in response.text
    application.refresh_from_db()
    assert application.self_service_enabled is False
    assert audit_count() == before


def test_self_service_blade_offers_only_the_applications_organization(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)
    stranger = DirectoryUserFactory()
    other_group = GroupFactory()

    form = staff_client.get(admin_url(Application, "self_service", application.pk)).context["form"]

    assert stranger not in form.fields["self_service_approvers"].queryset
    assert other_group not in form.fields["self_service_group"].queryset
    assert set(form.fields["self_service_role"].queryset) == set(application.app_roles.all())


def test_single_sign_on_blade_saves_the_mode_through_the_service(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant, single_sign_on_mode=Application.SingleSignOnMode.DISABLED)
    url = admin_url(Application, "single_sign_on", application.pk)
    data = {"single_sign_on_mode": "linked", "sign_on_url": "https://dropbox.example/"}

    response = staff_client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.single_sign_on_mode, application.sign_on_url) == ("linked", "https://dropbox.example/")
    event = AuditEvent.objects.get(activity=Activity.UPDATE_SERVICE_PRINCIPAL)
    assert set(event.details["modifiedProperties"]) == {"single_sign_on_mode", "sign_on_url"}


def test_application_overview_has_the_getting_started_tiles(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)

    response = staff_client.get(admin_url(Application, "overview", application.pk))

    assert [title for title, _, _ in response.context["steps"]] == [
        "Assign users and groups",
        "Set up single sign on",
        "Provision User Accounts",
        "Conditional Access",
        "Self service",
    ]
    assert admin_url(Application, "users_and_groups", application.pk) in response.text
    assert response.text.count("Not available") == 2


def test_add_assignment_starts_with_none_selected_and_shows_the_picked(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant, display_name="Dropbox Users")
    url = admin_url(Application, "add_assignment", application.pk)

    empty = staff_client.get(url)
    picked = staff_client.get(url, {"principal": [f"user:{member.pk}", f"group:{group.pk}", "user:junk"]})

    assert "None Selected" in empty.text
    assert picked.context["selected"] == [group, member]
    assert "2 selected" in picked.text


def test_users_and_groups_picker_ticks_the_current_selection(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    DirectoryUserFactory(display_name=member.display_name)
    url = admin_url(Application, "select_principals", application.pk)

    response = staff_client.get(url, {"q": member.mail, "principal": [f"user:{member.pk}"]})

    choices = {choice.value: choice.checked for choice in response.context["choices"]}
    assert choices == {f"user:{member.pk}": True}


def test_assign_adds_the_user_with_default_access_through_the_service(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    url = admin_url(Application, "add_assignment", application.pk)

    response = staff_client.post(url, {"principal": [f"user:{member.pk}"]}, follow=True)

    assert response.redirect_chain[-1][0] == admin_url(Application, "users_and_groups", application.pk)
    assignment = AppRoleAssignment.objects.get(application=application)
    assert assignment.principal_user == member
    assert assignment.app_role.display_name == "Default Access"
    assert AuditEvent.objects.filter(activity=Activity.ADD_APP_ROLE_ASSIGNMENT).exists()
    assert member.display_name in response.text


def test_assign_refused_for_an_already_assigned_user_assigns_nobody(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant)
    AppRoleAssignmentFactory(application=application, principal_user=member)
    before = audit_count()

    response = staff_client.post(
        admin_url(Application, "add_assignment", application.pk),
        {"principal": [f"group:{group.pk}", f"user:{member.pk}"]},
    )

    assert response.status_code == 200
    assert escape(ALREADY_ASSIGNED.format(name=member.display_name, app=application)) in response.text
    assert not AppRoleAssignment.objects.filter(application=application, principal_group=group).exists()
    assert audit_count() == before


def test_users_and_groups_blade_removes_an_assignment(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    assignment = AppRoleAssignmentFactory(application=application, principal_user=member)

    response = staff_client.post(
        admin_url(Application, "users_and_groups", application.pk), {"remove": str(assignment.pk)}
    )

    assert response.status_code == 302
    assert not AppRoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(activity=Activity.REMOVE_APP_ROLE_ASSIGNMENT).exists()


def test_users_and_groups_blade_query_count_does_not_grow(staff_client, tenant, django_assert_max_num_queries):
    application = ApplicationFactory(tenant=tenant)
    url = admin_url(Application, "users_and_groups", application.pk)
    AppRoleAssignmentFactory(application=application, principal_user=DirectoryUserFactory(tenant=tenant))
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    for _ in range(10):
        AppRoleAssignmentFactory(application=application, principal_user=DirectoryUserFactory(tenant=tenant))
        AppRoleAssignmentFactory(
            application=application, principal_user=None, principal_group=GroupFactory(tenant=tenant)
        )

    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)
    assert len(response.context["rows"]) == 21


def test_application_owners_blade_lists_the_self_service_groups_owners(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    application = ApplicationFactory(tenant=member.tenant, self_service_enabled=True, self_service_group=group)

    response = staff_client.get(admin_url(Application, "owners", application.pk))

    assert [row.name for row in response.context["rows"]] == [member.display_name]
    assert admin_url(Group, "owners", group.pk) in response.text


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (png(20, 10), LOGO_NOT_SQUARE.format(width=20, height=10)),
        (png(16, 16, "JPEG"), LOGO_NOT_PNG),
        (SimpleUploadedFile("logo.png", b"not an image", content_type="image/png"), LOGO_NOT_PNG),
    ],
    ids=["not-square", "jpeg", "garbage"],
)
def test_application_refuses_a_logo_that_is_not_a_square_png(staff_client, tenant, upload, message):
    application = ApplicationFactory(tenant=tenant)
    url = admin_url(Application, "change", application.pk)
    data = form_data(staff_client.get(url))
    data["display_name"] = "Renamed"
    data["logo_upload"] = upload
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(message) in response.text
    application.refresh_from_db()
    assert bytes(application.logo) == b""
    assert application.display_name != "Renamed"
    assert audit_count() == before


def test_application_saves_a_square_png_logo_and_previews_it(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)
    url = admin_url(Application, "change", application.pk)
    data = form_data(staff_client.get(url))
    data["logo_upload"] = png(32, 32)

    assert staff_client.post(url, data).status_code == 302
    application.refresh_from_db()
    assert bytes(application.logo).startswith(b"\x89PNG")
    assert 'src="data:image/png;base64,' in staff_client.get(url).text


# Deleting and sign-in accounts -------------------------------------------------


def test_group_delete_goes_through_delete_group(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])

    response = staff_client.post(admin_url(Group, "delete", group.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert AuditEvent.objects.filter(activity=Activity.DELETE_GROUP, target_id=str(group.pk)).exists()


def test_bulk_delete_refused_for_a_last_owner_deletes_nobody(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    other = DirectoryUserFactory(tenant=member.tenant)
    before = audit_count()

    response = staff_client.post(
        admin_url(DirectoryUser, "changelist"),
        {"action": "delete_selected", "_selected_action": [str(other.pk), str(member.pk)], "post": "yes"},
        follow=True,
    )

    assert escape(LAST_OWNER.format(group=group, name=member.display_name)) in response.text
    assert DirectoryUser.objects.filter(pk__in=[member.pk, other.pk]).count() == 2
    assert audit_count() == before


def test_account_add_sets_the_password_given_twice(staff_client):
    url = admin_url(Account, "add")
    data = {
        "email": "Nestor.Wilke@Contoso.com",
        "display_name": "Nestor Wilke",
        "usable_password": "true",
        "password1": "Correct-Horse-43",
        "password2": "Correct-Horse-43",
        "_save": "Save",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302
    account = Account.objects.get(email="nestor.wilke@contoso.com")
    assert account.check_password("Correct-Horse-43")
    change_page = staff_client.get(admin_url(Account, "change", account.pk))
    assert change_page.status_code == 200
    assert "../password/" in change_page.text
    assert staff_client.get(reverse("admin:auth_user_password_change", args=[account.pk])).status_code == 200


# The shell: navigation, permissions, dates --------------------------------------


def nav_labels(response) -> list[str]:
    def labels(links: list) -> list[str]:
        return [label for link in links for label in (link.label, *labels(link.children))]

    return labels(response.context["admin_navigation"])


def test_navigation_follows_the_azure_portal_and_hides_internal_tables(staff_client):
    response = staff_client.get(reverse("admin:index"))

    assert nav_labels(response) == [
        "Home",
        "Azure Active Directory",
        "Overview",
        "Users",
        "Groups",
        "Enterprise applications",
        "App registrations",
        "External Identities",
        "External collaboration settings",
        "All invitations",
        "Audit logs",
        "Sign-in logs",
        "Advanced",
    ]
    assert "Task results" not in response.text
    assert "Sign-in accounts" not in response.text


def test_advanced_lists_the_internal_tables(staff_client):
    response = staff_client.get(reverse("admin:advanced"))

    names = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    assert {"Account", "Tenant", "OutboundEmail"} <= names


@pytest.fixture
def nav_restored():
    # admin.site is a lazy proxy: monkeypatch would delete the attribute on undo instead of restoring it.
    nav = admin.site.nav
    yield
    admin.site.nav = nav


def test_a_filled_navigation_slot_appears_in_its_place(staff_client, nav_restored):
    admin.site.fill_nav_slot("app-registrations", url_name="admin:directory_application_changelist", permission=None)

    labels = nav_labels(staff_client.get(reverse("admin:index")))

    assert labels.index("App registrations") == labels.index("Enterprise applications") + 1
    with pytest.raises(ValueError):
        admin.site.fill_nav_slot("no-such-slot", url_name="admin:index", permission=None)


def test_the_current_page_is_marked_in_the_navigation(staff_client):
    response = staff_client.get(GROUPS_GENERAL)

    current = [link.label for top in response.context["admin_navigation"] for link in top.children if link.current]
    assert current == ["Groups"]
    assert response.context["blade"].breadcrumbs[1].label == response.context["admin_organization"].display_name


@pytest.fixture
def group_reader(client, tenant):
    """A staff account that may only view groups."""
    account = AccountFactory(is_staff=True)
    account.user_permissions.add(Permission.objects.get(codename="view_group", content_type__app_label="directory"))
    client.force_login(account)
    return client


def test_a_staff_account_sees_only_what_its_permissions_allow(group_reader, tenant):
    group = GroupFactory(tenant=tenant)

    home = group_reader.get(reverse("admin:index"))

    assert nav_labels(home) == ["Home", "Azure Active Directory", "Overview", "Groups", "Advanced"]
    assert group_reader.get(admin_url(Group, "overview", group.pk)).status_code == 200
    assert group_reader.get(admin_url(DirectoryUser, "changelist")).status_code == 403
    assert group_reader.get(GROUPS_GENERAL).status_code == 403
    assert group_reader.get(EXTERNAL_COLLABORATION).status_code == 403
    assert group_reader.get(admin_url(Group, "add_owners", group.pk)).status_code == 403
    owners = group_reader.get(admin_url(Group, "owners", group.pk))
    assert admin_url(Group, "add_owners", group.pk) not in owners.text
    assert "New group" not in group_reader.get(admin_url(Group, "changelist")).text


def test_a_staff_account_cannot_post_where_it_may_only_look(group_reader, tenant):
    owner = DirectoryUserFactory(tenant=tenant)
    other = DirectoryUserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner, other])

    response = group_reader.post(admin_url(Group, "owners", group.pk), {"remove": str(owner.pk)})

    assert response.status_code == 403
    assert group.owner_links.count() == 2


def test_dates_read_as_people_read_them_in_the_admins_time_zone(staff_client, tenant):
    group = GroupFactory(tenant=tenant, created_date_time=datetime(2026, 12, 2, 17, 44, tzinfo=UTC))
    staff_client.cookies["admincenter_tz"] = "America/New_York"

    response = staff_client.get(admin_url(Group, "overview", group.pk))

    assert "12/2/2026, 12:44 PM" in response.text


def test_an_unknown_time_zone_falls_back_to_the_servers(staff_client, tenant):
    group = GroupFactory(tenant=tenant, created_date_time=datetime(2026, 12, 2, 17, 44, tzinfo=UTC))
    staff_client.cookies["admincenter_tz"] = "Mars/Olympus_Mons"

    response = staff_client.get(admin_url(Group, "overview", group.pk))

    assert "12/2/2026, 5:44 PM" in response.text


def test_the_organization_switcher_changes_the_organization_of_the_blades(staff_client, tenant):
    fabrikam = TenantFactory(display_name="Fabrikam")

    staff_client.post(reverse("admin:organization"), {"organization": str(fabrikam.pk)})
    page = staff_client.get(GROUPS_GENERAL)

    assert page.context["admin_organization"] == fabrikam
    assert staff_client.post(reverse("admin:organization"), {"organization": "junk"}).status_code == 302


@pytest.mark.parametrize(
    ("role", "shown", "refused"),
    [
        (DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR, ["Users", "Groups", "External Identities"], []),
        (
            DirectoryRoleAssignment.Role.USER_ADMINISTRATOR,
            ["Users", "Groups", "Audit logs"],
            ["admin:directory_tenant_external_collaboration", "admin:directory_application_changelist"],
        ),
        (
            DirectoryRoleAssignment.Role.GUEST_INVITER,
            ["Users", "All invitations"],
            ["admin:directory_group_changelist", "admin:directory_group_settings_general"],
        ),
    ],
    ids=["global-administrator", "user-administrator", "guest-inviter"],
)
def test_directory_roles_decide_what_a_staff_account_sees(client, tenant, role, shown, refused):
    account = AccountFactory(is_staff=True)
    user = DirectoryUserFactory(tenant=tenant, account=account)
    DirectoryRoleAssignment.objects.create(user=user, role=role)
    client.force_login(account)

    labels = nav_labels(client.get(reverse("admin:index")))

    assert set(shown) <= set(labels)
    for name in refused:
        assert client.get(reverse(name)).status_code == 403


def test_a_guests_role_in_another_organization_grants_nothing(client, tenant):
    account = AccountFactory(is_staff=True)
    guest = DirectoryUserFactory(tenant=tenant, account=account, guest=True)
    DirectoryRoleAssignment.objects.create(user=guest, role=DirectoryRoleAssignment.Role.GLOBAL_ADMINISTRATOR)
    client.force_login(account)

    assert client.get(admin_url(DirectoryUser, "changelist")).status_code == 403
