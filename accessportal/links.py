"""Absolute links for emails and invitations, built on ACCESSPORTAL_SITE_URL, and the one check of `next`."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# Where links point when nothing says otherwise: the address `make demo` serves on.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
_request_origin: ContextVar[str] = ContextVar("request_origin", default="")


def site_url() -> str:
    """The base of absolute links: in demo mode the address the demo is served on, else ACCESSPORTAL_SITE_URL."""
    origin = _request_origin.get() if settings.DEMO_MODE else ""
    return origin or settings.SITE_URL or DEFAULT_SITE_URL


@contextmanager
def links_follow(request: HttpRequest) -> Iterator[None]:
    """While handling this request, site_url() in demo mode is the request's own scheme and host."""
    token = _request_origin.set(f"{request.scheme}://{request.get_host()}")
    try:
        yield
    finally:
        _request_origin.reset(token)


def absolute_url(path: str, *, tenant_id: UUID | None = None) -> str:
    """site_url() + path, with `?tenantid=` when the link must open in one organization (as Azure's direct links do)."""
    url = f"{site_url()}{path}"
    if tenant_id is not None:
        url += f"?{urlencode({'tenantid': str(tenant_id)})}"
    return url


def local_next(request: HttpRequest, default: str) -> str:
    """The request's `next` (POST, then GET) when it is a path on this site, else `default`.

    Only absolute paths pass: a bare word would be taken by `redirect()` for a URL name
    (NoReverseMatch, a 500), and `//host` or `/\\host` would leave the site.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return candidate
    return default
