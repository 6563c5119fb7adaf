"""Drive load with wrk and bench/plan.lua; summarise one run as a row of the table."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.stack import HOST, OUT, log

LUA = Path(__file__).resolve().parent / "plan.lua"
WRK_THREADS = 2  # one per core; the load generator shares the machine with the server
# HTTP statuses that are the application refusing on purpose (closed, over cap, already signed up,
# throttled): counted as refusals, not errors.
REFUSAL_STATUSES = {409, 429}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def line(self) -> str:
        hdr = "|".join(f"{k}: {v}" for k, v in self.headers.items())
        for part in (self.path, hdr, self.body):
            if "\t" in part or "\n" in part:
                raise ValueError("plan fields may not contain tabs or newlines")
        return f"{self.method}\t{self.path}\t{hdr}\t{self.body}"


@dataclass
class Result:
    scenario: str
    concurrency: int
    seconds: float
    requests: int
    ok: int
    refusals: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    codes: dict[str, int]
    statuses: dict[str, int]
    wrapped: int
    bytes: int
    web_cpu_ms: float | None = None  # CPU per completed request: gunicorn workers
    db_cpu_ms: float | None = None  # and PostgreSQL backends

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def write_plan(name: str, requests: list[Request]) -> Path:
    path = OUT / "plans" / f"{name}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.line() + "\n" for r in requests), encoding="utf-8")
    return path


def run_wrk(
    scenario: str, plan: Path, *, port: int, concurrency: int, seconds: float, timeout: int = 5, host: str = HOST
) -> Result:
    # The harness never loads anything but this machine: loopback, or a run's own namespaces (bench/hosts.py,
    # whose 10.x addresses exist only inside them).
    if host != "127.0.0.1" and not host.startswith("10."):
        raise SystemExit("load goes to 127.0.0.1 or the run's own namespaces only")
    threads = min(WRK_THREADS, concurrency)
    with plan.open("rb") as f:
        lines = sum(1 for _ in f)
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        f"{timeout}s",
        "-s",
        str(LUA),
        f"http://{host}:{port}",
        "--",
        str(plan),
        str(threads),
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + timeout + 30, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {scenario}:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(line[len("BENCH_JSON ") :])
    statuses = {str(k): int(v) for k, v in data["statuses"].items()}
    ok = sum(v for k, v in statuses.items() if 200 <= int(k) < 300)
    refusals = sum(v for k, v in statuses.items() if int(k) in REFUSAL_STATUSES)
    answered_badly = sum(v for k, v in statuses.items() if not (200 <= int(k) < 400) and int(k) not in REFUSAL_STATUSES)
    e = data["errors"]
    socket_errors = e["connect"] + e["read"] + e["write"] + e["timeout"]
    lat = data["latency_us"]
    result = Result(
        scenario=scenario,
        concurrency=concurrency,
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        ok=ok,
        refusals=refusals,
        errors=answered_badly + socket_errors,
        p50_ms=lat["p50"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        max_ms=lat["max"] / 1000,
        codes=data["codes"],
        statuses=statuses,
        wrapped=data["wrapped"],
        bytes=data["bytes"],
    )
    log(
        f"{scenario} c={concurrency}: {result.rps:.0f} req/s ({result.ok_per_s:.0f} ok/s) "
        f"p50 {result.p50_ms:.1f} p99 {result.p99_ms:.1f} ms, errors {result.errors}, "
        f"refusals {result.refusals} {result.codes or ''}"
        + (f" plan wrapped {result.wrapped}" if result.wrapped and lines > 1 else "")
    )
    return result
