"""`make bench`: the load harness for the sign-up path and the pages (issue 7).

One command, on this machine, against loopback only:
  1. drops and recreates the database `jielong_bench` and flushes Redis db 9;
  2. migrates, collects static files, creates one community at demo scale (residents with
     API tokens (knox) and sessions, the buys of each scenario) through the ORM and the real services;
  3. starts a Celery worker and beat, and gunicorn (sync workers, DEBUG off, production
     settings except the TLS redirect); picks the worker count by measuring 2..5 workers;
  4. drives each scenario with wrk + bench/plan.lua at fixed concurrency for a fixed time,
     checks the invariants in the database after each, and prints one table;
  5. after the table's runs, profiles one more hot-buy run with py-spy (Python CPU only).

Usage: .venv/bin/python bench/run.py [--seconds 10] [--workers N] [--no-profile] [--quick]
Logs and plans go to var/bench/; the table is also written to var/bench/last-run.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from bench.load import Result, run_wrk, write_plan  # noqa: E402
from bench.stack import HOST, OUT, log  # noqa: E402

WORKER_CHOICES = (2, 3, 4, 5)
SPREAD_BUYS = 1000
CAP = 100
CAP_TRIALS = 20
# Issue 17's sign-up target is also judged on the median of this many adjacent (floor, hot buy) pairs of
# PAIR_SECONDS each: on a shared VM one 10-second pair moves by up to a third between runs.
HOT_PAIRS = 3
PAIR_SECONDS = 5
CAP_TRIAL_SECONDS = 2.0  # the cap fills in well under a second; the rest is refusals racing for it
PAGE_ENTRIES = 500
SESSIONS = 200
DEADLINE_AFTER = 20.0  # seconds after the main run starts: it passes while the scenarios run
TARGETS = {
    "hot_c32_rate": 450,
    "hot_c32_p99": 100,
    "hot_c64_p99": 250,
    "spread_rate": 500,
    "floor_ratio": 0.75,
    "page_queries": 8,
    "page_kb": 60,
    "deadline_s": 10,
    "rss_mb": 150,
    # issue 17
    "signup_ratio": 0.5,
    "signup_p99": 150,
    "page_ratio": 0.8,
    "list_ratio": 0.6,
}


@dataclass
class Row:
    result: Result
    rate: float  # what the scenario is judged on: accepted sign-ups/s, or pages/s
    floor: float | None = None
    invariants: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.rate / self.floor if self.floor else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0, help="length of each measured scenario")
    p.add_argument("--workers", type=int, default=0, help="gunicorn workers; 0 = measure 2..5 and pick")
    p.add_argument("--residents", type=int, default=8000)
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip the py-spy sign-up profile")
    p.add_argument("--quick", action="store_true", help="smoke run: 3 s scenarios, 3 cap trials, 2 workers")
    p.add_argument("--preload", action="store_true", help="gunicorn --preload (shared app pages)")
    p.add_argument("--hosts", action="store_true", help="add the multi-host rows (bench/hosts.py; needs root)")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 3.0)
        args.workers = args.workers or 2
    return args


def rotated(seq: list, offset: int) -> list:
    offset %= len(seq)
    return seq[offset:] + seq[:offset]


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.port = stack.free_port()
        self.env = stack.bench_env(self.port)
        self.procs: list[stack.Proc] = []
        self.gunicorn: stack.Proc | None = None
        self.rows: list[Row] = []
        self.extra: list[tuple[str, str, str]] = []  # (what, figure, target verdict)
        self.floor_accepted = 0
        self.cursor = 0  # rotates which residents start each sign-up plan

    # --- setup ------------------------------------------------------------------------------------

    def prepare(self) -> None:
        stack.prepare_django(self.env)
        from bench import data

        self.data = data
        t = time.monotonic()
        self.world = data.build_world(residents=self.args.residents)
        data.make_sessions(self.world, SESSIONS)
        self.floor_buy = data.floor_buy(self.world)
        self.hot = {c: data.make_buys(self.world, 1, title=f"hot c={c}", moq=100)[0] for c in (32, 64)}
        self.sweep_buys = {w: data.make_buys(self.world, 1, title=f"sweep w={w}", moq=100)[0] for w in WORKER_CHOICES}
        self.spread = data.make_buys(self.world, SPREAD_BUYS, title="spread")
        trials = 3 if self.args.quick else CAP_TRIALS
        self.cap_buys = data.make_buys(self.world, trials, title="cap race", cap=CAP)
        self.page_buy = data.make_buys(self.world, 1, title="蔬菜套餐 page", moq=50)[0]
        data.fill_entries(self.world, self.page_buy, self.world.residents[-PAGE_ENTRIES:])
        self.profile_buy = data.make_buys(self.world, 1, title="profile", moq=100)[0]
        pairs = 1 if self.args.quick else HOT_PAIRS
        self.pair_buys = data.make_buys(self.world, pairs, title="hot c=32 pair", moq=100)
        data.analyze()
        log(
            f"data: {self.args.residents} residents, {len(self.spread) + trials + 9} buys"
            f" in {time.monotonic() - t:.0f}s"
        )

    def signup_plan(self, name: str, buys: list) -> Path:
        from bench import endpoints

        residents = rotated(self.world.residents, self.cursor)
        self.cursor += 1500
        return write_plan(name, [endpoints.signup(r, buys[n % len(buys)]) for n, r in enumerate(residents)])

    # --- processes --------------------------------------------------------------------------------

    def start_gunicorn(self, workers: int) -> None:
        self.stop_gunicorn()
        self.gunicorn = stack.start_gunicorn(self.env, workers, preload=self.args.preload)

    def stop_gunicorn(self) -> None:
        if self.gunicorn is not None:
            self.gunicorn.stop()
            self.gunicorn = None

    def shutdown(self) -> None:
        self.stop_gunicorn()
        for proc in self.procs:
            proc.stop()

    # --- scenarios --------------------------------------------------------------------------------

    def wrk(self, scenario: str, plan: Path, concurrency: int, seconds: float | None = None) -> Result:
        assert self.gunicorn is not None
        self.settle()
        meter = stack.CpuMeter(self.gunicorn.pid)
        meter.start()
        res = run_wrk(scenario, plan, port=self.port, concurrency=concurrency, seconds=seconds or self.args.seconds)
        web, db = meter.stop()
        if res.requests:
            res.web_cpu_ms, res.db_cpu_ms = 1000 * web / res.requests, 1000 * db / res.requests
            log(f"   CPU per request: web {res.web_cpu_ms:.2f} ms, db {res.db_cpu_ms:.2f} ms")
        return res

    def settle(self, limit: float = 10.0) -> None:
        """Wait until the workers are idle: requests still queued from the last run (wrk stops reading
        at its deadline, gunicorn still serves what it accepted) must not be counted in the next one."""
        assert self.gunicorn is not None
        workers = stack.worker_pids(self.gunicorn.pid)
        end = time.monotonic() + limit
        last = sum(stack.cpu_seconds(p) for p in workers)
        while time.monotonic() < end:
            time.sleep(0.25)
            now = sum(stack.cpu_seconds(p) for p in workers)
            if now - last < 0.02:  # under 8% of one core across all workers
                return
            last = now
        log("workers still busy after the last run; measuring anyway")

    def floor(self, concurrency: int, seconds: float | None = None, *, record: bool = True) -> Result:
        from bench import endpoints

        plan = write_plan("floor", [endpoints.floor(self.floor_buy, self.world.leader_id)])
        res = self.wrk("floor", plan, concurrency, seconds)
        self.floor_accepted += res.statuses.get("201", 0)
        if record:
            problems = self.data.check_floor(self.floor_buy, self.floor_accepted)
            self.rows.append(Row(res, rate=res.ok_per_s, invariants=problems, note="UPDATE+INSERT, no auth"))
        return res

    def signups(self, scenario: str, buys: list, concurrency: int, floor: Result | None) -> Row:
        plan = self.signup_plan(f"{scenario}-c{concurrency}", buys)
        res = self.wrk(scenario, plan, concurrency)
        self.settle()
        ids = [b.id for b in buys]
        problems = self.data.check_buys(ids)
        stored = self.data.entries_in(ids)
        problems += stored_matches(res, stored)
        row = Row(res, rate=res.ok_per_s, floor=floor.ok_per_s if floor else None, invariants=problems)
        self.rows.append(row)
        return row

    def choose_workers(self) -> int:
        if self.args.workers:
            return self.args.workers
        tried = []
        for w in WORKER_CHOICES:
            self.start_gunicorn(w)
            fl = self.floor(32, 4, record=False)
            plan = self.signup_plan(f"sweep-w{w}", [self.sweep_buys[w]])
            hot = self.wrk(f"hot buy, {w} workers", plan, 32, 5)
            tried.append((w, fl, hot))
        self.stop_gunicorn()
        # The fewest workers whose 5-second hot-buy trial is within 10 % of the best one: the trials are too short to
        # tell closer rates apart (the 01:40 run of 2026-12-04 took 5 workers on 2 cores for 432/s against 415/s
        # with 2, then measured 0.46x floor with them where a 2-worker run of the same code had given 0.61x), and
        # every worker more costs ~105 MB and context switches.
        good = [t for t in tried if t[2].errors == 0] or tried
        top = max(t[2].ok_per_s for t in good)
        best = min(t[0] for t in good if t[2].ok_per_s >= 0.9 * top)
        self.worker_sweep = tried
        log(f"workers: chose {best}")
        return best

    def cap_race(self) -> None:
        results, oversells, problems, exact = [], [], [], 0
        for n, buy in enumerate(self.cap_buys):
            plan = self.signup_plan(f"cap-{n}", [buy])
            res = self.wrk(f"cap race trial {n + 1}", plan, 32, CAP_TRIAL_SECONDS)
            results.append(res)
            self.settle()
            oversells.append(self.data.oversell(buy))
            problems += self.data.check_buys([buy.id])
            stored = self.data.entries_in([buy.id])
            exact += stored == CAP
            problems += [f"trial {n + 1}: {p}" for p in stored_matches(res, stored)]
        total_s = sum(r.seconds for r in results)
        agg = Result(
            scenario=f"cap race (cap {CAP}) x{len(results)}",
            concurrency=32,
            seconds=total_s,
            requests=sum(r.requests for r in results),
            ok=sum(r.ok for r in results),
            refusals=sum(r.refusals for r in results),
            errors=sum(r.errors for r in results),
            p50_ms=statistics.median(r.p50_ms for r in results),
            p95_ms=max(r.p95_ms for r in results),
            p99_ms=max(r.p99_ms for r in results),
            max_ms=max(r.max_ms for r in results),
            codes={},
            statuses={},
            wrapped=0,
            bytes=0,
        )
        served = [r for r in results if r.requests and r.web_cpu_ms is not None]
        if served:
            n = sum(r.requests for r in served)
            agg.web_cpu_ms = sum(r.web_cpu_ms * r.requests for r in served) / n  # type: ignore[operator]
            agg.db_cpu_ms = sum(r.db_cpu_ms * r.requests for r in served) / n  # type: ignore[operator]
        if any(oversells):
            problems.append(f"OVERSOLD in {sum(1 for o in oversells if o)} trials: {oversells}")
        self.rows.append(
            Row(
                agg,
                rate=agg.rps,
                invariants=problems,
                note=f"oversell 0 in {oversells.count(0)}/{len(oversells)}; filled exactly {exact}/{len(oversells)}",
            )
        )

    def pages(self, floor: Result) -> None:
        from bench import endpoints

        sessions = self.world.sessions
        for name, path in (
            ("page: buy list", endpoints.buy_list_path(self.world.community_id)),
            (f"page: buy ({PAGE_ENTRIES} entries)", endpoints.buy_page_path(self.page_buy)),
        ):
            plan = write_plan(re.sub(r"\W+", "-", name), [endpoints.page(path, s) for s in sessions])
            res = self.wrk(name, plan, 32)
            problems = [] if res.ok == res.requests else [f"{res.requests - res.ok} non-2xx: {res.statuses}"]
            self.rows.append(Row(res, rate=res.ok_per_s, floor=floor.ok_per_s, invariants=problems))
        self.live_refresh(floor)

    def hot_pairs(self) -> None:
        """The hot buy at c=32, each time on a fresh buy right after a floor of the same length: the sign-up
        target is judged on the median ratio of these adjacent pairs as well as on the table's single pair."""
        self.pairs: list[tuple[Result, Result, list[str]]] = []
        for buy in self.pair_buys:
            fl = self.floor(32, PAIR_SECONDS, record=False)
            res = self.wrk("hot buy (pair)", self.signup_plan(f"hot-pair-{buy.id}", [buy]), 32, PAIR_SECONDS)
            self.settle()
            problems = self.data.check_buys([buy.id]) + stored_matches(res, self.data.entries_in([buy.id]))
            self.pairs.append((fl, res, problems))

    def live_refresh(self, floor: Result) -> None:
        """The buy page's live refresh (static/js/live.js): each session asks with If-None-Match and the ETag its
        own last view was given, as a phone does every 30 s; unchanged, the answer is 304 without rendering."""
        from bench import endpoints
        from bench.load import Request

        path = endpoints.buy_page_path(self.page_buy)
        from groupbuy.models import GroupBuy

        self.wait_for_a_steady_etag(GroupBuy.objects.values_list("deadline", flat=True).get(pk=self.page_buy.id))
        requests = []
        for session in self.world.sessions:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
            resp = conn.getresponse()
            resp.read()
            etag = resp.getheader("ETag") or ""
            conn.close()
            requests.append(Request("GET", path, {"Cookie": f"sessionid={session}", "If-None-Match": etag}, ""))
        name = "page: live refresh (304)"
        res = self.wrk(name, write_plan(re.sub(r"\W+", "-", name), requests), 32)
        not_modified = int(res.statuses.get("304", 0))
        problems = [] if not_modified == res.requests else [f"{res.requests - not_modified} not 304: {res.statuses}"]
        rate = not_modified / res.seconds if res.seconds else 0.0
        self.rows.append(Row(res, rate=rate, floor=floor.ok_per_s, invariants=problems))

    def wait_for_a_steady_etag(self, deadline) -> None:
        """Wait (at most one ETag window) until the clock alone cannot change the buy page's ETag during the run:
        its key holds the ten-minute window and the deadline line ("closes in 2 days, 3 hours"), and when either
        turns over every viewer gets one full page by design (then 304s again). The scenario measures the 304s
        between those moments (a run across 01:20 UTC on 2026-12-04 crossed a window: half its answers were 200)."""
        import datetime

        from django.utils import timezone
        from django.utils.timesince import timeuntil

        from groupbuy.views.page_cache import ETAG_WINDOW

        span, waited = self.args.seconds + 20, 0
        while waited < ETAG_WINDOW:
            now = timezone.now()
            window_left = ETAG_WINDOW - time.time() % ETAG_WINDOW
            if window_left > span and timeuntil(deadline, now) == timeuntil(
                deadline, now + datetime.timedelta(seconds=span)
            ):
                break
            time.sleep(5)
            waited += 5
        if waited:
            log(f"live refresh: waited {waited} s for the ETag window and the deadline line to hold for the run")

    # --- one-off measurements ---------------------------------------------------------------------

    def page_weight(self) -> None:
        """Bytes a phone downloads for the buy page (gzip: HTML + its CSS + JS) and the page's queries."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from accounts.models import User
        from bench import endpoints

        path = endpoints.buy_page_path(self.page_buy)
        resident = self.world.residents[0]
        client = Client(HTTP_HOST=HOST)
        client.force_login(User.objects.get(pk=resident.user_id))
        client.get(path)  # warm per-process caches, as a running worker has them
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(path).status_code
        queries = len(ctx.captured_queries)
        (OUT / "buy-page-queries.sql").write_text("\n".join(q["sql"] for q in ctx.captured_queries))

        def fetch(url: str) -> tuple[int, bytes, int]:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            conn.request(
                "GET", url, headers={"Accept-Encoding": "gzip", "Cookie": f"sessionid={self.world.sessions[0]}"}
            )
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            return resp.status, body, int(resp.getheader("Content-Length") or len(body))

        st, html_gz, _ = fetch(path)
        import gzip

        html = gzip.decompress(html_gz) if html_gz[:2] == b"\x1f\x8b" else html_gz
        assets = re.findall(rb'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', html)
        total = len(html_gz)
        parts = [f"HTML {len(html_gz) / 1024:.1f} KB gz ({len(html) / 1024:.0f} KB raw)"]
        for a in dict.fromkeys(assets):
            _, body, _ = fetch(a.decode())
            total += len(body)
            parts.append(f"{a.decode().rsplit('/', 1)[-1]} {len(body) / 1024:.1f} KB")
        kb = total / 1024
        self.extra.append(
            (
                f"buy page ({PAGE_ENTRIES} entries): queries",
                f"{queries} (status {status})",
                verdict(queries <= TARGETS["page_queries"], f"≤ {TARGETS['page_queries']}"),
            )
        )
        self.extra.append(
            (
                "buy page: bytes transferred (gzip)",
                f"{kb:.1f} KB = " + " + ".join(parts) + f" [HTTP {st}]",
                verdict(kb <= TARGETS["page_kb"], f"≤ {TARGETS['page_kb']} KB"),
            )
        )

    def open_deadline_buy(self) -> None:
        import datetime

        from django.utils import timezone

        deadline = timezone.now() + datetime.timedelta(seconds=DEADLINE_AFTER)
        self.deadline_buy = self.data.make_buys(self.world, 1, title="deadline", moq=1, deadline=deadline)[0]
        self.data.fill_entries(self.world, self.deadline_buy, self.world.residents[-3:])
        self.deadline_at = deadline

    def deadline_close(self) -> None:
        from django.utils import timezone

        from groupbuy.models import GroupBuy

        limit = time.monotonic() + 60
        row = GroupBuy.objects.get(pk=self.deadline_buy.id)
        while row.closed_at is None and time.monotonic() < limit:
            time.sleep(0.5)
            row = GroupBuy.objects.get(pk=self.deadline_buy.id)
        problems = self.data.check_buys([self.deadline_buy.id])
        if row.closed_at is None:
            figure = f"NOT closed {(timezone.now() - self.deadline_at).total_seconds():.0f}s after the deadline"
            ok = False
        else:
            lag = (row.closed_at - self.deadline_at).total_seconds()
            figure = f"closed {lag:.1f}s after the deadline (status {row.status})"
            ok = lag <= TARGETS["deadline_s"]
        if problems:
            figure += "; " + "; ".join(problems)
        self.extra.append(("deadline close latency", figure, verdict(ok and not problems, "≤ 10 s")))

    def memory(self) -> None:
        assert self.gunicorn is not None
        workers = stack.worker_pids(self.gunicorn.pid)
        rss = [stack.rss_mb(p) or 0.0 for p in workers]
        master = stack.rss_mb(self.gunicorn.pid) or 0.0
        worst = max(rss) if rss else 0.0
        self.extra.append(
            (
                "gunicorn worker RSS after the runs",
                ", ".join(f"{r:.0f}" for r in rss) + f" MB (master {master:.0f} MB)",
                verdict(worst <= TARGETS["rss_mb"], f"each ≤ {TARGETS['rss_mb']} MB"),
            )
        )

    def profile(self) -> None:
        """py-spy on every worker during one more hot-buy run and one more buy-page run: where the time
        goes (var/bench/profile-{signup,page}.txt and their -top.txt summaries)."""
        from bench import endpoints

        pyspy = stack.VENV_BIN / "py-spy"
        if not pyspy.exists():
            log("py-spy not installed (pip install -r requirements-dev.txt): no profile")
            return
        seconds = max(5, int(self.args.seconds))
        page = [endpoints.page(endpoints.buy_page_path(self.page_buy), key) for key in self.world.sessions]
        for name, plan in (
            ("signup", self.signup_plan("profile", [self.profile_buy])),
            ("page", write_plan("profile-page", page)),
        ):
            self.profile_one(name, plan, seconds)

    def profile_one(self, name: str, plan: Path, seconds: int) -> None:
        assert self.gunicorn is not None
        out = OUT / f"profile-{name}.txt"
        out.unlink(missing_ok=True)
        spy = subprocess.Popen(
            [str(stack.VENV_BIN / "py-spy"), "record", "--pid", str(self.gunicorn.pid), "--subprocesses",
             "--format", "raw", "--gil", "--rate", "250", "--duration", str(seconds), "--output", str(out),
             "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1)
        self.wrk(f"{name} (profiled)", plan, 32, seconds)
        try:
            spy.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
        if out.exists():
            summarise_profile(out, OUT / f"profile-{name}-top.txt")

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> None:
        started = time.monotonic()
        self.prepare()
        worker, beat = stack.start_celery(self.env)
        self.procs += [worker, beat]
        workers = self.choose_workers()
        self.start_gunicorn(workers)
        self.open_deadline_buy()
        self.floor(8, 2, record=False)  # warm every worker's connection
        f32 = self.floor(32)
        self.signups("hot buy", [self.hot[32]], 32, f32)
        f64 = self.floor(64)
        self.signups("hot buy", [self.hot[64]], 64, f64)
        self.signups(f"spread ({SPREAD_BUYS} buys)", self.spread, 32, f32)
        self.data.retire(self.spread)
        self.cap_race()
        self.pages(f32)
        self.hot_pairs()
        self.page_weight()
        self.deadline_close()
        self.memory()
        if self.args.profile:
            self.profile()
        if self.args.hosts:
            from bench.hosts import bench_rows

            self.stop_gunicorn()  # its CPU is the cluster's now
            self.rows += bench_rows(self.args.seconds)
        self.report(workers, time.monotonic() - started)

    # --- output -----------------------------------------------------------------------------------

    def report(self, workers: int, elapsed: float) -> None:
        lines = []
        if getattr(self, "worker_sweep", None):
            lines += [
                "Worker count (c=32; floor 4 s, hot buy 5 s each):",
                "",
                "| workers | floor req/s | hot buy sign-ups/s | hot p99 ms | × floor |",
                "|---|---|---|---|---|",
            ]
            for w, fl, hot in self.worker_sweep:
                ratio = hot.ok_per_s / fl.ok_per_s if fl.ok_per_s else 0
                lines.append(f"| {w} | {fl.ok_per_s:.0f} | {hot.ok_per_s:.0f} | {hot.p99_ms:.0f} | {ratio:.2f} |")
            lines.append("")
        header = (
            "| scenario | c | req/s | ok/s | p50 ms | p95 ms | p99 ms | errors | refusals | × floor "
            "| CPU ms/req web+db | invariants |"
        )
        lines += [header, "|" + "---|" * 12]
        for r in self.rows:
            res = r.result
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else "1.00" if res.scenario == "floor" else "–"
            inv = "OK" if not r.invariants else "FAIL: " + "; ".join(r.invariants)[:300]
            refusals = f"{res.refusals}" + (f" {json.dumps(res.codes)}" if res.codes else "")
            lines.append(
                f"| {res.scenario} | {res.concurrency} | {res.rps:.0f} | {r.rate:.0f} | {res.p50_ms:.1f} | "
                f"{res.p95_ms:.1f} | {res.p99_ms:.1f} | {res.errors} | {refusals} | {ratio} | {cpu(res)} | {inv}"
                + (f" ({r.note})" if r.note else "")
                + " |"
            )
        lines += ["", "| measurement | figure | target |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in self.extra + self.target_verdicts()]
        lines += [
            "",
            f"gunicorn {workers} sync workers, wrk 2 threads, {self.args.seconds:g} s per scenario, "
            f"{self.args.residents} residents; total {elapsed:.0f} s.",
        ]
        text = "\n".join(lines)
        (OUT / "last-run.md").write_text(text + "\n", encoding="utf-8")
        hot = next((r for r in self.rows if r.result.scenario == "hot buy" and r.result.concurrency == 32), None)
        (OUT / "last-run.json").write_text(
            json.dumps({"workers": workers, "hot_c32_rate": round(hot.rate, 1) if hot else 0})
        )
        print(text)

    def target_verdicts(self) -> list[tuple[str, str, str]]:
        out = []
        by = {(r.result.scenario, r.result.concurrency): r for r in self.rows}
        hot32, hot64 = by.get(("hot buy", 32)), by.get(("hot buy", 64))
        spread = by.get((f"spread ({SPREAD_BUYS} buys)", 32))
        if hot32:
            out.append(
                (
                    "hot buy c=32",
                    f"{hot32.rate:.0f}/s, p99 {hot32.result.p99_ms:.0f} ms, {hot32.ratio or 0:.2f}× floor",
                    verdict(
                        hot32.rate >= TARGETS["hot_c32_rate"]
                        and hot32.result.p99_ms <= TARGETS["hot_c32_p99"]
                        and (hot32.ratio or 0) >= TARGETS["floor_ratio"],
                        "≥ 450/s, p99 ≤ 100 ms, ≥ 0.75× floor",
                    ),
                )
            )
        if hot64:
            out.append(
                (
                    "hot buy c=64",
                    f"p99 {hot64.result.p99_ms:.0f} ms, {hot64.ratio or 0:.2f}× floor",
                    verdict(
                        hot64.result.p99_ms <= TARGETS["hot_c64_p99"] and (hot64.ratio or 0) >= TARGETS["floor_ratio"],
                        "p99 ≤ 250 ms, ≥ 0.75× floor",
                    ),
                )
            )
        if spread:
            out.append(
                (
                    "spread c=32",
                    f"{spread.rate:.0f}/s, {spread.ratio or 0:.2f}× floor",
                    verdict(
                        spread.rate >= TARGETS["spread_rate"] and (spread.ratio or 0) >= TARGETS["floor_ratio"],
                        "≥ 500/s, ≥ 0.75× floor",
                    ),
                )
            )
        # Issue 17's targets: a leaner sign-up, and pages at the cost of a cache hit.
        if hot32:
            out.append(
                (
                    "hot buy c=32 (issue 17)",
                    f"{hot32.ratio or 0:.2f}× floor, p99 {hot32.result.p99_ms:.0f} ms",
                    verdict(
                        (hot32.ratio or 0) >= TARGETS["signup_ratio"] and hot32.result.p99_ms <= TARGETS["signup_p99"],
                        f"≥ {TARGETS['signup_ratio']}× floor, p99 ≤ {TARGETS['signup_p99']} ms",
                    ),
                )
            )
        if getattr(self, "pairs", None):
            ratios = [res.ok_per_s / fl.ok_per_s if fl.ok_per_s else 0.0 for fl, res, _ in self.pairs]
            p99s = [res.p99_ms for _, res, _ in self.pairs]
            problems = [p for _, _, found in self.pairs for p in found]
            ratio, p99 = statistics.median(ratios), statistics.median(p99s)
            out.append(
                (
                    f"hot buy c=32 (issue 17), median of {len(ratios)} adjacent {PAIR_SECONDS} s pairs",
                    f"{ratio:.2f}× floor ({', '.join(f'{r:.2f}' for r in ratios)}), p99 {p99:.0f} ms "
                    f"({', '.join(f'{p:.0f}' for p in p99s)})"
                    + ("" if not problems else " FAIL: " + "; ".join(problems)[:200]),
                    verdict(
                        ratio >= TARGETS["signup_ratio"] and p99 <= TARGETS["signup_p99"] and not problems,
                        f"≥ {TARGETS['signup_ratio']}× floor, p99 ≤ {TARGETS['signup_p99']} ms",
                    ),
                )
            )
        for name, key in (("page: buy list", "list_ratio"), (f"page: buy ({PAGE_ENTRIES} entries)", "page_ratio")):
            row = by.get((name, 32))
            if row:
                out.append(
                    (
                        name,
                        f"{row.rate:.0f}/s, {row.ratio or 0:.2f}× floor",
                        verdict((row.ratio or 0) >= TARGETS[key], f"≥ {TARGETS[key]}× floor"),
                    )
                )
        return out


def stored_matches(res: Result, stored: int) -> list[str]:
    """Every 2xx is a stored entry. A few more may be stored: requests in flight when wrk stopped at
    the end of its time (at most one per connection) committed but their answers were not counted."""
    if res.wrapped:
        return []
    if res.ok <= stored <= res.ok + res.concurrency:
        return []
    return [f"{res.ok} answered 2xx but {stored} entries stored"]


def cpu(res: Result) -> str:
    if res.web_cpu_ms is None or res.db_cpu_ms is None:
        return "–"
    return f"{res.web_cpu_ms:.1f}+{res.db_cpu_ms:.1f}"


def verdict(ok: bool, target: str) -> str:
    return f"{'met' if ok else 'MISSED'} ({target})"


def summarise_profile(path: Path, summary: Path, top: int = 30) -> None:
    """py-spy's collapsed stacks (GIL-holding samples only: Python CPU) -> where a request's time goes:
    inclusive share of the project's own frames and DRF's, and the functions with the most self time."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack_text, _, count = line.rpartition(" ")
        frames = stack_text.split(";")
        if not count.isdigit() or not any("handle_request" in f for f in frames):
            continue
        n = int(count)
        total += n
        # Per function, not per line: "buy_get (groupbuy/selectors.py)".
        for frame in {re.sub(r":\d+\)$", ")", f) for f in frames}:
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        return
    ours = re.compile(r"\((accounts|groupbuy|config|compliance)/|rest_framework/(views|authentication|serializers)\.py")
    lines = [f"{total} samples in requests (py-spy --gil: Python CPU only)", "", "inclusive, project and DRF frames:"]
    lines += [
        f"{100 * n / total:5.1f}%  {frame}"
        for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])
        if ours.search(frame)
    ][:top]
    lines += ["", "self time:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in sorted(own.items(), key=lambda kv: -kv[1])][:top]
    summary.write_text("\n".join(lines) + "\n")
    log(f"profile summary in {summary}")
    print("\n".join(lines), file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    bench = Bench(parse_args(argv))
    try:
        bench.run()
    finally:
        bench.shutdown()


if __name__ == "__main__":
    main()
