"""The steps of a cluster run (bench/hosts.py), run INSIDE the client namespace:

    python -m bench.hosts_drive <step> <spec.json>      (Cluster.drive does this)

Django is configured like the nodes but talks to PostgreSQL directly (the checks' own eyes, not through
PgBouncer); HTTP goes to HAProxy or straight to one web node. Each step prints `RESULT <json>` last; the
asserting is done by the caller (tests/reliability/test_multihost.py), so a bench run prints the same figures.
Processes are killed by the pids the cluster handed over (one pid namespace for all the hosts).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RACE_RESIDENTS = 120
RACE_CAP = 30
KILL_RESIDENTS = 300
AFTER_KILL_RESIDENTS = 40  # of those, sent only after the dead node is marked down
CLOSE_DEADLINE_S = 12.0


def log(msg: str) -> None:
    print(f"[drive {time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


# --- HTTP -------------------------------------------------------------------------------------------------


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, cookies: dict[str, str]):
        self.status, self.headers, self.body, self.cookies = status, headers, body, cookies

    def json(self) -> dict:
        return json.loads(self.body)


def call(
    base: str, method: str, path: str, *, headers: dict | None = None, body: bytes | str = b"", timeout: float = 15
) -> Answer:
    """One request on a fresh connection (as a phone would open). Socket errors raise OSError."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        cookies = {}
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, cookies)
    finally:
        conn.close()


def signup_request(base: str, resident: dict, buy: dict, key: str | None = None) -> Answer:
    body = json.dumps({"quantities": {str(buy["item_id"]): 1}})
    headers = {
        "Authorization": f"Token {resident['token']}",
        "Idempotency-Key": key or uuid.uuid4().hex,
        "Content-Type": "application/json",
    }
    return call(base, "POST", f"/api/buys/{buy['id']}/entries/", headers=headers, body=body)


# --- steps ------------------------------------------------------------------------------------------------


