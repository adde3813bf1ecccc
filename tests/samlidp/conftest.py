"""The SAML tests' identity provider side: a Salesforce app configured for the sample service provider."""

import pytest
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig

from samlidp import certificates
from samlidp.services import configure_saml
from samples.saml_sp.app import SampleServiceProvider
from tests.factories import ApplicationFactory, AppRoleAssignmentFactory, DirectoryUserFactory
from tests.samlidp.support import SITE, metadata_path


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def sample():
    return SampleServiceProvider(base_url="http://127.0.0.1:8001")


@pytest.fixture
def configuration(tenant, sample):
    application = ApplicationFactory(tenant=tenant, saml=True, display_name="Salesforce")
    return configure_saml(application=application, actor=None, entity_id=sample.entity_id, reply_url=sample.acs_url)


@pytest.fixture
def person(configuration):
    user = DirectoryUserFactory(tenant=configuration.tenant, display_name="Megan Bowen")
    AppRoleAssignmentFactory(application=configuration.application, principal_user=user)
    return user


@pytest.fixture
def sp(client, sample, configuration) -> Saml2Client:
    response = client.get(metadata_path(configuration))
    assert response.status_code == 200
    config = sample.config(with_idp=False)
    config.metadata = config.load_metadata({"inline": [response.content.decode()]})
    return Saml2Client(config=config)


@pytest.fixture
def signing_sp(tmp_path, client, sample, configuration) -> Saml2Client:
    """An SP that signs its requests (HTTP-Redirect: SigAlg and Signature in the query), and an app
    that requires it, with the SP's certificate as verification certificate."""
    pair = certificates.generate_key_pair(now=timezone.now())
    (tmp_path / "key.pem").write_text(pair.private_key_pem)
    (tmp_path / "cert.pem").write_text(pair.certificate_pem)
    configure_saml(
        application=configuration.application,
        actor=None,
        entity_id=sample.entity_id,
        reply_url=sample.acs_url,
        verification_certificate=pair.certificate_pem,
        require_verification_certificates=True,
    )
    config = SPConfig()
    config.load(
        {
            "entityid": sample.entity_id,
            "xmlsec_binary": sample.config(with_idp=False).xmlsec_binary,
            "key_file": str(tmp_path / "key.pem"),
            "cert_file": str(tmp_path / "cert.pem"),
            "metadata": {"inline": [client.get(metadata_path(configuration)).content.decode()]},
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(sample.acs_url, BINDING_HTTP_POST)],
                        "single_logout_service": [(sample.logout_url, BINDING_HTTP_REDIRECT)],
                    },
                    "authn_requests_signed": True,
                }
            },
        }
    )
    return Saml2Client(config=config)
