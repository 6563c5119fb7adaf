"""A REAL Celery worker (plus embedded beat) for tests marked `worker`.

Usage, in a test module::

    pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

    def test_something(celery_worker_process):
        ...commit rows, call a service that enqueues on commit...
        celery_worker_process.wait_for(lambda: Buy.objects.get(pk=pk).status == "closed")

The worker is `celery -A config worker -B` in a subprocess, against the pytest
test database (same server, `test_<name>` database) and the same REDIS_URL as
the tests; its queue is purged at start. It is started once per test module on
first use and stopped (its own process group, by id) at the end of that
module. Tests must be transactional (`django_db(transaction=True)`): the
worker only sees committed rows. While the fixture is active the test process
publishes tasks to Redis instead of running them in-process, and
settings.MEDIA_ROOT points at the worker's media folder so both see the same
files. Beat runs the real schedule (config/celery.py), so deadline sweeps
happen on their own every SWEEP_INTERVAL_SECONDS.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import close_old_connections

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 45.0
STOP_TIMEOUT = 15.0


def _database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log_path: Path
    media_root: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for(self, condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.1) -> object:
        """Poll `condition` (it may query the database) until it is truthy; fail with the worker log if not."""
        deadline = time.monotonic() + timeout
        while True:
            close_old_connections()
            value = condition()
            if value:
                return value
            if self.process.poll() is not None:
                pytest.fail(f"celery worker exited ({self.process.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"condition not met within {timeout}s; worker log:\n{self.log_tail()}")
            time.sleep(interval)


def _ping(app, name: str) -> bool:
    try:
        replies = app.control.ping(destination=[name], timeout=0.5) or []
    except OSError:
        return False
    return any(name in reply for reply in replies)


def _start(tmp: Path) -> WorkerProcess:
    from django.conf import settings
    from django.db import connection

    from config.celery import app

    media_root = tmp / "media"
    media_root.mkdir(parents=True, exist_ok=True)
    log_path = tmp / "worker.log"
    name = f"pytest-{os.getpid()}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(media_root),
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    app.control.purge()
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-B",
        "--schedule",
        str(tmp / "beat-schedule"),
        "--pool=prefork",
        "--concurrency=2",
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
        "-n",
        name,
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    worker = WorkerProcess(process=process, log_path=log_path, media_root=media_root)
    deadline = time.monotonic() + START_TIMEOUT
    while not _ping(app, name):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(worker)
            pytest.fail(f"celery worker did not start:\n{worker.log_tail()}")
        time.sleep(0.3)
    return worker


def _stop(worker: WorkerProcess) -> None:
    """Warm shutdown of the worker's own process group (started by us), then kill if it hangs."""
    process = worker.process
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    except ProcessLookupError:
        pass


# Module scope: one start per test module that uses it (a few seconds), and no worker or beat left running
# behind the modules that follow (their transactional tests must not meet a stray sweep).
@pytest.fixture(scope="module")
def _celery_worker_module(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[WorkerProcess]:
    with django_db_blocker.unblock():
        worker = _start(tmp_path_factory.mktemp("celery-worker"))
    try:
        yield worker
    finally:
        _stop(worker)


@pytest.fixture
def celery_worker_process(_celery_worker_module, transactional_db, settings) -> Iterator[WorkerProcess]:
    """The running worker; while in use, tasks go through Redis to it instead of running in-process."""
    from config.celery import app

    worker = _celery_worker_module
    if worker.process.poll() is not None:
        pytest.fail(f"celery worker is not running:\n{worker.log_tail()}")
    settings.MEDIA_ROOT = str(worker.media_root)
    # Read before the settings change: app.conf reads through to Django's settings, so reading it after would
    # "restore" False and leave every later test (and its threads) publishing to Redis instead of running eagerly.
    eager = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        app.conf.task_always_eager = eager
