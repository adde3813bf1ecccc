"""SAML single logout at /{tenant}/saml2: a pysaml2 SP's LogoutRequest signs the person out of the portal
and gets a signed LogoutResponse at the app's Logout Url; hostile requests change nothing.

Hostile requests are written by hand, so each one breaks exactly one rule.
"""

import base64
import datetime as dt
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.sigver import RSACrypto, verify_redirect_signature
from saml2.xmldsig import SIG_RSA_SHA256

from samlidp import idp
from samlidp.models import SamlRequestId
from samlidp.services import configure_saml
from signin.models import SignInEvent
from tests.samlidp.support import SITE, XXE, deflated, posted_form, redirect_path, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site")]
LOGOUT_URL = "http://127.0.0.1:8001/slo/"


@pytest.fixture(autouse=True)
def logout_url(configuration, sample):
    configure_saml(
        application=configuration.application,
        actor=None,
        entity_id=sample.entity_id,
        reply_url=sample.acs_url,
        logout_url=LOGOUT_URL,
    )


def idp_entity_id(configuration) -> str:
    return f"{SITE}/{configuration.tenant_id}/"


def logout_request(client: Saml2Client, configuration, name_id: str, binding: str = BINDING_HTTP_REDIRECT, **kwargs):
    """A LogoutRequest from pysaml2's SP to the SingleLogoutService of the published metadata."""
    destination = client.metadata.single_logout_service(idp_entity_id(configuration), binding, "idpsso")[0]["location"]
    request_id, request = client.create_logout_request(
        destination, idp_entity_id(configuration), name_id=NameID(text=name_id, format=NAMEID_FORMAT_EMAILADDRESS)
    )
    return request_id, request, destination


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def assert_logout_response(client: Saml2Client, configuration, location: str, request_id: str, relay_state=""):
    """What the SP checks: the Logout Url, the query signature against the metadata's certificate, the response."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == LOGOUT_URL
    message = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert message["SigAlg"] == SIG_RSA_SHA256
    assert message.get("RelayState", "") == relay_state
    certificates = client.metadata.certs(idp_entity_id(configuration), "idpsso", "signing")
    assert certificates and any(verify_redirect_signature(message, RSACrypto(None), c) for _, c in certificates)
    tampered = {**message, "RelayState": "changed"}
    assert not any(verify_redirect_signature(tampered, RSACrypto(None), c) for _, c in certificates)
    response = client.parse_logout_request_response(message["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert response.verify()
    assert response.in_response_to == request_id
    assert response.issuer() == idp_entity_id(configuration)
    assert response.response.destination == LOGOUT_URL


def test_metadata_advertises_single_logout_for_both_bindings(client, sp, configuration):
    endpoint = f"{SITE}/{configuration.tenant_id}/saml2"
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        services = sp.metadata.single_logout_service(idp_entity_id(configuration), binding, "idpsso")
        assert services[0]["location"] == endpoint


def test_redirect_binding_signs_out_and_answers_a_signed_logout_response(client, sp, configuration, person):
    sign_in(client, person)
    request_id, request, destination = logout_request(sp, configuration, person.user_principal_name)
    info = sp.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay_state="/bye", sign=False)

    response = client.get(redirect_path(info))
    assert response.status_code == 302, response.content.decode()
    assert_logout_response(sp, configuration, response["Location"], request_id, relay_state="/bye")
    assert not signed_in(client)
    assert SamlRequestId.objects.filter(request_id=request_id).exists()
    # A sign-out is no sign-in: the log has nothing to say about it.
    assert not SignInEvent.objects.exists()


def test_post_binding_signed_with_the_verification_certificate_signs_out(client, signing_sp, configuration, person):
    configuration.refresh_from_db()
    configure_saml(
        application=configuration.application,
        actor=None,
        entity_id=configuration.entity_id,
        reply_url=configuration.reply_url,
        logout_url=LOGOUT_URL,
        verification_certificate=configuration.verification_certificate,
    )
    sign_in(client, person)
    request_id, request, destination = logout_request(
        signing_sp, configuration, person.user_principal_name, binding=BINDING_HTTP_POST
    )
    # The SP signs its requests (authn_requests_signed): pysaml2 gives the signed XML.
    signed = str(request)
    assert "<ds:Signature" in signed or "Signature>" in signed
    response = client.post(
        f"/{configuration.tenant.initial_domain}/saml2", {"SAMLRequest": base64.b64encode(signed.encode()).decode()}
    )
    assert response.status_code == 302, response.content.decode()
    assert_logout_response(signing_sp, configuration, response["Location"], request_id)
    assert not signed_in(client)


def test_an_unsigned_logout_request_is_refused_when_the_app_has_a_verification_certificate(
    client, signing_sp, configuration, person
):
    sign_in(client, person)
    _, request, destination = logout_request(signing_sp, configuration, person.user_principal_name)
    info = signing_sp.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, sign=False)
    response = client.get(redirect_path(info))
    assert response.status_code == 400
    assert "AADSTS76021" in response.content.decode()
    assert signed_in(client)
    assert not SamlRequestId.objects.exists()


def test_nobody_signed_in_is_already_signed_out_and_the_app_gets_its_response(client, sp, configuration, person):
    request_id, request, destination = logout_request(sp, configuration, person.user_principal_name)
    response = client.get(redirect_path(sp.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination)))
    assert response.status_code == 302
    assert_logout_response(sp, configuration, response["Location"], request_id)


def logout_request_xml(
    *, issuer: str, destination: str, name_id: str, request_id: str = "", issued: dt.datetime | None = None
) -> str:
    instant = (issued or timezone.now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{request_id or "_" + uuid.uuid4().hex}" Version="2.0" IssueInstant="{instant}" '
        f'Destination="{destination}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>"
        + (f'<saml:NameID Format="{NAMEID_FORMAT_EMAILADDRESS}">{name_id}</saml:NameID>' if name_id else "")
        + "</samlp:LogoutRequest>"
    )


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown issuer", 700016),
        ("wrong destination", 75008),
        ("expired", 75005),
        ("no NameID", 75005),
        ("someone else's NameID", 50061),
        ("not xml", 75005),
        ("xxe", 75005),
        ("oversized", 75005),
        ("no Logout Url", 50061),
    ],
)
def test_hostile_logout_requests_get_the_error_page_and_change_nothing(
    client, configuration, sample, person, case, code
):
    if case == "no Logout Url":
        configure_saml(
            application=configuration.application, actor=None, entity_id=sample.entity_id, reply_url=sample.acs_url
        )
    good = {
        "issuer": sample.entity_id,
        "destination": f"{SITE}/{configuration.tenant_id}/saml2",
        "name_id": person.user_principal_name,
    }
    cases = {
        "unknown issuer": {**good, "issuer": "https://nobody.example/"},
        "wrong destination": {**good, "destination": "https://elsewhere.example/saml2"},
        "expired": {**good, "issued": timezone.now() - dt.timedelta(hours=1)},
        "no NameID": {**good, "name_id": ""},
        "someone else's NameID": {**good, "name_id": "someone.else@contoso.example"},
        "no Logout Url": good,
    }
    if case in cases:
        saml_request = deflated(logout_request_xml(**cases[case]))
    else:
        saml_request = {
            "not xml": deflated("<samlp:LogoutRequest"),
            "xxe": deflated(XXE.replace("AuthnRequest", "LogoutRequest")),
            "oversized": "A" * (idp.MAX_ENCODED_REQUEST + 1),
        }[case]
    sign_in(client, person)
    response = client.get(f"/{configuration.tenant_id}/saml2", {"SAMLRequest": saml_request})
    page = response.content.decode()
    assert response.status_code == 400, page
    assert f"AADSTS{code}" in page
    assert "root:" not in page
    assert signed_in(client)
    assert not SamlRequestId.objects.exists()


def test_a_replayed_logout_request_is_refused(client, sp, configuration, person):
    sign_in(client, person)
    request_id, request, destination = logout_request(sp, configuration, person.user_principal_name)
    path = redirect_path(sp.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination))
    assert client.get(path).status_code == 302
    sign_in(client, person)
    response = client.get(path)
    assert response.status_code == 400
    assert "AADSTS75005" in response.content.decode() and "already answered" in response.content.decode()
    assert signed_in(client)
    assert SamlRequestId.objects.filter(request_id=request_id).count() == 1


def test_a_post_from_another_site_without_the_session_cookie_signs_out_once_posted_again(
    client, sp, configuration, person
):
    sign_in(client, person)
    request_id, request, destination = logout_request(
        sp, configuration, person.user_principal_name, binding=BINDING_HTTP_POST
    )
    fields = {"SAMLRequest": base64.b64encode(str(request).encode()).decode()}
    # The app's cross-site POST comes without the SameSite=Lax cookie: the portal posts it again from its page.
    resubmit_page = Client().post(f"/{configuration.tenant_id}/saml2", fields)
    action, resubmitted = posted_form(resubmit_page.content.decode())
    assert resubmitted == {**fields, "resubmitted": "1"}
    assert signed_in(client) and not SamlRequestId.objects.exists()

    response = client.post(action, resubmitted)
    assert response.status_code == 302
    assert_logout_response(sp, configuration, response["Location"], request_id)
    assert not signed_in(client)
