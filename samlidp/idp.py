"""pysaml2 as the identity provider of one application: the library owns the protocol, this module
feeds it the application's settings from the database.

pysaml2 signs with Debian's xmlsec1, which reads keys from files: each operation writes the
application's certificates and active key to a private temporary directory that is removed
when the operation ends.
"""

import base64
import datetime as dt
import os
import re
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, md
from saml2 import xmldsig as ds
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor, metadata_tostring_fix, sign_entity_descriptor
from saml2.pack import http_redirect_message
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NameID
from saml2.samlp import LogoutRequest as SamlLogoutRequest
from saml2.server import Server
from saml2.sigver import SIGNER_ALGS, RSASigner, security_context
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from accessportal.links import site_url
from directory.models import Application, DirectoryUser, Tenant
from samlidp import certificates
from samlidp.models import SamlConfiguration, SamlSigningCertificate, SourceAttribute

# Larger requests are refused before they are decoded; real AuthnRequests are a few kilobytes.
MAX_ENCODED_REQUEST = 16 * 1024
MAX_DECODED_REQUEST = 64 * 1024
MAX_RELAY_STATE = 1024
MAX_SIGNATURE = 4096
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# An AuthnRequest is answered only within this window around its IssueInstant.
REQUEST_LIFETIME = dt.timedelta(minutes=10)
CLOCK_SKEW = dt.timedelta(minutes=5)
# Azure's assertion lifetime (Conditions NotOnOrAfter) is one hour.
ASSERTION_LIFETIME_MINUTES = 60
AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
# The requests /{tenant}/saml2 answers, by their root element.
AUTHN_REQUEST = "AuthnRequest"
LOGOUT_REQUEST = "LogoutRequest"


class SamlRequestError(Exception):
    """A SAML message that can't be answered; `reason` says why, for the sign-in log and the error page."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


# Kinds of SamlRequestError, mapped to AADSTS codes by the views.
MALFORMED = "malformed"
UNSIGNED = "unsigned"
EXPIRED = "expired"
WRONG_DESTINATION = "destination"


def sign_in_url(tenant: Tenant) -> str:
    """Login URL and Logout URL of "Set up <app>": Azure's `/{tenant}/saml2`."""
    return f"{site_url()}/{tenant.pk}/saml2"


def idp_entity_id(tenant: Tenant) -> str:
    """The Azure AD Identifier: one issuer per tenant, as Azure's `https://sts.windows.net/{tenant-id}/`."""
    return f"{site_url()}/{tenant.pk}/"


def metadata_url(application: Application) -> str:
    """App Federation Metadata Url."""
    return (
        f"{site_url()}/{application.tenant_id}/federationmetadata/2007-06/federationmetadata.xml?appid={application.pk}"
    )


def _endpoints(tenant: Tenant) -> list[str]:
    # Requests may name the tenant by id or by any of its domains (Destination is checked against these).
    return [sign_in_url(tenant)] + [f"{site_url()}/{domain}/saml2" for domain in sorted(tenant.all_domains)]


def _sp_metadata(configuration: SamlConfiguration) -> str:
    """The application's settings as SAML metadata, the form pysaml2 learns a service provider from."""
    key_descriptors = []
    if configuration.verification_certificate:
        key_descriptors.append(
            md.KeyDescriptor(
                use="signing",
                key_info=ds.KeyInfo(
                    x509_data=[
                        ds.X509Data(
                            x509_certificate=ds.X509Certificate(
                                text=certificates.base64_body(configuration.verification_certificate)
                            )
                        )
                    ]
                ),
            )
        )
    # The Logout Url receives the LogoutResponse (always HTTP-Redirect, as Entra sends it).
    logout_services = (
        [md.SingleLogoutService(binding=BINDING_HTTP_REDIRECT, location=configuration.logout_url)]
        if configuration.logout_url
        else []
    )
    descriptor = md.EntityDescriptor(
        entity_id=configuration.entity_id,
        spsso_descriptor=md.SPSSODescriptor(
            protocol_support_enumeration=PROTOCOL,
            authn_requests_signed="true" if configuration.require_verification_certificates else "false",
            key_descriptor=key_descriptors,
            name_id_format=[md.NameIDFormat(text=configuration.name_id_format)],
            single_logout_service=logout_services,
            assertion_consumer_service=[
                md.AssertionConsumerService(
                    binding=BINDING_HTTP_POST, location=configuration.reply_url, index="0", is_default="true"
                )
            ],
        ),
    )
    return str(descriptor)


