"""What a sign-up request says: its lines (quantities and tolerances, parsed with core.parsing and priced from the
buy's items), its idempotency digest, and the entry an earlier request with the same key made. Input checks and
reads only, no writes and no locks: sign-up calls them before or around its transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models import Household, HouseholdMember
from core import rows
from core.parsing import parse_int
from groupbuy import exceptions as err
from groupbuy.models import BuyItem, Entry, EntryStatus, GroupBuy
from groupbuy.selectors.buys import ITEMS_READ

MAX_LINE_QUANTITY = 9999


@dataclass(frozen=True)
class Line:
    """One line of a sign-up, priced from its buy item."""

    item_id: int
    quantity: int
    unit_price: Decimal
    is_main: bool


def quantities_parse(quantities: Any, *, allow_all_zero: bool = False) -> dict[int, int]:
    """{item id: quantity}, ids and quantities whole numbers, quantities 0..MAX_LINE_QUANTITY."""
    if not isinstance(quantities, dict) or not quantities:
        raise err.invalid_quantity()
    parsed: dict[int, int] = {}
    for raw_id, raw_q in quantities.items():
        item_id = parse_int(raw_id)
        if item_id is None:
            raise err.unknown_item({"item": str(raw_id)[:20]})
        q = parse_int(raw_q)
        if q is None or q < 0 or q > MAX_LINE_QUANTITY or item_id in parsed:
            raise err.invalid_quantity({"item": item_id})
        parsed[item_id] = q
    if not allow_all_zero and not any(parsed.values()):
        raise err.invalid_quantity()
    return parsed


def tolerances_parse(buy: GroupBuy, tolerances: Any, quantities: dict[int, int]) -> dict[int, int]:
    """{item id: extra units the household would take to fill a pack}, each 0..the offer's pack size, only
    for items the entry orders."""
    if tolerances in (None, {}):
        return {}
    if not isinstance(tolerances, dict):
        raise err.invalid_tolerance()
    parsed: dict[int, int] = {}
    for raw_id, raw_t in tolerances.items():
        item_id = parse_int(raw_id)
        t = parse_int(raw_t)
        if item_id is None or t is None or item_id in parsed:
            raise err.invalid_tolerance({"item": str(raw_id)[:20]})
        parsed[item_id] = t
    sizes = dict(BuyItem.objects.filter(buy_id=buy.pk, pk__in=list(parsed)).values_list("pk", "offer__pack_size"))
    for item_id, t in parsed.items():
        if item_id not in sizes:
            raise err.unknown_item({"items": [item_id]})
        if not 0 <= t <= sizes[item_id] or (t and not quantities.get(item_id)):
            raise err.invalid_tolerance({"item": item_id, "pack_size": sizes[item_id]})
    return parsed


def lines_priced(buy: GroupBuy, quantities: dict[int, int]) -> dict[int, Line]:
    """The lines for `quantities` ({item id: units}) priced from the buy's items; unknown items are refused.
    The items `buy_get_for_signup` read with the buy (the sign-up API: no statement here), else one plain SELECT
    (core.rows): it runs on every sign-up, and the ORM's compiler cost more than the query. Either read comes
    before the sign-up's transaction, as it always did."""
    ids = list(quantities)
    if not ids:
        return {}
    read: dict[int, BuyItem] | None = buy.__dict__.get(ITEMS_READ)
    if read is not None:
        items = {pk: read[pk] for pk in ids if pk in read}
    else:
        qn = connection.ops.quote_name
        sql = (
            f"SELECT {rows.columns(BuyItem, 'i')} FROM {qn(BuyItem._meta.db_table)} i "
            f"WHERE i.{qn('buy_id')} = %s AND i.{qn('id')} IN ({', '.join(['%s'] * len(ids))})"
        )
        found = [rows.instance(BuyItem, row) for row in rows.fetch_all(sql, [buy.pk, *ids])]
        items = {i.pk: i for i in found if i is not None}
    missing = sorted(set(quantities) - set(items))
    if missing:
        raise err.unknown_item({"items": missing})
    return {
        pk: Line(item_id=pk, quantity=q, unit_price=items[pk].unit_price, is_main=items[pk].is_main)
        for pk, q in quantities.items()
    }


