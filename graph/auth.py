"""Who is calling: the bearer token, validated against this server's signing keys.

An application token (client credentials) carries `roles`, the application permissions an
administrator consented to; the token's `tid` is the only tenant the caller ever sees.
The session cookie is never read here, which is why the API views are CSRF-exempt:
a request without a bearer token is refused before anything else happens.
"""

import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from directory.audit import AppActor
from directory.models import DirectoryUser, Tenant
from graph.errors import DENIED, INVALID_TOKEN, THROTTLED, GraphError
from invitations import ratelimit
from signin.keys import InvalidToken
from signin.tokens import verify_access_token

EMPTY_TOKEN = "Access token is empty."
INVALID = "Access token validation failure. {reason}"
DENIED_MESSAGE = "Insufficient privileges to complete the operation."
THROTTLED_MESSAGE = "Too many requests from this application. Retry after {seconds} seconds."


@dataclass(frozen=True)
class Caller:
    tenant: Tenant
    app: AppActor
    roles: frozenset[str]
    # Delegated tokens (an OpenID Connect sign-in) act for a person with these scopes.
    user: DirectoryUser | None = None
    scopes: frozenset[str] = frozenset()


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(401, INVALID_TOKEN, EMPTY_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def _invalid(reason: str) -> GraphError:
    return GraphError(401, INVALID_TOKEN, INVALID.format(reason=reason), headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: HttpRequest) -> Caller:
    """The caller of a Graph request, or a 401 InvalidAuthenticationToken."""
    try:
        claims = verify_access_token(_bearer(request))
    except InvalidToken as error:
        raise _invalid(str(error)[:200]) from error
    tenant = Tenant.objects.get(pk=uuid.UUID(claims["tid"]))
    app = AppActor(
        app_id=str(claims.get("appid", "")),
        display_name=str(claims.get("app_displayname", "")),
        service_principal_id=str(claims.get("oid", "")) if claims.get("idtyp") == "app" else "",
    )
    roles = claims.get("roles", [])
    if not isinstance(roles, list):
        raise _invalid("The roles claim isn't a list.")
    if claims.get("idtyp") != "user":
        return Caller(tenant=tenant, app=app, roles=frozenset(str(r) for r in roles))
    user = DirectoryUser.objects.filter(tenant=tenant, pk=_uuid(claims.get("oid"))).first()
    if user is None or not user.account_enabled:
        raise _invalid("The signed-in user no longer exists or is disabled.")
    return Caller(
        tenant=tenant, app=app, roles=frozenset(), user=user, scopes=frozenset(str(claims.get("scp", "")).split())
    )


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def check_permission(caller: Caller, permissions: tuple[str, ...]) -> None:
    """403 Authorization_RequestDenied unless the token holds one of the permissions."""
    held = caller.scopes if caller.user is not None else caller.roles
    if not held & set(permissions):
        raise GraphError(403, DENIED, DENIED_MESSAGE)


def throttle(caller: Caller) -> None:
    """Graph's per-application throttling: 429 with Retry-After once the window's budget is spent."""
    period = settings.GRAPH_THROTTLE_PERIOD_SECONDS
    if ratelimit.hit(
        scope="graph", identifier=caller.app.app_id, limit=settings.GRAPH_THROTTLE_LIMIT, period_seconds=period
    ):
        return
    # The fixed window ends at the next multiple of the period (ratelimit's windows).
    retry_after = str(period - int(time.time()) % period)
    raise GraphError(
        429, THROTTLED, THROTTLED_MESSAGE.format(seconds=retry_after), headers={"Retry-After": retry_after}
    )
