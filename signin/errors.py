"""The sign-in error page, as Entra shows it: the code, its text, the request id and the time."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from directory.models import Tenant
from signin import codes
from signin.policy import SignInRefused
from signin.tenancy import resolve_tenant


def render_error(request: HttpRequest, refused: SignInRefused) -> HttpResponse:
    context = {
        "refused": refused,
        "application": refused.application,
        "timestamp": refused.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    return render(request, "signin/error.html", context, status=refused.status)


def tenant_or_error(request: HttpRequest, segment: str) -> tuple[Tenant | None, HttpResponse | None]:
    """The tenant the URL names, or the error page for an unknown one (AADSTS90002; no tenant's log to write)."""
    tenant = resolve_tenant(segment)
    if tenant is None:
        refused = SignInRefused(
            codes.TENANT_NOT_FOUND, codes.TENANT_NOT_FOUND.format(tenant=segment[:100]), request=request
        )
        return None, render_error(request, refused)
    return tenant, None
