"""Sign-in logs in the admin center: the product's columns and filters, Activity Details, read-only, and the
retention cleanup command."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from signin.admin import DATE_NOT_VALID, DATE_RANGE_REVERSED
from signin.models import SignInEvent
from tests.factories import AccountFactory, SignInEventFactory

LIST = reverse("admin:signin_signinevent_changelist")


@pytest.fixture
def staff_client(client, db):
    client.force_login(AccountFactory(is_staff=True, is_superuser=True))
    return client


def shown(response) -> set[str]:
    return {event.user_principal_name for event in response.context["cl"].result_list}


def ago(**delta: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


def test_sign_in_logs_list_the_products_columns(staff_client, tenant):
    SignInEventFactory(tenant=tenant)

    response = staff_client.get(LIST)

    assert response.status_code == 200
    headers = [capfirst(header["text"]) for header in result_headers(response.context["cl"])]
    assert headers == [
        "Date",
        "Request ID",
        "User",
        "Application",
        "Status",
        "IP address",
        "Client app",
        "Cross tenant access type",
        "Sign-in error code",
        "Failure reason",
    ]
    assert response.context["title"] == "Sign-in logs"


@pytest.mark.parametrize(("period", "expected"), [("24h", {"a"}), ("7d", {"a", "b"}), ("30d", {"a", "b", "c"})])
def test_date_filter_presets(staff_client, tenant, period, expected):
    for name, delta in (("a", {"hours": 2}), ("b", {"days": 3}), ("c", {"days": 20}), ("d", {"days": 40})):
        SignInEventFactory(tenant=tenant, user_principal_name=name, created_date_time=ago(**delta))

    assert shown(staff_client.get(LIST, {"date": period})) == expected
    assert shown(staff_client.get(LIST)) == {"a", "b", "c", "d"}


def test_date_filter_custom_range_includes_both_whole_days(staff_client, tenant):
    day = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    for name, when in (
        ("before", day - dt.timedelta(minutes=1)),
        ("first", day),
        ("last", day + dt.timedelta(days=2, hours=23)),
        ("after", day + dt.timedelta(days=3)),
    ):
        SignInEventFactory(tenant=tenant, user_principal_name=name, created_date_time=when)

    response = staff_client.get(LIST, {"date": "custom", "date_from": "2026-11-10", "date_to": "2026-11-12"})

    assert shown(response) == {"first", "last"}
    assert 'value="2026-11-10"' in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "10/11/2026"}, DATE_NOT_VALID),
        ({"date_from": "2026-11-12", "date_to": "2026-11-10"}, DATE_RANGE_REVERSED),
    ],
)
def test_date_filter_refuses_a_bad_custom_range_with_a_sentence(staff_client, tenant, params, message):
    SignInEventFactory(tenant=tenant, user_principal_name="old", created_date_time=ago(days=400))

    response = staff_client.get(LIST, {"date": "custom", **params})

    assert response.status_code == 200
    assert message in response.text
    assert shown(response) == {"old"}


def test_user_application_and_status_filters_combine(staff_client, tenant):
    SignInEventFactory(tenant=tenant, user_principal_name="megan@contoso.example", app_display_name="Salesforce")
    SignInEventFactory(
        tenant=tenant,
        user_principal_name="megan2@contoso.example",
        app_display_name="Salesforce",
        status=SignInEvent.Status.FAILURE,
        error_code=50105,
        failure_reason="Not assigned.",
    )
    SignInEventFactory(tenant=tenant, user_principal_name="alex@contoso.example", app_display_name="Salesforce")
    SignInEventFactory(tenant=tenant, user_principal_name="megan3@contoso.example", app_display_name="My Apps")

    assert shown(staff_client.get(LIST, {"user": "MEGAN"})) == {
        "megan@contoso.example",
        "megan2@contoso.example",
        "megan3@contoso.example",
    }
    assert shown(staff_client.get(LIST, {"user": "megan", "application": "sales"})) == {
        "megan@contoso.example",
        "megan2@contoso.example",
    }
    response = staff_client.get(LIST, {"user": "megan", "application": "sales", "status__exact": "failure"})
    assert shown(response) == {"megan2@contoso.example"}
    # Each typed-in filter's form carries the others, so applying one keeps them.
    assert '<input type="hidden" name="status__exact" value="failure">' in response.text


def test_sign_in_logs_query_count_is_constant_with_filters(staff_client, tenant, django_assert_max_num_queries):
    params = {"date": "7d", "user": "signin", "application": "My"}
    SignInEventFactory(tenant=tenant)
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(LIST, params)
    count = len(queries)
    SignInEventFactory.create_batch(30, tenant=tenant)

    with django_assert_max_num_queries(count):
        response = staff_client.get(LIST, params)
    assert response.context["cl"].result_count == 31


def test_activity_details_show_the_entry_and_change_nothing(staff_client, tenant):
    event = SignInEventFactory(
        tenant=tenant,
        status=SignInEvent.Status.FAILURE,
        error_code=50105,
        failure_reason="The signed in user is not assigned to a role for the application.",
        ip_address="192.0.2.10",
        user_agent="Mozilla/5.0 (X11; Linux x86_64)",
        cross_tenant_access_type=SignInEvent.CrossTenantAccessType.B2B_COLLABORATION,
    )
    url = reverse("admin:signin_signinevent_change", args=[event.pk])

    response = staff_client.get(url)

    assert response.status_code == 200
    for text in (
        str(event.request_id),
        "50105",
        "not assigned to a role",
        "192.0.2.10",
        "Mozilla/5.0",
        "B2B collaboration",
    ):
        assert text in response.text
    assert url in staff_client.get(LIST).text
    assert staff_client.post(url, {"status": "success"}).status_code == 403
    event.refresh_from_db()
    assert event.status == SignInEvent.Status.FAILURE
    assert staff_client.get(reverse("admin:signin_signinevent_change", args=["junk"])).status_code == 404


def test_sign_in_logs_need_their_permission(client, tenant):
    event = SignInEventFactory(tenant=tenant)
    account = AccountFactory(is_staff=True)
    client.force_login(account)
    assert client.get(LIST).status_code == 403

    account.user_permissions.add(Permission.objects.get(codename="view_signinevent"))
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("admin:signin_signinevent_change", args=[event.pk])).status_code == 200


def test_clean_sign_in_logs_deletes_entries_older_than_the_retention(tenant, settings):
    settings.SIGN_IN_LOG_RETENTION_DAYS = 30
    SignInEventFactory(tenant=tenant, user_principal_name="old", created_date_time=ago(days=31))
    SignInEventFactory(tenant=tenant, user_principal_name="recent", created_date_time=ago(days=29))
    out = StringIO()

    call_command("clean_sign_in_logs", stdout=out)

    assert list(SignInEvent.objects.values_list("user_principal_name", flat=True)) == ["recent"]
    assert out.getvalue().strip() == "Deleted 1 sign-in log entries older than 30 days."
