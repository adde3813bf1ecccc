import io
from html import escape

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import CheckboxInput
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

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
    DOMAIN_LIST_REQUIRED,
    GUEST_DYNAMIC_GROUP,
    INVALID_DOMAIN,
    LAST_OWNER,
    SYNCED_GROUP_READ_ONLY,
    TOO_MANY_APPROVERS,
)
from tests import factories
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    AuditEventFactory,
    DirectoryUserFactory,
    GroupFactory,
)


@pytest.fixture
def superuser(db):
    return AccountFactory(is_staff=True, is_superuser=True)


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


def test_tenant_settings_save_writes_update_authorization_policy(staff_client, tenant, superuser):
    tenant.owners_can_manage_group_membership_requests = False
    tenant.save()
    url = admin_url(Tenant, "change", tenant.pk)
    data = form_data(staff_client.get(url))
    data["owners_can_manage_group_membership_requests"] = "True"
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.DENY_LISTED
    data["collaboration_domains"] = "Fabrikam.com\nfabrikam.com\n"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.owners_can_manage_group_membership_requests is True
    assert tenant.collaboration_domains == "fabrikam.com"
    event = AuditEvent.objects.get(activity=Activity.UPDATE_AUTHORIZATION_POLICY)
    assert event.initiated_by == superuser.email
    assert set(event.details["modifiedProperties"]) == {
        "owners_can_manage_group_membership_requests",
        "collaboration_restriction",
        "collaboration_domains",
    }


def test_tenant_save_refuses_an_invalid_domain_list_and_changes_nothing(staff_client, tenant):
    url = admin_url(Tenant, "change", tenant.pk)
    data = form_data(staff_client.get(url))
    data["display_name"] = "Renamed"
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.DENY_LISTED
    data["collaboration_domains"] = "fabrikam.com\nnot a domain"
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(INVALID_DOMAIN.format(domain="not a domain")) in response.text
    tenant.refresh_from_db()
    assert tenant.display_name != "Renamed"
    assert tenant.collaboration_domains == ""
    assert audit_count() == before


def test_tenant_save_shows_the_service_refusal_on_the_domain_list(staff_client, tenant):
    tenant.collaboration_restriction = Tenant.CollaborationRestriction.DENY_LISTED
    tenant.collaboration_domains = "fabrikam.com"
    tenant.save()
    url = admin_url(Tenant, "change", tenant.pk)
    data = form_data(staff_client.get(url))
    # Switching the mode discards the old list, so the new mode is left without one.
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.ALLOW_LISTED
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(DOMAIN_LIST_REQUIRED) in response.text
    assert "collaboration_domains" in response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert tenant.collaboration_restriction == Tenant.CollaborationRestriction.DENY_LISTED
    assert audit_count() == before


def test_tenant_switch_to_any_domain_discards_the_old_list(staff_client, tenant):
    tenant.collaboration_restriction = Tenant.CollaborationRestriction.DENY_LISTED
    tenant.collaboration_domains = "fabrikam.com"
    tenant.save()
    url = admin_url(Tenant, "change", tenant.pk)
    data = form_data(staff_client.get(url))
    data["collaboration_restriction"] = Tenant.CollaborationRestriction.ALLOW_ANY

    assert staff_client.post(url, data).status_code == 302
    tenant.refresh_from_db()
    assert tenant.collaboration_domains == ""


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
    DirectoryUserFactory(tenant=tenant)
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    DirectoryUserFactory.create_batch(29, tenant=tenant)

    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)
    assert response.context["cl"].result_count == 30


def test_user_autocomplete_offers_only_users_of_the_groups_organization(staff_client, member):
    group = GroupFactory(tenant=member.tenant)
    stranger = DirectoryUserFactory(display_name=member.display_name)
    url = reverse("admin:autocomplete")
    query = {"app_label": "directory", "model_name": "groupmember", "field_name": "user", "term": ""}

    response = staff_client.get(url, query, headers={"referer": admin_url(Group, "change", group.pk)})

    ids = {result["id"] for result in response.json()["results"]}
    assert str(member.pk) in ids
    assert str(stranger.pk) not in ids


# Groups ----------------------------------------------------------------------


