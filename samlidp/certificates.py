"""Token signing certificates: generation and the formats the SAML blade downloads."""

import base64
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Azure's own subject and lifetime for the certificates it makes for SAML apps.
SUBJECT = "Microsoft Azure Federated SSO Certificate"
LIFETIME = dt.timedelta(days=3 * 365)
KEY_SIZE = 2048


@dataclass(frozen=True)
class KeyPair:
    certificate_pem: str
    private_key_pem: str
    thumbprint: str
    not_before: dt.datetime
    expires: dt.datetime


def generate_key_pair(*, now: dt.datetime) -> KeyPair:
    """A fresh RSA key and a self-signed certificate for it, valid from now for three years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT)])
    not_before = now.replace(microsecond=0)
    expires = not_before + LIFETIME
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(expires)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        thumbprint=thumbprint(certificate),
        not_before=not_before,
        expires=expires,
    )


def thumbprint(certificate: x509.Certificate) -> str:
    """The SHA-1 thumbprint in upper-case hex, as the blade shows it."""
    return certificate.fingerprint(hashes.SHA1()).hex().upper()  # SHA-1 names the certificate here; it signs nothing


def load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def der(pem: str) -> bytes:
    """Certificate (Raw): the DER bytes."""
    return load(pem).public_bytes(serialization.Encoding.DER)


def base64_body(pem: str) -> str:
    """The certificate as metadata carries it: base64 of the DER, one line."""
    return base64.b64encode(der(pem)).decode()


def is_valid_certificate(pem: str) -> bool:
    try:
        load(pem)
    except ValueError:
        return False
    return True
