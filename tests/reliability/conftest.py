"""Fixtures for the fault tests: real workers/beats on Redis that a test may kill, and row locks held
from a separate PostgreSQL connection to stop a task at a known step."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

import psycopg2
import pytest
from django.db import connection

from tests.reliability.procs import Proc, app_env, start_beat, start_worker


@pytest.fixture
def broker(settings, transactional_db):
    """The test process publishes to Redis (like a web process) instead of running tasks in-process.
    The queue is purged before and after, so nothing leaks between tests."""
    from config.celery import app

    eager = app.conf.task_always_eager  # before the settings change (see tests/worker.py)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        yield app
    finally:
        app.control.purge()
        app.conf.task_always_eager = eager


@pytest.fixture
def processes(tmp_path, settings, broker) -> Iterator[dict]:
    """Start workers/beats with `processes["worker"](name, beat=False)`; all are stopped at the end."""
    started: list[Proc] = []
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    env = app_env(redis_url=settings.REDIS_URL, media_root=media)

    def worker(name: str, **kwargs) -> Proc:
        proc = start_worker(tmp_path, env, name=name, **kwargs)
        started.append(proc)
        return proc

    def beat(name: str) -> Proc:
        proc = start_beat(tmp_path, env, name=name)
        started.append(proc)
        return proc

    try:
        yield {"worker": worker, "beat": beat, "all": started}
    finally:
        # Warm shutdown of all at once (each finishes what it holds), then wait for each.
        for proc in started:
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.process.pid, signal.SIGTERM)
        for proc in reversed(started):
            proc.stop()


def _dsn() -> dict:
    s = connection.settings_dict
    return {
        "dbname": s["NAME"],
        "user": s.get("USER") or "",
        "password": s.get("PASSWORD") or "",
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or "5432",
    }


@contextlib.contextmanager
def held_row_lock(table: str, ids: list[int]) -> Iterator[None]:
    """Hold FOR UPDATE locks on rows of `table` from a separate connection until the block ends: a task
    that needs them stops there, mid-transaction, at a step the test chose."""
    conn = psycopg2.connect(**_dsn())
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])  # noqa: S608
            assert len(cur.fetchall()) == len(ids)
        yield
    finally:
        conn.rollback()
        conn.close()


def backends_waiting_on(table: str) -> list[int]:
    """PostgreSQL backends of other sessions blocked on a lock while running a statement on `table`."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query ILIKE %s AND pid <> pg_backend_pid()",
            [f"%{table}%"],
        )
        return [row[0] for row in cur.fetchall()]
