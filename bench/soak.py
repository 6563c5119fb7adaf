"""Soak (issue 8, item 17): sign-ups at 70% of the measured maximum rate for 10 minutes.

Open-loop load: `--clients` threads, each sending on its own fixed schedule (plain
http.client, one connection per request as gunicorn's sync workers want), so a slow
server is not given a rest. Every `--window` seconds it records throughput, errors,
p50/p99 and the number of connections to the database (pg_stat_activity) and the
gunicorn workers' RSS; at the end it checks the invariants on every buy used.

Usage: .venv/bin/python bench/soak.py [--rate R | --max-rate M] [--seconds 600] [--workers N]
Without --rate: 70% of the hot-buy c=32 rate in var/bench/last-run.json (written by bench/run.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from bench.stack import HOST, OUT, log  # noqa: E402

SOAK_BUYS = 100
MAX_SECONDS = 3600


@dataclass
class Window:
    start: float
    ok: int = 0
    refused: int = 0
    errors: int = 0
    late: int = 0
    latencies: list[float] = field(default_factory=list)
    connections: int = 0
    rss: list[float] = field(default_factory=list)


class Soak:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.port = stack.free_port()
        self.env = stack.bench_env(self.port)
        self.lock = threading.Lock()
        self.windows: list[Window] = []
        self.next_index = 0
        self.stop = threading.Event()
        self.codes: dict[str, int] = {}

    def setup(self) -> None:
        stack.prepare_django(self.env)
        from bench import data

        self.data = data
        self.world = data.build_world(residents=self.args.residents)
        self.buys = data.make_buys(self.world, SOAK_BUYS, title="soak")

    def take_index(self) -> int:
        with self.lock:
            n = self.next_index
            self.next_index += 1
            return n

    def request(self, n: int) -> tuple[str, str, dict[str, str]]:
        from bench import endpoints

        residents = self.world.residents
        resident = residents[n % len(residents)]
        buy = self.buys[(n // len(residents)) % len(self.buys)]
        req = endpoints.signup(resident, buy)
        return req.path, req.body, {**req.headers, "Content-Type": "application/json", "Connection": "close"}

    def window(self, now: float) -> Window:
        index = int((now - self.t0) // self.args.window)
        while len(self.windows) <= index:
            self.windows.append(Window(start=self.t0 + len(self.windows) * self.args.window))
        return self.windows[index]

    def client(self, k: int) -> None:
        interval = self.args.clients / self.rate
        due = self.t0 + k * interval / self.args.clients
        while not self.stop.is_set():
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
                if self.stop.is_set():
                    return
            late = time.monotonic() - due > interval
            due += interval
            path, body, headers = self.request(self.take_index())
            sent = time.monotonic()
            status, code = 0, ""
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
                conn.request("POST", path, body=body.encode(), headers=headers)
                resp = conn.getresponse()
                status = resp.status
                payload = resp.read()
                conn.close()
                if status >= 400:
                    code = (json.loads(payload or b"{}") or {}).get("code", f"http_{status}")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                code = type(exc).__name__
            took = time.monotonic() - sent
            with self.lock:
                w = self.window(sent)
                w.latencies.append(took)
                w.late += late
                if 200 <= status < 300:
                    w.ok += 1
                elif status in (409, 429):
                    w.refused += 1
                else:
                    w.errors += 1
                if code:
                    self.codes[code] = self.codes.get(code, 0) + 1

    def monitor(self) -> None:
        assert self.gunicorn is not None
        while not self.stop.wait(self.args.window / 2):
            conns = stack.connection_count()
            rss = [stack.rss_mb(p) or 0.0 for p in stack.worker_pids(self.gunicorn.pid)]
            with self.lock:
                w = self.window(time.monotonic())
                w.connections = max(w.connections, conns)
                w.rss = rss

    def run(self) -> int:
        self.setup()
        procs = list(stack.start_celery(self.env))
        try:
            self.gunicorn = stack.start_gunicorn(self.env, self.args.workers)
            procs.append(self.gunicorn)
            self.rate = self.args.rate
            log(f"soak: {self.rate:.0f} sign-ups/s for {self.args.seconds:.0f}s, {self.args.workers} workers")
            self.t0 = time.monotonic() + 0.5
            threads = [threading.Thread(target=self.client, args=(k,), daemon=True) for k in range(self.args.clients)]
            threads.append(threading.Thread(target=self.monitor, daemon=True))
            for t in threads:
                t.start()
            end = self.t0 + self.args.seconds
            while time.monotonic() < end:
                time.sleep(min(self.args.window, max(0.0, end - time.monotonic())))
                self.progress()
            self.stop.set()
            for t in threads:
                t.join(timeout=15)
            time.sleep(1)
            return self.report()
        finally:
            for proc in reversed(procs):
                proc.stop()

    def progress(self) -> None:
        with self.lock:
            done = [w for w in self.windows if w.start + self.args.window <= time.monotonic()]
        if done:
            w = done[-1]
            log(
                f"t={w.start - self.t0:4.0f}s ok {w.ok / self.args.window:5.0f}/s errors {w.errors} refused "
                f"{w.refused} p99 {pct(w.latencies, 99):6.1f} ms db conns {w.connections}"
            )

    def report(self) -> int:
        ids = [b.id for b in self.buys]
        problems = self.data.check_buys(ids)
        stored = self.data.entries_in(ids)
        ok = sum(w.ok for w in self.windows)
        errors = sum(w.errors for w in self.windows)
        if stored < ok or (stored > ok and errors == 0):
            problems.append(f"{ok} answered 2xx but {stored} entries stored")
        win = self.args.window
        lines = [
            f"Soak: target {self.rate:.0f} sign-ups/s, {self.args.seconds:.0f} s, gunicorn {self.args.workers} "
            f"sync workers, {self.args.clients} client threads",
            "",
            "| t (s) | ok/s | errors | refusals | late sends | p50 ms | p99 ms | DB connections | worker RSS MB |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for w in self.windows:
            lines.append(
                f"| {w.start - self.t0:.0f} | {w.ok / win:.0f} | {w.errors} | {w.refused} | {w.late} | "
                f"{pct(w.latencies, 50):.1f} | {pct(w.latencies, 99):.1f} | {w.connections} | "
                f"{', '.join(f'{r:.0f}' for r in w.rss)} |"
            )
        full = [w for w in self.windows if w.latencies][1:-1] or self.windows
        first, last = full[: max(1, len(full) // 10)], full[-max(1, len(full) // 10) :]
        p99_first = statistics.median(pct(w.latencies, 99) for w in first)
        p99_last = statistics.median(pct(w.latencies, 99) for w in last)
        conns = [w.connections for w in self.windows if w.connections]
        lines += [
            "",
            f"total: {ok} sign-ups stored {stored}, errors {errors}, refusals {sum(w.refused for w in self.windows)}"
            f" {self.codes or ''}",
            f"error creep: errors in first 10% of windows {sum(w.errors for w in first)}, last 10% "
            f"{sum(w.errors for w in last)}; p99 first {p99_first:.1f} ms, last {p99_last:.1f} ms",
            f"DB connections: min {min(conns, default=0)}, max {max(conns, default=0)}",
            f"invariants: {'OK' if not problems else 'FAIL: ' + '; '.join(problems)[:500]}",
        ]
        text = "\n".join(lines)
        (OUT / "last-soak.md").write_text(text + "\n", encoding="utf-8")
        print(text)
        return 1 if problems else 0


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=0.0, help="sign-ups/s to offer")
    p.add_argument("--max-rate", type=float, default=0.0, help="measured maximum; the soak offers 70%% of it")
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--window", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: last run's choice, else 3)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--residents", type=int, default=8000)
    args = p.parse_args(argv)
    last = OUT / "last-run.json"
    measured = json.loads(last.read_text()) if last.exists() else {}
    if not args.rate:
        top = args.max_rate or measured.get("hot_c32_rate", 0)
        if not top:
            p.error("give --rate or --max-rate (or run bench/run.py first)")
        args.rate = 0.7 * top
    args.workers = args.workers or measured.get("workers", 3)
    args.seconds = min(args.seconds, MAX_SECONDS)
    return args


if __name__ == "__main__":
    sys.exit(Soak(parse_args(None)).run())
