"""An atomic fixed-window rate limiter on the cache (Redis in production).

`cache.add` creates the window counter only if it is missing and `cache.incr`
is Redis INCR: no read-then-write, so concurrent attempts cannot slip through.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache

from config.errors import RateLimited

logger = logging.getLogger(__name__)


def _key(scope: str, ident: str, window: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{int(time.time()) // window}"


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one attempt; True while the attempt is within `limit` per `window` seconds."""
    key = _key(scope, ident, window)
    try:
        cache.add(key, 0, timeout=window + 1)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - the limiter fails open when the cache is down; the app keeps serving
        logger.warning("rate limiter unavailable for %s; allowing", scope)
        return True
    return count <= limit


def check(scope: str, ident: str, *, limit: int, window: int) -> None:
    """Count one attempt and raise RateLimited when over the limit."""
    if not hit(scope, ident, limit=limit, window=window):
        raise RateLimited(detail={"retry_after_seconds": window})


def reset(scope: str, ident: str, *, window: int) -> None:
    try:
        cache.delete(_key(scope, ident, window))
    except Exception:  # noqa: BLE001 - best effort
        logger.warning("rate limiter unavailable for reset of %s", scope)
