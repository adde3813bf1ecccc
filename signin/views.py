"""The identity provider's endpoints in Azure's URL shapes: /{tenant}/oauth2/v2.0/..., discovery, keys.

Views are thin: the tenant from the URL, authlib for the protocol, signin.policy for who
may sign in, and the Entra-style error page (or the protocol's JSON error) when refused.
"""

import json
import re
import uuid
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accessportal.middleware import protocol_endpoint
from directory.models import Account, DirectoryUser, Tenant
from signin import codes, keys, tokens
from signin.errors import render_error, tenant_or_error
from signin.keys import InvalidToken
from signin.models import AppRegistration, SignInEvent
from signin.oauth import SUPPORTED_SCOPES, TenantAuthorizationServer, _error_for, find_registration
from signin.policy import SignInRefused, authorize_sign_in, refuse_sign_in
from signin.services import record_sign_in, sign_in_method, sign_in_time
from signin.tenancy import resolve_tenant

# Longer values are refused before any parsing: no registration, state or challenge needs more.
MAX_PARAMETER_LENGTH = 4096
MAX_PARAMETERS = 40
OIDC = SignInEvent.Protocol.OIDC
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
INSECURE = "Sign-in requests must use https (plain http only on this computer's loopback address)."


def _oversized(params: QueryDict) -> str:
    """The name of a parameter that is too long or holds control characters, or ""."""
    if len(params) > MAX_PARAMETERS:
        return "request"
    return next(
        (
            key[:40]
            for key, values in params.lists()
            if any(len(v) > MAX_PARAMETER_LENGTH or _CONTROL_CHARACTERS.search(v) for v in [key, *values])
        ),
        "",
    )


@protocol_endpoint
@require_GET
def openid_configuration(request: HttpRequest, tenant: str) -> HttpResponse:
    found = resolve_tenant(tenant)
    if found is None:
        return JsonResponse(
            {"error": "invalid_tenant", "error_description": codes.TENANT_NOT_FOUND.format(tenant=tenant[:100])},
            status=400,
        )
    document = {
        "issuer": tokens.issuer_for(found),
        **tokens.endpoints_for(found),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nbf",
            "auth_time",
            "nonce",
            "oid",
            "tid",
            "ver",
            "name",
            "preferred_username",
            "email",
            "at_hash",
        ],
        "request_uri_parameter_supported": False,
        "tenant_region_scope": None,
    }
    return JsonResponse(document)


@protocol_endpoint
@require_GET
def jwks(request: HttpRequest, tenant: str) -> HttpResponse:
    if resolve_tenant(tenant) is None:
        return JsonResponse({"error": "invalid_tenant"}, status=400)
    response = JsonResponse(keys.jwks())
    # Short, so a rotation's new key is seen soon; relying parties also refetch on an unknown kid.
    response["Cache-Control"] = "public, max-age=300"
    return response


@protocol_endpoint
@never_cache
@require_http_methods(["GET", "HEAD"])
def authorize(request: HttpRequest, tenant: str) -> HttpResponse:
    found, error_page = tenant_or_error(request, tenant)
    if found is None:
        return error_page
    refusal = {"request": request, "tenant": found, "protocol": OIDC}
    account = request.user if request.user.is_authenticated else None
    try:
        if parameter := _oversized(request.GET):
            raise refuse_sign_in(error=codes.INVALID_PARAMETER, parameter=parameter, account=account, **refusal)
        client_id = request.GET.get("client_id", "")
        if not client_id:
            raise refuse_sign_in(error=codes.MISSING_PARAMETER, parameter="client_id", account=account, **refusal)
        registration = find_registration(found, client_id)
        if registration is None or registration.application is None or registration.application.tenant_id != found.pk:
            raise refuse_sign_in(error=codes.APP_NOT_FOUND, app_id=client_id, account=account, **refusal)
        refusal.update(application=registration.application, app_id=str(registration.client_id))
        redirect_uri = request.GET.get("redirect_uri", "")
        if redirect_uri and redirect_uri not in registration.redirect_uri_list:
            raise refuse_sign_in(
                error=codes.REDIRECT_URI_MISMATCH, redirect_uri=redirect_uri, account=account, **refusal
            )
    except SignInRefused as refused:
        return render_error(request, refused)

    server = TenantAuthorizationServer(
        found, authentication_method=sign_in_method(request), auth_time=sign_in_time(request)
    )
    if account is None and request.GET.get("prompt") != "none":
        return redirect_to_login(request.get_full_path())
    try:
        grant = server.get_consent_grant(request, end_user=account)
    except InsecureTransportError:
        return render_error(request, refuse_sign_in(error=codes.INVALID_REQUEST, detail=INSECURE, **refusal))
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(server.create_oauth2_request(request), error)
        code, message = _error_for(error, client_id=client_id, tenant=found)
        return render_error(request, refuse_sign_in(error=code, message=message, account=account, **refusal))
    try:
        user = authorize_sign_in(
            request=request,
            account=account,
            application=registration.application,
            protocol=OIDC,
            app_id=str(registration.client_id),
        )
    except SignInRefused as refused:
        return render_error(request, refused)
    return server.create_authorization_response(request, grant_user=user, grant=grant)


