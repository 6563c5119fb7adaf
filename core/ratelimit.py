"""An atomic fixed-window rate limiter on the cache (Redis in production).

On Redis one MULTI sends `SET key 0 EX window NX` (create the window's
counter if missing) and `INCR key` in one round trip, on the cache's own key
(prefix and version), so `cache.get`/`cache.delete` see the same counter. On
the demo's local-memory cache, `cache.add` + `cache.incr` do the same. No
read-then-write either way: concurrent attempts cannot slip through.
"""

from __future__ import annotations

import hashlib
import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache

from core.errors import RateLimited

logger = logging.getLogger(__name__)


def _key(scope: str, ident: str, window: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{int(time.time()) // window}"


_clients: dict[str, object] = {}


def _redis_client():
    """A redis-py client on the cache's server, or None when the cache is not Redis (the demo)."""
    conf = settings.CACHES["default"]
    if conf["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return None
    location = conf["LOCATION"]
    if location not in _clients:
        options = conf.get("OPTIONS", {})
        _clients[location] = redis.Redis.from_url(
            location,
            socket_connect_timeout=options.get("socket_connect_timeout"),
            socket_timeout=options.get("socket_timeout"),
        )
    return _clients[location]


def _count(key: str, window: int) -> int:
    client = _redis_client()
    if client is None:
        cache.add(key, 0, timeout=window + 1)
        return cache.incr(key)
    full_key = cache.make_and_validate_key(key)
    pipe = client.pipeline(transaction=True)
    pipe.set(full_key, 0, ex=window + 1, nx=True)
    pipe.incr(full_key)
    return pipe.execute()[1]


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one attempt; True while the attempt is within `limit` per `window` seconds."""
    key = _key(scope, ident, window)
    try:
        count = _count(key, window)
    except Exception:  # noqa: BLE001 - the limiter fails open when the cache is down; the app keeps serving
        logger.warning("rate limiter unavailable for %s; allowing", scope)
        return True
    return count <= limit


def check(scope: str, ident: str, *, limit: int, window: int) -> None:
    """Count one attempt and raise RateLimited when over the limit."""
    if not hit(scope, ident, limit=limit, window=window):
        raise RateLimited(detail={"retry_after_seconds": window})


def exceeded(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """True when `limit` events were already counted (with hit()) in this window. Reads only: for limits that
    count failures, checked before the attempt and counted after it fails. Parallel attempts in flight can
    overshoot by their number, which is harmless for a lockout (never use this for a capacity)."""
    try:
        return int(cache.get(_key(scope, ident, window)) or 0) >= limit
    except Exception:  # noqa: BLE001 - fail open, like hit()
        logger.warning("rate limiter unavailable for %s; allowing", scope)
        return False


def reset(scope: str, ident: str, *, window: int) -> None:
    try:
        cache.delete(_key(scope, ident, window))
    except Exception:  # noqa: BLE001 - best effort
        logger.warning("rate limiter unavailable for reset of %s", scope)
