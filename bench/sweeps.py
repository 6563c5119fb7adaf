"""The beat sweeps must cost O(due rows), not O(all rows) (issue 17): measured on a copy of the city.

For each sweep, inside one transaction that is rolled back afterwards (so nothing is sent, and the
next measurement starts from the same data): seed a few due rows and `scale` × the base number of
rows that are not due (open buys whose deadline is ahead, history: closed buys, resolved price
changes, expired suspensions, approved filings, sent SMS, processed photos), then run the sweep
and count its statements, the table rows its scans read (pg_stat_xact_user_tables: seq_tup_read +
idx_tup_fetch, this transaction only) and its time. Done at scale 1 and 10: the rows read must not
grow with the rows that are not due.

Usage: .venv/bin/python bench/sweeps.py [--template jielong_city] [--db NAME]
(the default copies the city template, bench/city.py, into $BENCH_DB_NAME_sweeps).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import city  # noqa: E402
from bench.stack import HOST, OUT, log  # noqa: E402

DUE = 3  # due rows of each kind

BUY_COLUMNS = (
    "title, description, kind, status, moq_kind, moq, household_limit, deadline, delivery_date, distribution_mode,"
    " allocation_rule, close_when_formed, drop_point, total_units, total_amount, entry_count, last_seq, created_at,"
    " opened_at, formed_at, closed_at, ordered_at, ended_at, cancel_reason, community_id, leader_id, main_units,"
    " current_pool_id"
)


def _sql(cur, sql: str, params: list | None = None) -> None:
    cur.execute(sql, params)


def seed_buys(cur, scale: int) -> None:
    """History: every closed buy formed a day before it closed (old news for the lost-notice check), and
    `scale` - 1 more copies of every open and closed buy (not due); DUE open buys past their deadline;
    processed offer photos (scale × 1 per buy) and DUE stale pending ones."""
    _sql(cur, "UPDATE groupbuy_groupbuy SET formed_at = closed_at - interval '1 day' WHERE closed_at IS NOT NULL")
    if scale > 1:
        _sql(
            cur,
            f"""INSERT INTO groupbuy_groupbuy ({BUY_COLUMNS})
            SELECT {
                BUY_COLUMNS.replace("total_units, total_amount, entry_count, last_seq", "0, 0, 0, 0")
                .replace("main_units", "0")
                .replace("current_pool_id", "NULL")
            }
            FROM groupbuy_groupbuy, generate_series(2, %s)""",
            [scale],
        )
    _sql(
        cur,
        """UPDATE groupbuy_groupbuy SET deadline = now() - interval '1 minute'
        WHERE id IN (SELECT id FROM groupbuy_groupbuy WHERE status = 'open' ORDER BY id LIMIT %s)""",
        [DUE],
    )
    _sql(
        cur,
        """INSERT INTO groupbuy_offerphoto (status, source, image, thumbnail, error_code, position, created_at,
            offer_id, queued_at)
        SELECT 'ready', '', 'x.jpg', 'x-t.jpg', '', 0, now() - interval '30 days', o.id, now() - interval '30 days'
        FROM groupbuy_offer o, generate_series(1, 20 * %s)""",
        [scale],
    )
    _sql(
        cur,
        """INSERT INTO groupbuy_offerphoto (status, source, image, thumbnail, error_code, position, created_at,
            offer_id, queued_at)
        SELECT 'pending', 'src.jpg', '', '', '', 0, now() - interval '5 minutes', o.id, now() - interval '5 minutes'
        FROM (SELECT id FROM groupbuy_offer ORDER BY id LIMIT %s) o""",
        [DUE],
    )


def seed_price_changes(cur, scale: int) -> None:
    """History: one resolved change per closed buy's item, × scale (resolved weeks ago); open ones on open
    buys answering in two days (not due); DUE open ones past their deadline."""
    _sql(
        cur,
        """INSERT INTO settlement_pricechange (old_price, new_price, old_cost, new_cost, reason, evidence, deadline,
            default_action, status, created_at, resolved_at, buy_id, item_id, proposed_by_id)
        SELECT 25, 27, 20, 22, '涨价', '', b.closed_at, 'withdraw', 'resolved', b.closed_at - interval '1 day',
               b.closed_at, b.id, i.id, b.leader_id
        FROM groupbuy_groupbuy b JOIN groupbuy_buyitem i ON i.buy_id = b.id, generate_series(1, %s)
        WHERE b.closed_at IS NOT NULL""",
        [scale],
    )
    _sql(
        cur,
        """INSERT INTO settlement_pricechange (old_price, new_price, old_cost, new_cost, reason, evidence, deadline,
            default_action, status, created_at, resolved_at, buy_id, item_id, proposed_by_id)
        SELECT 25, 27, 20, 22, '涨价', '', CASE WHEN n <= %s THEN now() - interval '1 minute'
                                                ELSE now() + interval '2 days' END,
               'withdraw', 'open', now() - interval '1 hour', NULL, b.id, i.id, b.leader_id
        FROM (SELECT b.*, row_number() OVER (ORDER BY b.id) AS n FROM groupbuy_groupbuy b WHERE b.status = 'open') b
        JOIN groupbuy_buyitem i ON i.buy_id = b.id""",
        [DUE],
    )


def seed_suspensions(cur, scale: int) -> None:
    """History: 20 × scale expired suspensions per compound; DUE ran out unlifted; one ahead per compound."""
    _sql(
        cur,
        """INSERT INTO compliance_suspension (starts_at, ends_at, reason, created_at, lifted_at, expired_at,
            community_id, created_by_id, lifted_by_id)
        SELECT now() - n * interval '3 days', now() - n * interval '3 days' + interval '1 day', '疫情', now(),
               NULL, now() - n * interval '3 days' + interval '1 day', c.id, s.created_by_id, NULL
        FROM accounts_community c JOIN groupbuy_supplier s ON s.community_id = c.id, generate_series(1, 20 * %s) n""",
        [scale],
    )
    _sql(
        cur,
        """INSERT INTO compliance_suspension (starts_at, ends_at, reason, created_at, lifted_at, expired_at,
            community_id, created_by_id, lifted_by_id)
        SELECT now() - interval '1 day', CASE WHEN n <= %s THEN now() - interval '1 minute'
                                             ELSE now() + interval '1 day' END,
               '疫情', now(), NULL, NULL, c.id, c.created_by_id, NULL
        FROM (SELECT c.id, s.created_by_id, row_number() OVER (ORDER BY c.id) AS n
              FROM accounts_community c JOIN groupbuy_supplier s ON s.community_id = c.id) c""",
        [DUE],
    )


def seed_filings(cur, scale: int) -> None:
    """History: an approved filing for every closed buy (scale copies of the buys: seed_buys); DUE submitted
    ones arriving within the reminder window; the other open buys' submitted filings arrive in a week."""
    seed_buys(cur, scale)
    _sql(
        cur,
        """INSERT INTO compliance_filing (status, revision, gate, arrival_start, arrival_end, vehicle_plate,
            driver_name, test_sampled_at, created_at, submitted_at, reject_reason, receivers, buy_id, community_id,
            submitted_by_id)
        SELECT CASE WHEN b.status = 'open' THEN 'submitted' ELSE 'approved' END, 1, '3号门',
               CASE WHEN b.status <> 'open' THEN b.closed_at + interval '2 days'
                    WHEN b.n <= %s THEN now() + interval '6 hours' ELSE now() + interval '7 days' END,
               CASE WHEN b.status <> 'open' THEN b.closed_at + interval '2 days 2 hours'
                    WHEN b.n <= %s THEN now() + interval '8 hours' ELSE now() + interval '7 days 2 hours' END,
               '沪A12345', '王师傅', now() - interval '1 day', now(), now(), '', '', b.id, b.community_id, b.leader_id
        FROM (SELECT b.*, row_number() OVER (PARTITION BY b.status = 'open' ORDER BY b.id) AS n
              FROM groupbuy_groupbuy b WHERE b.status = 'open' OR b.closed_at IS NOT NULL) b""",
        [DUE, DUE],
    )


