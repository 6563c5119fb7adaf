"""Item stock: the one conditional UPDATE that adds to or takes from an item's total, never past its cap.

Shared by sign-ups (groupbuy) and donations (settlement), which draw on the same stock. Low in the services:
imports only models, error codes and signup_sql (the statement itself, plain SQL), so settlement may import it
without an import cycle through sign-up.
"""

from __future__ import annotations

from groupbuy import exceptions as err
from groupbuy.models import BuyItem
from groupbuy.services.signup_sql import item_quantity_add


def items_apply_deltas(*, deltas: dict[int, int]) -> None:
    """Add `delta` to each item's `total_quantity`, in primary-key order, each with one conditional UPDATE:
    an increase only while `total_quantity <= cap - delta`, so the cap is never oversold; raises over_cap (and
    the caller's transaction rolls back) when one cannot be had. Decreases always apply.

    Precondition: inside `transaction.atomic()`, and the caller holds the buy's row lock (a sign-up's counters
    UPDATE, or `buy_lock_taking_signups`), so item rows are locked after the buy (lock order: pool, buy, items).
    Shared by sign-ups and donations (settlement), which draw on the same stock."""
    for item_id in sorted(deltas):
        delta = deltas[item_id]
        if delta == 0:
            continue
        if not item_quantity_add(item_id=item_id, delta=delta):
            row = BuyItem.objects.filter(pk=item_id).values_list("cap", "total_quantity").first()
            cap, total = row if row is not None else (None, 0)
            remaining = None if cap is None else max(0, cap - total)
            raise err.over_cap(item_id, remaining)
