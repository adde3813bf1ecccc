import datetime as dt

import pytest
from django.utils import timezone

from directory.models import AuditEvent
from directory.services import PolicyError
from samlidp import certificates, idp, services
from samlidp.models import CLAIMS_NAMESPACE, SamlClaim, SamlConfiguration, SamlRequestId, SamlSigningCertificate
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

ACS = "https://sp.example/acs"


def configure(application, **changes):
    values = {"entity_id": "https://sp.example/", "reply_url": ACS} | changes
    return services.configure_saml(application=application, actor=None, **values)


def test_first_configuration_adds_default_claims_and_an_active_certificate():
    application = ApplicationFactory(saml=True)
    configuration = configure(application, sign_on_url="https://sp.example/login", relay_state="/home")

    claims = {c.name: c.source_attribute for c in application.saml_claims.all()}
    assert claims == {
        "emailaddress": "user.mail",
        "givenname": "user.givenname",
        "name": "user.userprincipalname",
        "surname": "user.surname",
    }
    assert configuration.name_id_source == "user.userprincipalname"
    (certificate,) = application.saml_certificates.all()
    assert certificate.status == SamlSigningCertificate.Status.ACTIVE
    assert certificate.thumbprint == certificates.thumbprint(certificates.load(certificate.certificate_pem))
    assert certificate.expires - certificate.not_before == certificates.LIFETIME
    application.refresh_from_db()
    assert application.sign_on_url == "https://sp.example/login"
    assert AuditEvent.objects.filter(activity="Update service principal", target_id=str(application.pk)).exists()


def test_saving_again_changes_settings_without_a_new_certificate():
    application = ApplicationFactory(saml=True)
    configure(application)
    configure(application, reply_url="https://sp.example/acs2", logout_url="https://sp.example/logout")
    assert SamlConfiguration.objects.get(application=application).reply_url == "https://sp.example/acs2"
    assert application.saml_certificates.count() == 1
    assert application.saml_claims.count() == 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"entity_id": "  "}, services.ENTITY_ID_REQUIRED),
        ({"reply_url": ""}, services.REPLY_URL_REQUIRED),
        ({"reply_url": "http://sp.example/acs"}, "Reply URL must start with https://"),
        ({"reply_url": "javascript:alert(1)"}, "Reply URL must start with https://"),
        ({"logout_url": "ftp://sp.example/"}, "Logout Url must start with https://"),
        ({"relay_state": "x" * 1025}, "at most 1024"),
        ({"verification_certificate": "not a certificate"}, services.CERTIFICATE_INVALID),
        ({"require_verification_certificates": True}, services.CERTIFICATE_REQUIRED),
    ],
)
def test_bad_configuration_is_refused_and_nothing_is_written(changes, message):
    application = ApplicationFactory(saml=True)
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        configure(application, **changes)
    assert not SamlConfiguration.objects.exists()
    assert not SamlSigningCertificate.objects.exists()
    assert not SamlClaim.objects.exists()


def test_loopback_http_reply_url_is_allowed_for_local_apps():
    configuration = configure(ApplicationFactory(saml=True), reply_url="http://127.0.0.1:8001/acs/")
    assert configuration.reply_url == "http://127.0.0.1:8001/acs/"


def test_identifier_is_unique_within_a_tenant_only():
    first = ApplicationFactory(saml=True)
    configure(first)
    with pytest.raises(PolicyError, match="already uses the identifier"):
        configure(ApplicationFactory(saml=True, tenant=first.tenant))
    configure(ApplicationFactory(saml=True))  # another tenant


def test_new_certificate_stays_inactive_until_made_active_and_both_are_published():
    application = ApplicationFactory(saml=True)
    configuration = configure(application)
    old = application.saml_certificates.get()
    new = services.create_saml_certificate(application=application, actor=None)
    assert new.status == SamlSigningCertificate.Status.INACTIVE
    metadata = idp.federation_metadata(configuration)
    assert certificates.base64_body(old.certificate_pem) in metadata
    assert certificates.base64_body(new.certificate_pem) in metadata

    services.activate_saml_certificate(certificate=new, actor=None)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == ("Inactive", "Active")
    # The active certificate comes first in the metadata; the old one is still there until it expires.
    metadata = idp.federation_metadata(configuration)
    assert metadata.index(certificates.base64_body(new.certificate_pem)) < metadata.index(
        certificates.base64_body(old.certificate_pem)
    )


def test_expired_certificate_cannot_be_made_active():
    application = ApplicationFactory(saml=True)
    configure(application)
    new = services.create_saml_certificate(application=application, actor=None)
    SamlSigningCertificate.objects.filter(pk=new.pk).update(expires=timezone.now() - dt.timedelta(days=1))
    with pytest.raises(PolicyError, match="expired"):
        services.activate_saml_certificate(certificate=new, actor=None)
    assert application.saml_certificates.get(status="Active").pk != new.pk


def test_claims_are_editable():
    application = ApplicationFactory(saml=True)
    configure(application)
    claim = services.add_saml_claim(
        application=application, actor=None, name="department", source_attribute="user.department"
    )
    assert claim.claim_type == f"{CLAIMS_NAMESPACE}/department"
    with pytest.raises(PolicyError, match="already exists"):
        services.add_saml_claim(
            application=application, actor=None, name="department", source_attribute="user.jobtitle"
        )
    with pytest.raises(PolicyError, match="source attribute"):
        services.add_saml_claim(application=application, actor=None, name="x", source_attribute="user.password")
    services.update_saml_claim(claim=claim, actor=None, name="role", namespace="", source_attribute="user.jobtitle")
    claim.refresh_from_db()
    assert (claim.claim_type, claim.source_attribute) == ("role", "user.jobtitle")
    services.remove_saml_claim(claim=claim, actor=None)
    assert not SamlClaim.objects.filter(pk=claim.pk).exists()
    services.update_name_identifier(
        application=application,
        actor=None,
        source_attribute="user.objectid",
        name_id_format=SamlConfiguration.NameIdFormat.PERSISTENT,
    )
    assert SamlConfiguration.objects.get(application=application).name_id_source == "user.objectid"


def test_claims_need_a_configuration_first():
    with pytest.raises(PolicyError, match="Basic SAML Configuration"):
        services.add_saml_claim(
            application=ApplicationFactory(saml=True), actor=None, name="x", source_attribute="user.mail"
        )


def test_a_request_id_is_answered_once():
    application = ApplicationFactory(saml=True)
    now = timezone.now()
    services.record_request_id(application=application, request_id="_abc", issue_instant=now, forget_before=now)
    with pytest.raises(services.ReplayedRequest):
        services.record_request_id(
            application=application, request_id="_abc", issue_instant=now, forget_before=now - dt.timedelta(hours=1)
        )
    # Old IDs are forgotten (requests that old are refused as expired anyway).
    later = now + dt.timedelta(hours=1)
    services.record_request_id(application=application, request_id="_def", issue_instant=later, forget_before=later)
    assert list(SamlRequestId.objects.values_list("request_id", flat=True)) == ["_def"]
