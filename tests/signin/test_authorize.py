import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from signin import keys, tokens
from signin.models import AuthorizationCode, SignInEvent
from tests.factories import DEFAULT_PASSWORD, AppRegistrationFactory, DirectoryUserFactory, TenantFactory


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _authorize(client, registration, **overrides):
    verifier, challenge = _pkce()
    params = {
        "client_id": str(registration.client_id),
        "response_type": "code",
        "redirect_uri": registration.redirect_uri_list[0],
        "scope": "openid profile email",
        "state": "state-123",
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    params = {k: v for k, v in params.items() if v is not None}
    response = client.get(f"/{registration.tenant.initial_domain}/oauth2/v2.0/authorize", params)
    return response, verifier, params


def _sign_in(client, user):
    assert client.login(username=user.account.email, password=DEFAULT_PASSWORD)


def _redeem(client, registration, secret, code, verifier, redirect_uri=None):
    return client.post(
        f"/{registration.tenant_id}/oauth2/v2.0/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or registration.redirect_uri_list[0],
            "client_id": str(registration.client_id),
            "client_secret": secret.value,
            "code_verifier": verifier,
        },
    )


def test_code_flow_with_pkce_gives_an_azure_shaped_id_token(https_client, registration, secret, assigned_member):
    _sign_in(https_client, assigned_member)
    response, verifier, params = _authorize(https_client, registration)
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert response["Location"].startswith(registration.redirect_uri_list[0])
    query = parse_qs(location.query)
    assert query["state"] == ["state-123"]
    token_response = _redeem(https_client, registration, secret, query["code"][0], verifier)
    assert token_response.status_code == 200, token_response.content
    body = token_response.json()
    claims = keys.verify_jwt(
        body["id_token"], audience=str(registration.client_id), issuer=tokens.issuer_for(registration.tenant)
    )
    assert claims["oid"] == str(assigned_member.pk)
    assert claims["tid"] == str(registration.tenant_id)
    assert claims["preferred_username"] == assigned_member.user_principal_name
    assert claims["email"] == assigned_member.mail
    assert claims["name"] == assigned_member.display_name
    assert claims["nonce"] == params["nonce"]
    assert claims["ver"] == "2.0"
    assert {"iat", "nbf", "exp", "sub"} <= set(claims)
    # The access token is for Graph's /me and userinfo.
    userinfo = https_client.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert userinfo.json()["oid"] == str(assigned_member.pk)
    assert userinfo.json()["sub"] == claims["sub"]
    assert SignInEvent.objects.filter(status="success", user_id=assigned_member.pk, protocol="oidc").count() == 1


