from django.conf import settings
from django.http import HttpRequest

from portal.selectors import can_use_groups
from portal.tenancy import directory_users_of, resolve_directory_user

# Top-bar sections by URL name; a URL name not listed here falls under "Apps".
_SECTIONS = {
    "requests": "requests",
    "add-apps": "add-apps",
    "request-app": "add-apps",
    "profile": "account",
}


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    if name in _SECTIONS:
        return _SECTIONS[name]
    if "group" in (name or "") or "join-request" in (name or ""):
        return "groups"
    return "apps"


def portal(request: HttpRequest) -> dict[str, object]:
    directory_user = resolve_directory_user(request) if hasattr(request, "user") else None
    return {
        "demo_mode": settings.DEMO_MODE,
        "directory_user": directory_user,
        "current_tenant": directory_user.tenant if directory_user else None,
        "organizations": directory_users_of(request) if directory_user else [],
        "show_groups_nav": bool(directory_user) and can_use_groups(user=directory_user),
        "nav_section": _section(request),
    }
