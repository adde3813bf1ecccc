"""Every change to an application's SAML settings goes through these functions.

Each validates first, runs in one transaction with the application row locked, and
records "Update service principal" in the audit log in that same transaction.
"""

import datetime as dt
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.audit import Activity, Actor, record_event
from directory.models import Application
from directory.services import PolicyError, update_application
from samlidp import certificates
from samlidp.models import (
    CLAIMS_NAMESPACE,
    MAX_URL_LENGTH,
    CertificateStatus,
    NameIdFormat,
    SamlClaim,
    SamlConfiguration,
    SamlRequestId,
    SamlSigningCertificate,
    SourceAttribute,
)

ENTITY_ID_REQUIRED = "Enter the Identifier (Entity ID) the application sends in its requests."
ENTITY_ID_IN_USE = "Another application in this organization already uses the identifier {entity_id}."
REPLY_URL_REQUIRED = "Enter the Reply URL (Assertion Consumer Service URL) where the application receives tokens."
URL_NOT_HTTPS = "{label} must start with https:// (http:// is allowed only for localhost and 127.0.0.1)."
URL_TOO_LONG = "{label} can be at most {limit} characters."
CERTIFICATE_INVALID = "The verification certificate isn't a PEM certificate (-----BEGIN CERTIFICATE-----)."
CERTIFICATE_REQUIRED = "Upload a verification certificate before requiring signed requests."
CLAIM_NAME_REQUIRED = "Enter a claim name."
CLAIM_EXISTS = "The claim {claim} already exists."
UNKNOWN_SOURCE = "Choose a source attribute from the list."
UNKNOWN_FORMAT = "Choose a name identifier format from the list."
NOT_CONFIGURED = "Set up the Basic SAML Configuration of {app} first."
CERTIFICATE_OF_OTHER_APP = "That certificate belongs to another application."
CERTIFICATE_EXPIRED = "That certificate has expired; create a new one."

# Azure's default claims for a new SAML application (Attributes & Claims → Additional claims).
DEFAULT_CLAIMS = (
    ("emailaddress", SourceAttribute.MAIL),
    ("givenname", SourceAttribute.GIVEN_NAME),
    ("name", SourceAttribute.USER_PRINCIPAL_NAME),
    ("surname", SourceAttribute.SURNAME),
)
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _check_url(value: str, label: str, *, required_message: str = "") -> str:
    value = value.strip()
    if not value:
        if required_message:
            raise PolicyError(required_message)
        return value
    if len(value) > MAX_URL_LENGTH:
        raise PolicyError(URL_TOO_LONG.format(label=label, limit=MAX_URL_LENGTH))
    parts = urlsplit(value)
    secure = parts.scheme == "https" and parts.netloc
    loopback = parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    if not (secure or loopback):
        raise PolicyError(URL_NOT_HTTPS.format(label=label))
    return value


def _audit(application: Application, actor: Actor, changed: list[str]) -> None:
    record_event(
        tenant=application.tenant,
        activity=Activity.UPDATE_SERVICE_PRINCIPAL,
        actor=actor,
        target=application,
        details={"modifiedProperties": changed},
    )


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("tenant").get(pk=application.pk)


