"""Absolute links for emails and invitations, built on ACCESSPORTAL_SITE_URL."""

from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings


def absolute_url(path: str, *, tenant_id: UUID | None = None) -> str:
    """SITE_URL + path, with `?tenantid=` when the link must open in one organization (as Azure's direct links do)."""
    url = f"{settings.SITE_URL}{path}"
    if tenant_id is not None:
        url += f"?{urlencode({'tenantid': str(tenant_id)})}"
    return url
