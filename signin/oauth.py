"""The OAuth 2.0 / OpenID Connect authorization server, on authlib.

authlib runs the protocol (request validation, PKCE, client authentication, the token
response and id token); this module binds it to our models, one server per tenant in
the URL, and answers errors in Azure's shape (AADSTS codes in `error_description`).
Who may sign in is decided by signin.policy, called from the authorize view.
"""

import datetime
import hashlib
import hmac
import json
import uuid
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from directory.models import DirectoryUser, Tenant
from signin import codes, keys, tokens
from signin.codes import ErrorCode
from signin.models import AppRegistration, AuthorizationCode, SignInEvent
from signin.services import hash_secret, record_sign_in, request_id_of

CODE_LIFETIME = datetime.timedelta(minutes=5)
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
DELEGATED_SCOPES = ("User.Read",)
SUPPORTED_SCOPES = OIDC_SCOPES + DELEGATED_SCOPES
GRANT_TYPES = ("authorization_code", "client_credentials")
# RFC 8176 authentication method references, by how the person signed in to the portal.
AMR = {SignInEvent.Protocol.PASSWORD: ["pwd"], SignInEvent.Protocol.ONE_TIME_PASSCODE: ["otp"]}


def _normalize_scope(scope: str) -> str:
    # Azure accepts Graph's delegated scopes with or without the resource in front.
    return scope.removeprefix(f"{tokens.GRAPH_RESOURCE}/")


