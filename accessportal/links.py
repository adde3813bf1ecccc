"""Absolute links for emails and invitations, built on ACCESSPORTAL_SITE_URL, and the one check of `next`."""

from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def absolute_url(path: str, *, tenant_id: UUID | None = None) -> str:
    """SITE_URL + path, with `?tenantid=` when the link must open in one organization (as Azure's direct links do)."""
    url = f"{settings.SITE_URL}{path}"
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