class Drive:
    def __init__(self, spec: dict):
        self.cluster = spec["cluster"]
        self.params = spec["params"]
        self.tmp = Path(self.cluster["tmp"])
        self.world_path = self.tmp / "world.json"
        import django

        django.setup()

    @property
    def world(self) -> dict:
        return json.loads(self.world_path.read_text())

    # setup: schema, static files, the people and the buys ---------------------------------------------

    def setup(self) -> dict:
        from django.core.management import call_command
        from knox.models import AuthToken

        from accounts.models import User
        from bench import data
        from groupbuy.services.signup import SIGNUP_LIMIT

        t = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        migrate_s = time.monotonic() - t
        call_command("collectstatic", interactive=False, verbosity=0)
        world = data.build_world(residents=self.cluster["residents"])
        data.make_sessions(world, 3)
        leader = User.objects.get(pk=world.leader_id)
        password = uuid.uuid4().hex
        leader.set_password(password)
        leader.save()
        _, leader_token = AuthToken.objects.create(leader)
        buys = {
            "race": data.make_buys(world, 1, title="hosts race", cap=RACE_CAP, moq=RACE_CAP)[0],
            "kill": data.make_buys(world, 1, title="hosts kill")[0],
            "hot": data.make_buys(world, 1, title="hosts hot", moq=100)[0],
            "hot64": data.make_buys(world, 1, title="hosts hot c64", moq=100)[0],
            "floor": data.floor_buy(world),
        }
        limit_buys = data.make_buys(world, SIGNUP_LIMIT + 1, title="hosts limit")
        data.analyze()
        out = {
            "community_id": world.community_id,
            "leader": {"id": leader.pk, "username": leader.username, "password": password, "token": leader_token},
            "offer_id": world.offer_id,
            "residents": [asdict(r) for r in world.residents],
            "sessions": world.sessions,
            "buys": {k: asdict(v) for k, v in buys.items()},
            "limit_buys": [asdict(b) for b in limit_buys],
            "signup_limit": SIGNUP_LIMIT,
        }
        self.world_path.write_text(json.dumps(out))
        return {"migrate_s": round(migrate_s, 1), "setup_s": round(time.monotonic() - t, 1)}

    # a. the hot-buy race across both nodes ----------------------------------------------------------

    def race(self) -> dict:
        from bench import data
        from groupbuy.models import Entry

        w = self.world
        buy = w["buys"]["race"]
        residents = w["residents"][:RACE_RESIDENTS]
        lb = self.cluster["lb"]

        def one(r):
            try:
                return signup_request(lb, r, buy)
            except OSError as exc:
                return Answer(0, {}, str(exc).encode(), {})

        with ThreadPoolExecutor(max_workers=24) as pool:
            answers = list(pool.map(one, residents))
        ok_ids = sorted(a.json()["id"] for a in answers if 200 <= a.status < 300)
        stored = sorted(Entry.objects.filter(buy_id=buy["id"], status="active").values_list("id", flat=True))
        return {
            "cap": RACE_CAP,
            "attempts": len(residents),
            "statuses": dict(Counter(str(a.status) for a in answers)),
            "by_node": dict(Counter(a.headers.get("x-node", "?") for a in answers)),
            "ok_ids": ok_ids,
            "stored_ids": stored,
            "oversell": data.oversell(data.Buy(**buy)),
            "problems": data.check_buys([buy["id"]]),
        }

    # b. one web node killed mid-run --------------------------------------------------------------------

    def web_kill(self) -> dict:
        from groupbuy.models import Entry

        w = self.world
        buy = w["buys"]["kill"]
        residents = w["residents"][RACE_RESIDENTS : RACE_RESIDENTS + KILL_RESIDENTS]
        lb = self.cluster["lb"]
        victim = self.params.get("victim", "web1")
        pid = self.cluster["pids"][victim]
        done = Counter()
        killed_at: list[float] = []
        lock = threading.Lock()

        tail = len(residents) - AFTER_KILL_RESIDENTS

        def one(n_r):
            n, r = n_r
            if n >= tail:
                # The last residents start only once HAProxy has had time to mark the dead node down (checks every
                # second, 300 ms once failing, down after 3 failures or 2 connection errors), however fast the
                # rest ran: they show the other node serving on.
                waited = time.monotonic() + 60
                while time.monotonic() < waited and not (killed_at and time.monotonic() > killed_at[0] + 3.5):
                    time.sleep(0.1)
            key = uuid.uuid4().hex  # one key per sign-up: a retry is the same request (the phone's retry)
            tries = []
            for _attempt in range(5):
                started = time.monotonic()
                try:
                    a = signup_request(lb, r, buy, key)
                    tries.append({"t": started, "status": a.status, "node": a.headers.get("x-node", "?"), "id": _id(a)})
                    if a.status < 500:
                        break
                except OSError as exc:
                    tries.append({"t": started, "status": 0, "node": "?", "error": str(exc)})
                time.sleep(0.3)
            with lock:
                done["n"] += 1
                if done["n"] == len(residents) // 3 and not killed_at:
                    os.killpg(pid, signal.SIGKILL)  # the whole gunicorn: master and workers, no goodbye
                    killed_at.append(time.monotonic())
                    log(f"killed {victim} (pgid {pid})")
            return {"household_id": r["household_id"], "tries": tries}

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(one, enumerate(residents)))
        kill_t = killed_at[0] if killed_at else float("inf")
        answered_ok = {
            t["id"] for res in results for t in res["tries"] if 200 <= t["status"] < 300 and t["id"] is not None
        }
        stored = set(Entry.objects.filter(buy_id=buy["id"], status="active").values_list("id", flat=True))
        per_household = Counter(
            Entry.objects.filter(buy_id=buy["id"], status="active").values_list("household_id", flat=True)
        )
        after = [res["tries"][0] for res in results if res["tries"][0]["t"] > kill_t + 3.0]
        return {
            "victim": victim,
            "killed": bool(killed_at),
            "attempts": len(residents),
            "first_statuses": dict(Counter(str(res["tries"][0]["status"]) for res in results)),
            "final_statuses": dict(Counter(str(res["tries"][-1]["status"]) for res in results)),
            "retried": sum(len(res["tries"]) > 1 for res in results),
            "answered_ok_not_stored": sorted(answered_ok - stored),
            "stored": len(stored),
            "households_with_two_entries": sum(1 for n in per_household.values() if n > 1),
            "households_without_entry": sum(1 for res in results if res["household_id"] not in per_household),
            "after_kill": len(after),
            "after_kill_statuses": dict(Counter(str(t["status"]) for t in after)),
            "after_kill_nodes": dict(Counter(t["node"] for t in after)),
            "by_node_before": dict(
                Counter(res["tries"][0]["node"] for res in results if res["tries"][0]["t"] < kill_t)
            ),
        }

    # c. a worker killed mid-close ----------------------------------------------------------------------

    def close_kill(self) -> dict:
        import datetime

        import psycopg2
        from django.utils import timezone

        from accounts.models import Household, User
        from bench import data
        from config.celery import app
        from groupbuy.models import BuyStatus, EntryLine, GroupBuy, PurchaseOrder
        from groupbuy.services.signup import signup_create
        from groupbuy.tasks import close_group_buy

        w = self.world
        deadline = timezone.now() + datetime.timedelta(seconds=CLOSE_DEADLINE_S)
        world = data.World(w["community_id"], w["leader"]["id"], w["offer_id"], [])
        buy = data.make_buys(world, 1, title="hosts close", moq=3, deadline=deadline)[0]
        row = GroupBuy.objects.get(pk=buy.id)
        for r in w["residents"][-3:]:
            signup_create(
                actor=User.objects.get(pk=r["user_id"]),
                buy=row,
                household=Household.objects.select_related("building").get(pk=r["household_id"]),
                quantities={buy.item_id: 1},
            )
        assert GroupBuy.objects.get(pk=buy.id).status == BuyStatus.FORMED
        line_ids = list(EntryLine.objects.filter(entry__buy_id=buy.id).order_by("pk").values_list("pk", flat=True))

        dsn = self.cluster["direct_db"]
        holder, watcher = psycopg2.connect(dsn), psycopg2.connect(dsn)
        watcher.autocommit = True

        def waiting_on(table: str) -> list[int]:
            with watcher.cursor() as cur:
                cur.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
                    [f"%{table}%"],
                )
                return [r[0] for r in cur.fetchall()]

        with holder.cursor() as cur:  # the close will stop here, mid-transaction, holding the buy row
            cur.execute("SELECT id FROM groupbuy_entryline WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [line_ids])
        close_group_buy.delay(buy.id)
        until(lambda: waiting_on("groupbuy_entryline"), 20, "the close blocked on the entry lines")
        victim_backends = set(waiting_on("groupbuy_entryline"))
        active = app.control.inspect(timeout=3).active() or {}
        running = [node for node, tasks in active.items() if any(t["name"].endswith("close_group_buy") for t in tasks)]
        by_node = {v: k for k, v in self.cluster["celery_nodes"].items()}
        assert len(running) == 1, active
        victim = by_node[running[0]]
        os.killpg(self.cluster["pids"][victim], signal.SIGKILL)  # the whole worker: master and pool child
        killed = time.monotonic()
        log(f"killed worker {victim} while it ran the close")
        # PgBouncer drops the dead client's server connection: its transaction rolls back, the lock goes.
        # (The survivor's sweep may be blocked there by then too, once the deadline passed: other backends.)
        until(
            lambda: not victim_backends & set(waiting_on("groupbuy_entryline")),
            20,
            "the killed worker's transaction to end",
        )
        mid = {
            "status": GroupBuy.objects.get(pk=buy.id).status,
            "purchase_orders": PurchaseOrder.objects.filter(buy_id=buy.id).count(),
        }
        holder.rollback()
        holder.close()
        watcher.close()
        until(lambda: GroupBuy.objects.get(pk=buy.id).status == BuyStatus.CLOSED, 60, "the close by the survivor")
        closed_after = time.monotonic() - killed
        time.sleep(6)  # one more sweep: it must find nothing to do
        survivor = "wk2" if victim == "wk1" else "wk1"
        survivor_log = (self.tmp / "logs" / f"{survivor}.log").read_text(errors="replace")
        return {
            "victim": victim,
            "survivor": survivor,
            "while_killed": mid,
            "status": GroupBuy.objects.get(pk=buy.id).status,
            "purchase_orders": PurchaseOrder.objects.filter(buy_id=buy.id).count(),
            "closed_s_after_kill": round(closed_after, 1),
            "survivor_sweeps_closed": len(
                re.findall(r"sweep_group_buys\[[^\]]+\] succeeded in [0-9.]+s: \{[^}]*'closed': 1", survivor_log)
            ),
            "problems": data.check_buys([buy.id]),
        }

    # d. shared state: sessions, rate limits, the cache, uploads ----------------------------------------

    def shared(self) -> dict:
        from groupbuy.models import OfferPhoto, PhotoStatus

        w = self.world
        web1, web2 = self.cluster["web"]["web1"], self.cluster["web"]["web2"]
        out: dict = {}

        # Session: log in on node 1, use the session on node 2.
        form = call(web1, "GET", "/accounts/login/?staff=1")
        csrf = form.cookies["csrftoken"]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1).decode()
        login = call(
            web1,
            "POST",
            "/accounts/login/?staff=1",
            headers={"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(
                {"username": w["leader"]["username"], "password": w["leader"]["password"], "csrfmiddlewaretoken": token}
            ),
        )
        session = login.cookies.get("sessionid", "")
        home2 = call(web2, "GET", "/", headers={"Cookie": f"sessionid={session}"})
        anonymous2 = call(web2, "GET", "/")
        out["session"] = {
            "login_status_node1": login.status,
            "home_node2_with_session": home2.status,
            "home_node2_without": anonymous2.status,
            "login_redirect_without": anonymous2.headers.get("location", ""),
        }

        # Rate limit: one resident's sign-ups, alternating nodes, counted once (fixed one-minute windows: start
        # early in a minute so the run does not straddle two).
        limit = w["signup_limit"]
        if time.time() % 60 > 50:
            time.sleep(61 - time.time() % 60)
        resident = w["residents"][RACE_RESIDENTS + KILL_RESIDENTS]
        statuses = []
        for n, buy in enumerate(w["limit_buys"]):
            statuses.append(signup_request(web1 if n % 2 == 0 else web2, resident, buy).status)
        out["rate_limit"] = {"limit": limit, "statuses": statuses}

        # Cache: the login lockout's counters (django-axes on the cache): failures alternate nodes.
        victim_user = f"bench{RACE_RESIDENTS + KILL_RESIDENTS + 1:05d}"
        attempts = []
        for n in range(12):
            base = web1 if n % 2 == 0 else web2
            attempts.append(
                call(
                    base,
                    "POST",
                    "/accounts/login/?staff=1",
                    headers={"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
                    body=urlencode({"username": victim_user, "password": "wrong", "csrfmiddlewaretoken": token}),
                ).status
            )
        from django.conf import settings

        out["lockout"] = {"limit": settings.AXES_FAILURE_LIMIT, "statuses": attempts}

        # Upload: through node 1, processed by a worker, served by node 2.
        photo = jpeg()
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="p.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + photo
            + f"\r\n--{boundary}--\r\n".encode()
        )
        up = call(
            web1,
            "POST",
            f"/api/offers/{w['offer_id']}/photos/",
            headers={
                "Authorization": f"Token {w['leader']['token']}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
            body=body,
        )
        photo_id = up.json().get("id") if up.status == 201 else None
        processed_by = []
        served = None
        if photo_id:
            until(lambda: OfferPhoto.objects.get(pk=photo_id).status != PhotoStatus.PENDING, 60, "photo processed")
            for wk in ("wk1", "wk2"):
                text = (self.tmp / "logs" / f"{wk}.log").read_text(errors="replace")
                if re.search(r"process_offer_photo\[[^\]]+\] succeeded", text):
                    processed_by.append(wk)
            got = call(web2, "GET", f"/buys/photos/{photo_id}/full/", headers={"Cookie": f"sessionid={session}"})
            served = {"status": got.status, "type": got.headers.get("content-type"), "bytes": len(got.body)}
        out["upload"] = {
            "status_node1": up.status,
            "photo_status": OfferPhoto.objects.get(pk=photo_id).status if photo_id else None,
            "processed_by": processed_by,
            "served_by_node2": served,
        }
        return out

    # the bench: wrk through HAProxy ------------------------------------------------------------------

    def bench(self) -> dict:
        from bench import data, endpoints, load
        from bench.data import Buy, Resident
        from bench.run import stored_matches

        seconds = float(self.params.get("seconds", 8))
        w = self.world
        lb_host = self.cluster["addr"]["lb"]
        floor_buy, hot_buy = Buy(**w["buys"]["floor"]), Buy(**w["buys"]["hot"])
        residents = [Resident(**r) for r in w["residents"]]
        floor_plan = load.write_plan(f"hosts-floor-{os.getpid()}", [endpoints.floor(floor_buy, w["leader"]["id"])])
        warm = self.wrk(load, "hosts warm-up", floor_plan, lb_host, 8, 2)  # every worker's connections
        floor = self.wrk(load, "hosts floor", floor_plan, lb_host, 32, seconds)
        accepted = warm.statuses.get("201", 0) + floor.statuses.get("201", 0)
        rows = [
            {
                "result": asdict(floor),
                "rate": floor.ok_per_s,
                "floor": floor.ok_per_s,
                "invariants": data.check_floor(floor_buy, accepted),
                "note": "2 nodes behind HAProxy, PgBouncer",
            }
        ]
        # Each concurrency on a buy of its own, every request a different resident (no "already signed up").
        for c, buy in ((32, hot_buy), (64, Buy(**w["buys"]["hot64"]))):
            ids = [buy.id]
            before = data.entries_in(ids)
            plan = load.write_plan(f"hosts-hot-c{c}-{os.getpid()}", [endpoints.signup(r, buy) for r in residents])
            res = self.wrk(load, "hosts hot buy", plan, lb_host, c, seconds)
            time.sleep(1)  # what was still queued when wrk stopped
            problems = data.check_buys(ids) + stored_matches(res, data.entries_in(ids) - before)
            rows.append(
                {
                    "result": asdict(res),
                    "rate": res.ok_per_s,
                    "floor": floor.ok_per_s,
                    "invariants": problems,
                    "note": "2 nodes behind HAProxy, PgBouncer",
                }
            )
        return {"rows": rows}

    def wrk(self, load, scenario, plan, host, concurrency, seconds):
        """wrk through HAProxy, with the CPU per request of both nodes' gunicorn workers and of PostgreSQL."""
        import psycopg2

        from bench.stack import cpu_seconds, worker_pids

        masters = [self.cluster["pids"]["web1"], self.cluster["pids"]["web2"]]
        conn = psycopg2.connect(self.cluster["direct_db"])
        conn.autocommit = True

        def sample() -> tuple[dict[int, float], dict[int, float]]:
            with conn.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                db = {row[0]: cpu_seconds(row[0]) for row in cur.fetchall()}
            return {p: cpu_seconds(p) for m in masters for p in worker_pids(m)}, db

        web_pids = [p for m in masters for p in worker_pids(m)]
        sys_before = sum(system_seconds(p) for p in web_pids)
        before = sample()
        res = load.run_wrk(scenario, plan, port=80, concurrency=concurrency, seconds=seconds, host=host)
        after = sample()
        sys_used = sum(system_seconds(p) for p in web_pids) - sys_before
        conn.close()
        if res.requests:
            web = sum(v - before[0].get(p, 0.0) for p, v in after[0].items())
            db = sum(v - before[1].get(p, 0.0) for p, v in after[1].items())
            res.web_cpu_ms, res.db_cpu_ms = 1000 * web / res.requests, 1000 * db / res.requests
            log(
                f"   {scenario}: web CPU {res.web_cpu_ms:.2f} ms/req, "
                f"of which kernel {1000 * sys_used / res.requests:.2f}"
            )
        return res


def _id(answer: Answer) -> int | None:
    try:
        return answer.json().get("id") if 200 <= answer.status < 300 else None
    except ValueError:
        return None


def system_seconds(pid: int) -> float:
    """Kernel CPU time of a process (the network stack's work on its sends is charged to it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return int(fields[12]) / os.sysconf("SC_CLK_TCK")


def until(ok, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.linear_gradient("L").resize((640, 480)).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def main() -> None:
    step, spec_path = sys.argv[1], sys.argv[2]
    drive = Drive(json.loads(Path(spec_path).read_text()))
    result = getattr(drive, step)()
    print("RESULT " + json.dumps(result, ensure_ascii=False, default=str), flush=True)


if __name__ == "__main__":
    main()