def _signing_certificates(application: Application) -> list[SamlSigningCertificate]:
    return list(
        SamlSigningCertificate.objects.filter(application=application, expires__gt=timezone.now()).order_by(
            "status", "-created_date_time"
        )
    )


def can_sign(configuration: SamlConfiguration) -> bool:
    """Whether the application has an active, unexpired signing certificate to sign responses with."""
    return any(
        c.status == SamlSigningCertificate.Status.ACTIVE for c in _signing_certificates(configuration.application)
    )


@contextmanager
def _server(configuration: SamlConfiguration, *, want_signed_requests: bool | None = None) -> Iterator[Server]:
    """pysaml2's identity provider for the application; requests must be signed when `want_signed_requests`
    (by default when the app requires verification certificates)."""
    if want_signed_requests is None:
        want_signed_requests = configuration.require_verification_certificates
    application = configuration.application
    certs = _signing_certificates(application)
    active = next((c for c in certs if c.status == SamlSigningCertificate.Status.ACTIVE), None)
    if active is None:
        raise SamlRequestError(MALFORMED, f"{application.display_name} has no active SAML signing certificate.")
    with tempfile.TemporaryDirectory(prefix="saml-") as folder:
        key_file = os.path.join(folder, "key.pem")
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            handle.write(active.private_key_pem)
        cert_files = []
        for index, cert in enumerate([active, *(c for c in certs if c.pk != active.pk)]):
            path = os.path.join(folder, f"cert{index}.pem")
            with open(path, "w") as handle:
                handle.write(cert.certificate_pem)
            cert_files.append(path)
        tenant = application.tenant
        endpoints = _endpoints(tenant)
        bound = [(url, BINDING_HTTP_REDIRECT) for url in endpoints] + [(url, BINDING_HTTP_POST) for url in endpoints]
        config = IdPConfig()
        config.load(
            {
                "entityid": idp_entity_id(tenant),
                "xmlsec_binary": settings.SAML_XMLSEC_BINARY,
                "key_file": key_file,
                "cert_file": cert_files[0],
                "additional_cert_files": cert_files[1:],
                "metadata": {"inline": [_sp_metadata(configuration)]},
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "accepted_time_diff": int(CLOCK_SKEW.total_seconds()),
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": bound,
                            "single_logout_service": bound,
                        },
                        "name_id_format": [configuration.name_id_format],
                        # pysaml2 applies this to every request it parses, LogoutRequests included.
                        "want_authn_requests_signed": want_signed_requests,
                        "sign_response": True,
                        "sign_assertion": True,
                        "policy": {"default": {"lifetime": {"minutes": ASSERTION_LIFETIME_MINUTES}}},
                    }
                },
            }
        )
        server = Server(config=config)
        try:
            yield server
        finally:
            server.close()


def federation_metadata(configuration: SamlConfiguration) -> str:
    """The application's signed federation metadata: the tenant's issuer, its sign-in URL, every
    unexpired signing certificate (the active one first, so a new one can be trusted before it signs)."""
    with _server(configuration) as server:
        descriptor = entity_descriptor(server.config)
        security = security_context(server.config)
        _, signed = sign_entity_descriptor(descriptor, None, security, SIG_RSA_SHA256, DIGEST_SHA256)
    return metadata_tostring_fix(descriptor, {"xs": "http://www.w3.org/2001/XMLSchema"}, signed)


# Reading requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingRequest:
    """An AuthnRequest or LogoutRequest as it arrived, before anything about it is trusted."""

    binding: str
    saml_request: str
    relay_state: str = ""
    sig_alg: str | None = None
    signature: str | None = None


@dataclass(frozen=True)
class AuthnRequest:
    """An AuthnRequest that passed every check: signature, destination, age, and the reply URL."""

    request_id: str
    issue_instant: dt.datetime
    issuer: str
    reply_url: str
    relay_state: str


