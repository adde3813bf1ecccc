"""Signing keys and JWTs (RS256, joserfc).

Keys are generated on first use and kept in the database, never in the repository.
JWKS publishes the next key before it signs anything and the previous one after it
stopped, so relying parties that cache JWKS keep validating through a rotation.
"""

import time
from typing import Any

from django.db import transaction
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from signin.models import KeyStatus, SigningKey

ALGORITHM = "RS256"
KEY_SIZE = 2048
# Clock skew tolerated between this server and the one checking a token.
LEEWAY_SECONDS = 300
# An id token hint names who is signing out; it may have expired, but not long ago.
ID_TOKEN_HINT_MAX_AGE_SECONDS = 30 * 86_400


class InvalidToken(Exception):
    """A token that is malformed, badly signed, expired or meant for someone else."""


def _generate(status: str) -> SigningKey:
    key = RSAKey.generate_key(KEY_SIZE, auto_kid=True)
    return SigningKey.objects.create(kid=key.kid, private_key_pem=key.as_pem(private=True).decode(), status=status)


def _ensure_keys() -> None:
    with transaction.atomic():
        # Lock every key row so two first requests can't both create the current key.
        present = set(SigningKey.objects.select_for_update().values_list("status", flat=True))
        for status in (KeyStatus.CURRENT, KeyStatus.NEXT):
            if status not in present:
                _generate(status)


def _load(signing_key: SigningKey) -> RSAKey:
    return RSAKey.import_key(signing_key.private_key_pem, {"kid": signing_key.kid, "use": "sig", "alg": ALGORITHM})


def _current() -> RSAKey:
    signing_key = SigningKey.objects.filter(status=KeyStatus.CURRENT).first()
    if signing_key is None:
        _ensure_keys()
        signing_key = SigningKey.objects.get(status=KeyStatus.CURRENT)
    return _load(signing_key)


def _published() -> list[SigningKey]:
    keys = list(SigningKey.objects.filter(status__in=[KeyStatus.NEXT, KeyStatus.CURRENT, KeyStatus.PREVIOUS]))
    if not {k.status for k in keys} >= {KeyStatus.CURRENT, KeyStatus.NEXT}:
        _ensure_keys()
        return _published()
    return keys


def jwks() -> dict[str, Any]:
    """The public keys relying parties validate tokens with: current, next and previous."""
    return {"keys": [_load(k).as_dict(private=False) for k in _published()]}


def rotate_signing_keys() -> SigningKey:
    """The next key becomes current, the current one previous (still published), a new next key is made."""
    _ensure_keys()
    with transaction.atomic():
        keys = {k.status: k for k in SigningKey.objects.select_for_update().exclude(status=KeyStatus.RETIRED)}
        if previous := keys.get(KeyStatus.PREVIOUS):
            SigningKey.objects.filter(pk=previous.pk).update(status=KeyStatus.RETIRED)
        SigningKey.objects.filter(pk=keys[KeyStatus.CURRENT].pk).update(status=KeyStatus.PREVIOUS)
        SigningKey.objects.filter(pk=keys[KeyStatus.NEXT].pk).update(status=KeyStatus.CURRENT)
        _generate(KeyStatus.NEXT)
    return SigningKey.objects.get(status=KeyStatus.CURRENT)


def signing_key_for_id_tokens() -> RSAKey:
    """The current private key (the OIDC grant signs id tokens with it)."""
    return _current()


def sign_jwt(claims: dict[str, Any]) -> str:
    """An RS256 JWT of the claims, signed with the current key (its kid in the header)."""
    key = _current()
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": key.kid}, claims, key, algorithms=[ALGORITHM])


def _verified(token: str, options: dict[str, Any], *, leeway: int = LEEWAY_SECONDS) -> dict[str, Any]:
    if not token or len(token) > 16_384:
        raise InvalidToken("The token is missing or too long.")
    key_set = KeySet([_load(k) for k in _published()])
    try:
        decoded = jwt.decode(token, key_set, algorithms=[ALGORITHM])
        JWTClaimsRegistry(now=int(time.time()), leeway=leeway, **options).validate(decoded.claims)
    except (JoseError, ValueError) as error:
        raise InvalidToken(str(error) or type(error).__name__) from error
    return decoded.claims


def verify_jwt(token: str, *, audience: str, issuer: str | None = None) -> dict[str, Any]:
    """The claims of a token this server signed, still valid, for this audience (and issuer when given).

    Raises InvalidToken otherwise.
    """
    options: dict[str, Any] = {"aud": {"essential": True, "value": audience}, "exp": {"essential": True}}
    if issuer is not None:
        options["iss"] = {"essential": True, "value": issuer}
    return _verified(token, options)


def verify_id_token_hint(token: str, *, issuer: str) -> dict[str, Any]:
    """The claims of an id token this server signed for this issuer, expired or not (logout's id_token_hint)."""
    options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True}}
    return _verified(token, options, leeway=ID_TOKEN_HINT_MAX_AGE_SECONDS)
