"""A city-sized database (issue 17): the other compounds' data, made by set-based SQL.

`generate(dbname, communities=999, ...)` migrates a fresh database and fills it with
`communities` compounds of `households` households each (buildings of 200 rooms, one user,
membership and household member per household, one leader), one supplier and offer per
compound, `closed` closed buys (each with its purchase order) and `open_buys` open buys per
compound with one main item, ~`entries` entries with one line each spread over those buys
(a few withdrawn), one notification per user, and the buys' and items' counters computed from
their entries. Every row is made by INSERT … SELECT generate_series on the server; foreign keys
are not checked during the load (session_replication_role = replica: the generator makes the
ids itself) and the big tables' secondary indexes are dropped and built again afterwards.

The database is a *template*: a run copies it (CREATE DATABASE … TEMPLATE, file copy) and builds
the measured compound in the copy with bench/data.py exactly as the small scenario does, so the
two runs differ only by the other compounds. A marker table records the generator version, the
migration state and the scale; `ensure()` skips the generation when they match (`--rebuild` forces).

Usage:
  .venv/bin/python bench/city.py build [--rebuild] [--communities 999]   # the template only
  .venv/bin/python bench/city.py run [--seconds 10] [--workers 3]         # small vs city, ratios
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stack import HOST, OUT, PG_ADMIN, VENV_BIN, log  # noqa: E402

GENERATOR_VERSION = 1
TEMPLATE_DB = os.environ.get("BENCH_CITY_TEMPLATE", "jielong_city")
ROOMS = 200  # per building, as bench/data.py
BIG_TABLES = (
    "accounts_user",
    "accounts_household",
    "accounts_membership",
    "accounts_householdmember",
    "accounts_notification",
    "groupbuy_entry",
    "groupbuy_entryline",
)


@dataclass(frozen=True)
class Scale:
    communities: int = 999
    households: int = 1700  # per compound: 1,700 × 999 + the measured one ≈ 1.7 M
    closed: int = 20  # closed buys per compound: 19,980 in all
    open_buys: int = 2  # open buys per compound: 1,998 in all (+ the measured compound's)
    entries: int = 5_000_000  # spread evenly over the buys

    def __post_init__(self) -> None:
        # Entry s of a buy takes household (start + 7 s) mod H: all distinct only if 7 is prime to H.
        if self.households % 7 == 0:
            raise ValueError("households per compound must not be a multiple of 7")

    @property
    def per_buy(self) -> int:
        return max(1, self.entries // (self.communities * (self.closed + self.open_buys)))


def _connect(dbname: str):
    import psycopg2

    return psycopg2.connect(**{**PG_ADMIN, "dbname": dbname})


def _admin(sql: str, params: list | None = None) -> list[tuple]:
    conn = _connect("postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def db_exists(name: str) -> bool:
    return bool(_admin("SELECT 1 FROM pg_database WHERE datname = %s", [name]))


def drop_db(name: str) -> None:
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
    )
    _admin(f'DROP DATABASE IF EXISTS "{name}"')


def migration_state() -> str:
    """A digest of the migration files on disk: a new migration means a new template."""
    names = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/0*.py"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def marker(dbname: str) -> dict | None:
    if not db_exists(dbname):
        return None
    conn = _connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_city_marker')")
            if cur.fetchone()[0] is None:
                return None
            cur.execute("SELECT info FROM bench_city_marker ORDER BY id DESC LIMIT 1")
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def wanted(scale: Scale) -> dict:
    return {"version": GENERATOR_VERSION, "migrations": migration_state(), "scale": asdict(scale)}


def ensure(scale: Scale, dbname: str = TEMPLATE_DB, *, rebuild: bool = False) -> dict:
    """The template database at this scale, generated only when missing or stale. Returns its marker."""
    found = marker(dbname)
    want = wanted(scale)
    if not rebuild and found and all(found.get(k) == v for k, v in want.items()):
        log(f"city: {dbname} is current (built in {found.get('seconds')} s, {found.get('size')}): reused")
        return found
    return generate(scale, dbname)


def migrate(dbname: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{dbname}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    subprocess.run([str(VENV_BIN / "python"), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def generate(scale: Scale, dbname: str = TEMPLATE_DB) -> dict:
    started = time.monotonic()
    drop_db(dbname)
    _admin(f'CREATE DATABASE "{dbname}"')
    migrate(dbname)
    log(f"city: {dbname} migrated; generating {scale}")
    conn = _connect(dbname)
    conn.autocommit = True
    with conn.cursor() as cur:
        steps = fill(cur, scale)
        t = time.monotonic()
        cur.execute("VACUUM (ANALYZE)")
        steps["vacuum analyze"] = round(time.monotonic() - t, 1)
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cur.fetchone()[0]
        info = {**wanted(scale), "seconds": round(time.monotonic() - started), "size": size, "steps": steps}
        cur.execute("CREATE TABLE bench_city_marker (id serial PRIMARY KEY, info jsonb NOT NULL)")
        cur.execute("INSERT INTO bench_city_marker (info) VALUES (%s)", [json.dumps(info)])
    conn.close()
    log(f"city: {dbname} generated in {info['seconds']} s, {size}")
    return info


def fill(cur, scale: Scale) -> dict[str, float]:
    """Load the compounds into the (migrated, empty) database behind `cur`, in autocommit or inside the
    caller's transaction. Returns the seconds each step took."""
    steps: dict[str, float] = {}
    cur.execute("SET session_replication_role = replica")  # no FK triggers: the ids are made here
    cur.execute("SET maintenance_work_mem = '512MB'")
    dropped = _drop_secondary_indexes(cur)
    for name, sql in _load_sql(scale):
        t = time.monotonic()
        cur.execute(sql)
        steps[name] = round(time.monotonic() - t, 1)
        log(f"city: {name}: {cur.rowcount} rows in {steps[name]} s")
    t = time.monotonic()
    for definition in dropped:
        cur.execute(definition)
    steps["indexes"] = round(time.monotonic() - t, 1)
    log(f"city: {len(dropped)} secondary indexes built in {steps['indexes']} s")
    for table in _id_tables(cur):
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )
    cur.execute("SET session_replication_role = DEFAULT")
    return steps


