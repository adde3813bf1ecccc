"""pysaml2 on both sides, in one process: the identity provider answers the sample SP's requests."""

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree
import pytest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig

from samlidp import idp
from samlidp.models import SamlConfiguration
from samlidp.services import configure_saml
from samples.saml_sp.app import SampleServiceProvider
from tests.factories import ApplicationFactory, DirectoryUserFactory

pytestmark = pytest.mark.django_db

DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


@pytest.fixture
def sample():
    return SampleServiceProvider(base_url="http://127.0.0.1:8001")


@pytest.fixture
def configuration(sample) -> SamlConfiguration:
    application = ApplicationFactory(saml=True, display_name="Salesforce")
    return configure_saml(application=application, actor=None, entity_id=sample.entity_id, reply_url=sample.acs_url)


def sp_client(sample: SampleServiceProvider, metadata: str) -> Saml2Client:
    config: SPConfig = sample.config(with_idp=False)
    config.metadata = config.load_metadata({"inline": [metadata]})
    return Saml2Client(config=config)


def redirect_request(client: Saml2Client) -> tuple[str, idp.IncomingRequest]:
    request_id, info = client.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT)
    query = parse_qs(urlsplit(dict(info["headers"])["Location"]).query)
    return request_id, idp.IncomingRequest(binding=BINDING_HTTP_REDIRECT, saml_request=query["SAMLRequest"][0])


def test_sp_validates_the_signed_response_to_its_request(sample, configuration):
    user = DirectoryUserFactory(tenant=configuration.tenant, display_name="Megan Bowen", mail="megan@contoso.com")
    client = sp_client(sample, idp.federation_metadata(configuration))
    request_id, incoming = redirect_request(client)

    request = idp.read_authn_request(incoming, configuration)
    assert request.request_id == request_id
    assert request.reply_url == sample.acs_url

    encoded = idp.authn_response(configuration=configuration, user=user, in_response_to=request.request_id)
    response = client.parse_authn_request_response(encoded, BINDING_HTTP_POST, {request_id: "/"})

    assert response.name_id.text == user.user_principal_name
    identity = response.get_identity()
    claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
    assert identity[f"{claims}/emailaddress"] == ["megan@contoso.com"]
    assert identity[f"{claims}/givenname"] == ["Megan"]
    assert identity[f"{claims}/surname"] == ["Bowen"]
    assert identity[f"{claims}/name"] == [user.user_principal_name]
    assert response.issuer() == idp.idp_entity_id(configuration.tenant)
    root = defusedxml.ElementTree.fromstring(base64.b64decode(encoded))
    assert root.find(DS_SIGNATURE) is not None
    assert root.find(f"{SAML}Assertion/{DS_SIGNATURE}") is not None


def test_response_signed_by_another_key_is_rejected_by_the_sp(sample, configuration):
    other = ApplicationFactory(saml=True, tenant=configuration.tenant)
    other_configuration = configure_saml(
        application=other, actor=None, entity_id="https://other.example/", reply_url=sample.acs_url
    )
    user = DirectoryUserFactory(tenant=configuration.tenant)
    client = sp_client(sample, idp.federation_metadata(configuration))
    forged = idp.authn_response(configuration=other_configuration, user=user, in_response_to=None)
    with pytest.raises(Exception, match="(?i)signature"):
        client.parse_authn_request_response(forged, BINDING_HTTP_POST, {})


def test_oversized_and_bomb_requests_are_refused_before_parsing(configuration):
    huge = idp.IncomingRequest(binding=BINDING_HTTP_REDIRECT, saml_request="A" * (idp.MAX_ENCODED_REQUEST + 1))
    with pytest.raises(idp.SamlRequestError, match="longer than"):
        idp.read_authn_request(huge, configuration)

    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = bomb.compress(b"<a>" + b"x" * 10_000_000 + b"</a>") + bomb.flush()
    request = idp.IncomingRequest(binding=BINDING_HTTP_REDIRECT, saml_request=base64.b64encode(deflated).decode())
    with pytest.raises(idp.SamlRequestError, match="larger than"):
        idp.read_authn_request(request, configuration)

    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol2;</samlp:AuthnRequest>'
    )
    request = idp.IncomingRequest(binding=BINDING_HTTP_POST, saml_request=base64.b64encode(laughs).decode())
    with pytest.raises(idp.SamlRequestError, match="DTD"):
        idp.read_authn_request(request, configuration)
