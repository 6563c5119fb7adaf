"""A run across several hosts (issue 17): network namespaces joined by a bridge, each a "host".

    lb      HAProxy, round robin over web1 and web2, with health checks
    web1/2  gunicorn (production settings), DATABASE_URL -> PgBouncer, REDIS_URL -> redis
    wk1/2   a Celery worker each
    beat    Celery beat
    db      PostgreSQL 15 (initdb into a temp dir) and PgBouncer (pool_mode=transaction) in front
    redis   redis-server (no persistence)
    client  where the load and the checks run (bench.hosts_drive, wrk)

The bridge lives in a namespace of its own; every address is private to the run (10.B.C.0/24 from the pid), and
every name carries the pid (`jlh<pid>-<host>`), so a bench run and a test run never collide. The root
namespace cannot reach these addresses: whatever talks to the cluster runs inside `client`
(`Cluster.drive(step)` runs bench/hosts_drive.py there and returns its JSON). Processes are started in their own
process group and stopped by id; namespaces and temp dirs are removed on exit (context manager and atexit).
Needs root (ip netns), and the Debian packages haproxy, pgbouncer, postgresql-15, redis-server (and wrk for
the bench).

    .venv/bin/python bench/hosts.py [--seconds 8]    # the cluster and a wrk table (floor, hot buy)
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TOOLS = {
    "ip": "ip (iproute2): network namespaces",
    "haproxy": "HAProxy: the load balancer",
    "pgbouncer": "PgBouncer: the connection pooler",
    "redis-server": "Redis",
    "setpriv": "util-linux setpriv: run PostgreSQL as its own user",
    str(PG_BIN / "postgres"): "PostgreSQL 15 server binaries",
}
DEBIAN_PACKAGES = ["haproxy", "pgbouncer", "postgresql-15", "redis-server", "iproute2", "util-linux", "wrk"]
HOSTS = ("lb", "web1", "web2", "wk1", "wk2", "beat", "db", "redis", "client")
WEB_PORT = 8000
PG_PORT = 5432
PGB_PORT = 6432
REDIS_PORT = 6379
DB_NAME = "jielong"
PREFIX = "jlh"
START_TIMEOUT = 60.0
STATIC_CACHE = ROOT / "var" / "bench" / "hosts-static"  # collectstatic is incremental: kept between runs
LOGS_KEPT = ROOT / "var" / "bench" / "hosts-last"


def log(msg: str) -> None:
    print(f"[hosts {time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


def which(name: str) -> str | None:
    """A program's path, looking in the sbin directories too (a non-login root shell may lack them)."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"]))


def resolved(argv: list[str]) -> list[str]:
    return [which(argv[0]) or argv[0], *argv[1:]]


def missing_capabilities() -> list[str]:
    """What this machine lacks for a cluster run (empty: it can run). Root is needed for `ip netns`."""
    problems = [f"{path} is missing ({why})" for path, why in TOOLS.items() if not which(path)]
    if os.geteuid() != 0:
        problems.append("not root (ip netns needs CAP_SYS_ADMIN)")
    return problems