def _id_tables(cur) -> list[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id'"
        " AND is_identity = 'YES'"
    )
    return [r[0] for r in cur.fetchall()]


def _drop_secondary_indexes(cur) -> list[str]:
    """Drop the big tables' indexes that no constraint owns (built again, faster, after the load)."""
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(BIG_TABLES)],
    )
    rows = cur.fetchall()
    for name, _ in rows:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def _load_sql(s: Scale) -> list[tuple[str, str]]:
    """The statements, in order. Ids are computed (compound c in 0..C-1, household k in 0..H-1), so
    each table's rows can point at the others' without a lookup."""
    C, H, NB = s.communities, s.households, -(-s.households // ROOMS)  # noqa: N806
    BPC = s.closed + s.open_buys  # noqa: N806 - buys per compound
    N = s.per_buy  # noqa: N806
    # Variation per buy around N (mean N): 0.8N .. 1.2N, never above H (one live entry per household).
    n_of = f"least({H}, greatest(1, ({N} * 8 + ((b.id * 7919) % ({N} * 4 + 1))) / 10))"
    return [
        (
            "communities",
            f"""INSERT INTO accounts_community (id, name, district, address, created_at)
            SELECT c + 1, '城市小区 ' || (c + 1), 'city', '', now() - interval '400 days'
            FROM generate_series(0, {C - 1}) c""",
        ),
        (
            "buildings",
            f"""INSERT INTO accounts_building (id, label, sort_key, community_id)
            SELECT c * {NB} + n + 1, (n + 1)::text, n + 1, c + 1
            FROM generate_series(0, {C - 1}) c, generate_series(0, {NB - 1}) n""",
        ),
        (
            "households",
            f"""INSERT INTO accounts_household (id, room, is_vulnerable, note, building_id, community_id)
            SELECT c * {H} + k + 1, ((k % {ROOMS}) / 4 + 1)::text || lpad((k % 4 + 1)::text, 2, '0'),
                   k % 97 = 0, '', c * {NB} + k / {ROOMS} + 1, c + 1
            FROM generate_series(0, {C - 1}) c, generate_series(0, {H - 1}) k""",
        ),
        (
            "users",
            f"""INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
                is_active, date_joined, display_name, phone, preferred_language, sms_notices, phone_verified)
            SELECT u + 1, '!city-no-password', false, 'city' || u, '', '', '', false, true,
                   now() - interval '300 days', '居民' || u, '', '', false, false
            FROM generate_series(0, {C * H + C - 1}) u""",
        ),
        (
            "memberships",
            f"""INSERT INTO accounts_membership (id, is_active, is_resident, is_team_leader, is_building_leader,
                volunteer_group, is_committee, is_gate_guard, created_at, community_id, household_id, user_id)
            SELECT u + 1, true, true, u >= {C * H}, false, '', false, false, now() - interval '300 days',
                   CASE WHEN u >= {C * H} THEN u - {C * H} ELSE u / {H} END + 1,
                   CASE WHEN u >= {C * H} THEN NULL ELSE u + 1 END, u + 1
            FROM generate_series(0, {C * H + C - 1}) u""",
        ),
        (
            "household members",
            f"""INSERT INTO accounts_householdmember (id, name, phone, note, created_at, household_id, user_id)
            SELECT u + 1, '居民' || u, '', '', now() - interval '300 days', u + 1, u + 1
            FROM generate_series(0, {C * H - 1}) u""",
        ),
        (
            "suppliers",
            f"""INSERT INTO groupbuy_supplier (id, name, contact_name, phone, categories, is_supply_guaranteed,
                created_at, community_id, created_by_id)
            SELECT c + 1, '供应商 ' || (c + 1), '', '', '', false, now() - interval '300 days', c + 1, {C * H} + c + 1
            FROM generate_series(0, {C - 1}) c""",
        ),
        (
            "offers",
            f"""INSERT INTO groupbuy_offer (id, title, description, category, unit, unit_price, supplier_cost,
                pack_size, is_active, created_at, supplier_id)
            SELECT c + 1, '蔬菜套餐', '', '', '份', 25.00, 20.00, 1, true, now() - interval '300 days', c + 1
            FROM generate_series(0, {C - 1}) c""",
        ),
        (
            # Buy j of compound c: j < closed are past (closed at their deadline, most completed), the rest open.
            "buys",
            f"""INSERT INTO groupbuy_groupbuy (id, title, description, kind, status, moq_kind, moq, household_limit,
                deadline, delivery_date, distribution_mode, allocation_rule, close_when_formed, drop_point,
                total_units, total_amount, entry_count, last_seq, created_at, opened_at, formed_at, closed_at,
                ordered_at, ended_at, cancel_reason, community_id, leader_id, main_units, current_pool_id)
            SELECT c * {BPC} + j + 1, '团购 ' || (j + 1), '', 'fair',
                   CASE WHEN j >= {s.closed} THEN 'open' WHEN j < {s.closed} - 3 THEN 'completed'
                        WHEN j = {s.closed} - 3 THEN 'ordered' WHEN j = {s.closed} - 2 THEN 'distributing'
                        ELSE 'closed' END,
                   'units', 50, NULL, d.deadline, (d.deadline + interval '2 days')::date, 'building', 'fcfs', false,
                   '3号门', 0, 0, 0, 0, d.deadline - interval '3 days', d.deadline - interval '3 days',
                   NULL, CASE WHEN j < {s.closed} THEN d.deadline END,
                   CASE WHEN j < {s.closed} THEN d.deadline + interval '1 hour' END,
                   CASE WHEN j < {s.closed} - 3 THEN d.deadline + interval '3 days' END,
                   '', c + 1, {C * H} + c + 1, 0, NULL
            FROM generate_series(0, {C - 1}) c, generate_series(0, {BPC - 1}) j,
                 LATERAL (SELECT CASE WHEN j < {s.closed} THEN now() - (({s.closed} - j) * interval '7 days')
                                      ELSE now() + ((j - {s.closed} + 1) * interval '2 days') END AS deadline) d""",
        ),
        (
            "items",
            """INSERT INTO groupbuy_buyitem (id, is_main, unit_price, supplier_cost, cap, total_quantity, position,
                buy_id, offer_id)
            SELECT b.id, true, 25.00, 20.00, NULL, 0, 0, b.id, b.community_id FROM groupbuy_groupbuy b""",
        ),
        (
            # Entry s of buy b: household (start + 7 s) mod H of its compound (7 is prime to H: all distinct);
            # one in 20 withdrawn; made between opening and the deadline.
            "entries",
            f"""INSERT INTO groupbuy_entry (id, seq, status, display_name, note, units, amount, idempotency_key,
                created_at, updated_at, household_id, placed_by_id, placed_for_id, buy_id, idempotency_digest)
            SELECT (b.id - 1) * {H} + s + 1, s + 1, CASE WHEN s % 20 = 19 THEN 'withdrawn' ELSE 'active' END,
                   '居民' || h.u, '', 1 + s % 3, 25.00 * (1 + s % 3), '',
                   b.opened_at + (s * interval '1 second'), b.opened_at + (s * interval '1 second'),
                   h.u + 1, h.u + 1, NULL, b.id, ''
            FROM groupbuy_groupbuy b,
                 LATERAL generate_series(0, {n_of} - 1) s,
                 LATERAL (SELECT (b.community_id - 1) * {H} + ((b.id * 131 + s * 7) % {H}) AS u) h""",
        ),
        (
            "entry lines",
            """INSERT INTO groupbuy_entryline (id, quantity, tolerance, allocated, entry_id, item_id)
            SELECT e.id, e.units, 0, NULL, e.id, e.buy_id FROM groupbuy_entry e""",
        ),
        (
            "buy counters",
            """UPDATE groupbuy_groupbuy b SET entry_count = a.n_active, total_units = a.units,
                main_units = a.units, total_amount = a.amount, last_seq = a.n_all
            FROM (SELECT buy_id, count(*) FILTER (WHERE status = 'active') AS n_active,
                         coalesce(sum(units) FILTER (WHERE status = 'active'), 0) AS units,
                         coalesce(sum(amount) FILTER (WHERE status = 'active'), 0) AS amount, count(*) AS n_all
                  FROM groupbuy_entry GROUP BY buy_id) a
            WHERE a.buy_id = b.id""",
        ),
        (
            "item counters",
            """UPDATE groupbuy_buyitem i SET total_quantity = b.main_units
            FROM groupbuy_groupbuy b WHERE b.id = i.buy_id""",
        ),
        (
            "purchase orders",
            """INSERT INTO groupbuy_purchaseorder (id, created_at, total_cost, total_amount, buy_id)
            SELECT b.id, b.closed_at, 20.00 * b.main_units, b.total_amount, b.id
            FROM groupbuy_groupbuy b WHERE b.closed_at IS NOT NULL""",
        ),
        (
            "purchase order lines",
            """INSERT INTO groupbuy_purchaseorderline (id, quantity, packs, unit_cost, amount, item_id, order_id)
            SELECT o.id, b.main_units, b.main_units, 20.00, 20.00 * b.main_units, o.buy_id, o.id
            FROM groupbuy_purchaseorder o JOIN groupbuy_groupbuy b ON b.id = o.buy_id""",
        ),
        (
            # One notice per resident (read, SMS long sent): what a compound's history leaves behind.
            "notifications",
            f"""INSERT INTO accounts_notification (id, kind, params, link, dedupe_key, created_at, read_at,
                community_id, user_id, sms_due_at, sms_sent_at, sms_state, sms_tries)
            SELECT u + 1, 'buy_closed', '{{}}', '', 'city-' || u, now() - interval '20 days',
                   CASE WHEN u % 10 = 0 THEN NULL ELSE now() - interval '19 days' END,
                   u / {H} + 1, u + 1, NULL, NULL, '', 0
            FROM generate_series(0, {C * H - 1}) u""",
        ),
    ]


# --- the measured runs ------------------------------------------------------------------------------


def clone(template: str, name: str) -> None:
    """A fresh copy of the template for one run (file copy: seconds per GB, no WAL for the data)."""
    drop_db(name)
    t = time.monotonic()
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    log(f"city: {name} copied from {template} in {time.monotonic() - t:.0f} s")


def _phase(args: argparse.Namespace) -> None:
    """In a child process whose BENCH_DB_NAME (and, for the city, BENCH_DB_TEMPLATE) is set: build the
    measured compound as `make bench` does, run the floor, the hot buy and the two pages, write the rows."""
    from bench import run

    bench_args = run.parse_args(["--seconds", str(args.seconds), "--workers", str(args.workers), "--no-profile"])
    bench = run.Bench(bench_args)
    try:
        bench.prepare()
        worker, beat = run.stack.start_celery(bench.env)
        bench.procs += [worker, beat]
        bench.start_gunicorn(bench_args.workers)
        bench.floor(8, 2, record=False)  # warm every worker's connection
        f32 = bench.floor(32)
        bench.signups("hot buy", [bench.hot[32]], 32, f32)
        bench.data.retire(bench.spread)  # as make bench does before the pages
        bench.pages(f32)
    finally:
        bench.shutdown()
    rows = [
        {
            "scenario": r.result.scenario,
            "concurrency": r.result.concurrency,
            "rate": r.rate,
            "floor_ratio": r.ratio,
            "web_cpu_ms": r.result.web_cpu_ms,
            "db_cpu_ms": r.result.db_cpu_ms,
            "p99_ms": r.result.p99_ms,
            "invariants": r.invariants,
        }
        for r in bench.rows
    ]
    (OUT / f"city-{args.phase}.json").write_text(json.dumps(rows, ensure_ascii=False))


def compare(args: argparse.Namespace, *, template: str) -> str:
    """The same scenarios on the small database and on a copy of the city: rows side by side, ratio city/small."""
    base = os.environ.get("BENCH_DB_NAME", "jielong_bench")
    found: dict[str, list[dict]] = {}
    for phase, extra in (("small", {}), ("city", {"BENCH_DB_TEMPLATE": template})):
        env = {**os.environ, "BENCH_DB_NAME": f"{base}_{phase}", **extra}
        if phase == "small":
            env.pop("BENCH_DB_TEMPLATE", None)
        argv = [str(VENV_BIN / "python"), str(Path(__file__)), "phase", "--phase", phase, "--template", template]
        argv += ["--seconds", str(args.seconds), "--workers", str(args.workers)]
        subprocess.run(argv, cwd=ROOT, env=env, check=True)
        found[phase] = json.loads((OUT / f"city-{phase}.json").read_text())
    names = {"hot buy": "hot buy", "page: buy list": "buy list"}
    lines = [
        "| scenario | small req/s | city req/s | small CPU ms/req web+db | city CPU ms/req web+db "
        "| small × floor | city × floor | ratio city/small (req/s) | ratio (CPU, small/city) | invariants |",
        "|" + "---|" * 10,
    ]
    for small in found["small"]:
        city = next((r for r in found["city"] if r["scenario"] == small["scenario"]), None)
        if city is None:
            continue
        label = names.get(small["scenario"], "buy page" if small["scenario"].startswith("page: buy (") else "floor")
        if small["scenario"].startswith("page: live refresh"):
            label = "live refresh (304)"
        cpu_small = (small["web_cpu_ms"] or 0) + (small["db_cpu_ms"] or 0)
        cpu_city = (city["web_cpu_ms"] or 0) + (city["db_cpu_ms"] or 0)
        ratio = city["rate"] / small["rate"] if small["rate"] else 0.0
        cpu_ratio = cpu_small / cpu_city if cpu_city else 0.0
        # The floor is the yardstick, not a target: its own city/small ratio shows how the host's speed moved
        # between the two phases.
        judged = "(host drift)" if label == "floor" else f"{'met' if ratio >= 0.9 else 'MISSED'} (≥ 0.9)"
        fl = [f"{r['floor_ratio']:.2f}" if r["floor_ratio"] else "–" for r in (small, city)]
        inv = (
            "OK"
            if not (small["invariants"] or city["invariants"])
            else "FAIL: " + "; ".join(small["invariants"] + city["invariants"])
        )
        lines.append(
            f"| city: {label} | {small['rate']:.0f} | {city['rate']:.0f} "
            f"| {small['web_cpu_ms'] or 0:.1f}+{small['db_cpu_ms'] or 0:.1f} "
            f"| {city['web_cpu_ms'] or 0:.1f}+{city['db_cpu_ms'] or 0:.1f} | {fl[0]} | {fl[1]} "
            f"| {ratio:.2f} {judged} | {cpu_ratio:.2f} | {inv} |"
        )
    text = "\n".join(lines)
    (OUT / "city-last-run.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return text


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("build", "run", "phase"))
    p.add_argument("--phase", choices=("small", "city"), help=argparse.SUPPRESS)
    p.add_argument("--rebuild", action="store_true", help="generate even if the template is current")
    p.add_argument("--communities", type=int, default=Scale.communities)
    p.add_argument("--households", type=int, default=Scale.households)
    p.add_argument("--entries", type=int, default=Scale.entries)
    p.add_argument("--template", default=TEMPLATE_DB)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=3)
    args = p.parse_args(argv)
    if args.what == "phase":
        _phase(args)
        return
    scale = Scale(communities=args.communities, households=args.households, entries=args.entries)
    info = ensure(scale, args.template, rebuild=args.rebuild)
    print(json.dumps(info, ensure_ascii=False))
    if args.what == "run":
        compare(args, template=args.template)


if __name__ == "__main__":
    main()