def test_group_save_with_a_new_member_writes_add_member_to_group(staff_client, member):
    owner = DirectoryUserFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant, owners=[owner])
    url = admin_url(Group, "change", group.pk)
    data = form_data(staff_client.get(url))
    data["member_links-0-user"] = str(member.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert GroupMember.objects.filter(group=group, user=member).exists()
    event = AuditEvent.objects.get(activity=Activity.ADD_MEMBER_TO_GROUP)
    assert event.details["userId"] == str(member.pk)


def test_group_add_creates_the_group_with_its_owner(staff_client, member):
    url = admin_url(Group, "add")
    data = form_data(staff_client.get(url))
    data.update(tenant=str(member.tenant.pk), display_name="Sales", group_type="Security")
    data["owner_links-0-user"] = str(member.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 302
    group = Group.objects.get(display_name="Sales")
    assert list(group.owner_links.values_list("user", flat=True)) == [member.pk]
    activities = set(AuditEvent.objects.values_list("activity", flat=True))
    assert {Activity.ADD_GROUP, Activity.ADD_OWNER_TO_GROUP} <= activities


def test_group_members_inline_refuses_a_guest_in_a_dynamic_group(staff_client, member):
    group = GroupFactory(tenant=member.tenant, dynamic=True, owners=[member])
    guest = DirectoryUserFactory(tenant=member.tenant, guest=True)
    url = admin_url(Group, "change", group.pk)
    data = form_data(staff_client.get(url))
    data["description"] = "Changed"
    data["member_links-0-user"] = str(guest.pk)
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(GUEST_DYNAMIC_GROUP) in response.text
    assert not GroupMember.objects.filter(group=group).exists()
    group.refresh_from_db()
    assert group.description == ""
    assert audit_count() == before


def test_group_owners_inline_refuses_removing_the_last_owner(staff_client, member):
    group = GroupFactory(tenant=member.tenant, owners=[member])
    url = admin_url(Group, "change", group.pk)
    data = form_data(staff_client.get(url))
    data["owner_links-0-DELETE"] = "on"
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(LAST_OWNER.format(group=group, name=member.display_name)) in response.text
    assert GroupOwner.objects.filter(group=group, user=member).exists()
    assert audit_count() == before


def test_group_save_refused_by_a_service_rolls_back_the_whole_save(staff_client, member):
    """The group update succeeds, then removing a member of a synced group is refused: nothing stays."""
    owner = DirectoryUserFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant, synced=True, owners=[owner], members=[member])
    url = admin_url(Group, "change", group.pk)
    data = form_data(staff_client.get(url))
    data["description"] = "Changed"
    data["member_links-0-DELETE"] = "on"
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(SYNCED_GROUP_READ_ONLY.format(group=group)) in response.text
    group.refresh_from_db()
    assert group.description == ""
    assert GroupMember.objects.filter(group=group, user=member).exists()
    assert audit_count() == before


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


def test_application_self_service_save_assigns_the_group(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    group = GroupFactory(tenant=member.tenant)
    url = admin_url(Application, "change", application.pk)
    data = form_data(staff_client.get(url))
    data.update(
        self_service_enabled="True",
        self_service_group=str(group.pk),
        self_service_approval_required="True",
        self_service_approvers=[str(member.pk)],
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.self_service_group == group
    assert list(application.self_service_approvers.all()) == [member]
    assert AppRoleAssignment.objects.filter(application=application, principal_group=group).exists()
    assert AuditEvent.objects.filter(activity=Activity.UPDATE_SERVICE_PRINCIPAL).exists()


def test_application_refuses_eleven_approvers(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)
    approvers = DirectoryUserFactory.create_batch(11, tenant=tenant)
    url = admin_url(Application, "change", application.pk)
    data = form_data(staff_client.get(url))
    data["self_service_approvers"] = [str(user.pk) for user in approvers]
    before = audit_count()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert escape(TOO_MANY_APPROVERS) in response.text
    assert not application.self_service_approvers.exists()
    assert audit_count() == before


def test_application_approvers_are_limited_to_its_organization(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)
    stranger = DirectoryUserFactory()

    response = staff_client.get(admin_url(Application, "change", application.pk))

    queryset = response.context["adminform"].form.fields["self_service_approvers"].queryset
    assert stranger not in queryset


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


def test_application_users_and_groups_inline_assigns_through_the_service(staff_client, member):
    application = ApplicationFactory(tenant=member.tenant)
    url = admin_url(Application, "change", application.pk)
    data = form_data(staff_client.get(url))
    data["assignments-0-principal_user"] = str(member.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assignment = AppRoleAssignment.objects.get(application=application)
    assert assignment.principal_user == member
    assert assignment.app_role.display_name == "Default Access"
    assert AuditEvent.objects.filter(activity=Activity.ADD_APP_ROLE_ASSIGNMENT).exists()


def test_application_inline_offers_only_the_applications_roles(staff_client, tenant):
    application = ApplicationFactory(tenant=tenant)
    other = ApplicationFactory(tenant=tenant)

    response = staff_client.get(admin_url(Application, "change", application.pk))

    formset = response.context["inline_admin_formsets"][0].formset
    roles = set(formset.forms[0].fields["app_role"].queryset)
    assert roles == set(application.app_roles.all())
    assert not roles & set(other.app_roles.all())


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
