"""/{tenant}/saml2 and the federation metadata through Django's test client, a pysaml2 SP on the other side.

The SP learns the identity provider only from the App Federation Metadata Url; hostile
requests are written by hand, so each one breaks exactly one rule.
"""

import base64
import datetime as dt
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.xmldsig import SIG_RSA_SHA256

from samlidp import idp
from samlidp.models import SamlRequestId, SamlSigningCertificate
from samlidp.services import configure_saml
from signin.models import SignInEvent
from tests.factories import ApplicationFactory, DirectoryUserFactory
from tests.samlidp.support import SITE, XXE, deflated, metadata_path, posted_form, redirect_path, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("site")]


def test_sp_initiated_redirect_binding_signs_in_after_the_portal_sign_in(client, sp, sample, person):
    request_id, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT, relay_state="/opportunities")
    response = client.get(redirect_path(info))
    # Not signed in: through the portal's sign-in page, with a short `next` back to the endpoint.
    assert response.status_code == 302
    next_path = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert next_path.startswith(f"/{person.tenant_id}/saml2?pending=") and len(next_path) < 100
    assert not SignInEvent.objects.exists()

    sign_in(client, person)
    response = client.get(next_path)
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:8001" in response["Content-Security-Policy"]
    action, fields = posted_form(response.content.decode())
    assert action == sample.acs_url
    assert fields["RelayState"] == "/opportunities"
    assert ">Continue</button>" in response.content.decode()

    answer = sp.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, {request_id: "/"})
    assert answer.name_id.text == person.user_principal_name
    assert answer.in_response_to == request_id
    event = SignInEvent.objects.get()
    assert (event.status, event.protocol, event.user_id) == ("success", "saml20", person.pk)
    assert event.resource_id == person.tenant.applications.get().pk
    assert SamlRequestId.objects.filter(request_id=request_id).exists()
    # The pending request was used up: the same `next` again is no request at all.
    assert "AADSTS750054" in client.get(next_path).content.decode()


def test_sp_initiated_post_binding_signed_in_answers_at_once(client, sp, sample, person):
    sign_in(client, person)
    request_id, request = sp.create_authn_request(destination=f"{SITE}/{person.tenant.initial_domain}/saml2")
    response = client.post(
        f"/{person.tenant.initial_domain}/saml2",
        {"SAMLRequest": base64.b64encode(str(request).encode()).decode(), "RelayState": "state-1"},
    )
    assert response.status_code == 200
    _, fields = posted_form(response.content.decode())
    answer = sp.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, {request_id: "/"})
    assert answer.name_id.text == person.user_principal_name
    assert fields["RelayState"] == "state-1"


def test_unassigned_person_gets_aadsts50105_with_request_id_and_timestamp(client, sp, configuration):
    stranger = DirectoryUserFactory(tenant=configuration.tenant)
    sign_in(client, stranger)
    _, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
    response = client.get(redirect_path(info))
    page = response.content.decode()
    assert response.status_code == 403
    assert "AADSTS50105" in page and stranger.user_principal_name in page
    event = SignInEvent.objects.get()
    assert (event.status, event.error_code, event.user_id) == ("failure", 50105, stranger.pk)
    assert str(event.request_id) in page
    assert re.search(r"<dt>Timestamp</dt><dd><time datetime=\"\d{4}-\d\d-\d\dT", page)
    assert 'name="SAMLResponse"' not in page


def authn_request_xml(
    *, issuer: str, acs: str, destination: str, request_id: str = "", issued: dt.datetime | None = None
) -> str:
    instant = (issued or timezone.now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{request_id or "_" + uuid.uuid4().hex}" Version="2.0" IssueInstant="{instant}" '
        f'Destination="{destination}" AssertionConsumerServiceURL="{acs}" '
        'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
        f"<saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"
    )


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol3;</samlp:AuthnRequest>'
)


