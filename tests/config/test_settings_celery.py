"""Celery configuration: tasks are not lost, one visibility timeout, the right broker for the environment."""

import ast
import datetime
import importlib
import json
import os
import secrets
import subprocess
import sys
import time
from numbers import Real
from pathlib import Path

import pytest
from celery.schedules import crontab, schedule
from django.conf import settings

from config import celery as celery_module

BASE_DIR = Path(__file__).resolve().parents[2]
CODE_PACKAGES = ("accounts", "groupbuy", "compliance", "config")
APP = celery_module.app
VISIBILITY_TIMEOUT = settings.CELERY_VISIBILITY_TIMEOUT
# Keywords whose value is a delay before a message is (re)delivered: each must stay below the
# visibility timeout, or Redis hands the message to a second worker while the first still waits.
DELAY_KEYWORDS = ("countdown", "default_retry_delay", "retry_backoff_max")


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def app_env(**overrides: str) -> dict[str, str]:
    return {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), **overrides}


BROKER_PROBE = (
    "import json; from django.conf import settings; from config.celery import app; "
    "options = app.conf.broker_transport_options; "
    "print(json.dumps({'url': app.conf.broker_url, 'driver': app.connection_for_write().transport.driver_type, "
    "'visibility_timeout': options.get('visibility_timeout'), 'expected': settings.CELERY_VISIBILITY_TIMEOUT, "
    "'folder_in': options.get('data_folder_in'), 'folder_out': options.get('data_folder_out'), "
    "'control': options.get('control_folder')}))"
)


