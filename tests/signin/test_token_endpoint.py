import base64

import pytest

from signin import keys, tokens
from signin.models import SignInEvent
from tests.factories import AppRegistrationFactory, ClientSecretFactory, TenantFactory

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def _token(client, tenant_segment, **data):
    return client.post(f"/{tenant_segment}/oauth2/v2.0/token", data)


def test_client_credentials_token_carries_the_consented_roles(https_client, registration, secret):
    response = _token(
        https_client,
        registration.tenant.initial_domain,
        grant_type="client_credentials",
        client_id=str(registration.client_id),
        client_secret=secret.value,
        scope=GRAPH_DEFAULT,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = tokens.verify_access_token(body["access_token"])
    assert claims["roles"] == ["User.Read.All"]
    assert claims["appid"] == str(registration.client_id)
    assert claims["tid"] == str(registration.tenant_id)
    assert claims["iss"] == tokens.issuer_for(registration.tenant)
    assert claims["aud"] == tokens.GRAPH_AUDIENCE
    event = SignInEvent.objects.get()
    assert (event.status, event.sign_in_event_type, event.app_id) == (
        "success",
        "servicePrincipal",
        str(registration.client_id),
    )


def test_http_basic_client_authentication_works(https_client, registration, secret):
    basic = base64.b64encode(f"{registration.client_id}:{secret.value}".encode()).decode()
    response = https_client.post(
        f"/{registration.tenant_id}/oauth2/v2.0/token",
        {"grant_type": "client_credentials", "scope": GRAPH_DEFAULT},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        ({"client_secret": "wrong-secret"}, "invalid_client", 7000215),
        ({"client_secret": ""}, "invalid_client", 7000218),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, "invalid_client", 700016),
        ({"client_id": "not-a-guid"}, "invalid_client", 700016),
        ({"scope": "https://example.com/.default"}, "invalid_scope", 70011),
        ({"scope": ""}, "invalid_request", 900144),
        ({"grant_type": "password"}, "unsupported_grant_type", 70003),
        ({"scope": "x" * 5000}, "invalid_request", 90100),
    ],
)
def test_token_errors_answer_in_azure_shape_and_are_logged(https_client, registration, secret, change, error, code):
    data = {
        "grant_type": "client_credentials",
        "client_id": str(registration.client_id),
        "client_secret": secret.value,
        "scope": GRAPH_DEFAULT,
        **change,
    }
    response = _token(https_client, registration.tenant_id, **data)
    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["error"] == error
    assert body["error_description"].startswith(f"AADSTS{code}:")
    if code != 90100:
        assert body["error_codes"] == [code]
        assert SignInEvent.objects.get().error_code == code


def test_expired_secret_is_refused(https_client, registration):
    expired = ClientSecretFactory(registration=registration, expired=True)
    response = _token(
        https_client,
        registration.tenant_id,
        grant_type="client_credentials",
        client_id=str(registration.client_id),
        client_secret=expired.value,
        scope=GRAPH_DEFAULT,
    )
    assert response.status_code == 401
    assert response.json()["error_codes"] == [7000222]


def test_a_client_of_one_tenant_gets_no_token_from_another(https_client, registration, secret):
    other = TenantFactory()
    response = _token(
        https_client,
        other.pk,
        grant_type="client_credentials",
        client_id=str(registration.client_id),
        client_secret=secret.value,
        scope=GRAPH_DEFAULT,
    )
    assert response.status_code in {400, 401}
    assert response.json()["error_codes"] == [700016]
    # Nor does a secret of another registration open this one.
    stranger = ClientSecretFactory(registration=AppRegistrationFactory(tenant=registration.tenant))
    response = _token(
        https_client,
        registration.tenant_id,
        grant_type="client_credentials",
        client_id=str(registration.client_id),
        client_secret=stranger.value,
        scope=GRAPH_DEFAULT,
    )
    assert response.json()["error_codes"] == [7000215]


def test_unknown_tenant_and_get_are_refused(https_client, db):
    assert _token(https_client, "nowhere.example", grant_type="client_credentials").status_code == 400
    assert https_client.get("/nowhere.example/oauth2/v2.0/token").status_code == 405


def test_discovery_and_keys_in_azure_shapes(https_client, tenant):
    config = https_client.get(f"/{tenant.initial_domain}/v2.0/.well-known/openid-configuration").json()
    assert config["issuer"] == tokens.issuer_for(tenant)
    assert config["token_endpoint"].endswith(f"/{tenant.pk}/oauth2/v2.0/token")
    assert config["authorization_endpoint"].endswith(f"/{tenant.pk}/oauth2/v2.0/authorize")
    assert config["jwks_uri"].endswith(f"/{tenant.pk}/discovery/v2.0/keys")
    assert config["code_challenge_methods_supported"] == ["S256"]
    jwks = https_client.get(f"/{tenant.pk}/discovery/v2.0/keys").json()
    assert len(jwks["keys"]) == 2
    assert {k["kid"] for k in jwks["keys"]} >= {keys.signing_key_for_id_tokens().kid}
    assert https_client.get("/nowhere.example/v2.0/.well-known/openid-configuration").status_code == 400
