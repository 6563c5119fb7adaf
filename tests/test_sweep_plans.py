"""Every beat sweep finds its due rows through an index (issue 17: a sweep costs O(due rows), not O(all rows)).

With sequential scans priced out (enable_seqscan = off), PostgreSQL still scans a whole table, or a whole
index, when no index condition can bound the query: a scan of a table that grows with history without an
index condition means the sweep reads every row it ever kept.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

# Tables that grow with every buy, notice, change, filing or photo ever made.
GROWING = (
    "groupbuy_groupbuy",
    "groupbuy_entry",
    "groupbuy_offerphoto",
    "groupbuy_pool",
    "settlement_pricechange",
    "compliance_suspension",
    "compliance_filing",
    "accounts_notification",
)


def _sweeps():
    from accounts.notifications import notification_sms_sweep
    from compliance.services.policy import suspensions_expire
    from compliance.services.reminders import filings_remind_unapproved
    from groupbuy.services.sweep import group_buys_sweep
    from settlement.services.price_changes import price_changes_sweep

    return {
        "group_buys": group_buys_sweep,
        "price_changes": price_changes_sweep,
        "suspensions": suspensions_expire,
        "filing_reminders": filings_remind_unapproved,
        "sms_notices": notification_sms_sweep,
    }


def _history(rows: int = 2000) -> None:
    """Rows not due (resolved changes) so that the planner sees a table worth an index, as in production."""
    from accounts.factories import UserFactory
    from groupbuy.factories import BuyItemFactory
    from settlement.models import ChangeStatus, PriceChange

    item = BuyItemFactory()
    user = UserFactory()
    PriceChange.objects.bulk_create(
        PriceChange(
            buy=item.buy, item=item, old_price=1, new_price=2, old_cost=1, new_cost=1, reason="x",
            deadline=item.buy.deadline, status=ChangeStatus.RESOLVED, proposed_by=user, resolved_at=item.buy.deadline,
        )
        for _ in range(rows)
    )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE settlement_pricechange")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["group_buys", "price_changes", "suspensions", "filing_reminders", "sms_notices"])
def test_sweep_reads_its_due_rows_through_an_index(name):
    if connection.vendor != "postgresql":
        pytest.skip("SKIPPED LOUDLY: query plans are PostgreSQL's (set DATABASE_URL)")
    _history()
    with CaptureQueriesContext(connection) as ctx:
        _sweeps()[name]()
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert selects
    unbounded = []
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        for sql in selects:
            cur.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cur.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            unbounded += [f"{scan}: {sql[:160]}" for scan in _unbounded_scans(cur, plan[0]["Plan"])]
    assert unbounded == []


def _unbounded_scans(cur, node: dict, table: str | None = None) -> list[str]:
    """Scans of a growing table that read it whole: a sequential scan, or an index scan whose condition does not
    bound the index's leading column (a partial index is bounded by its own predicate)."""
    table = node.get("Relation Name", table)
    found = []
    if table in GROWING:
        kind = node["Node Type"]
        if kind == "Seq Scan":
            found.append(f"{table} (Seq Scan)")
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            cur.execute(
                """SELECT a.attname, i.indpred IS NOT NULL FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE i.indexrelid = %s::regclass""",
                [node["Index Name"]],
            )
            leading, partial = cur.fetchone()
            if not partial and leading not in node.get("Index Cond", ""):
                found.append(f"{table} ({kind} on {node['Index Name']} not bounded by {leading})")
    for child in node.get("Plans", []):
        found += _unbounded_scans(cur, child, table if node["Node Type"] == "Bitmap Heap Scan" else None)
    return found
