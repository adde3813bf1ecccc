from django.conf import settings
from django.http import HttpRequest

from portal.tenancy import resolve_directory_user


def portal(request: HttpRequest) -> dict[str, object]:
    directory_user = resolve_directory_user(request) if hasattr(request, "user") else None
    return {
        "demo_mode": settings.DEMO_MODE,
        "directory_user": directory_user,
        "current_tenant": directory_user.tenant if directory_user else None,
    }