def configure_saml(
    *,
    application: Application,
    actor: Actor,
    entity_id: str,
    reply_url: str,
    sign_on_url: str = "",
    relay_state: str = "",
    logout_url: str = "",
    verification_certificate: str = "",
    require_verification_certificates: bool = False,
) -> SamlConfiguration:
    """Save the Basic SAML Configuration; the first save also adds Azure's default claims and an active
    signing certificate, so the application can sign in at once."""
    entity_id = entity_id.strip()
    if not entity_id:
        raise PolicyError(ENTITY_ID_REQUIRED)
    if len(entity_id) > MAX_URL_LENGTH:
        raise PolicyError(URL_TOO_LONG.format(label="Identifier (Entity ID)", limit=MAX_URL_LENGTH))
    reply_url = _check_url(reply_url, "Reply URL", required_message=REPLY_URL_REQUIRED)
    sign_on_url = _check_url(sign_on_url, "Sign on URL")
    logout_url = _check_url(logout_url, "Logout Url")
    relay_state = relay_state.strip()
    if len(relay_state) > MAX_URL_LENGTH:
        raise PolicyError(URL_TOO_LONG.format(label="Relay State", limit=MAX_URL_LENGTH))
    verification_certificate = verification_certificate.strip()
    if verification_certificate and not certificates.is_valid_certificate(verification_certificate):
        raise PolicyError(CERTIFICATE_INVALID)
    if require_verification_certificates and not verification_certificate:
        raise PolicyError(CERTIFICATE_REQUIRED)
    values = {
        "entity_id": entity_id,
        "reply_url": reply_url,
        "relay_state": relay_state,
        "logout_url": logout_url,
        "verification_certificate": verification_certificate,
        "require_verification_certificates": require_verification_certificates,
    }
    with transaction.atomic():
        application = _lock(application)
        if (
            SamlConfiguration.objects.filter(tenant_id=application.tenant_id, entity_id=entity_id)
            .exclude(application=application)
            .exists()
        ):
            raise PolicyError(ENTITY_ID_IN_USE.format(entity_id=entity_id))
        configuration = SamlConfiguration.objects.filter(application=application).first()
        created = configuration is None
        if created:
            configuration = SamlConfiguration(application=application, tenant_id=application.tenant_id)
        changed = [name for name, value in values.items() if getattr(configuration, name) != value]
        for name in changed:
            setattr(configuration, name, values[name])
        if changed or created:
            configuration.save()
        if created:
            SamlClaim.objects.bulk_create(
                SamlClaim(application=application, name=name, source_attribute=source)
                for name, source in DEFAULT_CLAIMS
            )
            _add_certificate(application, active=True)
            changed.append("samlSingleSignOnSettings")
        if application.sign_on_url != sign_on_url:
            update_application(application=application, actor=actor, sign_on_url=sign_on_url)
        if changed:
            _audit(application, actor, changed)
    return configuration


def _configuration(application: Application) -> SamlConfiguration:
    configuration = SamlConfiguration.objects.filter(application=application).first()
    if configuration is None:
        raise PolicyError(NOT_CONFIGURED.format(app=application.display_name))
    return configuration


def update_name_identifier(
    *, application: Application, actor: Actor, source_attribute: str, name_id_format: str
) -> SamlConfiguration:
    """Change the Unique User Identifier (Name ID) claim: its source attribute and format."""
    if source_attribute not in SourceAttribute.values:
        raise PolicyError(UNKNOWN_SOURCE)
    if name_id_format not in NameIdFormat.values:
        raise PolicyError(UNKNOWN_FORMAT)
    with transaction.atomic():
        application = _lock(application)
        configuration = _configuration(application)
        values = {"name_id_source": source_attribute, "name_id_format": name_id_format}
        changed = [name for name, value in values.items() if getattr(configuration, name) != value]
        if changed:
            for name in changed:
                setattr(configuration, name, values[name])
            configuration.save(update_fields=changed)
            _audit(application, actor, ["claimsMappingPolicy"])
    return configuration


def _clean_claim(name: str, namespace: str, source_attribute: str) -> tuple[str, str]:
    name, namespace = name.strip(), namespace.strip()
    if not name:
        raise PolicyError(CLAIM_NAME_REQUIRED)
    if len(name) > 256 or len(namespace) > 512:
        raise PolicyError(URL_TOO_LONG.format(label="The claim name and namespace", limit=256 + 512))
    if source_attribute not in SourceAttribute.values:
        raise PolicyError(UNKNOWN_SOURCE)
    return name, namespace


