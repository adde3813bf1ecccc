"""Invitation tickets and the signed "Block future invitations" links.

A ticket is 256 random bits. Only its SHA-256 hash is stored, so a database leak
gives away no working link; compare hashes with hmac.compare_digest.
"""

import hashlib
import hmac
import secrets

from django.core import signing

from directory.emails import canonical_email

BLOCK_LINK_SALT = "invitations.block-future-invitations"


def hash_ticket(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def new_ticket() -> tuple[str, str]:
    """A fresh ticket: (plain text for the emailed link, sha256 hex to store)."""
    plain = secrets.token_urlsafe(32)
    return plain, hash_ticket(plain)


def ticket_matches(plain: str, ticket_hash: str) -> bool:
    return hmac.compare_digest(hash_ticket(plain), ticket_hash)


def block_link_token(email: str) -> str:
    """A signed token naming the address; it does not expire, like Azure's unsubscribe link."""
    return signing.dumps({"email": canonical_email(email)}, salt=BLOCK_LINK_SALT, compress=True)


def read_block_token(token: str) -> str | None:
    """The address a block token was made for, or None when it was tampered with."""
    try:
        data = signing.loads(token, salt=BLOCK_LINK_SALT)
    except signing.BadSignature:
        return None
    email = data.get("email") if isinstance(data, dict) else None
    return email if isinstance(email, str) and email else None