def run(argv: list[str], *, timeout: float = 30.0, check: bool = True, **kw) -> subprocess.CompletedProcess:
    argv = resolved(argv)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def wait_for(what: str, ok: Callable[[], bool], *, timeout: float = START_TIMEOUT, procs: tuple = ()) -> None:
    """Poll `ok` until it holds; fail after `timeout` or as soon as one of `procs` has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited while waiting for {what}:\n{proc.tail()}")
        if ok():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def remove_stale_runs() -> None:
    """What an earlier run of ours left when it was killed before it could clean up (its pid is in every name
    and is gone): the processes still inside its namespaces (by pid, from `ip netns pids`), the namespaces,
    its temp dir."""
    listing = run(["ip", "netns", "list"], check=False).stdout
    for full, pid in re.findall(rf"^({PREFIX}(\d+)-\S+)", listing, flags=re.M):
        if Path(f"/proc/{pid}").exists():
            continue
        for left in run(["ip", "netns", "pids", full], check=False).stdout.split():
            try:
                os.kill(int(left), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "delete", full], check=False)
    for tmp in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        match = re.fullmatch(rf"{PREFIX}(\d+)-\w+", tmp.name)
        if match and tmp.is_dir() and not Path(f"/proc/{match.group(1)}").exists():
            shutil.rmtree(tmp, ignore_errors=True)


class NsProc:
    """A process inside a namespace, in its own process group, output to a log file."""

    def __init__(self, name: str, ns: str, argv: list[str], env: dict[str, str], log_dir: Path, *, user: str = ""):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        prefix = resolved(["ip", "netns", "exec", ns])
        if user:  # setpriv execs (no fork), so the pid we hold is the server's own
            prefix += resolved(["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"])
        self.popen = subprocess.Popen(
            prefix + resolved(argv),
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.alive():
            self.kill(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.popen.wait(timeout=5)
        self.kill(signal.SIGKILL)  # children left in the group (a worker's pool)
        self._log.close()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Cluster:
    """The hosts, their servers and the app, up in __enter__ and all gone in __exit__ (or at exit)."""

    def __init__(self, *, web_workers: int = 2, residents: int = 800, extra_env: dict[str, str] | None = None):
        pid = os.getpid()
        self.tag = f"{PREFIX}{pid}"
        self.net = f"10.{100 + (pid >> 8) % 150}.{pid % 256}"
        self.addr = {host: f"{self.net}.{10 + n}" for n, host in enumerate(HOSTS)}
        self.web_workers = web_workers
        self.residents = residents
        self.extra_env = extra_env or {}
        self.procs: dict[str, NsProc] = {}
        self.drivers: list[subprocess.Popen] = []
        self.namespaces: list[str] = []
        self.tmp: Path | None = None
        self._closed = False

    # --- names ------------------------------------------------------------------------------------

    def ns(self, host: str) -> str:
        return f"{self.tag}-{host}"

    @property
    def lb_url(self) -> str:
        return f"http://{self.addr['lb']}"

    def node_env(self) -> dict[str, str]:
        """The app's environment on every node: production settings, PgBouncer, the shared Redis and media."""
        assert self.tmp is not None
        a = self.addr
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.tmp),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": ",".join(a[h] for h in ("lb", "web1", "web2")),
            "DATABASE_URL": f"postgres://postgres@{a['db']}:{PGB_PORT}/{DB_NAME}",
            "DB_DISABLE_SERVER_SIDE_CURSORS": "true",
            "CONN_MAX_AGE": "60",
            "REDIS_URL": f"redis://{a['redis']}:{REDIS_PORT}/0",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "STATIC_ROOT": str(STATIC_CACHE),
            "MEDIA_ROOT": str(self.tmp / "media"),  # the shared media volume
            "TRUSTED_PROXY_COUNT": "1",  # HAProxy appends the client to X-Forwarded-For
            "LOG_LEVEL": "WARNING",
            "BENCH_FLOOR_ENABLED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(self.extra_env)
        return env

    def describe(self) -> dict:
        """What a driver in the client namespace needs: addresses, the processes it may kill, the env."""
        assert self.tmp is not None
        return {
            "tag": self.tag,
            "tmp": str(self.tmp),
            "addr": self.addr,
            "lb": self.lb_url,
            "web": {h: f"http://{self.addr[h]}:{WEB_PORT}" for h in ("web1", "web2")},
            "pids": {name: p.pid for name, p in self.procs.items()},
            "celery_nodes": {h: f"{h}@{self.tag}" for h in ("wk1", "wk2")},
            "env": self.node_env(),
            "direct_db": f"postgres://postgres@{self.addr['db']}:{PG_PORT}/{DB_NAME}",
            "residents": self.residents,
        }

    # --- life cycle -------------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        atexit.register(self.close)
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        problems = missing_capabilities()
        if problems:
            raise RuntimeError("cannot build the hosts: " + "; ".join(problems))
        t0 = time.monotonic()
        remove_stale_runs()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))
        self.tmp.chmod(0o755)  # PostgreSQL and PgBouncer run as `postgres` under it
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        (self.tmp / "media").mkdir()
        STATIC_CACHE.mkdir(parents=True, exist_ok=True)
        self.secret = "hosts-" + secrets.token_urlsafe(40)
        self.network()
        self.start_postgres()
        self.start_pgbouncer()
        self.start_redis()
        # The schema and data are made while the app servers import themselves (both take tens of seconds).
        setup = self.drive_async("setup")
        self.start_web("web1", wait=False)
        self.start_web("web2", wait=False)
        self.start_workers()
        self.setup_figures = setup()
        log(f"setup: {self.setup_figures}")
        self.start_beat()  # after the schema: its first sweep comes at once
        for host in ("web1", "web2"):
            self.wait_web(host)
        self.start_haproxy()
        for host in ("wk1", "wk2"):
            proc = self.procs[host]
            wait_for(f"celery on {host}", lambda p=proc: "ready." in p.tail(200), procs=(proc,))
        log(f"cluster {self.tag} on {self.net}.0/24 up in {time.monotonic() - t0:.0f}s")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for driver in self.drivers:  # a step still running (the cluster failed while it ran)
            if driver.poll() is None:
                driver.kill()
                driver.wait(timeout=10)
        # The app first (all at once, then waited for together), the servers it uses after.
        for group in (("haproxy", "web1", "web2", "wk1", "wk2", "beat"), ("pgbouncer", "redis", "postgres")):
            procs = [self.procs[name] for name in group if name in self.procs]
            # PostgreSQL: SIGINT is its fast shutdown (removes its shared memory); the rest: TERM.
            sigs = {proc.name: signal.SIGINT if proc.name == "postgres" else signal.SIGTERM for proc in procs}
            for proc in procs:
                proc.kill(sigs[proc.name])
            deadline = time.monotonic() + 10
            for proc in procs:
                proc.stop(sigs[proc.name], timeout=max(0.1, deadline - time.monotonic()))
        for ns in reversed(self.namespaces):
            run(["ip", "netns", "delete", ns], check=False)
        if self.tmp is not None:
            if LOGS_KEPT.parent.exists():
                shutil.rmtree(LOGS_KEPT, ignore_errors=True)
                shutil.copytree(self.logs, LOGS_KEPT, dirs_exist_ok=True)
            shutil.rmtree(self.tmp, ignore_errors=True)
        atexit.unregister(self.close)

    # --- the network ------------------------------------------------------------------------------

    def network(self) -> None:
        bridge = self.ns("br")
        run(["ip", "netns", "add", bridge])
        self.namespaces.append(bridge)
        run(["ip", "-n", bridge, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", bridge, "link", "set", "br0", "up"])
        for n, host in enumerate(HOSTS):
            ns = self.ns(host)
            run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            # Created inside the bridge's namespace, with its peer moved straight into the host's.
            run(["ip", "-n", bridge, "link", "add", f"v{n}", "type", "veth", "peer", "name", "eth0", "netns", ns])
            run(["ip", "-n", bridge, "link", "set", f"v{n}", "master", "br0", "up"])
            run(["ip", "-n", ns, "addr", "add", f"{self.addr[host]}/24", "dev", "eth0"])
            run(["ip", "-n", ns, "link", "set", "eth0", "up"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])

    def exec_in(self, host: str, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return run(["ip", "netns", "exec", self.ns(host), *argv], **kw)

    def spawn(self, name: str, host: str, argv: list[str], *, env: dict[str, str] | None = None, user: str = ""):
        proc = NsProc(name, self.ns(host), argv, env or {"PATH": os.environ.get("PATH", "")}, self.logs, user=user)
        self.procs[name] = proc
        return proc

    # --- servers ----------------------------------------------------------------------------------

    def start_postgres(self) -> None:
        assert self.tmp is not None
        data, sock = self.tmp / "pg", self.tmp / "pgsock"
        for d in (data, sock):
            d.mkdir()
            shutil.chown(d, "postgres", "postgres")
        priv = resolved(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
        run(
            [*priv, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
            + ["--locale=C.UTF-8", "--no-sync"],
            timeout=120,
        )
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '{self.addr['db']}'\nport = {PG_PORT}\nunix_socket_directories = '{sock}'\n"
                "max_connections = 80\nshared_buffers = 64MB\ntimezone = 'UTC'\n"
                # A client that died mid-statement (a killed worker, via PgBouncer's dropped server link)
                # is noticed while its statement waits on a lock: the transaction ends at once.
                "client_connection_check_interval = 1s\n"
                # A throwaway cluster: durability is not what this run shows.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {self.net}.0/24 trust\n")
        pg = self.spawn("postgres", "db", [str(PG_BIN / "postgres"), "-D", str(data)], user="postgres")
        ready = [str(PG_BIN / "pg_isready"), "-q", "-h", self.addr["db"], "-p", str(PG_PORT)]
        wait_for("PostgreSQL", lambda: self.exec_in("db", ready, check=False).returncode == 0, procs=(pg,))
        self.exec_in("db", ["psql", "-h", self.addr["db"], "-U", "postgres", "-qc", f"CREATE DATABASE {DB_NAME}"])

    def start_pgbouncer(self) -> None:
        assert self.tmp is not None
        conf_dir = self.tmp / "pgbouncer"
        conf_dir.mkdir()
        (conf_dir / "users.txt").write_text('"postgres" ""\n')
        (conf_dir / "pgbouncer.ini").write_text(
            f"""[databases]
{DB_NAME} = host={self.addr["db"]} port={PG_PORT} dbname={DB_NAME}

[pgbouncer]
listen_addr = {self.addr["db"]}
listen_port = {PGB_PORT}
unix_socket_dir =
auth_type = trust
auth_file = {conf_dir / "users.txt"}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
reserve_pool_size = 5
server_lifetime = 3600
server_idle_timeout = 60
ignore_startup_parameters = extra_float_digits
"""
        )
        shutil.chown(conf_dir, "postgres", "postgres")
        pgb = self.spawn("pgbouncer", "db", ["pgbouncer", str(conf_dir / "pgbouncer.ini")], user="postgres")
        ready = [
            "psql",
            "-h",
            self.addr["db"],
            "-p",
            str(PGB_PORT),
            "-U",
            "postgres",
            "-d",
            DB_NAME,
            "-qAtc",
            "select 1",
        ]
        wait_for("PgBouncer", lambda: self.exec_in("db", ready, check=False).returncode == 0, procs=(pgb,))

    def start_redis(self) -> None:
        argv = ["redis-server", "--bind", self.addr["redis"], "--port", str(REDIS_PORT), "--save", ""]
        argv += ["--appendonly", "no", "--protected-mode", "no", "--dir", str(self.tmp)]
        rd = self.spawn("redis", "redis", argv)
        ping = ["redis-cli", "-h", self.addr["redis"], "-p", str(REDIS_PORT), "ping"]
        wait_for("Redis", lambda: "PONG" in self.exec_in("redis", ping, check=False).stdout, procs=(rd,))

    def start_web(self, host: str, *, wait: bool = True) -> None:
        argv = [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"{self.addr[host]}:{WEB_PORT}"]
        argv += ["--workers", str(self.web_workers), "--worker-class", "sync", "--backlog", "2048"]
        argv += ["--timeout", "30", "--graceful-timeout", "5", "--worker-tmp-dir", "/dev/shm", "--log-level", "warning"]
        self.spawn(host, host, argv, env=self.node_env())
        if wait:
            self.wait_web(host)

    def wait_web(self, host: str) -> None:
        probe = self.probe(host, f"http://{self.addr[host]}:{WEB_PORT}/accounts/login/")
        wait_for(f"gunicorn on {host}", probe, procs=(self.procs[host],))

    def probe(self, host: str, url: str) -> Callable[[], bool]:
        """An HTTP GET from `host`'s namespace (curl is not assumed: Python's urllib)."""
        code = (
            "import sys, urllib.request\n"
            "try:\n"
            "    r = urllib.request.urlopen(sys.argv[1], timeout=3)\n"
            "    sys.exit(0 if r.status < 500 else 1)\n"
            "except Exception:\n"
            "    sys.exit(1)\n"
        )
        return lambda: self.exec_in(host, [sys.executable, "-c", code, url], check=False).returncode == 0

    def start_haproxy(self) -> None:
        assert self.tmp is not None
        a = self.addr
        cfg = self.tmp / "haproxy.cfg"
        cfg.write_text(
            f"""global
    maxconn 4000

defaults
    mode http
    option forwardfor
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout queue 10s

frontend www
    bind {a["lb"]}:80
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /accounts/login/ ver HTTP/1.1 hdr Host {a["lb"]}
    # A busy sync worker answers the check late: a long check timeout, and several misses before "down".
    # A dead node refuses connections at once: observe that (layer 4) to take it out without waiting.
    timeout check 5s
    default-server inter 1s fastinter 300ms fall 3 rise 2 observe layer4 error-limit 2 on-error mark-down
    http-response set-header X-Node %[srv_name]
    server web1 {a["web1"]}:{WEB_PORT} check
    server web2 {a["web2"]}:{WEB_PORT} check
"""
        )
        proc = self.spawn("haproxy", "lb", ["haproxy", "-db", "-f", str(cfg)])
        wait_for("HAProxy", self.probe("client", f"{self.lb_url}/accounts/login/"), procs=(proc,))

    def start_workers(self) -> None:
        for host in ("wk1", "wk2"):
            argv = [str(VENV_BIN / "celery"), "-A", "config", "worker", "--concurrency", "1", "--loglevel", "info"]
            argv += ["-n", f"{host}@{self.tag}", "--without-mingle", "--without-gossip"]
            self.spawn(host, host, argv, env={**self.node_env(), "LOG_LEVEL": "INFO"})

    def start_beat(self) -> None:
        assert self.tmp is not None
        argv = [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel", "info"]
        argv += ["-s", str(self.tmp / "celerybeat-schedule")]
        self.spawn("beat", "beat", argv, env={**self.node_env(), "LOG_LEVEL": "INFO"})

    # --- the client -------------------------------------------------------------------------------

    def drive(self, step: str, *, timeout: float = 180.0, **params) -> dict:
        """Run one step of bench/hosts_drive.py inside the client namespace; its last line is the JSON result."""
        return self.drive_async(step, **params)(timeout)

    def drive_async(self, step: str, **params) -> Callable[..., dict]:
        """Start a step; the returned function waits for it (bounded) and returns its result."""
        assert self.tmp is not None
        spec = self.tmp / f"drive-{step}.json"
        spec.write_text(json.dumps({"cluster": self.describe(), "params": params}))
        argv = resolved(["ip", "netns", "exec", self.ns("client"), str(VENV_BIN / "python"), "-m", "bench.hosts_drive"])
        env = {**self.node_env(), "DATABASE_URL": self.describe()["direct_db"]}
        log(f"step {step}")
        proc = subprocess.Popen(
            [*argv, step, str(spec)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.drivers.append(proc)

        def result(timeout: float = 240.0) -> dict:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate(timeout=10)
            (self.logs / f"drive-{step}.log").write_text(err)
            lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode != 0 or not lines:
                raise RuntimeError(f"step {step} failed ({proc.returncode}):\n{out[-3000:]}\n{err[-5000:]}")
            return json.loads(lines[-1][len("RESULT ") :])

        return result

    def alive(self, name: str) -> bool:
        return self.procs[name].alive()


BENCH_RESIDENTS = 4000


def bench_rows(seconds: float = 8.0) -> list:
    """The multi-host rows for `make bench`'s table (bench/run.py's Row): the floor and the hot buy at c=32 and
    c=64, driven by wrk from the client host through HAProxy to both web nodes, PgBouncer in front of
    PostgreSQL. Builds and removes its own cluster (about a minute plus 3 × seconds)."""
    from bench.load import Result
    from bench.run import Row

    # Enough residents that neither run wraps its plan (every request a different resident, as in make bench).
    with Cluster(residents=BENCH_RESIDENTS) as cluster:
        out = cluster.drive("bench", seconds=seconds, timeout=120 + 4 * seconds)
    return [
        Row(Result(**r["result"]), rate=r["rate"], floor=r["floor"], invariants=r["invariants"], note=r["note"])
        for r in out["rows"]
    ]


def table(rows: list) -> list[str]:
    from bench.run import cpu

    lines = [
        "| scenario | c | req/s | ok/s | p50 ms | p99 ms | errors | refusals | × floor "
        "| CPU ms/req web+db | invariants |",
        "|" + "---|" * 11,
    ]
    for r in rows:
        res = r.result
        inv = "OK" if not r.invariants else "FAIL: " + "; ".join(r.invariants)[:300]
        lines.append(
            f"| {res.scenario} | {res.concurrency} | {res.rps:.0f} | {r.rate:.0f} | {res.p50_ms:.1f} | "
            f"{res.p99_ms:.1f} | {res.errors} | {res.refusals} | {r.ratio or 0:.2f} | {cpu(res)} | {inv} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=8.0, help="length of each wrk run")
    args = p.parse_args(argv)
    problems = missing_capabilities()
    if problems:
        raise SystemExit("cannot build the hosts: " + "; ".join(problems))
    # A TERM (a timeout, Ctrl-C from a wrapper) unwinds through the cluster's __exit__ instead of leaving it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("\n".join(table(bench_rows(args.seconds))))


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    main()