def hostile(case: str, *, configuration, sample, other_configuration) -> dict[str, str]:
    endpoint = f"{SITE}/{configuration.tenant_id}/saml2"
    good = {"issuer": sample.entity_id, "acs": sample.acs_url, "destination": endpoint}
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    requests = {
        "malformed base64": {"SAMLRequest": "%%%not-base64%%%"},
        "not deflated": {"SAMLRequest": base64.b64encode(b"plain bytes, no deflate").decode()},
        "not xml": {"SAMLRequest": deflated("this is not <xml")},
        "xml bomb": {"SAMLRequest": deflated(LAUGHS)},
        "xxe": {"SAMLRequest": deflated(XXE)},
        "unknown issuer": {"SAMLRequest": deflated(authn_request_xml(**{**good, "issuer": "https://nobody.example/"}))},
        "other tenant's app": {
            "SAMLRequest": deflated(authn_request_xml(**{**good, "issuer": other_configuration.entity_id}))
        },
        "wrong ACS": {"SAMLRequest": deflated(authn_request_xml(**{**good, "acs": "https://evil.example/acs"}))},
        "wrong destination": {
            "SAMLRequest": deflated(authn_request_xml(**{**good, "destination": "https://elsewhere.example/saml2"}))
        },
        "expired": {"SAMLRequest": deflated(authn_request_xml(**good, issued=hour_ago))},
        "oversized request": {"SAMLRequest": "A" * (idp.MAX_ENCODED_REQUEST + 1)},
        "oversized relay state": {
            "SAMLRequest": deflated(authn_request_xml(**good)),
            "RelayState": "r" * (idp.MAX_RELAY_STATE + 1),
        },
        "control characters in relay state": {
            "SAMLRequest": deflated(authn_request_xml(**good)),
            "RelayState": "a\x00b",
        },
        "no SAMLRequest": {"RelayState": "x"},
    }
    return requests[case]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("malformed base64", 75005),
        ("not deflated", 75005),
        ("not xml", 75005),
        ("xml bomb", 75005),
        ("xxe", 75005),
        ("unknown issuer", 700016),
        ("other tenant's app", 700016),
        ("wrong ACS", 50011),
        ("wrong destination", 75008),
        ("expired", 75005),
        ("oversized request", 75005),
        ("oversized relay state", 75005),
        ("control characters in relay state", 75005),
        ("no SAMLRequest", 750054),
    ],
)
def test_hostile_requests_get_the_error_page_and_a_sign_in_log_entry(client, configuration, sample, person, case, code):
    other = ApplicationFactory(saml=True)
    other_configuration = configure_saml(
        application=other, actor=None, entity_id="https://other-tenant.example/", reply_url="https://other.example/acs"
    )
    sign_in(client, person)
    params = hostile(case, configuration=configuration, sample=sample, other_configuration=other_configuration)
    response = client.get(f"/{configuration.tenant_id}/saml2", params)
    page = response.content.decode()
    assert response.status_code == 400, page
    assert f"AADSTS{code}" in page
    assert 'name="SAMLResponse"' not in page and "root:" not in page
    event = SignInEvent.objects.get()
    assert (event.tenant_id, event.status, event.error_code) == (configuration.tenant_id, "failure", code)
    assert event.user_id == person.pk
    assert not SamlRequestId.objects.exists()


def test_a_replayed_request_is_refused_and_its_first_answer_stands(client, sp, person):
    sign_in(client, person)
    _, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
    assert client.get(redirect_path(info)).status_code == 200
    response = client.get(redirect_path(info))
    assert response.status_code == 400
    assert "AADSTS75005" in response.content.decode() and "already answered" in response.content.decode()
    assert list(SignInEvent.objects.order_by("created_date_time").values_list("status", "error_code")) == [
        ("success", 0),
        ("failure", 75005),
    ]


def test_a_request_at_the_limit_is_answered_and_not_cut_by_the_site_wide_query_cap(client, sp, person):
    sign_in(client, person)
    _, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT, relay_state="r" * idp.MAX_RELAY_STATE)
    path = redirect_path(info)
    assert len(path) > 1024
    assert client.get(path).status_code == 200


def test_unknown_tenant_gets_aadsts90002(client, db):
    response = client.get("/nowhere.example/saml2", {"SAMLRequest": "x"})
    assert response.status_code == 400
    assert "AADSTS90002" in response.content.decode()


def test_metadata_is_the_apps_and_the_tenants_only(client, configuration):
    response = client.get(metadata_path(configuration))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/samlmetadata+xml")
    document = response.content.decode()
    assert f'entityID="{SITE}/{configuration.tenant_id}/"' in document
    assert f'Location="{SITE}/{configuration.tenant_id}/saml2"' in document

    other = ApplicationFactory(saml=True)
    configure_saml(application=other, actor=None, entity_id="https://o.example/", reply_url="https://o.example/acs")
    base = f"/{configuration.tenant_id}/federationmetadata/2007-06/federationmetadata.xml"
    assert client.get(f"{base}?appid={other.pk}").status_code == 404
    assert client.get(f"{base}?appid=not-a-uuid").status_code == 400
    assert client.get(base).status_code == 400
    assert (
        client.get(f"/nowhere.example/federationmetadata/2007-06/federationmetadata.xml?appid={other.pk}").status_code
        == 404
    )


def launch(client, application):
    return client.get(reverse("portal:launch", args=[application.pk]))


def test_tile_without_sign_on_url_posts_an_unsolicited_signed_response_with_the_relay_state(
    client, sp, sample, configuration, person
):
    configure_saml(
        application=configuration.application,
        actor=None,
        entity_id=sample.entity_id,
        reply_url=sample.acs_url,
        relay_state="https://127.0.0.1:8001/reports",
    )
    sign_in(client, person)
    response = launch(client, configuration.application)
    assert response.status_code == 200
    action, fields = posted_form(response.content.decode())
    assert action == sample.acs_url
    assert fields["RelayState"] == "https://127.0.0.1:8001/reports"
    answer = sp.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, {})
    assert answer.name_id.text == person.user_principal_name
    assert answer.in_response_to is None
    assert SignInEvent.objects.get().status == "success"


