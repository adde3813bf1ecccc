import pytest

from signin import keys
from signin.models import SigningKey


@pytest.mark.django_db
def test_keys_are_made_on_first_use_and_jwks_publishes_current_and_next():
    assert not SigningKey.objects.exists()
    published = keys.jwks()["keys"]
    assert sorted(SigningKey.objects.values_list("status", flat=True)) == ["current", "next"]
    assert {k["kid"] for k in published} == set(SigningKey.objects.values_list("kid", flat=True))
    assert all(k["kty"] == "RSA" and "d" not in k and k["use"] == "sig" for k in published)


@pytest.mark.django_db
def test_signed_token_verifies_for_its_audience_only():
    token = keys.sign_jwt({"aud": "api://one", "iss": "https://issuer", "exp": 2_000_000_000, "sub": "x"})
    assert keys.verify_jwt(token, audience="api://one", issuer="https://issuer")["sub"] == "x"
    with pytest.raises(keys.InvalidToken):
        keys.verify_jwt(token, audience="api://other")
    with pytest.raises(keys.InvalidToken):
        keys.verify_jwt(token, audience="api://one", issuer="https://someone-else")


@pytest.mark.django_db
def test_expired_tampered_and_garbage_tokens_are_refused():
    expired = keys.sign_jwt({"aud": "a", "exp": 1_000_000})
    with pytest.raises(keys.InvalidToken):
        keys.verify_jwt(expired, audience="a")
    good = keys.sign_jwt({"aud": "a", "exp": 2_000_000_000, "roles": []})
    header, payload, signature = good.split(".")
    with pytest.raises(keys.InvalidToken):
        keys.verify_jwt(f"{header}.{payload[:-2]}AA.{signature}", audience="a")
    for garbage in ["", "not-a-jwt", "a.b.c", "x" * 20_000]:
        with pytest.raises(keys.InvalidToken):
            keys.verify_jwt(garbage, audience="a")


@pytest.mark.django_db
def test_rotation_keeps_tokens_signed_before_it_valid():
    before = keys.sign_jwt({"aud": "a", "exp": 2_000_000_000})
    old_next = SigningKey.objects.get(status="next").kid
    current = keys.rotate_signing_keys()
    assert current.kid == old_next
    assert keys.verify_jwt(before, audience="a")
    assert len(keys.jwks()["keys"]) == 3
    keys.rotate_signing_keys()
    # Two rotations later the first key is retired: its tokens no longer verify.
    with pytest.raises(keys.InvalidToken):
        keys.verify_jwt(before, audience="a")
    assert len(keys.jwks()["keys"]) == 3
