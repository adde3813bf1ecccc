"""The claims of the tokens this identity provider issues, in Azure's v2.0 shapes."""

import base64
import hashlib
import time
import uuid
from typing import Any

from accessportal.links import site_url
from directory.models import DirectoryUser, Tenant
from signin.keys import InvalidToken, sign_jwt, verify_jwt
from signin.models import AppRegistration

ACCESS_TOKEN_LIFETIME = 3600
# Microsoft Graph's resource: client credentials ask for "https://graph.microsoft.com/.default".
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_AUDIENCE = GRAPH_RESOURCE


def issuer_for(tenant: Tenant | uuid.UUID | str) -> str:
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    return f"{site_url()}/{tenant_id}/v2.0"


def endpoints_for(tenant: Tenant) -> dict[str, str]:
    """The OpenID Connect endpoints of a tenant, as its discovery document names them."""
    base = f"{site_url()}/{tenant.pk}"
    return {
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "userinfo_endpoint": f"{site_url()}/oidc/userinfo",
    }


def default_scopes() -> set[str]:
    """The scopes that name Graph as a whole (client credentials): Graph's own and this site's."""
    return {f"{GRAPH_RESOURCE}/.default", f"{GRAPH_APP_ID}/.default", f"{site_url()}/.default"}


def pairwise_subject(user: DirectoryUser, registration: AppRegistration) -> str:
    """Azure's `sub`: stable for one user and one application, different between applications."""
    digest = hashlib.sha256(f"{user.pk}:{registration.client_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def user_claims(user: DirectoryUser, registration: AppRegistration, scope: str) -> dict[str, Any]:
    """The claims about the person: in the id token and from userinfo."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {
        "sub": pairwise_subject(user, registration),
        "oid": str(user.pk),
        "tid": str(user.tenant_id),
        "ver": "2.0",
    }
    if "profile" in scopes:
        claims["name"] = user.display_name
        claims["preferred_username"] = user.user_principal_name
    if "email" in scopes and user.mail:
        claims["email"] = user.mail
    return claims


def _times() -> dict[str, int]:
    now = int(time.time())
    return {"iat": now, "nbf": now, "exp": now + ACCESS_TOKEN_LIFETIME}


def application_access_token(registration: AppRegistration) -> str:
    """A client-credentials access token for Graph: `roles` are the admin-consented application permissions."""
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": issuer_for(registration.tenant_id),
        **_times(),
        "appid": str(registration.client_id),
        "azp": str(registration.client_id),
        "app_displayname": registration.display_name,
        "idtyp": "app",
        "oid": str(registration.pk),
        "sub": str(registration.pk),
        "tid": str(registration.tenant_id),
        "roles": list(registration.graph_application_permissions),
        "ver": "2.0",
    }
    return sign_jwt(claims)


def delegated_access_token(user: DirectoryUser, registration: AppRegistration, scope: str) -> str:
    """A delegated access token for Graph (`scp`), given with the id token of an OpenID Connect sign-in."""
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": issuer_for(user.tenant_id),
        **_times(),
        "appid": str(registration.client_id),
        "azp": str(registration.client_id),
        "app_displayname": registration.display_name,
        "idtyp": "user",
        "name": user.display_name,
        "oid": str(user.pk),
        "sub": pairwise_subject(user, registration),
        "tid": str(user.tenant_id),
        "upn": user.user_principal_name,
        "scp": scope,
        "ver": "2.0",
    }
    return sign_jwt(claims)


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid Graph access token of this server, its issuer matching its tenant; else InvalidToken."""
    claims = verify_jwt(token, audience=GRAPH_AUDIENCE)
    tid = claims.get("tid")
    if not isinstance(tid, str) or claims.get("iss") != issuer_for(tid):
        raise InvalidToken("The token's issuer doesn't match its tenant.")
    if not Tenant.objects.filter(pk=_uuid(tid)).exists():
        raise InvalidToken("The token's tenant doesn't exist.")
    return claims


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidToken("The token's tenant isn't a tenant id.") from None
