import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import AuditEvent
from signin.models import AppRegistration, ClientSecret, SignInEvent
from signin.services import hash_secret
from tests.factories import AccountFactory, ApplicationFactory, SignInEventFactory


@pytest.fixture
def staff_client(client, db):
    client.force_login(AccountFactory(is_staff=True, is_superuser=True))
    return client


def test_register_an_app_with_redirect_uris_through_the_service(staff_client, tenant):
    app = ApplicationFactory(tenant=tenant)
    response = staff_client.post(
        reverse("admin:signin_appregistration_add"),
        {
            "tenant": tenant.pk,
            "display_name": "Expenses",
            "application": app.pk,
            "redirect_uris": "https://expenses.example/callback\nhttp://localhost:5000/cb",
        },
    )
    assert response.status_code == 302
    registration = AppRegistration.objects.get()
    assert registration.redirect_uri_list == ["https://expenses.example/callback", "http://localhost:5000/cb"]
    assert AuditEvent.objects.filter(activity="Add application").count() == 1
    page = staff_client.get(reverse("admin:signin_appregistration_change", args=[registration.pk])).content.decode()
    assert str(registration.client_id) in page
    assert f"/{tenant.pk}/v2.0/.well-known/openid-configuration" in page


def test_bad_redirect_uri_is_refused_with_a_sentence(staff_client, tenant):
    response = staff_client.post(
        reverse("admin:signin_appregistration_add"),
        {"tenant": tenant.pk, "display_name": "Expenses", "redirect_uris": "http://evil.example/cb"},
    )
    assert response.status_code == 200
    assert "isn&#x27;t a valid redirect URI" in response.content.decode()
    assert not AppRegistration.objects.exists()


def test_new_client_secret_is_shown_once_and_stored_hashed(staff_client, registration):
    url = reverse("admin:signin_appregistration_new_secret", args=[registration.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"description": "CI", "expires": "90"})
    value = re.search(r'data-testid="secret-value">([^<]+)<', response.content.decode()).group(1)
    secret = ClientSecret.objects.get()
    assert secret.secret_hash == hash_secret(value) and value not in secret.secret_hash
    assert secret.hint == value[:3]
    change = staff_client.get(reverse("admin:signin_appregistration_change", args=[registration.pk]))
    assert value not in change.content.decode()

    remove = reverse("admin:signin_appregistration_remove_secret", args=[registration.pk, secret.pk])
    assert staff_client.get(remove).status_code == 200
    assert staff_client.post(remove).status_code == 302
    assert not ClientSecret.objects.exists()
    assert AuditEvent.objects.filter(activity__startswith="Update application – Certificates").count() == 2


def test_sign_in_logs_are_read_only_and_listed_in_constant_queries(staff_client, tenant, django_assert_max_num_queries):
    url = reverse("admin:signin_signinevent_changelist")
    SignInEventFactory(tenant=tenant)
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(url)
    for _ in range(29):
        SignInEventFactory(tenant=tenant)
    with django_assert_max_num_queries(len(one_row)):
        response = staff_client.get(url)
    assert response.status_code == 200
    event = SignInEvent.objects.first()
    change_url = reverse("admin:signin_signinevent_change", args=[event.pk])
    staff_client.post(change_url, {"status": "failure"})
    event.refresh_from_db()
    assert event.status == "success"
    assert staff_client.get(reverse("admin:signin_signinevent_add")).status_code == 403
