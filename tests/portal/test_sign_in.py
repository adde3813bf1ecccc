"""Signing in: Microsoft's two steps as plain form posts, and the lockout after wrong passwords."""

import pytest
from django.urls import reverse

from portal import lockout
from tests.factories import DEFAULT_PASSWORD, AccountFactory, DirectoryUserFactory

SIGN_IN = "/sign-in/"


@pytest.fixture
def megan(db):
    return DirectoryUserFactory(mail="megan.bowen@contoso.com", display_name="Megan Bowen")


def test_the_first_step_asks_for_the_email_address_only(client, db):
    html = client.get(SIGN_IN).content.decode()

    assert 'name="username"' in html and ">Next</button>" in html
    assert 'type="password"' not in html


def test_next_leads_to_the_password_step_for_that_address_keeping_next(client, megan):
    response = client.post(SIGN_IN, {"username": " Megan.Bowen@Contoso.com ", "next": "/groups/"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter password" in html and 'type="password"' in html and ">Sign in</button>" in html
    assert 'type="hidden" name="username" value="megan.bowen@contoso.com"' in html
    assert 'name="next" value="/groups/"' in html
    assert f'href="{SIGN_IN}?next=/groups/"' in html


def test_an_unknown_address_also_gets_the_password_step_so_accounts_cannot_be_discovered(client, db):
    response = client.post(SIGN_IN, {"username": "nobody@contoso.com"})

    assert "Enter password" in response.content.decode()


def test_a_malformed_address_stays_on_the_first_step_with_a_sentence(client, db):
    response = client.post(SIGN_IN, {"username": "megan"})

    html = response.content.decode()
    assert "Enter a valid email address." in html and 'type="password"' not in html


def test_the_right_password_signs_in_and_follows_a_local_next(client, megan):
    response = client.post(SIGN_IN, {"username": megan.mail, "password": DEFAULT_PASSWORD, "next": "/groups/"})

    assert response.status_code == 302 and response["Location"] == "/groups/"


@pytest.mark.parametrize("hostile", ["my-apps", "https://evil.example/", "//evil.example/"])
def test_a_foreign_or_bare_next_ends_on_my_apps(client, megan, hostile):
    response = client.post(SIGN_IN, {"username": megan.mail, "password": DEFAULT_PASSWORD, "next": hostile})

    assert response.status_code == 302 and response["Location"] == reverse("portal:my-apps")


def test_a_wrong_password_keeps_the_password_step_with_a_sentence(client, megan):
    response = client.post(SIGN_IN, {"username": megan.mail, "password": "wrong"})

    html = response.content.decode()
    assert "don&#x27;t match an account" in html and "Enter password" in html


def test_too_many_wrong_passwords_lock_the_account_even_for_the_right_one(client, megan):
    for _ in range(lockout.ACCOUNT_LIMIT):
        client.post(SIGN_IN, {"username": megan.mail, "password": "wrong"})

    response = client.post(SIGN_IN, {"username": megan.mail.upper(), "password": DEFAULT_PASSWORD})

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Your account is locked" in response.content.decode()
    assert "AADSTS50053" in response.content.decode()
    other = DirectoryUserFactory(mail="alex.wilber@contoso.com")
    assert client.post(SIGN_IN, {"username": other.mail, "password": DEFAULT_PASSWORD}).status_code == 302


def test_too_many_wrong_passwords_from_one_address_block_it_for_every_account(client, megan):
    for n in range(lockout.CLIENT_LIMIT):
        client.post(SIGN_IN, {"username": f"spray{n}@contoso.com", "password": "wrong"}, REMOTE_ADDR="203.0.113.9")

    blocked = client.post(SIGN_IN, {"username": megan.mail, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="203.0.113.9")
    elsewhere = client.post(SIGN_IN, {"username": megan.mail, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="198.51.100.7")

    assert "too many attempts" in blocked.content.decode() and blocked.status_code == 200
    assert elsewhere.status_code == 302


def test_behind_a_trusted_proxy_each_client_address_is_counted_on_its_own(client, megan, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(lockout.CLIENT_LIMIT):
        client.post(
            SIGN_IN,
            {"username": f"spray{n}@contoso.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            **proxy,
        )

    sign_in = {"username": megan.mail, "password": DEFAULT_PASSWORD}
    blocked = client.post(SIGN_IN, sign_in, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    # A client cannot escape by writing its own X-Forwarded-For: the proxy appends the real address.
    spoofed = client.post(SIGN_IN, sign_in, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9", **proxy)
    colleague = client.post(SIGN_IN, sign_in, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    assert "too many attempts" in blocked.content.decode()
    assert "too many attempts" in spoofed.content.decode()
    assert colleague.status_code == 302


def test_the_admin_center_sign_in_shares_the_lockout(client, db):
    admin_email = "admin@contoso.com"
    AccountFactory(email=admin_email, is_staff=True, is_superuser=True)
    for _ in range(lockout.ACCOUNT_LIMIT):
        client.post("/admin/login/", {"username": admin_email, "password": "wrong"})

    response = client.post("/admin/login/", {"username": admin_email, "password": DEFAULT_PASSWORD})

    assert "_auth_user_id" not in client.session
    assert "Your account is locked" in response.content.decode()
    assert "locked" in client.post(SIGN_IN, {"username": admin_email, "password": DEFAULT_PASSWORD}).content.decode()
