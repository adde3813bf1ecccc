"""Fixed-window rate limits, shared by every worker and server through the cache.

The cache is the database's cache table by default and Redis when REDIS_URL is set
(never a per-process cache: `check --deploy` warns about one). A window allows `limit`
numbered slots and each attempt claims the lowest free one with `cache.add`, which is
atomic on every backend (the table's primary key, Redis SET NX), so two servers can
never both take the same slot. A hint of the highest slot claimed saves probing the
taken ones.
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
    key = _key(scope, identifier, int(time.time() // period_seconds))
    # Every slot up to the hint is taken: a slot is only claimed after the ones below it were found taken.
    for slot in range(cache.get(f"{key}:claimed", 0) + 1, limit + 1):
        if cache.add(f"{key}:{slot}", 1, timeout=period_seconds):
            cache.set(f"{key}:claimed", slot, timeout=period_seconds)
            return True
    return False


def is_exhausted(*, scope: str, identifier: str, limit: int, period_seconds: int) -> bool:
    """True when the current period's `limit` attempts are all used (without counting one)."""
    key = _key(scope, identifier, int(time.time() // period_seconds))
    return cache.get(f"{key}:{limit}") is not None
