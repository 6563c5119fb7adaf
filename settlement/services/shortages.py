"""Shortages: the leader records what arrived; the buy's allocation rule shares it out;
each shortfall becomes a credit on what the entry owes (and a refund if it was paid)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from groupbuy.models import BuyItem, EntryLine, EntryStatus, GroupBuy
from settlement import exceptions as errors
from settlement.allocation import allocate
from settlement.models import (
    Adjustment,
    AdjustmentReason,
    ChangeStatus,
    ItemArrival,
    PriceChange,
    RefundReason,
    money,
)
from settlement.permissions import require_buy_leader
from settlement.selectors.orders import Tab
from settlement.services.common import line_units, lock_payment, parse_quantity, refund_excess, require_after_close
from settlement.services.notify import entry_card_link, notify_entry


def arrivals_record(*, actor: User, buy: GroupBuy, arrived: dict[Any, Any]) -> list[ItemArrival]:
    """Record what arrived per item ({item_id: units}); every item once. All or nothing."""
    require_buy_leader(actor, buy)
    require_after_close(buy)
    if not arrived:
        raise errors.no_items()
    items = {item.pk: item for item in BuyItem.objects.filter(buy_id=buy.pk).select_related("offer")}
    wanted: dict[int, int] = {}
    for raw_id, raw_qty in arrived.items():
        try:
            item_id = int(raw_id)
        except (TypeError, ValueError):
            item_id = 0
        if item_id not in items:
            raise errors.unknown_item(item=raw_id)
        wanted[item_id] = parse_quantity(raw_qty, field=f"item_{item_id}")
    ordered: dict[int, int] = {}
    for line in EntryLine.objects.filter(
        entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE, item_id__in=wanted
    ).only("item_id", "quantity", "allocated"):
        ordered[line.item_id] = ordered.get(line.item_id, 0) + line_units(line)
    for item_id, qty in wanted.items():
        if qty > ordered.get(item_id, 0):
            raise errors.shortage_above_ordered(
                title=items[item_id].offer.title, item_id=item_id, ordered=ordered.get(item_id, 0)
            )
    result = []
    try:
        with transaction.atomic():
            # Item rows locked in pk order: a price change proposed meanwhile waits, then sees the arrival.
            list(BuyItem.objects.select_for_update().filter(pk__in=wanted).order_by("pk").values_list("pk"))
            if PriceChange.objects.filter(item_id__in=wanted, status=ChangeStatus.OPEN).exists():
                raise errors.price_change_open()
            for item_id in sorted(wanted):
                result.append(_record_item(actor=actor, buy=buy, item=items[item_id], arrived=wanted[item_id]))
    except IntegrityError:
        raise errors.arrival_already_recorded() from None
    return result


def _record_item(*, actor: User, buy: GroupBuy, item: BuyItem, arrived: int) -> ItemArrival:
    lines = list(
        EntryLine.objects.filter(item_id=item.pk, entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .select_related("entry__buy")
        .order_by("entry__seq")
    )
    # What each line was due to get before the shortage: its allocation at close (whole packs) or quantity.
    before = [line_units(line) for line in lines]
    record = ItemArrival.objects.create(
        item=item, buy=buy, ordered=sum(before), arrived=arrived, rule=buy.allocation_rule, recorded_by=actor
    )
    shares = allocate(buy.allocation_rule, before, arrived)
    for line, share in zip(lines, shares, strict=True):
        line.allocated = share
    EntryLine.objects.bulk_update(lines, ["allocated"])
    short = sorted(
        ((line, due, share) for line, due, share in zip(lines, before, shares, strict=True) if share < due),
        key=lambda triple: triple[0].entry_id,
    )
    for line, due, share in short:
        entry = line.entry
        lock_payment(entry)
        Adjustment.objects.create(
            entry=entry,
            buy=buy,
            amount=money(-(due - share) * item.unit_price),
            reason=AdjustmentReason.SHORTAGE,
            source_key=f"shortage:{line.pk}",
            note=f"{item.offer.title}: {share}/{due}",
        )
        refund_excess(entry=entry, reason=RefundReason.SHORTAGE)
        notify_entry(
            entry=entry,
            kind="shortage_recorded",
            dedupe_key=f"shortage:{line.pk}",
            params={"item": item.offer.title, "allocated": share, "ordered": due},
            link=entry_card_link(entry_id=entry.pk, tab=Tab.RECEIVE),
        )
    return record
