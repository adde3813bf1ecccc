import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from directory.models import Account
from invitations import passcodes
from invitations.models import OneTimePasscode, OutboundEmail
from invitations.passcodes import PasscodeError, send_passcode, verify_passcode
from tests.factories import AccountFactory, DirectoryUserFactory, OneTimePasscodeFactory, TenantFactory
from tests.invitations.redemption_support import code_from_outbox, invite, latest_email

GUEST = "guest@fabrikam.example"


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def contoso(db):
    return TenantFactory(display_name="Contoso")


@pytest.fixture
def pending(contoso):
    return invite(tenant=contoso, inviter=DirectoryUserFactory(tenant=contoso), email=GUEST)


@pytest.fixture
def invitation(pending):
    return pending[0]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


def test_send_emails_an_8_digit_code_and_stores_only_its_keyed_hash(invitation):
    passcode = send_passcode(invitation=invitation, email=GUEST)

    code = code_from_outbox(GUEST)
    assert len(code) == 8
    assert code.isdigit()
    email = latest_email(GUEST, OutboundEmail.Kind.ONE_TIME_CODE)
    assert email.subject == "Your Contoso verification code"
    assert email.invitation == invitation
    stored = OneTimePasscode.objects.get(pk=passcode.pk)
    assert code not in stored.code_hash
    assert stored.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert len(stored.code_hash) == 64
    assert stored.expires_date_time - stored.created_date_time == timedelta(minutes=30)


def test_right_code_returns_a_new_passwordless_account(invitation):
    send_passcode(invitation=invitation, email=GUEST)

    account = verify_passcode(invitation=invitation, email=GUEST, code=code_from_outbox(GUEST), display_name="Guest")

    assert account.email == GUEST
    assert account.display_name == "Guest"
    assert not account.has_usable_password()


def test_code_may_be_typed_with_spaces(invitation):
    send_passcode(invitation=invitation, email=GUEST)
    code = code_from_outbox(GUEST)

    account = verify_passcode(invitation=invitation, email=GUEST, code=f" {code[:4]} {code[4:]} ")

    assert account.email == GUEST


def test_an_existing_account_may_prove_its_address_with_a_code(invitation):
    existing = AccountFactory(email=GUEST)
    send_passcode(invitation=invitation, email=GUEST)

    account = verify_passcode(invitation=invitation, email=GUEST, code=code_from_outbox(GUEST))

    assert account == existing
    assert Account.objects.filter(email=GUEST).count() == 1


def test_wrong_code_counts_an_attempt(invitation):
    passcode = send_passcode(invitation=invitation, email=GUEST)

    with pytest.raises(PasscodeError, match="4 attempts left"):
        verify_passcode(invitation=invitation, email=GUEST, code=wrong(code_from_outbox(GUEST)))

    passcode.refresh_from_db()
    assert passcode.attempts == 1
    assert passcode.used_date_time is None


def test_five_wrong_attempts_kill_the_code(invitation):
    passcode = send_passcode(invitation=invitation, email=GUEST)
    code = code_from_outbox(GUEST)
    for _ in range(4):
        with pytest.raises(PasscodeError, match="attempts left"):
            verify_passcode(invitation=invitation, email=GUEST, code=wrong(code))
    with pytest.raises(PasscodeError) as fifth:
        verify_passcode(invitation=invitation, email=GUEST, code=wrong(code))
    assert fifth.value.message == passcodes.CODE_DEAD

    with pytest.raises(PasscodeError) as right_but_dead:
        verify_passcode(invitation=invitation, email=GUEST, code=code)

    assert right_but_dead.value.message == passcodes.CODE_DEAD
    passcode.refresh_from_db()
    assert passcode.attempts == 5
    assert not Account.objects.filter(email=GUEST).exists()


def test_malformed_code_is_refused_without_counting_an_attempt(invitation):
    passcode = send_passcode(invitation=invitation, email=GUEST)

    for code in ("1234", "abcdefgh", "1" * 9, ""):
        with pytest.raises(PasscodeError) as error:
            verify_passcode(invitation=invitation, email=GUEST, code=code)
        assert error.value.message == passcodes.CODE_FORMAT

    passcode.refresh_from_db()
    assert passcode.attempts == 0


