"""How and when the person signed in reaches the app: the id token's `amr` and `auth_time`, the SAML
AuthnContextClassRef and AuthnInstant."""

import base64
import datetime
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree
import pytest
from django.urls import reverse

from samlidp.services import configure_saml
from signin import keys, tokens
from signin.services import SIGN_IN_TIME
from tests.factories import DEFAULT_PASSWORD, AppRoleAssignmentFactory, DirectoryUserFactory
from tests.invitations.redemption_support import code_from_outbox, invite
from tests.samlidp.support import posted_form
from tests.signin.test_authorize import _authorize, _redeem, _sign_in

GUEST = "kim.akers@litware.example"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


def redeem_with_a_one_time_passcode(client, tenant):
    """A guest redeems their invitation with an emailed code, through the real pages."""
    invitation, ticket = invite(tenant=tenant, inviter=DirectoryUserFactory(tenant=tenant), email=GUEST)
    client.post(reverse("invitations:redeem-send-code", args=[ticket]))
    verified = client.post(reverse("invitations:redeem-code", args=[ticket]), {"code": code_from_outbox(GUEST)})
    assert verified.url == reverse("invitations:redeem-consent", args=[ticket])
    assert client.post(verified.url, {"action": "accept"}).status_code == 302
    invitation.invited_user.refresh_from_db()
    return invitation.invited_user


@pytest.fixture
def guest(https_client, registration):
    user = redeem_with_a_one_time_passcode(https_client, registration.tenant)
    AppRoleAssignmentFactory(application=registration.application, principal_user=user)
    return user


def id_token_claims(client, registration, secret) -> dict:
    response, verifier, _ = _authorize(client, registration)
    assert response.status_code == 302, response.content
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    body = _redeem(client, registration, secret, code, verifier).json()
    return keys.verify_jwt(
        body["id_token"], audience=str(registration.client_id), issuer=tokens.issuer_for(registration.tenant)
    )


def test_a_password_sign_in_is_pwd(https_client, registration, secret, assigned_member):
    _sign_in(https_client, assigned_member)
    assert id_token_claims(https_client, registration, secret)["amr"] == ["pwd"]


def test_a_one_time_passcode_sign_in_is_otp(https_client, registration, secret, guest):
    assert id_token_claims(https_client, registration, secret)["amr"] == ["otp"]


def authn_context_of_the_tile(client, application) -> str:
    configure_saml(
        application=application, actor=None, entity_id="https://sp.example/", reply_url="https://sp.example/acs"
    )
    response = client.get(reverse("portal:launch", args=[application.pk]))
    _, fields = posted_form(response.content.decode())
    root = defusedxml.ElementTree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    return root.find(f"{SAML}Assertion/{SAML}AuthnStatement/{SAML}AuthnContext/{SAML}AuthnContextClassRef").text


def test_saml_authn_context_follows_the_sign_in(https_client, registration, guest, assigned_member):
    application = registration.application
    application.single_sign_on_mode, application.sign_on_url = "saml", ""
    application.save()
    assert authn_context_of_the_tile(https_client, application).endswith(":unspecified")
    https_client.logout()
    _sign_in(https_client, assigned_member)
    assert authn_context_of_the_tile(https_client, application).endswith(":PasswordProtectedTransport")


def sign_in_on_the_page(client, user) -> None:
    """The portal's own sign-in page, which remembers in the session when the person signed in."""
    response = client.post(reverse("portal:sign-in"), {"username": user.account.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content.decode()


def signed_in_two_hours_ago(client) -> datetime.datetime:
    """The session of a person who signed in two hours ago (the clock isn't mocked: the stored time is moved)."""
    session = client.session
    signed_in = datetime.datetime.fromisoformat(session[SIGN_IN_TIME]) - datetime.timedelta(hours=2)
    session[SIGN_IN_TIME] = signed_in.isoformat()
    session.save()
    return signed_in


def test_auth_time_is_when_the_person_signed_in_not_when_the_code_was_issued(
    https_client, registration, secret, assigned_member
):
    sign_in_on_the_page(https_client, assigned_member)
    signed_in = signed_in_two_hours_ago(https_client)
    claims = id_token_claims(https_client, registration, secret)
    assert claims["auth_time"] == int(signed_in.timestamp())
    assert claims["iat"] - claims["auth_time"] >= 2 * 60 * 60


def test_auth_time_of_a_session_that_did_not_record_it_is_the_accounts_last_sign_in(
    https_client, registration, secret, assigned_member
):
    _sign_in(https_client, assigned_member)
    assert SIGN_IN_TIME not in https_client.session
    assigned_member.account.refresh_from_db()
    claims = id_token_claims(https_client, registration, secret)
    assert claims["auth_time"] == int(assigned_member.account.last_login.timestamp())


def test_saml_authn_instant_is_when_the_person_signed_in(https_client, registration, assigned_member):
    application = registration.application
    application.single_sign_on_mode, application.sign_on_url = "saml", ""
    application.save()
    sign_in_on_the_page(https_client, assigned_member)
    signed_in = signed_in_two_hours_ago(https_client)
    configure_saml(
        application=application, actor=None, entity_id="https://sp.example/", reply_url="https://sp.example/acs"
    )
    _, fields = posted_form(https_client.get(reverse("portal:launch", args=[application.pk])).content.decode())
    root = defusedxml.ElementTree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    statement = root.find(f"{SAML}Assertion/{SAML}AuthnStatement")
    assert statement.get("AuthnInstant") == signed_in.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