def _token_error(status: int, error: str, message: str) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": message}, status=status)


@protocol_endpoint
@csrf_exempt
@never_cache
@require_POST
def token(request: HttpRequest, tenant: str) -> HttpResponse:
    found = resolve_tenant(tenant)
    if found is None:
        return _token_error(400, "invalid_request", codes.TENANT_NOT_FOUND.format(tenant=tenant[:100]))
    if parameter := _oversized(request.POST):
        return _token_error(400, "invalid_request", codes.INVALID_PARAMETER.format(parameter=parameter))
    server = TenantAuthorizationServer(found)
    try:
        response = server.create_token_response(request)
    except InsecureTransportError:
        return _token_error(400, "invalid_request", INSECURE)
    if response.status_code == 200 and request.POST.get("grant_type") == "client_credentials":
        registration = _registration_of_token(response)
        record_sign_in(
            request=request,
            tenant=found,
            protocol=SignInEvent.Protocol.OAUTH_CLIENT_CREDENTIALS,
            application=registration.application,
            app_id=str(registration.client_id),
            app_display_name=registration.display_name,
            event_type=SignInEvent.EventType.SERVICE_PRINCIPAL,
        )
    return response


def _registration_of_token(response: HttpResponse) -> AppRegistration:
    access_token = json.loads(response.content)["access_token"]
    claims = keys.verify_jwt(access_token, audience=tokens.GRAPH_AUDIENCE)
    return AppRegistration.objects.select_related("application").get(client_id=claims["appid"])


@protocol_endpoint
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise InvalidToken("No bearer token.")
        claims = tokens.verify_access_token(bearer.strip())
        if "openid" not in str(claims.get("scp", "")).split():
            raise InvalidToken("The token wasn't issued for an OpenID Connect sign-in.")
        user = DirectoryUser.objects.filter(pk=claims["oid"], tenant_id=claims["tid"], account_enabled=True).first()
        registration = AppRegistration.objects.filter(client_id=claims["appid"], tenant_id=claims["tid"]).first()
        if user is None or registration is None:
            raise InvalidToken("The user or the application no longer exists.")
    except (InvalidToken, KeyError, ValueError) as error:
        response = JsonResponse({"error": "invalid_token", "error_description": str(error)[:200]}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return JsonResponse(tokens.user_claims(user, registration, claims["scp"]))


@protocol_endpoint
@never_cache
@require_http_methods(["GET", "POST"])
def end_session(request: HttpRequest, tenant: str) -> HttpResponse:
    """RP-initiated logout: signs out of Access Portal, then back to the app if the address is its own."""
    found, error_page = tenant_or_error(request, tenant)
    if found is None:
        return error_page
    params = request.POST if request.method == "POST" else request.GET
    if parameter := _oversized(params):
        refused = SignInRefused(
            codes.INVALID_PARAMETER, codes.INVALID_PARAMETER.format(parameter=parameter), request=request
        )
        return render_error(request, refused)
    post_logout = params.get("post_logout_redirect_uri", "")
    hint = params.get("id_token_hint", "")
    client_id = params.get("client_id", "")
    hinted_user = ""
    if hint:
        try:
            claims = keys.verify_id_token_hint(hint, issuer=tokens.issuer_for(found))
            client_id, hinted_user = str(claims["aud"]), str(claims.get("oid", ""))
        except (InvalidToken, KeyError):
            hint = ""
    registration = find_registration(found, client_id) if client_id else None
    if post_logout and (
        registration is None or _origin(post_logout) not in map(_origin, registration.redirect_uri_list)
    ):
        # Back only to the app's own site (an origin of one of its redirect URIs), never elsewhere.
        post_logout = ""
    account = request.user if request.user.is_authenticated else None
    # A valid id_token_hint for the signed-in person (or a POST from our own page) signs out at once;
    # anything else asks first, so a link on another site can't sign people out.
    signs_in_as_hinted = account is not None and bool(hint) and _account_is(account, hinted_user, found)
    if account is not None and (request.method == "POST" or signs_in_as_hinted):
        logout(request)
        account = None
    if account is None:
        if post_logout:
            state = params.get("state", "")
            separator = "&" if "?" in post_logout else "?"
            return HttpResponseRedirect(post_logout + (f"{separator}{urlencode({'state': state})}" if state else ""))
        return render(request, "signin/signed_out.html", {"tenant": found})
    context = {"tenant": found, "post_logout_redirect_uri": post_logout, "client_id": client_id}
    return render(request, "signin/sign_out.html", context)


def _origin(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.scheme, parts.netloc


def _account_is(account: Account, user_id: str, tenant: Tenant) -> bool:
    try:
        wanted = uuid.UUID(user_id)
    except ValueError:
        return False
    return DirectoryUser.objects.filter(pk=wanted, tenant=tenant, account=account).exists()
