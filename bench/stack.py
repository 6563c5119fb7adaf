"""The system under test: a dedicated database and Redis db, gunicorn, a Celery worker and beat.

Everything listens on and talks to 127.0.0.1 only. Processes are started by us and
stopped by us, by their own pid (process group), never by name.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "var" / "bench"
HOST = "127.0.0.1"
PG_ADMIN = {"host": HOST, "port": 5432, "user": "postgres", "dbname": "postgres"}
DB_NAME = os.environ.get("BENCH_DB_NAME", "jielong_bench")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "9"))
# Set by bench/city.py: the bench database starts as a file copy of this one (the other compounds' data).
DB_TEMPLATE = os.environ.get("BENCH_DB_TEMPLATE", "")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def bench_env(port: int) -> dict[str, str]:
    """Production settings (DEBUG off) on loopback, minus the TLS redirect and secure cookies."""
    OUT.mkdir(parents=True, exist_ok=True)
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DB_NAME}",
        "REDIS_URL": f"redis://{HOST}:6379/{REDIS_DB}",
        "CONN_MAX_AGE": "60",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STATIC_ROOT": str(OUT / "static"),
        "MEDIA_ROOT": str(OUT / "media"),
        "LOG_LEVEL": "WARNING",
        "BENCH_FLOOR_ENABLED": "1",
        "BENCH_PORT": str(port),
    }


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found: installing the Debian package (apt-get update once, then install)")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt, timeout=300)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=apt, timeout=300)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and could not be installed")
    return found


def recreate_database() -> None:
    import psycopg2

    conn = psycopg2.connect(**PG_ADMIN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        if DB_TEMPLATE:
            cur.execute(f'CREATE DATABASE "{DB_NAME}" TEMPLATE "{DB_TEMPLATE}" STRATEGY FILE_COPY')
        else:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def flush_redis() -> None:
    import redis

    redis.Redis(host=HOST, port=6379, db=REDIS_DB).flushdb()


def connection_count() -> int:
    """Server connections to the bench database right now (pg_stat_activity)."""
    import psycopg2

    conn = psycopg2.connect(**PG_ADMIN)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
            return int(cur.fetchone()[0])
    finally:
        conn.close()


class Proc:
    """A child process in its own process group, with output to a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name = name
        self.log_path = OUT / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_gunicorn(env: dict[str, str], workers: int, *, preload: bool = False) -> Proc:
    port = env["BENCH_PORT"]
    argv = [
        str(VENV_BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--worker-tmp-dir",
        "/dev/shm",
        "--log-level",
        "warning",
    ]
    if preload:
        argv.append("--preload")
    proc = Proc(f"gunicorn-w{workers}", argv, env)
    try:
        wait_http(f"http://{HOST}:{port}/accounts/login/", proc)
    except BaseException:
        proc.stop()  # never leave a server behind when it failed to come up
        raise
    # Every worker imports the app lazily on its first request: touch each a few times.
    for _ in range(workers * 4):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/accounts/login/", timeout=5).read()
        except (urllib.error.URLError, OSError):
            pass
    return proc


def wait_http(url: str, proc: Proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise SystemExit(f"{proc.name} exited:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{proc.name} did not answer {url} within {timeout}s:\n{proc.tail()}")


def start_celery(env: dict[str, str]) -> tuple[Proc, Proc]:
    celery = str(VENV_BIN / "celery")
    worker = Proc(
        "celery-worker",
        [celery, "-A", "config", "worker", "--concurrency", "1", "--loglevel", "warning", "-n", "bench@%h"],
        env,
    )
    schedule = OUT / "celerybeat-schedule"
    for leftover in OUT.glob("celerybeat-schedule*"):
        leftover.unlink()
    beat = Proc("celery-beat", [celery, "-A", "config", "beat", "--loglevel", "warning", "-s", str(schedule)], env)
    return worker, beat


def worker_pids(master_pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def prepare_django(env: dict[str, str]) -> None:
    """A fresh bench database and Redis db, this process configured like the server, migrated, static collected."""
    ensure_wrk()
    started = time.monotonic()
    recreate_database()
    copied = f" as a copy of {DB_TEMPLATE}" if DB_TEMPLATE else ""
    log(f"database {DB_NAME}{copied} and Redis db {REDIS_DB}: recreated in {time.monotonic() - started:.0f} s")
    flush_redis()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def db_backend_pids() -> list[int]:
    import psycopg2

    conn = psycopg2.connect(**PG_ADMIN)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
            return [int(r[0]) for r in cur.fetchall()]
    finally:
        conn.close()


class CpuMeter:
    """CPU seconds used by the gunicorn workers and by the database backends serving them, between
    start() and stop(): divided by requests it gives a per-request cost that machine load hardly changes."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid

    def _sample(self) -> tuple[dict[int, float], dict[int, float]]:
        web = {p: cpu_seconds(p) for p in worker_pids(self.master_pid)}
        db = {p: cpu_seconds(p) for p in db_backend_pids()}
        return web, db

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> tuple[float, float]:
        after = self._sample()
        web = sum(v - self.before[0].get(p, 0.0) for p, v in after[0].items())
        db = sum(v - self.before[1].get(p, 0.0) for p, v in after[1].items())
        return web, db
