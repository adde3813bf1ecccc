"""Fixed-window rate limits kept in the cache.

The cache is Redis when REDIS_URL is set, so every app server counts against the
same numbers; `cache.add` and `cache.incr` are atomic there (and in the local
memory cache used by the demo and the tests).
"""

import hashlib
import time

from django.core.cache import cache


def _key(scope: str, identifier: str, window: int) -> str:
    # Hash the identifier: it may be an email address, which has no place in cache keys or logs.
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()
    return f"ratelimit:{scope}:{digest}:{window}"


def hit(*, scope: str, identifier: str, limit: int, period_seconds: int) -> bool:
    """Count one attempt; True while at most `limit` attempts fell in the current period."""
    window = int(time.time() // period_seconds)
    key = _key(scope, identifier, window)
    if cache.add(key, 1, timeout=period_seconds):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this attempt opens a new window.
        cache.add(key, 1, timeout=period_seconds)
        count = 1
    return count <= limit
