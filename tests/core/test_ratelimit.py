"""The fixed-window limiter: one Redis round trip in production, the cache API on the demo's local memory;
both count atomically, expire with the window and are cleared by reset()."""

import threading
import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings

from core import ratelimit

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit-test"}}


def attempts(ident, n, *, limit=3, window=60):
    return [ratelimit.hit("test", ident, limit=limit, window=window) for _ in range(n)]


def test_redis_counter_allows_the_limit_then_refuses_and_expires_with_the_window():
    ident = uuid.uuid4().hex
    assert attempts(ident, 5) == [True, True, True, False, False]
    key = ratelimit._key("test", ident, 60)
    assert cache.get(key) == 5  # the cache API reads the same counter
    ttl = ratelimit._redis_client().ttl(cache.make_and_validate_key(key))
    assert 0 < ttl <= 61
    ratelimit.reset("test", ident, window=60)
    assert attempts(ident, 1) == [True]


def test_redis_counter_is_exact_under_concurrent_attempts():
    ident = uuid.uuid4().hex
    results = []
    lock = threading.Lock()

    def hammer():
        mine = attempts(ident, 10, limit=25)
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 25
    assert cache.get(ratelimit._key("test", ident, 60)) == 80


@override_settings(CACHES=LOCMEM)
def test_local_memory_cache_counts_the_same_way():
    assert ratelimit._redis_client() is None
    ident = uuid.uuid4().hex
    assert attempts(ident, 4) == [True, True, True, False]
    ratelimit.reset("test", ident, window=60)
    assert attempts(ident, 1) == [True]


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
)
def test_limiter_fails_open_when_redis_is_unreachable(caplog):
    assert attempts(uuid.uuid4().hex, 5, limit=1) == [True] * 5
    assert "rate limiter unavailable" in caplog.text


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """Keep every attempt of a test in one fixed window (a test crossing a minute boundary would restart)."""
    import types

    now = ratelimit.time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now - now % 60 + 1))