@dataclass(frozen=True)
class IncomingMessage:
    """What a request is (AUTHN_REQUEST or LOGOUT_REQUEST) and who sent it, after size and XML safety checks."""

    kind: str
    issuer: str


@dataclass(frozen=True)
class LogoutRequest:
    """A LogoutRequest that passed every check: signature (when the app has a verification certificate),
    destination, age. `message` is pysaml2's, for the LogoutResponse."""

    request_id: str
    issue_instant: dt.datetime
    name_id: str
    relay_state: str
    message: SamlLogoutRequest


def within_limits(saml_request: str, relay_state: str) -> bool:
    """Whether a request's parameters fit the limits _decode enforces."""
    return len(saml_request) <= MAX_ENCODED_REQUEST and len(relay_state) <= MAX_RELAY_STATE


def _decode(incoming: IncomingRequest) -> bytes:
    if not incoming.saml_request:
        raise SamlRequestError(MALFORMED, "The request has no SAMLRequest parameter.")
    if len(incoming.saml_request) > MAX_ENCODED_REQUEST:
        raise SamlRequestError(MALFORMED, f"The SAMLRequest parameter is longer than {MAX_ENCODED_REQUEST} characters.")
    if len(incoming.relay_state) > MAX_RELAY_STATE:
        raise SamlRequestError(MALFORMED, f"The RelayState parameter is longer than {MAX_RELAY_STATE} characters.")
    if _CONTROL_CHARACTERS.search(incoming.relay_state):
        raise SamlRequestError(MALFORMED, "The RelayState parameter holds control characters.")
    if any(len(value or "") > MAX_SIGNATURE for value in (incoming.sig_alg, incoming.signature)):
        raise SamlRequestError(
            MALFORMED, f"The SigAlg or Signature parameter is longer than {MAX_SIGNATURE} characters."
        )
    try:
        raw = base64.b64decode(incoming.saml_request, validate=False)
    except ValueError as exc:
        raise SamlRequestError(MALFORMED, "The SAMLRequest parameter isn't base64.") from exc
    if incoming.binding == BINDING_HTTP_POST and raw.lstrip().startswith(b"<"):
        return raw[: MAX_DECODED_REQUEST + 1]
    # Inflate with a ceiling, so a few kilobytes can't expand into gigabytes (a deflate bomb).
    inflater = zlib.decompressobj(-15)
    try:
        xml = inflater.decompress(raw, MAX_DECODED_REQUEST + 1)
    except zlib.error as exc:
        raise SamlRequestError(MALFORMED, "The SAMLRequest parameter isn't deflated XML.") from exc
    return xml


def _parse(xml: bytes):
    if len(xml) > MAX_DECODED_REQUEST:
        raise SamlRequestError(MALFORMED, f"The decoded request is larger than {MAX_DECODED_REQUEST} bytes.")
    try:
        # No DTDs at all: SAML never needs one, and they carry entity expansion (XML bombs) and XXE.
        root = defusedxml.ElementTree.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise SamlRequestError(
            MALFORMED, "The request contains a DTD or entity declarations, which SAML forbids."
        ) from exc
    except defusedxml.ElementTree.ParseError as exc:
        raise SamlRequestError(MALFORMED, "The request isn't well-formed XML.") from exc
    if root.tag not in {f"{SAMLP}{AUTHN_REQUEST}", f"{SAMLP}{LOGOUT_REQUEST}"}:
        raise SamlRequestError(MALFORMED, "The request isn't a SAML 2.0 AuthnRequest or LogoutRequest.")
    return root


def read_message(incoming: IncomingRequest) -> IncomingMessage:
    """The kind and Issuer (the application's Identifier) of a request, after size and XML safety checks."""
    root = _parse(_decode(incoming))
    kind = root.tag.removeprefix(SAMLP)
    issuer = root.find(f"{SAML}Issuer")
    if issuer is None or not (issuer.text or "").strip():
        raise SamlRequestError(MALFORMED, f"The {kind} has no Issuer.")
    return IncomingMessage(kind=kind, issuer=issuer.text.strip())