class Client(ClientMixin):
    """authlib's view of an app registration."""

    def __init__(self, registration: AppRegistration) -> None:
        self.registration = registration

    def get_client_id(self) -> str:
        return str(self.registration.client_id)

    def get_default_redirect_uri(self) -> str | None:
        uris = self.registration.redirect_uri_list
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str) -> str:
        wanted = [_normalize_scope(s) for s in (scope or "").split()]
        return " ".join(s for s in dict.fromkeys(wanted) if s in SUPPORTED_SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.registration.redirect_uri_list

    def check_client_secret(self, client_secret: str) -> bool:
        presented = hash_secret(client_secret)
        secrets = list(self.registration.client_secrets.all())
        matching = [s for s in secrets if hmac.compare_digest(s.secret_hash, presented)]
        if not matching:
            raise InvalidClientError(description=codes.INVALID_CLIENT_SECRET.format(), status_code=401)
        if all(s.is_expired for s in matching):
            raise InvalidClientError(
                description=codes.EXPIRED_CLIENT_SECRET.format(app_id=self.get_client_id()), status_code=401
            )
        return True

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # Confidential clients only: every registration authenticates with a secret.
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class Code:
    """authlib's view of a stored authorization code."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce or None

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return AMR.get(self.row.authentication_method, ["pwd"])


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        payload = request.payload
        now = timezone.now()
        AuthorizationCode.objects.create(
            code_hash=_hash_code(code),
            registration=request.client.registration,
            user=request.user,
            redirect_uri=payload.redirect_uri or request.client.get_default_redirect_uri(),
            scope=request.scope,
            nonce=payload.data.get("nonce", ""),
            code_challenge=payload.data.get("code_challenge", ""),
            code_challenge_method=payload.data.get("code_challenge_method", ""),
            auth_time=self.server.auth_time or now,
            authentication_method=self.server.authentication_method,
            expires_date_time=now + CODE_LIFETIME,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        if len(code) > 512:
            raise InvalidGrantError(codes.CODE_EXPIRED.format())
        row = (
            AuthorizationCode.objects.select_related("user__tenant", "registration")
            .filter(code_hash=_hash_code(code), registration=client.registration)
            .first()
        )
        if row is None or row.expires_date_time <= timezone.now():
            raise InvalidGrantError(codes.CODE_EXPIRED.format())
        if row.redeemed_date_time is not None:
            raise InvalidGrantError(codes.CODE_REDEEMED.format())
        self.request.sign_in_user = row.user
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        # Marked, not deleted, so a replay is told apart from a made-up code; the conditional
        # update means two concurrent redemptions can't both win.
        won = AuthorizationCode.objects.filter(pk=authorization_code.row.pk, redeemed_date_time__isnull=True).update(
            redeemed_date_time=timezone.now()
        )
        if not won:
            raise InvalidGrantError(codes.CODE_REDEEMED.format())

    def authenticate_user(self, authorization_code: Code) -> DirectoryUser | None:
        user = authorization_code.row.user
        return user if user.account_enabled else None


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        scope = (self.request.payload.scope or "").strip()
        if not scope:
            raise InvalidRequestError(codes.MISSING_PARAMETER.format(parameter="scope"))
        if scope not in tokens.default_scopes():
            raise InvalidScopeError(
                codes.INVALID_SCOPE.format(
                    detail=f"The scope must be {tokens.GRAPH_RESOURCE}/.default for the client credentials flow."
                )
            )


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256, required on every authorization request."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(codes.PKCE_REQUIRED.format())
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(codes.INVALID_PARAMETER.format(parameter="code_challenge_method") + " Use S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AzureOpenIDCode(OpenIDCode):
    def resolve_client_private_key(self, client: Client) -> Any:
        return keys.signing_key_for_id_tokens()

    def get_client_algorithm(self, client: Client) -> str:
        return keys.ALGORITHM

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": keys.ALGORITHM, "typ": "JWT", "kid": self.resolve_client_private_key(client).kid}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(datetime.datetime.now(tz=datetime.UTC).timestamp())
        return {
            "iss": tokens.issuer_for(client.registration.tenant_id),
            "aud": client.get_client_id(),
            "iat": now,
            "nbf": now,
            "exp": now + tokens.ACCESS_TOKEN_LIFETIME,
        }

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return AuthorizationCode.objects.filter(registration=request.client.registration, nonce=nonce).exists()

    def encode_id_token(self, token: dict, request: Any) -> str:
        # generate_user_info gets no client, and the pairwise `sub` needs it (one server per request).
        self._registration = request.client.registration
        return super().encode_id_token(token, request)

    def generate_user_info(self, user: DirectoryUser, scope: str) -> UserInfo:
        return UserInfo(tokens.user_claims(user, self._registration, scope))


def _error_for(error: OAuth2Error, *, client_id: str, tenant: Tenant) -> tuple[ErrorCode, str]:
    """The AADSTS code of an authlib error: ours carry it in the description already."""
    description = error.description or ""
    if description.startswith("AADSTS"):
        number = int(description[6:].split(":", 1)[0])
        return ErrorCode(number, ""), description
    if description == "Code challenge failed.":
        found = codes.PKCE_MISMATCH
    elif description == "The client does not exist on this server.":
        return codes.APP_NOT_FOUND, codes.APP_NOT_FOUND.format(app_id=client_id[:64], tenant=tenant.display_name)
    elif description == "Missing 'client_id' parameter.":
        return codes.MISSING_PARAMETER, codes.MISSING_PARAMETER.format(parameter="client_id")
    elif error.error == "invalid_client":
        found = codes.MISSING_CLIENT_SECRET
    elif error.error == "unsupported_grant_type":
        return codes.UNSUPPORTED_GRANT_TYPE, codes.UNSUPPORTED_GRANT_TYPE.format(grant_type="")
    elif error.error == "invalid_scope":
        return codes.INVALID_SCOPE, codes.INVALID_SCOPE.format(detail=description)
    else:
        return codes.INVALID_REQUEST, codes.INVALID_REQUEST.format(detail=description or error.error)
    return found, found.format()


class TenantAuthorizationServer(AuthorizationServer):
    """One tenant's authorization server: clients are that tenant's app registrations."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        authentication_method: str = SignInEvent.Protocol.PASSWORD,
        auth_time: datetime.datetime | None = None,
    ) -> None:
        self.tenant = tenant
        # How and when the person being authorized signed in (signin.services.sign_in_method and
        # sign_in_time): their codes' `amr` and `auth_time`.
        self.authentication_method = authentication_method
        self.auth_time = auth_time
        super().__init__(client_model=AppRegistration, token_model=None)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), AzureOpenIDCode()])
        self.register_grant(ClientCredentialsGrant)
        self.register_token_generator("authorization_code", self._user_token)
        self.register_token_generator("client_credentials", self._app_token)

    def query_client(self, client_id: str) -> Client | None:
        registration = find_registration(self.tenant, client_id)
        return Client(registration) if registration is not None else None

    def save_token(self, token: dict, request: Any) -> None:
        # Access tokens are signed JWTs, checked by signature: there is nothing to store.
        return None

    def _user_token(self, *, client: Client, user: DirectoryUser, scope: str, **_: Any) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": tokens.ACCESS_TOKEN_LIFETIME,
            "access_token": tokens.delegated_access_token(user, client.registration, scope),
        }

    def _app_token(self, *, client: Client, **_: Any) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "expires_in": tokens.ACCESS_TOKEN_LIFETIME,
            "access_token": tokens.application_access_token(client.registration),
        }

    def handle_error_response(self, request: Any, error: OAuth2Error) -> HttpResponse:
        django_request: HttpRequest = request._request
        client_id = str(request.payload.client_id or "")
        code, message = _error_for(error, client_id=client_id, tenant=self.tenant)
        request_id = request_id_of(django_request)
        now = timezone.now()
        timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        status, _, headers = error(self.get_error_uri(request, error))
        if getattr(error, "redirect_uri", None):
            # An authorization request with a valid redirect URI: the error goes back to the client.
            return super().handle_error_response(request, error)
        registration = find_registration(self.tenant, client_id)
        user = getattr(request, "sign_in_user", None)
        record_sign_in(
            request=django_request,
            tenant=self.tenant,
            protocol=SignInEvent.Protocol.OAUTH_CLIENT_CREDENTIALS
            if request.payload.grant_type == "client_credentials"
            else SignInEvent.Protocol.OIDC,
            status=SignInEvent.Status.FAILURE,
            user=user,
            application=registration.application if registration is not None else None,
            app_id=client_id[:64],
            app_display_name=registration.display_name if registration is not None else "",
            error_code=code.number,
            failure_reason=message,
            event_type=SignInEvent.EventType.SERVICE_PRINCIPAL
            if request.payload.grant_type == "client_credentials"
            else SignInEvent.EventType.NON_INTERACTIVE_USER,
        )
        body = {
            "error": error.error,
            "error_description": f"{message}\r\nTrace ID: {request_id}\r\nCorrelation ID: {request_id}\r\n"
            f"Timestamp: {timestamp}",
            "error_codes": [code.number],
            "timestamp": timestamp,
            "trace_id": str(request_id),
            "correlation_id": str(request_id),
        }
        response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
        for name, value in headers:
            if name.lower() != "content-type":
                response[name] = value
        return response


def find_registration(tenant: Tenant, client_id: str) -> AppRegistration | None:
    """The tenant's app registration with this application (client) id, or None."""
    try:
        wanted = uuid.UUID(str(client_id))
    except ValueError:
        return None
    return (
        AppRegistration.objects.select_related("application__tenant", "tenant")
        .filter(tenant=tenant, client_id=wanted)
        .first()
    )