def test_code_expires_after_30_minutes(invitation):
    passcode = send_passcode(invitation=invitation, email=GUEST)
    OneTimePasscode.objects.filter(pk=passcode.pk).update(expires_date_time=timezone.now() - timedelta(seconds=1))

    with pytest.raises(PasscodeError) as error:
        verify_passcode(invitation=invitation, email=GUEST, code=code_from_outbox(GUEST))

    assert error.value.message == passcodes.CODE_EXPIRED


def test_code_is_good_until_it_expires(db):
    fresh = OneTimePasscodeFactory()
    expired = OneTimePasscodeFactory(expired=True)

    account = verify_passcode(invitation=fresh.invitation, email=fresh.email, code=fresh.plain_code)
    with pytest.raises(PasscodeError) as error:
        verify_passcode(invitation=expired.invitation, email=expired.email, code=expired.plain_code)

    assert account.email == fresh.email
    assert error.value.message == passcodes.CODE_EXPIRED


def test_code_works_only_once(invitation):
    send_passcode(invitation=invitation, email=GUEST)
    code = code_from_outbox(GUEST)
    verify_passcode(invitation=invitation, email=GUEST, code=code)

    with pytest.raises(PasscodeError) as error:
        verify_passcode(invitation=invitation, email=GUEST, code=code)

    assert error.value.message == passcodes.CODE_USED


def test_a_new_code_replaces_the_previous_one(invitation):
    send_passcode(invitation=invitation, email=GUEST)
    first = code_from_outbox(GUEST)
    send_passcode(invitation=invitation, email=GUEST)
    second = code_from_outbox(GUEST)

    with pytest.raises(PasscodeError):
        verify_passcode(invitation=invitation, email=GUEST, code=first if first != second else wrong(second))
    assert verify_passcode(invitation=invitation, email=GUEST, code=second).email == GUEST


def test_code_without_a_send_is_refused(invitation):
    with pytest.raises(PasscodeError) as error:
        verify_passcode(invitation=invitation, email=GUEST, code="12345678")

    assert error.value.message == passcodes.NO_CODE


def test_code_for_another_address_does_not_prove_this_one(invitation):
    send_passcode(invitation=invitation, email=GUEST)

    with pytest.raises(PasscodeError):
        verify_passcode(invitation=invitation, email="other@fabrikam.example", code=code_from_outbox(GUEST))


def test_sends_are_rate_limited_to_five_per_15_minutes(invitation):
    for _ in range(5):
        send_passcode(invitation=invitation, email=GUEST)

    with pytest.raises(PasscodeError) as error:
        send_passcode(invitation=invitation, email=GUEST)

    assert error.value.message == passcodes.TOO_MANY_SENDS
    assert OneTimePasscode.objects.filter(email=GUEST).count() == 5


def test_send_code_page_shows_the_rate_limit(client, pending):
    _, ticket = pending
    url = reverse("invitations:redeem-send-code", args=[ticket])
    for _ in range(5):
        assert client.post(url).status_code == 302

    response = client.post(url)

    assert response.status_code == 429
    assert "You asked for too many codes" in response.content.decode()


def test_send_is_refused_when_the_tenant_turned_one_time_passcodes_off(contoso, invitation):
    contoso.email_otp_enabled = False
    contoso.save()
    invitation.refresh_from_db()

    with pytest.raises(PasscodeError, match="requires you to sign in with an existing account"):
        send_passcode(invitation=invitation, email=GUEST)

    assert not OneTimePasscode.objects.exists()


def test_code_page_counts_a_wrong_code_and_keeps_the_person_signed_out(client, pending):
    invitation, ticket = pending
    client.post(reverse("invitations:redeem-send-code", args=[ticket]))

    response = client.post(reverse("invitations:redeem-code", args=[ticket]), {"code": wrong(code_from_outbox(GUEST))})

    assert response.status_code == 400
    assert "That code isn" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert OneTimePasscode.objects.get(invitation=invitation).attempts == 1