def probe_broker(**env: str) -> dict:
    result = run_python(["-c", BROKER_PROBE], **app_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert APP.conf.task_acks_late is True
    assert APP.conf.task_reject_on_worker_lost is True
    assert APP.conf.worker_prefetch_multiplier == 1


def test_one_visibility_timeout_is_used_by_the_broker():
    assert APP.conf.broker_transport_options["visibility_timeout"] == VISIBILITY_TIMEOUT
    assert APP.conf.result_backend_transport_options in (None, {}) or (
        APP.conf.result_backend_transport_options.get("visibility_timeout") == VISIBILITY_TIMEOUT
    )


def test_visibility_timeout_is_set_only_in_settings():
    offenders = []
    for package in CODE_PACKAGES:
        for path in (BASE_DIR / package).rglob("*.py"):
            if (
                path.relative_to(BASE_DIR).as_posix() != "config/settings.py"
                and "visibility_timeout" in path.read_text()
            ):
                offenders.append(str(path.relative_to(BASE_DIR)))
    assert offenders == []


def schedule_seconds(entry_schedule) -> float | None:
    if isinstance(entry_schedule, Real):
        return float(entry_schedule)
    if isinstance(entry_schedule, datetime.timedelta):
        return entry_schedule.total_seconds()
    if isinstance(entry_schedule, crontab):
        return None  # a wall-clock time, not a delay
    if isinstance(entry_schedule, schedule):
        return entry_schedule.run_every.total_seconds()
    raise AssertionError(f"unknown schedule type {entry_schedule!r}")


def test_sweep_interval_is_below_the_visibility_timeout():
    assert 0 < celery_module.SWEEP_INTERVAL_SECONDS < VISIBILITY_TIMEOUT


def test_every_beat_entry_names_a_registered_task_with_an_interval_below_the_visibility_timeout():
    APP.loader.import_default_modules()
    registered = set(APP.tasks)
    for name, entry in APP.conf.beat_schedule.items():
        assert entry["task"] in registered, f"beat entry {name!r} names unknown task {entry['task']!r}"
        seconds = schedule_seconds(entry["schedule"])
        assert seconds is None or 0 < seconds < VISIBILITY_TIMEOUT, name
        options = entry.get("options", {})
        assert "eta" not in options, name
        assert options.get("countdown", 0) < VISIBILITY_TIMEOUT, name


def upper_bound(node: ast.expr, namespace: dict) -> float | None:
    """The largest value a delay expression can take, or None when it cannot be known statically."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "min":
        bounds = [b for b in (upper_bound(arg, namespace) for arg in node.args) if b is not None]
        return min(bounds) if bounds else None
    try:
        value = eval(compile(ast.Expression(node), "<delay>", "eval"), namespace)  # noqa: S307 - project constants
    except (NameError, AttributeError, TypeError):
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value) if isinstance(value, Real) else None


def delays_in_code():
    """Every countdown / retry delay / ETA written in the project's code: (where, keyword, bound)."""
    for package in CODE_PACKAGES:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            relative = path.relative_to(BASE_DIR)
            if "migrations" in relative.parts:
                continue
            tree = ast.parse(path.read_text())
            namespace = None
            for node in ast.walk(tree):
                # Keyword arguments (apply_async(countdown=...)) and option dicts ({"retry_backoff_max": ...}).
                if isinstance(node, ast.Call):
                    pairs = [(keyword.arg, keyword.value) for keyword in node.keywords]
                elif isinstance(node, ast.Dict):
                    pairs = [
                        (key.value, value)
                        for key, value in zip(node.keys, node.values, strict=True)
                        if isinstance(key, ast.Constant) and isinstance(key.value, str)
                    ]
                else:
                    continue
                for name, value in pairs:
                    if name == "eta":
                        yield f"{relative}:{node.lineno}", "eta", None
                    elif name in DELAY_KEYWORDS:
                        if namespace is None:
                            module = importlib.import_module(".".join(relative.with_suffix("").parts))
                            namespace = dict(vars(module))
                        yield f"{relative}:{node.lineno}", name, upper_bound(value, namespace)


def test_every_countdown_and_retry_delay_in_the_code_is_below_the_visibility_timeout():
    # An ETA far in the future is redelivered (or lost) by Redis: use a countdown bounded by a
    # module-level constant, e.g. countdown=min(seconds_left, MAX_COUNTDOWN); the beat sweep does the rest.
    problems = [
        f"{where}: {keyword}={'unbounded' if bound is None else bound}"
        for where, keyword, bound in delays_in_code()
        if bound is None or not 0 <= bound < VISIBILITY_TIMEOUT
    ]
    assert problems == []


def test_without_redis_url_the_broker_is_the_filesystem_transport(tmp_path):
    broker_dir = tmp_path / "broker"
    found = probe_broker(
        REDIS_URL="", CELERY_BROKER_DIR=str(broker_dir), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    assert found["url"] == "filesystem://localhost/"
    assert found["driver"] == "filesystem"
    assert found["folder_in"] == found["folder_out"] == str(broker_dir)
    assert found["control"] == str(broker_dir / "control")  # not ./control in the working directory
    assert found["visibility_timeout"] == found["expected"] == VISIBILITY_TIMEOUT
    assert broker_dir.is_dir()  # made by the app, so a fresh clone's worker can start


def test_with_redis_url_the_broker_is_redis(tmp_path):
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    found = probe_broker(REDIS_URL=redis_url, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert found["url"] == redis_url
    assert found["driver"] == "redis"
    assert found["visibility_timeout"] == found["expected"] == VISIBILITY_TIMEOUT


@pytest.mark.worker
def test_demo_worker_consumes_a_task_sent_through_the_filesystem_broker(tmp_path):
    """What `make run` relies on: with no Redis, a message sent by one process is run by the worker."""
    env = app_env(REDIS_URL="", CELERY_BROKER_DIR=str(tmp_path / "broker"), DATABASE_URL="sqlite:///:memory:")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **env}
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"],
            cwd=BASE_DIR,
            env=clean,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        sent = run_python(["-m", "celery", "-A", "config", "call", "celery.accumulate", "--args", "[20, 22]"], **env)
        assert sent.returncode == 0, sent.stderr
        task_id = sent.stdout.strip().splitlines()[-1]
        expected = f"Task celery.accumulate[{task_id}] succeeded"
        deadline = time.monotonic() + 90
        while expected not in log_path.read_text() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        output = log_path.read_text()
        assert expected in output, output[-3000:]
        assert "(20, 22)" in output
        # Consumed: nothing left queued beside the exchange table.
        assert [path.name for path in (tmp_path / "broker").iterdir()] == ["control"]
        assert (tmp_path / "broker" / "control" / "celery.exchange").exists()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.worker
def test_demo_beat_sends_the_deadline_sweep_through_the_filesystem_broker(tmp_path):
    """`make run`'s beat starts without any server and publishes the sweep that closes buys at their deadline."""
    broker = tmp_path / "broker"
    env = app_env(REDIS_URL="", CELERY_BROKER_DIR=str(broker), DATABASE_URL="sqlite:///:memory:")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **env}
    log_path = tmp_path / "beat.log"
    with log_path.open("w") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
            + ["--schedule", str(tmp_path / "beat-schedule")],
            cwd=BASE_DIR,
            env=clean,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def sent_sweeps() -> list[Path]:
        if not broker.is_dir():
            return []
        return [p for p in broker.iterdir() if p.is_file() and "groupbuy.tasks.sweep_group_buys" in p.read_text()]

    try:
        deadline = time.monotonic() + 90
        while not sent_sweeps() and beat.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert sent_sweeps(), log_path.read_text()[-3000:]
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=30)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait()