def test_code_is_redeemable_once(https_client, registration, secret, assigned_member):
    _sign_in(https_client, assigned_member)
    response, verifier, _ = _authorize(https_client, registration)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    assert _redeem(https_client, registration, secret, code, verifier).status_code == 200
    replay = _redeem(https_client, registration, secret, code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert replay.json()["error_codes"] == [54005]


def test_expired_code_and_wrong_verifier_are_refused(https_client, registration, secret, assigned_member):
    _sign_in(https_client, assigned_member)
    response, verifier, _ = _authorize(https_client, registration)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    assert _redeem(https_client, registration, secret, code, "w" * 50).json()["error_codes"] == [501481]
    AuthorizationCode.objects.update(expires_date_time="2000-01-01T00:00:00Z")
    assert _redeem(https_client, registration, secret, code, verifier).json()["error_codes"] == [70008]
    assert _redeem(https_client, registration, secret, "made-up", verifier).json()["error_codes"] == [70008]


def test_code_of_one_app_cannot_be_redeemed_by_another(https_client, registration, secret, assigned_member):
    from tests.factories import ClientSecretFactory

    _sign_in(https_client, assigned_member)
    response, verifier, _ = _authorize(https_client, registration)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    other = AppRegistrationFactory(tenant=registration.tenant, redirect_uris=registration.redirect_uris)
    other_secret = ClientSecretFactory(registration=other)
    assert _redeem(https_client, other, other_secret, code, verifier).json()["error_codes"] == [70008]


def test_signed_out_person_is_sent_to_sign_in_first(https_client, registration):
    response, _, _ = _authorize(https_client, registration)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=")


def test_unassigned_person_gets_the_error_page_with_aadsts50105(https_client, registration, tenant):
    person = DirectoryUserFactory(tenant=tenant)
    _sign_in(https_client, person)
    response, _, _ = _authorize(https_client, registration)
    assert response.status_code == 403
    page = response.content.decode()
    assert "AADSTS50105" in page and "has not been granted access" in page
    event = SignInEvent.objects.get()
    assert str(event.request_id) in page
    assert (event.status, event.error_code) == ("failure", 50105)


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"client_id": "11111111-1111-1111-1111-111111111111"}, "AADSTS700016", 400),
        ({"client_id": None}, "AADSTS900144", 400),
        ({"redirect_uri": "https://evil.example/callback"}, "AADSTS50011", 400),
        ({"state": "s" * 5000}, "AADSTS90100", 400),
    ],
)
def test_bad_requests_get_the_error_page_and_a_log_entry(
    https_client, registration, assigned_member, overrides, code, status
):
    _sign_in(https_client, assigned_member)
    response, _, _ = _authorize(https_client, registration, **overrides)
    assert response.status_code == status
    assert code in response.content.decode()
    assert SignInEvent.objects.get().error_code == int(code.removeprefix("AADSTS"))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_protocol_errors_go_back_to_the_registered_redirect_uri(
    https_client, registration, assigned_member, overrides, error
):
    _sign_in(https_client, assigned_member)
    response, _, _ = _authorize(https_client, registration, **overrides)
    assert response.status_code == 302
    assert response["Location"].startswith(registration.redirect_uri_list[0])
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == [error]


def test_person_of_another_tenant_gets_no_code(https_client, registration):
    stranger = DirectoryUserFactory(tenant=TenantFactory())
    _sign_in(https_client, stranger)
    response, _, _ = _authorize(https_client, registration)
    assert response.status_code == 403
    assert "AADSTS50020" in response.content.decode()
    assert not AuthorizationCode.objects.exists()


def test_unknown_tenant_gets_the_error_page(https_client, db):
    response = https_client.get("/nowhere.example/oauth2/v2.0/authorize", {"client_id": "x"})
    assert response.status_code == 400
    assert "AADSTS90002" in response.content.decode()


def test_control_characters_in_a_parameter_get_the_error_page(https_client, registration, assigned_member):
    _sign_in(https_client, assigned_member)
    response, _, _ = _authorize(https_client, registration, nonce="abc\x00def")
    assert response.status_code == 400
    assert "AADSTS90100" in response.content.decode()
    assert not AuthorizationCode.objects.exists()


def test_a_state_longer_than_the_site_wide_query_cap_comes_back_as_sent(https_client, registration, assigned_member):
    # accessportal.middleware cuts query values to 1,024 characters everywhere but the protocol endpoints.
    state = secrets.token_urlsafe(2250)
    assert 1024 < len(state) < 4096
    _sign_in(https_client, assigned_member)
    response, _, _ = _authorize(https_client, registration, state=state)
    assert response.status_code == 302, response.content
    assert parse_qs(urlsplit(response["Location"]).query)["state"] == [state]


def test_end_session_refuses_control_characters_instead_of_redirecting_with_them(https_client, registration):
    response = https_client.get(
        f"/{registration.tenant_id}/oauth2/v2.0/logout",
        {"post_logout_redirect_uri": registration.redirect_uri_list[0] + "\r\nSet-Cookie: x=1"},
    )
    assert response.status_code == 400
    assert "AADSTS90100" in response.content.decode()
