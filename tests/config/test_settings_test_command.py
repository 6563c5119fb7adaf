"""`make test` stops at once, in one sentence, when PostgreSQL or Redis cannot be reached (never SQLite)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_services(**env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run(
        [sys.executable, "-m", "config.check_services"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_reachable_servers_pass():
    result = check_services(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])
    assert (result.returncode, result.stderr) == (0, "")


def test_unreachable_postgresql_stops_with_one_sentence_naming_it():
    url = f"postgres://postgres:secret@127.0.0.1:{closed_port()}/jielong"
    result = check_services(DATABASE_URL=url, REDIS_URL=os.environ["REDIS_URL"])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Tests need PostgreSQL at postgres://postgres:***@127.0.0.1:")
    assert "secret" not in result.stderr
    assert "Redis" not in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_unreachable_redis_is_named_too():
    url = f"redis://127.0.0.1:{closed_port()}/0"
    result = check_services(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=url)
    assert result.returncode == 2
    assert result.stderr == f"Tests need Redis at {url}, which cannot be reached: start it or set REDIS_URL.\n"


def test_sqlite_is_refused():
    result = check_services(DATABASE_URL="sqlite:///var/x.sqlite3", REDIS_URL=os.environ["REDIS_URL"])
    assert result.returncode == 2
    assert result.stderr == "Tests need PostgreSQL: DATABASE_URL must be a postgres:// URL.\n"
