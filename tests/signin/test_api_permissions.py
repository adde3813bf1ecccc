"""App registrations → API permissions: add Microsoft Graph application permissions, grant admin consent."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import AuditEvent
from directory.services import PolicyError
from signin import tokens
from signin.services import (
    NO_PERMISSION_CHOSEN,
    UNKNOWN_PERMISSION,
    add_api_permissions,
    grant_admin_consent,
)
from tests.factories import AccountFactory, AppRegistrationFactory, ClientSecretFactory


@pytest.fixture
def staff_client(client, db):
    client.force_login(AccountFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def registration(tenant):
    return AppRegistrationFactory(tenant=tenant, display_name="Provisioning script")


def test_add_a_permission_then_grant_admin_consent_and_the_token_carries_it(staff_client, registration, tenant):
    change = reverse("admin:signin_appregistration_change", args=[registration.pk])
    page = staff_client.get(change).content.decode()
    assert "+ Add a permission" in page and f"Grant admin consent for {tenant}" in page

    add = reverse("admin:signin_appregistration_add_permissions", args=[registration.pk])
    assert "Invite guest users to the organization" in staff_client.get(add).content.decode()
    added = staff_client.post(add, {"permissions": ["User.Invite.All", "Group.Read.All"]})
    assert added.status_code == 302
    page = staff_client.get(change).content.decode()
    assert page.count(f"Not granted for {tenant}") == 2
    registration.refresh_from_db()
    assert registration.graph_application_permissions == []

    consent = reverse("admin:signin_appregistration_grant_consent", args=[registration.pk])
    assert "Do you want to grant consent" in staff_client.get(consent).content.decode()
    assert staff_client.post(consent).status_code == 302

    registration.refresh_from_db()
    assert registration.graph_application_permissions == ["Group.Read.All", "User.Invite.All"]
    assert registration.admin_consent_date_time is not None
    assert staff_client.get(change).content.decode().count(f"Granted for {tenant}") == 2
    claims = tokens.verify_access_token(tokens.application_access_token(registration))
    assert claims["roles"] == ["Group.Read.All", "User.Invite.All"]
    assert list(AuditEvent.objects.values_list("activity", flat=True).order_by("pk")) == [
        "Update application",
        "Consent to application",
    ]


def test_removing_a_permission_revokes_its_consent(staff_client, registration):
    grant_admin_consent(registration=registration, actor=None, permissions=["User.Read.All", "Group.Read.All"])
    remove = reverse("admin:signin_appregistration_remove_permission", args=[registration.pk, "User.Read.All"])

    assert "Are you sure" in staff_client.get(remove).content.decode()
    assert staff_client.post(remove).status_code == 302

    registration.refresh_from_db()
    assert registration.requested_graph_permissions == ["Group.Read.All"]
    assert registration.graph_application_permissions == ["Group.Read.All"]
    missing = reverse("admin:signin_appregistration_remove_permission", args=[registration.pk, "Mail.Send"])
    assert staff_client.get(missing).status_code == 404


def test_adding_nothing_or_an_unknown_permission_is_refused(staff_client, registration):
    add = reverse("admin:signin_appregistration_add_permissions", args=[registration.pk])
    assert staff_client.post(add, {}).status_code == 200
    assert staff_client.post(add, {"permissions": ["Mail.Send"]}).status_code == 200
    with pytest.raises(PolicyError, match=NO_PERMISSION_CHOSEN):
        add_api_permissions(registration=registration, permissions=[], actor=None)
    with pytest.raises(PolicyError, match=UNKNOWN_PERMISSION.format(permission="Mail.Send")):
        add_api_permissions(registration=registration, permissions=["Mail.Send"], actor=None)
    registration.refresh_from_db()
    assert registration.requested_graph_permissions == []


def test_the_list_shows_consent_status_in_constant_queries(staff_client, tenant):
    url = reverse("admin:signin_appregistration_changelist")
    granted = AppRegistrationFactory(tenant=tenant)
    grant_admin_consent(registration=granted, actor=None, permissions=["User.Read.All"])
    pending = AppRegistrationFactory(tenant=tenant)
    add_api_permissions(registration=pending, permissions=["User.Read.All"], actor=None)
    with CaptureQueriesContext(connection) as few:
        page = staff_client.get(url).content.decode()
    assert f"Granted for {tenant}" in page and f"Not granted for {tenant}" in page
    assert "New registration" in page
    for _ in range(5):
        ClientSecretFactory(registration=AppRegistrationFactory(tenant=tenant))
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(few)