def test_tile_with_a_sign_on_url_starts_at_the_app(client, sample, configuration, person):
    configure_saml(
        application=configuration.application,
        actor=None,
        entity_id=sample.entity_id,
        reply_url=sample.acs_url,
        sign_on_url=f"{sample.base_url}/login/",
    )
    sign_in(client, person)
    response = launch(client, configuration.application)
    assert (response.status_code, response.url) == (302, f"{sample.base_url}/login/")
    assert not SignInEvent.objects.exists()


def test_tile_of_an_app_that_cannot_sign_is_refused_without_a_success_in_the_log(client, configuration, person):
    SamlSigningCertificate.objects.filter(application=configuration.application).update(
        expires=timezone.now() - dt.timedelta(days=1)
    )
    sign_in(client, person)
    response = launch(client, configuration.application)
    assert response.status_code == 400
    assert "AADSTS50000" in response.content.decode()
    assert list(SignInEvent.objects.values_list("status", "error_code")) == [("failure", 50000)]


def test_in_demo_mode_without_a_site_url_the_endpoints_are_absolute_at_the_address_served(
    client, settings, configuration
):
    # `make demo` sets no ACCESSPORTAL_SITE_URL: the sample apps would otherwise get relative endpoints.
    settings.DEMO_MODE, settings.SITE_URL = True, ""
    metadata = client.get(metadata_path(configuration)).content.decode()
    assert f'Location="http://testserver/{configuration.tenant_id}/saml2"' in metadata
    discovery = client.get(f"/{configuration.tenant_id}/v2.0/.well-known/openid-configuration").json()
    assert discovery["issuer"] == f"http://testserver/{configuration.tenant_id}/v2.0"
    assert discovery["authorization_endpoint"] == f"http://testserver/{configuration.tenant_id}/oauth2/v2.0/authorize"


def test_a_signed_redirect_request_is_answered_when_the_app_requires_signed_requests(client, signing_sp, person):
    sign_in(client, person)
    _, info = signing_sp.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state="r-1", sign=True, sigalg=SIG_RSA_SHA256
    )
    path = redirect_path(info)
    assert "&SigAlg=" in path and "&Signature=" in path
    response = client.get(path)
    assert response.status_code == 200, response.content.decode()
    assert posted_form(response.content.decode())[1]["RelayState"] == "r-1"


@pytest.mark.parametrize("tampered", ["unsigned", "relay state changed after signing"])
def test_an_unsigned_or_tampered_request_is_refused_when_the_app_requires_signed_requests(
    client, signing_sp, person, tampered
):
    sign_in(client, person)
    signed = tampered != "unsigned"
    _, info = signing_sp.prepare_for_authenticate(
        binding=BINDING_HTTP_REDIRECT, relay_state="r-1", sign=signed, sigalg=SIG_RSA_SHA256 if signed else None
    )
    path = redirect_path(info).replace("RelayState=r-1", "RelayState=r-2")
    response = client.get(path)
    assert response.status_code == 400
    assert "AADSTS76021" in response.content.decode()
    assert SignInEvent.objects.get().error_code == 76021


def test_a_post_from_another_site_without_the_session_cookie_is_posted_again_from_this_site(client, sp, sample, person):
    endpoint = f"/{person.tenant_id}/saml2"
    request_id, request = sp.create_authn_request(destination=f"{SITE}{endpoint}")
    saml_request = base64.b64encode(str(request).encode()).decode()
    # A SameSite=Lax session cookie stays home on a cross-site POST: the portal must not start a new session.
    response = client.post(endpoint, {"SAMLRequest": saml_request, "RelayState": "r-1"})
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    action, fields = posted_form(response.content.decode())
    assert (action, fields) == (endpoint, {"SAMLRequest": saml_request, "RelayState": "r-1", "resubmitted": "1"})
    assert not SignInEvent.objects.exists()

    sign_in(client, person)
    answered = client.post(action, fields)
    _, answer = posted_form(answered.content.decode())
    assert sp.parse_authn_request_response(answer["SAMLResponse"], BINDING_HTTP_POST, {request_id: "/"})
    assert answer["RelayState"] == "r-1"


def test_head_does_not_use_up_the_request(client, sp, person):
    sign_in(client, person)
    _, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
    assert client.head(redirect_path(info)).status_code == 405
    assert client.get(redirect_path(info)).status_code == 200


@pytest.mark.parametrize("field", ["SAMLRequest", "RelayState"])
def test_an_oversized_post_from_another_site_is_refused_at_once_with_aadsts75005(client, sp, person, field):
    endpoint = f"/{person.tenant_id}/saml2"
    _, request = sp.create_authn_request(destination=f"{SITE}{endpoint}")
    fields = {"SAMLRequest": base64.b64encode(str(request).encode()).decode(), "RelayState": "r-1"}
    fields[field] = "A" * (idp.MAX_ENCODED_REQUEST + 1)
    # Without the session cookie, as a cross-site POST arrives: not posted again, refused like any oversized request.
    response = client.post(endpoint, fields)
    page = response.content.decode()
    assert response.status_code == 400, page
    assert "AADSTS75005" in page and "AADSTS750054" not in page
    assert "longer than" in page
    assert 'name="SAMLRequest"' not in page
    assert SignInEvent.objects.get().error_code == 75005