def seed_sms(cur, scale: int) -> None:
    """History: the city's 1.7 M in-app notices plus 100,000 × scale sent SMS; 2,000 × scale due but written
    seconds ago (their task still has time); DUE due for ten minutes (their task was lost)."""
    _sql(
        cur,
        """INSERT INTO accounts_notification (kind, params, link, dedupe_key, created_at, read_at, community_id,
            user_id, sms_due_at, sms_sent_at, sms_state, sms_tries)
        SELECT 'buy_closed', '{}', '', 'sms-' || n, now() - interval '3 days', NULL, NULL,
               1 + n %% (SELECT max(id) FROM accounts_user),
               CASE WHEN n < 100000 * %s THEN now() - interval '3 days'
                    WHEN n < 100000 * %s + 2000 * %s THEN now() - interval '5 seconds'
                    ELSE now() - interval '10 minutes' END,
               CASE WHEN n < 100000 * %s THEN now() - interval '3 days' END,
               CASE WHEN n < 100000 * %s THEN 'sent' ELSE 'due' END, CASE WHEN n < 100000 * %s THEN 1 ELSE 0 END
        FROM generate_series(0, 100000 * %s + 2000 * %s + %s - 1) n""",
        [scale, scale, scale, scale, scale, scale, scale, scale, DUE],
    )


