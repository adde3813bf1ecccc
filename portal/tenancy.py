"""Which organization (tenant) a signed-in account is working in.

The tenant comes from the URL (`?tenantid=<id or domain>`, as Azure's direct links
carry it) or else the session, and falls back to the account's home organization.
"""

import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from directory.models import DirectoryUser
from directory.selectors import directory_users_for_account

SESSION_KEY = "accessportal_tenant_id"


def _matches(user: DirectoryUser, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    try:
        return user.tenant_id == uuid.UUID(wanted)
    except ValueError:
        return wanted in user.tenant.all_domains


def directory_users_of(request: HttpRequest) -> list[DirectoryUser]:
    """Every directory user the signed-in account may work as (one per organization), read once per request."""
    if not hasattr(request, "_directory_users"):
        authenticated = request.user.is_authenticated
        request._directory_users = list(directory_users_for_account(account=request.user)) if authenticated else []
    return request._directory_users


def resolve_directory_user(request: HttpRequest) -> DirectoryUser | None:
    """The signed-in account's directory user in the current organization, or None."""
    if hasattr(request, "_directory_user"):
        return request._directory_user
    chosen = None
    users = directory_users_of(request)
    if users:
        # A tenant named in the link wins; one the account can't use falls back to the session's.
        for wanted in (request.GET.get("tenantid", ""), request.session.get(SESSION_KEY, "")):
            chosen = next((u for u in users if wanted and _matches(u, wanted)), None)
            if chosen is not None:
                break
        if chosen is None:
            # Home organization: where the account is a member, else the first one.
            chosen = next((u for u in users if not u.is_guest), users[0])
        if request.session.get(SESSION_KEY) != str(chosen.tenant_id):
            request.session[SESSION_KEY] = str(chosen.tenant_id)
    request._directory_user = chosen
    return chosen


def select_tenant(request: HttpRequest, *, tenant_id: str) -> DirectoryUser | None:
    """Switch the session to one of the account's organizations; None when the account can't use it."""
    chosen = next((u for u in directory_users_of(request) if _matches(u, tenant_id)), None)
    if chosen is not None:
        request.session[SESSION_KEY] = str(chosen.tenant_id)
        request._directory_user = chosen
    return chosen


def directory_user_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in required, and a directory user in the current organization (request.directory_user)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = resolve_directory_user(request)
        if user is None:
            return render(request, "portal/no_organization.html", status=403)
        request.directory_user = user
        return view(request, *args, **kwargs)

    return wrapper