def _refused(kind_of_request: str, exc: Exception, *, signed: bool) -> SamlRequestError:
    # pysaml2 raises many unrelated types for bad input; its message says what was wrong.
    message = str(exc) or type(exc).__name__
    kind = WRONG_DESTINATION if "destined" in message else UNSIGNED if signed else MALFORMED
    return SamlRequestError(kind, f"The {kind_of_request} was refused: {message}")


def _check_age(issue_instant: dt.datetime, value: str) -> None:
    now = timezone.now()
    if issue_instant < now - REQUEST_LIFETIME - CLOCK_SKEW or issue_instant > now + CLOCK_SKEW:
        raise SamlRequestError(EXPIRED, f"The request was issued at {value}, outside the accepted time.")


def read_authn_request(incoming: IncomingRequest, configuration: SamlConfiguration) -> AuthnRequest:
    """Check an AuthnRequest from the application: signature (when required), destination, age.

    The reply URL is the application's; a different AssertionConsumerServiceURL in the request is returned
    as is for the caller to refuse (AADSTS50011).
    """
    _parse(_decode(incoming))
    with _server(configuration) as server:
        try:
            parsed = server.parse_authn_request(
                incoming.saml_request,
                incoming.binding,
                relay_state=incoming.relay_state or None,
                sigalg=incoming.sig_alg,
                signature=incoming.signature,
            )
        except Exception as exc:  # pysaml2 raises many unrelated types for bad input
            raise _refused(AUTHN_REQUEST, exc, signed=configuration.require_verification_certificates) from exc
        if parsed is None:
            raise SamlRequestError(MALFORMED, "The AuthnRequest couldn't be read.")
        message = parsed.message
    issue_instant = _instant(message.issue_instant)
    _check_age(issue_instant, message.issue_instant)
    if not message.id:
        raise SamlRequestError(MALFORMED, "The AuthnRequest has no ID.")
    return AuthnRequest(
        request_id=message.id,
        issue_instant=issue_instant,
        issuer=message.issuer.text.strip(),
        reply_url=message.assertion_consumer_service_url or configuration.reply_url,
        relay_state=incoming.relay_state,
    )


def read_logout_request(incoming: IncomingRequest, configuration: SamlConfiguration) -> LogoutRequest:
    """Check a LogoutRequest from the application: signed with its verification certificate when it has one
    (a sign-out anyone could forge is refused), meant for this endpoint, recent, naming someone."""
    _parse(_decode(incoming))
    signed = bool(configuration.verification_certificate)
    with _server(configuration, want_signed_requests=signed) as server:
        try:
            parsed = server.parse_logout_request(
                incoming.saml_request,
                incoming.binding,
                relay_state=incoming.relay_state or None,
                sigalg=incoming.sig_alg,
                signature=incoming.signature,
            )
        except Exception as exc:  # pysaml2 raises many unrelated types for bad input
            raise _refused(LOGOUT_REQUEST, exc, signed=signed) from exc
        if parsed is None:
            raise SamlRequestError(MALFORMED, "The LogoutRequest couldn't be read.")
        message = parsed.message
    issue_instant = _instant(message.issue_instant, LOGOUT_REQUEST)
    _check_age(issue_instant, message.issue_instant)
    if message.not_on_or_after and _instant(message.not_on_or_after, LOGOUT_REQUEST) <= timezone.now() - CLOCK_SKEW:
        raise SamlRequestError(EXPIRED, f"The LogoutRequest expired at {message.not_on_or_after}.")
    if not message.id:
        raise SamlRequestError(MALFORMED, "The LogoutRequest has no ID.")
    if message.name_id is None or not (message.name_id.text or "").strip():
        raise SamlRequestError(MALFORMED, "The LogoutRequest has no NameID: it must name who signs out.")
    return LogoutRequest(
        request_id=message.id,
        issue_instant=issue_instant,
        name_id=message.name_id.text.strip(),
        relay_state=incoming.relay_state,
        message=message,
    )


def _instant(value: str | None, kind_of_request: str = AUTHN_REQUEST) -> dt.datetime:
    if not value:
        raise SamlRequestError(MALFORMED, f"The {kind_of_request} has no IssueInstant.")
    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SamlRequestError(MALFORMED, f"The IssueInstant {value!r} isn't a date and time.") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant


# Answering -----------------------------------------------------------------------------------------


