"""Real processes for the fault tests: gunicorn, Celery workers and beats, a throwaway Redis.

Every process is started here in its own session and stopped by its own id (never by name).
They all run against the pytest test database (committed rows only: tests are transactional).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import close_old_connections

from tests.worker import BASE_DIR, _database_url

START_TIMEOUT = 45.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    process: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    def log(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        """Signal this process's own group (it was started in a new session), then kill it if it hangs."""
        if self.process.poll() is not None:
            self._reap_group()
            return
        try:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        self._reap_group()

    def _reap_group(self, timeout: float = 10.0) -> None:
        """Wait until no process of the group is left (pool children, embedded beat), so none keeps a
        database session open; SIGKILL stragglers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole group at once: no warm shutdown, nothing handed back to the broker."""
        self.stop(signal.SIGKILL)


def wait_until(condition: Callable[[], object], *, timeout: float = 30.0, procs: tuple[Proc, ...] = ()) -> object:
    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        value = condition()
        if value:
            return value
        for proc in procs:
            if not proc.alive():
                pytest.fail(f"{proc.name} exited ({proc.process.returncode}):\n{proc.log()}")
        if time.monotonic() > deadline:
            logs = "\n\n".join(f"--- {p.name} ---\n{p.log()}" for p in procs)
            pytest.fail(f"condition not met within {timeout}s\n{logs}")
        time.sleep(0.1)


def app_env(*, redis_url: str, media_root: Path, eager: bool = False) -> dict[str, str]:
    from django.db import connection

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.live_settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        "LIVE_TASKS_EAGER": "true" if eager else "false",
    }


def _spawn(name: str, command: list[str], env: dict[str, str], tmp: Path) -> Proc:
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(name=name, process=process, log_path=log_path)


def start_gunicorn(tmp: Path, env: dict[str, str], *, workers: int = 4) -> Proc:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--access-logfile",
        "-",
    ]
    proc = _spawn("gunicorn", command, env, tmp)
    proc.extra["port"] = port

    def ready() -> bool:
        try:
            status, _ = http_request(port, "GET", "/accounts/login/")
        except OSError:
            return False
        return status == 200

    wait_until(ready, timeout=START_TIMEOUT, procs=(proc,))
    return proc


def start_worker(tmp: Path, env: dict[str, str], *, name: str, beat: bool = False, concurrency: int = 2) -> Proc:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork"]
    command += [f"--concurrency={concurrency}", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
    command += ["-n", f"{name}@localhost"]
    if beat:
        command += ["-B", "--schedule", str(tmp / f"{name}-beat-schedule")]
    proc = _spawn(name, command, env, tmp)
    proc.extra["node"] = f"{name}@localhost"
    wait_until(lambda: "ready." in proc.log(400), timeout=START_TIMEOUT, procs=(proc,))
    return proc


def start_beat(tmp: Path, env: dict[str, str], *, name: str) -> Proc:
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
    command += ["--schedule", str(tmp / f"{name}-schedule")]
    proc = _spawn(name, command, env, tmp)
    wait_until(lambda: "beat: Starting" in proc.log(200), timeout=START_TIMEOUT, procs=(proc,))
    return proc


def start_redis(tmp: Path, port: int) -> Proc:
    """A throwaway redis-server for one test (never the machine's shared one): no persistence."""
    if shutil.which("redis-server") is None:
        pytest.fail("the Redis outage test needs redis-server on PATH (Debian: apt-get install redis-server)")
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(tmp)]
    proc = _spawn(f"redis-{port}", command, dict(os.environ), tmp)

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    wait_until(ready, timeout=15, procs=(proc,))
    return proc


def http_request(
    port: int, method: str, path: str, *, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            data: object = json.loads(raw) if raw else None
        except ValueError:
            data = raw[:300]
        return response.status, data
    finally:
        conn.close()
