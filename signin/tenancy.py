"""The `{tenant}` segment of the identity provider's URLs: a tenant id or one of its domains."""

import uuid

from directory.models import Tenant

MAX_SEGMENT_LENGTH = 253


def resolve_tenant(segment: str) -> Tenant | None:
    """The tenant named by its id (UUID), its initial domain or a verified domain; None if there is none."""
    segment = segment.strip().lower()
    if not segment or len(segment) > MAX_SEGMENT_LENGTH:
        return None
    try:
        return Tenant.objects.filter(pk=uuid.UUID(segment)).first()
    except ValueError:
        pass
    tenant = Tenant.objects.filter(initial_domain__iexact=segment).first()
    if tenant is not None:
        return tenant
    # Verified domains are one per line; the text match narrows, the exact list decides.
    return next(
        (t for t in Tenant.objects.filter(verified_domains__icontains=segment) if segment in t.verified_domain_list),
        None,
    )
