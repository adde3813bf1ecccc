"""Portal sign-ins (password, one-time passcode) write the sign-in log too, refused ones included."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from portal import lockout
from signin.models import SignInEvent
from signin.services import MY_APPS
from tests.factories import DEFAULT_PASSWORD, DirectoryUserFactory, TenantFactory
from tests.invitations.redemption_support import code_from_outbox, invite

GUEST = "guest@fabrikam.example"


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, email, password):
    return client.post(reverse("portal:sign-in"), {"username": email, "password": password})


def test_password_sign_in_is_logged_in_the_home_tenant(client, member):
    DirectoryUserFactory(tenant=TenantFactory(), guest=True, account=member.account)
    assert _sign_in(client, member.account.email, DEFAULT_PASSWORD).status_code == 302
    event = SignInEvent.objects.get()
    assert (event.tenant, event.user_id, event.status, event.protocol) == (
        member.tenant,
        member.pk,
        "success",
        "password",
    )
    assert event.app_display_name == MY_APPS


def test_wrong_password_is_logged_as_aadsts50126(client, member):
    assert _sign_in(client, member.account.email.upper(), "wrong").status_code == 200
    event = SignInEvent.objects.get()
    assert (event.status, event.error_code, event.user_id) == ("failure", 50126, member.pk)


def test_a_locked_out_attempt_is_logged_as_aadsts50053_not_as_a_wrong_password(client, member):
    for _ in range(lockout.ACCOUNT_LIMIT):
        _sign_in(client, member.account.email, "wrong")

    assert _sign_in(client, member.account.email, DEFAULT_PASSWORD).status_code == 200

    latest = SignInEvent.objects.order_by("-created_date_time").first()
    assert (latest.status, latest.error_code, latest.user_id) == ("failure", 50053, member.pk)
    assert "Account is locked" in latest.failure_reason
    assert SignInEvent.objects.filter(error_code=50126).count() == lockout.ACCOUNT_LIMIT


def test_behind_a_trusted_proxy_the_log_shows_the_clients_address(client, member, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("portal:sign-in"),
        {"username": member.account.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.50",
    )
    assert SignInEvent.objects.get().ip_address == "203.0.113.50"


def test_unknown_address_logs_nothing_and_says_the_same(client, db):
    response = _sign_in(client, "nobody@nowhere.example", "wrong")
    assert response.status_code == 200
    assert not SignInEvent.objects.exists()


def test_one_time_passcode_sign_in_is_logged_for_the_inviting_tenant(client, tenant, member):
    invitation, ticket = invite(tenant=tenant, inviter=member, email=GUEST)
    client.post(reverse("invitations:redeem-send-code", args=[ticket]))
    wrong = client.post(reverse("invitations:redeem-code", args=[ticket]), {"code": "00000000"})
    assert wrong.status_code == 400
    right = client.post(reverse("invitations:redeem-code", args=[ticket]), {"code": code_from_outbox(GUEST)})
    assert right.status_code == 302
    events = list(SignInEvent.objects.order_by("created_date_time"))
    assert [(e.status, e.error_code, e.protocol) for e in events] == [
        ("failure", 1002016, "emailOtp"),
        ("success", 0, "emailOtp"),
    ]
    assert {e.tenant_id for e in events} == {tenant.pk}
    assert {e.cross_tenant_access_type for e in events} == {"b2bCollaboration"}
    assert events[1].user_id == invitation.invited_user_id