def sweeps() -> list[tuple[str, Callable[..., None], Callable[[], object]]]:
    from accounts.notifications import notification_sms_sweep
    from compliance.services.policy import suspensions_expire
    from compliance.services.reminders import filings_remind_unapproved
    from groupbuy.services.sweep import group_buys_sweep
    from settlement.services.price_changes import price_changes_sweep

    return [
        ("group buys (deadline close/fail, lost notices, photos)", seed_buys, group_buys_sweep),
        ("price-change answers", seed_price_changes, price_changes_sweep),
        ("suspensions", seed_suspensions, suspensions_expire),
        ("filing reminders", seed_filings, filings_remind_unapproved),
        ("SMS notices", seed_sms, notification_sms_sweep),
    ]


def _read_counts(cur) -> tuple[int, int, int, int]:
    cur.execute(
        "SELECT coalesce(sum(seq_scan), 0), coalesce(sum(seq_tup_read), 0), coalesce(sum(idx_scan), 0),"
        " coalesce(sum(idx_tup_fetch), 0) FROM pg_stat_xact_user_tables"
    )
    return tuple(int(v) for v in cur.fetchone())  # type: ignore[return-value]


def _explain_finders(cur, statements: list[str], limit: int = 12) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements that look for due rows: the sweep's SELECTs that are not
    a lookup by primary key (those are the per-row work)."""
    out = []
    for sql in dict.fromkeys(statements):
        if not sql.lstrip().upper().startswith("SELECT") or re.search(r'\."(id|entry_id)" = \d+', sql):
            continue
        if len(out) == limit:
            break
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
        out.append(sql + "\n" + "\n".join(r[0] for r in cur.fetchall()) + "\n")
    return out


def measure(seed: Callable[..., None], sweep: Callable[[], object], scale: int, *, explain: bool = False) -> dict:
    from django.db import connection, transaction

    statements: list[str] = []

    def count(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The statement as sent (parameters bound), for EXPLAIN; read after execute, when psycopg has it.
        sent = None if many else connection.ops.last_executed_query(context["cursor"], sql, params)
        statements.append(sent or sql)
        return result

    with transaction.atomic():
        with connection.cursor() as cur:
            seed(cur, scale)
            cur.execute("ANALYZE")  # the planner sees the seeded rows, as it would in production
            before = _read_counts(cur)
        started = time.monotonic()
        with connection.execute_wrapper(count):
            result = sweep()
        ms = 1000 * (time.monotonic() - started)
        with connection.cursor() as cur:
            after = _read_counts(cur)
            plans = _explain_finders(cur, statements) if explain else []
        seq_scans, seq_rows, idx_scans, idx_rows = (a - b for a, b in zip(after, before, strict=True))
        transaction.set_rollback(True)
    return {
        "result": result,
        "statements": len(statements),
        "seq_scans": seq_scans,
        "rows_read": seq_rows + idx_rows,
        "seq_rows": seq_rows,
        "ms": ms,
        "sql": [q[:200] for q in statements[:300]],
        "plans": plans,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--template", default=city.TEMPLATE_DB)
    p.add_argument("--db", default="", help="measure in this database as it is (no copy)")
    p.add_argument("--only", default="", help="run the sweeps whose name contains this")
    args = p.parse_args(argv)
    db = args.db
    if not db:
        city.ensure(city.Scale(), args.template)
        db = os.environ.get("BENCH_DB_NAME", "jielong_bench") + "_sweeps"
        city.clone(args.template, db)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{db}",
            "DEBUG": "true",  # in-process only, for the SECRET_KEY default
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "REDIS_URL": f"redis://{HOST}:6379/{os.environ.get('BENCH_REDIS_DB', '9')}",
        }
    )
    import django

    django.setup()
    lines = [
        "| sweep | due rows | scale of not-due rows | statements | seq scans | rows read | ms | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    detail: list[str] = []
    plans: list[str] = []
    for name, seed, sweep in sweeps():
        if args.only and args.only not in name:
            continue
        for scale in (1, 10):
            m = measure(seed, sweep, scale, explain=scale == 10)
            plans += [f"-- {name} ×{scale}", *m["plans"]]
            log(f"sweeps: {name} ×{scale}: {m['statements']} statements, {m['rows_read']} rows read, {m['ms']:.0f} ms")
            lines.append(
                f"| {name} | {DUE} | ×{scale} | {m['statements']} | {m['seq_scans']} | {m['rows_read']} "
                f"| {m['ms']:.0f} | {m['result']} |"
            )
            detail += [f"-- {name} ×{scale}", *m["sql"], ""]
    text = "\n".join(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sweeps.md").write_text(text + "\n", encoding="utf-8")
    (OUT / "sweeps-statements.sql").write_text("\n".join(detail), encoding="utf-8")
    (OUT / "explain-sweeps.txt").write_text("\n".join(plans), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
