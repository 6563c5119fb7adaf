"""The sign-up's writes as plain SQL: the item stock UPDATE, the entry INSERT and its lines' INSERT.

Why: each ORM write costs ~0.3 ms of Python in Django's SQL compiler, the same statement sent as text ~0.05 ms
(docs/PERFORMANCE.md), and a sign-up sends three of them on every request. The statements are plain SQL that
PostgreSQL and SQLite 3.35+ (the demo; RETURNING) both run. Low in the services: imports only models, so
`stock` (shared with donations) may use it.

The column lists below are the only hand-kept copy of the tables' shapes; tests/groupbuy/services/test_signup_sql.py
compares them with the models, so a new column fails a test instead of being left out silently.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from groupbuy.models import BuyItem, Entry, EntryLine, EntryStatus

# Every column of the tables but the primary key, in the order the values are given.
ENTRY_COLUMNS = (
    "buy_id",
    "household_id",
    "seq",
    "status",
    "placed_by_id",
    "placed_for_id",
    "display_name",
    "note",
    "units",
    "amount",
    "idempotency_key",
    "idempotency_digest",
    "created_at",
    "updated_at",
)
LINE_COLUMNS = ("entry_id", "item_id", "quantity", "tolerance", "allocated")

_statements: dict[str, str] = {}


def _insert_sql(model: Any, columns: tuple[str, ...], rows: int, returning: tuple[str, ...] = ("id",)) -> str:
    qn = connection.ops.quote_name
    key = f"{connection.vendor}:{model._meta.db_table}:{rows}:{returning}"
    sql = _statements.get(key)
    if sql is None:
        values = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
            f"VALUES {', '.join([values] * rows)} RETURNING {', '.join(qn(c) for c in returning)}"
        )
        _statements[key] = sql
    return sql


def item_quantity_add(*, item_id: int, delta: int) -> bool:
    """Add `delta` to the item's `total_quantity`; an increase only while `total_quantity <= cap - delta`.
    False when the row did not match (over the cap, or no such item). The cap rule's one statement:
    call it through `stock.items_apply_deltas`, which holds the preconditions (lock order, transaction)."""
    qn = connection.ops.quote_name
    sql = f"UPDATE {qn(BuyItem._meta.db_table)} SET total_quantity = total_quantity + %s WHERE id = %s"
    params: list[Any] = [delta, item_id]
    if delta > 0:
        sql += " AND (cap IS NULL OR total_quantity <= cap - %s)"
        params.append(delta)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def entry_insert(
    *,
    buy_id: int,
    household_id: int,
    seq: int,
    placed_by_id: int,
    placed_for_id: int | None,
    display_name: str,
    note: str,
    units: int,
    amount: Decimal,
    idempotency_key: str,
    idempotency_digest: str,
    now: datetime,
) -> Entry:
    """Insert an active entry (created and updated `now`) and return it as a saved model instance.
    Precondition: the caller holds the buy's row lock and gave `seq` from the counters UPDATE."""
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    values = (
        buy_id,
        household_id,
        seq,
        str(EntryStatus.ACTIVE),
        placed_by_id,
        placed_for_id,
        display_name,
        note,
        units,
        ops.adapt_decimalfield_value(amount),
        idempotency_key,
        idempotency_digest,
        at,
        at,
    )
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(Entry, ENTRY_COLUMNS, 1), values)
        (entry_id,) = cursor.fetchone() or (None,)
    entry = Entry(
        id=entry_id,
        buy_id=buy_id,
        household_id=household_id,
        seq=seq,
        status=EntryStatus.ACTIVE,
        placed_by_id=placed_by_id,
        placed_for_id=placed_for_id,
        display_name=display_name,
        note=note,
        units=units,
        amount=amount,
        idempotency_key=idempotency_key,
        idempotency_digest=idempotency_digest,
        created_at=now,
        updated_at=now,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def lines_insert(*, entry_id: int, lines: list[tuple[int, int, int]]) -> list[EntryLine]:
    """Insert the entry's lines, `(item id, quantity, tolerance)` each, in one statement; returns them saved.
    Precondition: inside the transaction that inserted the entry."""
    if not lines:
        return []
    params: list[Any] = []
    for item_id, quantity, tolerance in lines:
        params += [entry_id, item_id, quantity, tolerance, None]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(EntryLine, LINE_COLUMNS, len(lines), returning=("item_id", "id")), params)
        # Matched by item (unique per entry): neither database promises RETURNING rows in VALUES order.
        ids = dict(cursor.fetchall())
    written = []
    for item_id, quantity, tolerance in lines:
        line_id = ids[item_id]
        line = EntryLine(id=line_id, entry_id=entry_id, item_id=item_id, quantity=quantity, tolerance=tolerance)
        line._state.adding = False
        line._state.db = connection.alias
        written.append(line)
    return written
