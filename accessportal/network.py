"""The client's own address, also when the portal runs behind reverse proxies."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str:
    """The address the request came from, or "" when unknown.

    Behind ACCESSPORTAL_TRUSTED_PROXIES proxies, each appends the address it received the request
    from to X-Forwarded-For, so the client is that many entries from the right; anything further
    left was written by the client and is not trusted. With no proxies configured the header is
    ignored and the connection's own address is used.
    """
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