def add_saml_claim(
    *, application: Application, actor: Actor, name: str, source_attribute: str, namespace: str = CLAIMS_NAMESPACE
) -> SamlClaim:
    """Add a claim to Attributes & Claims."""
    name, namespace = _clean_claim(name, namespace, source_attribute)
    claim = SamlClaim(application=application, name=name, namespace=namespace, source_attribute=source_attribute)
    with transaction.atomic():
        application = _lock(application)
        _configuration(application)
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError as exc:
            raise PolicyError(CLAIM_EXISTS.format(claim=claim.claim_type)) from exc
        _audit(application, actor, ["claimsMappingPolicy"])
    return claim


def update_saml_claim(*, claim: SamlClaim, actor: Actor, name: str, source_attribute: str, namespace: str) -> SamlClaim:
    """Change one claim's name, namespace or source attribute."""
    name, namespace = _clean_claim(name, namespace, source_attribute)
    with transaction.atomic():
        application = _lock(claim.application)
        claim = SamlClaim.objects.select_for_update().get(pk=claim.pk)
        claim.name, claim.namespace, claim.source_attribute = name, namespace, source_attribute
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError as exc:
            raise PolicyError(CLAIM_EXISTS.format(claim=claim.claim_type)) from exc
        _audit(application, actor, ["claimsMappingPolicy"])
    return claim


def remove_saml_claim(*, claim: SamlClaim, actor: Actor) -> None:
    """Delete one claim from Attributes & Claims."""
    with transaction.atomic():
        application = _lock(claim.application)
        SamlClaim.objects.filter(pk=claim.pk).delete()
        _audit(application, actor, ["claimsMappingPolicy"])


def _add_certificate(application: Application, *, active: bool) -> SamlSigningCertificate:
    pair = certificates.generate_key_pair(now=timezone.now())
    return SamlSigningCertificate.objects.create(
        application=application,
        status=CertificateStatus.ACTIVE if active else CertificateStatus.INACTIVE,
        thumbprint=pair.thumbprint,
        certificate_pem=pair.certificate_pem,
        private_key_pem=pair.private_key_pem,
        not_before=pair.not_before,
        expires=pair.expires,
    )


def create_saml_certificate(*, application: Application, actor: Actor) -> SamlSigningCertificate:
    """Add a new signing certificate. It is inactive (the current one keeps signing, and both are in the
    federation metadata) unless the application has no active certificate."""
    with transaction.atomic():
        application = _lock(application)
        _configuration(application)
        has_active = SamlSigningCertificate.objects.filter(
            application=application, status=CertificateStatus.ACTIVE
        ).exists()
        certificate = _add_certificate(application, active=not has_active)
        _audit(application, actor, ["keyCredentials"])
    return certificate


def activate_saml_certificate(*, certificate: SamlSigningCertificate, actor: Actor) -> SamlSigningCertificate:
    """Make a certificate the one that signs; the previously active one becomes inactive (still published)."""
    with transaction.atomic():
        application = _lock(certificate.application)
        certificate = SamlSigningCertificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.expires <= timezone.now():
            raise PolicyError(CERTIFICATE_EXPIRED)
        if certificate.status != CertificateStatus.ACTIVE:
            SamlSigningCertificate.objects.filter(application=application, status=CertificateStatus.ACTIVE).update(
                status=CertificateStatus.INACTIVE
            )
            certificate.status = CertificateStatus.ACTIVE
            certificate.save(update_fields=["status"])
            _audit(application, actor, ["preferredTokenSigningKeyThumbprint"])
    return certificate


class ReplayedRequest(Exception):
    """An authentication request whose ID was already answered."""


def record_request_id(
    *, application: Application, request_id: str, issue_instant: dt.datetime, forget_before: dt.datetime
) -> None:
    """Remember that this request was answered; raise ReplayedRequest if it already was.

    IDs older than `forget_before` are dropped: requests issued before it are refused as expired anyway.
    """
    with transaction.atomic():
        SamlRequestId.objects.filter(received_date_time__lt=forget_before).delete()
        try:
            with transaction.atomic():
                SamlRequestId.objects.create(
                    application=application, request_id=request_id, issue_instant=issue_instant
                )
        except IntegrityError as exc:
            raise ReplayedRequest(request_id) from exc