def lines_totals(lines: dict[int, Line]) -> tuple[int, int, Decimal]:
    """(units, main-item units, amount) of the lines."""
    units = sum(line.quantity for line in lines.values())
    main_units = sum(line.quantity for line in lines.values() if line.is_main)
    amount = sum((line.unit_price * line.quantity for line in lines.values()), Decimal("0"))
    return units, main_units, amount


def household_limit_check(buy: GroupBuy, units: int) -> None:
    """Refuse more units than the buy's per-household limit (over_household_limit)."""
    if buy.household_limit is not None and units > buy.household_limit:
        raise err.over_household_limit(buy.household_limit)


def request_digest(
    household: Household, placed_for: HouseholdMember | None, lines: dict[int, Line], extra: dict[int, int], note: str
) -> str:
    """SHA-256 of the request as the service understood it (parsed and normalised), so the same request written
    differently (key order, "2" for 2, spaces around the note) has the same digest."""
    canonical = {
        "household": household.pk,
        "placed_for": placed_for.pk if placed_for is not None else None,
        "lines": sorted((pk, line.quantity) for pk, line in lines.items()),
        "tolerances": sorted((pk, t) for pk, t in extra.items() if t),
        "note": note,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def entry_replayed(buy: GroupBuy, household: Household, idempotency_key: str, digest: str) -> Entry | None:
    """The entry an earlier request with this key made, if any. A key used by another household is refused
    (idempotency_key_reused), and so is one whose first request differed from this one (idempotency_mismatch).
    Entries stored before digests were kept (blank) are answered as before."""
    if not idempotency_key:
        return None
    existing = Entry.objects.filter(buy_id=buy.pk, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.household_id != household.pk:
        raise err.idempotency_key_reused()
    if existing.idempotency_digest and existing.idempotency_digest != digest:
        raise err.idempotency_mismatch()
    return existing


def live_entry_id(buy: GroupBuy, household: Household) -> int | None:
    """The household's active entry in the buy, if any (read without a lock)."""
    return (
        Entry.objects.filter(buy_id=buy.pk, household=household, status=EntryStatus.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class LineBounds:
    """What a page may offer for one item (a stepper's min/max/step), from the checks above and the stock left.
    For showing only: the checks themselves decide when the request comes."""

    min: int
    max: int
    step: int
    tolerance_max: int  # the pack size the tolerance may reach (tolerances_parse); 0 when not sold in packs


def line_bounds(buy: GroupBuy, item: BuyItem, *, held: int = 0) -> LineBounds:
    """The bounds of one line of a sign-up to `buy`, from the loaded item (no query): 0..MAX_LINE_QUANTITY
    (quantities_parse), at most the household limit (household_limit_check) and the stock left after the others'
    sign-ups (stock.items_apply_deltas), to which `held` (what the household's entry already takes) is added."""
    top = MAX_LINE_QUANTITY
    if buy.household_limit is not None:
        top = min(top, buy.household_limit)
    if item.cap is not None:
        top = min(top, max(0, item.cap - item.total_quantity) + held)
    pack_size = item.offer.pack_size
    return LineBounds(min=0, max=top, step=1, tolerance_max=pack_size if pack_size > 1 else 0)


def lines_amount(items: list[BuyItem], quantities: dict[int, int]) -> Decimal:
    """What `quantities` ({item id: units}) cost, priced from already loaded items as a sign-up prices them
    (lines_totals); items not in `items` count nothing. No query."""
    lines = {
        item.pk: Line(item_id=item.pk, quantity=quantities[item.pk], unit_price=item.unit_price, is_main=item.is_main)
        for item in items
        if item.pk in quantities
    }
    return lines_totals(lines)[2]