def given_name_and_surname(user: DirectoryUser) -> tuple[str, str]:
    # The directory keeps one display name; its first word stands in for givenName, the rest for surname.
    first, _, rest = user.display_name.strip().partition(" ")
    return first, rest.strip()


def attribute_value(user: DirectoryUser, source: str) -> str:
    given_name, surname = given_name_and_surname(user)
    return {
        SourceAttribute.USER_PRINCIPAL_NAME: user.user_principal_name,
        SourceAttribute.MAIL: user.mail,
        SourceAttribute.GIVEN_NAME: given_name,
        SourceAttribute.SURNAME: surname,
        SourceAttribute.DISPLAY_NAME: user.display_name,
        SourceAttribute.OBJECT_ID: str(user.pk),
        SourceAttribute.DEPARTMENT: user.department,
        SourceAttribute.JOB_TITLE: user.job_title,
    }[source]


def claims_of(configuration: SamlConfiguration, user: DirectoryUser) -> dict[str, list[str]]:
    """The attribute statement: each claim with a value (Azure leaves out claims whose value is empty)."""
    identity = {}
    for claim in configuration.application.saml_claims.all():
        value = attribute_value(user, claim.source_attribute)
        if value:
            identity[claim.claim_type] = [value]
    return identity


def authn_response(
    *,
    configuration: SamlConfiguration,
    user: DirectoryUser,
    in_response_to: str | None,
    authn_context: str = AUTHN_CONTEXT,
    authn_instant: dt.datetime | None = None,
) -> str:
    """The signed Response (signed assertion inside) for `user`, base64-encoded for the HTTP-POST binding.

    `in_response_to` is the AuthnRequest's ID, or None for an IdP-initiated sign-in (the tile);
    `authn_context` the AuthnContextClassRef of how the person signed in, `authn_instant` when (the
    AuthnInstant; pysaml2 says now when it's None).
    """
    name_id = NameID(
        format=configuration.name_id_format,
        text=attribute_value(user, configuration.name_id_source),
        sp_name_qualifier=configuration.entity_id,
    )
    with _server(configuration) as server:
        try:
            response = server.create_authn_response(
                identity=claims_of(configuration, user),
                in_response_to=in_response_to,
                destination=configuration.reply_url,
                sp_entity_id=configuration.entity_id,
                name_id=name_id,
                userid=str(user.pk),
                authn={
                    "class_ref": authn_context,
                    "authn_auth": idp_entity_id(configuration.application.tenant),
                    **({"authn_instant": int(authn_instant.timestamp())} if authn_instant else {}),
                },
                sign_response=True,
                sign_assertion=True,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        except (UnknownPrincipal, UnsupportedBinding) as exc:
            raise SamlRequestError(MALFORMED, str(exc)) from exc
    return base64.b64encode(str(response).encode()).decode()


def logout_response_url(configuration: SamlConfiguration, logout_request: LogoutRequest) -> str:
    """The Logout Url with a successful LogoutResponse to `logout_request`, by the HTTP-Redirect binding
    (SAMLResponse, RelayState, and the SigAlg and Signature pysaml2 signs them with)."""
    with _server(configuration) as server:
        response = server.create_logout_response(logout_request.message, bindings=[BINDING_HTTP_REDIRECT], sign=False)
        info = http_redirect_message(
            message=str(response),
            location=configuration.logout_url,
            relay_state=logout_request.relay_state,
            typ="SAMLResponse",
            sigalg=SIG_RSA_SHA256,
            sign=True,
            backend=_OwnSigner(server.sec.sec_backend.key),
        )
    return dict(info["headers"])["Location"]


class _OwnSigner:
    """A crypto backend for pysaml2's HTTP-Redirect signing that gives each signature its own signer.

    pysaml2's own (RSACrypto) sets the key on one signer per algorithm shared by the whole process,
    so two requests at once, for apps with different keys, could sign with each other's key."""

    def __init__(self, key: object) -> None:
        self.key = key

    def get_signer(self, sigalg: str, sigkey: object = None) -> RSASigner | None:
        shared = SIGNER_ALGS.get(sigalg)
        return RSASigner(shared.digest, sigkey or self.key) if shared is not None else None
