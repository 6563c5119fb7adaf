"""Profile one request path in-process: SQL statements and CPU per request, with an optional cProfile.

No server and no load generator: the request goes through Django's WSGI handler (every middleware,
DRF, the view, the services) with the production settings `make bench` uses, on its own database
`jielong_profile` (dropped and recreated; PROFILE_DB_NAME) and Redis db 10 (PROFILE_REDIS_DB). The
figures are CPU per request in this process (web side only) and the statements each request sends —
the two numbers the sign-up work is steered by (docs/PERFORMANCE.md).

Usage: .venv/bin/python bench/profile_signup.py [--requests 400] [--path signup|page|page-304|list] [--cprofile]
       [--entries N]  (page: how many households are on the buy's list; `make bench` uses 500)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402

DB_NAME = os.environ.get("PROFILE_DB_NAME", "jielong_profile")
REDIS_DB = int(os.environ.get("PROFILE_REDIS_DB", "10"))


def _environ(method: str, path: str, headers: dict[str, str], body: bytes) -> dict:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": stack.HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": stack.HOST,
        "HTTP_ACCEPT_ENCODING": "gzip",
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--path", choices=("signup", "page", "page-304", "list"), default="signup")
    p.add_argument("--cprofile", action="store_true", help="print the top functions by cumulative time")
    p.add_argument("--sql", action="store_true", help="print the statements of one request")
    p.add_argument("--entries", type=int, default=10, help="page: entries on the buy's list (make bench: 500)")
    args = p.parse_args(argv)

    stack.DB_NAME = DB_NAME
    stack.REDIS_DB = REDIS_DB
    env = stack.bench_env(0)
    env.update({"DATABASE_URL": f"postgres://postgres@{stack.HOST}:5432/{DB_NAME}"})
    env["REDIS_URL"] = f"redis://{stack.HOST}:6379/{REDIS_DB}"
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    stack.recreate_database()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", interactive=False, verbosity=0)
    cache.clear()
    from bench import data

    n = args.requests
    entries = max(args.entries, 0)
    world = data.build_world(residents=n + max(entries, 10))
    data.make_sessions(world, 20)
    buy = data.make_buys(world, 1, title="profile", moq=100_000)[0]
    if args.path in ("page", "page-304"):
        data.fill_entries(world, buy, world.residents[n : n + entries])
    app = get_wsgi_application()

    def request(i: int) -> dict:
        if args.path == "signup":
            r = world.residents[i]
            body = json.dumps({"quantities": {str(buy.item_id): 1}}).encode()
            headers = {"Authorization": f"Token {r.token}", "Idempotency-Key": uuid.uuid4().hex}
            return _environ("POST", f"/api/buys/{buy.id}/entries/", headers, body)
        session = world.sessions[i % len(world.sessions)]
        headers = {"Cookie": f"sessionid={session}"}
        if args.path == "page-304" and session in etags:  # the live refresh: asks with its last ETag
            headers["If-None-Match"] = etags[session]
        return _environ("GET", "/buys/" if args.path == "list" else f"/buys/{buy.id}/", headers, b"")

    statuses: dict[str, int] = {}
    etags: dict[str, str] = {}

    def call(i: int) -> None:
        captured: list = []
        body = app(request(i), lambda status, headers, exc_info=None: captured.append((status, dict(headers))))
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        status, headers = captured[0]
        statuses[status] = statuses.get(status, 0) + 1
        if "ETag" in headers:
            etags[world.sessions[i % len(world.sessions)]] = headers["ETag"]

    warm = min(20, n // 4)
    for i in range(warm):
        call(i)
    with CaptureQueriesContext(connection) as q:
        call(warm)
    statements = len(q.captured_queries)  # read now: the next request resets the log
    if args.sql:
        for s in q.captured_queries:
            print(s["sql"][:300])
    if os.environ.get("PROFILE_GC_THRESHOLD"):
        import gc

        gc.freeze()
        gc.set_threshold(int(os.environ["PROFILE_GC_THRESHOLD"]), 50, 100)
    profiler = cProfile.Profile() if args.cprofile else None
    t0, w0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(warm + 1, n):
        call(i)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    done = n - warm - 1
    print(
        f"{args.path}: {done} requests, {statements} statements per request, "
        f"{cpu / done * 1000:.2f} ms CPU and {wall / done * 1000:.2f} ms wall per request; statuses {statuses}"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(45)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
