"""How the person signed in reaches the app: the id token's `amr` and the SAML AuthnContextClassRef."""

import base64
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree
import pytest
from django.urls import reverse

from samlidp.services import configure_saml
from signin import keys, tokens
from tests.factories import AppRoleAssignmentFactory, DirectoryUserFactory
from tests.invitations.redemption_support import code_from_outbox, invite
from tests.samlidp.forms import posted_form
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
