"""Price changes and substitutions after close (补差价).

Nobody pays more, and nobody gets a different product, without their own acceptance: an
unanswered entry is withdrawn at the deadline, except that the leader may choose "accept if
cheaper" for a lower price of the same product, which only ever lowers what someone owes.
Households get at least settings.PRICE_CHANGE_MIN_ANSWER_HOURS to answer. A resolution that
changes the goods sends the buy's filing back to re-filing (compliance.services.filings).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from compliance.services.filings import filing_goods_changed
from groupbuy.models import BuyItem, BuyKind, Entry, EntryLine, EntryStatus, GroupBuy, Offer, version_next
from groupbuy.services.dates import is_future_instant
from groupbuy.services.transitions import buys_touch
from settlement import exceptions as errors
from settlement.models import (
    Adjustment,
    AdjustmentReason,
    ChangeDefault,
    ChangeStatus,
    ItemArrival,
    PriceChange,
    PriceChangeResponse,
    RefundReason,
    ResponseChoice,
    money,
)
from settlement.permissions import require_buy_leader, require_own_entry
from settlement.services.common import (
    line_units,
    lock_payment,
    parse_money,
    purchase_order_recompute,
    refund_excess,
    require_after_close,
)
from settlement.services.notify import notify_entry
from settlement.services.photos import photo_prefix, photo_recorded
from settlement.uploads import stored_photos


def price_change_propose(
    *,
    actor: User,
    buy: GroupBuy,
    item_id: int,
    new_price: Any,
    reason: str,
    deadline: datetime,
    default_action: str = ChangeDefault.WITHDRAW,
    new_offer_id: int | None = None,
    new_cost: Any = None,
    evidence: Any = None,
) -> PriceChange:
    require_buy_leader(actor, buy)
    require_after_close(buy)
    item = BuyItem.objects.select_related("offer").filter(pk=item_id, buy_id=buy.pk).first()
    if item is None:
        raise errors.unknown_item(field="item")
    price = parse_money(new_price, field="new_price")
    reason = (reason or "").strip()
    if not reason:
        raise errors.reason_required(field="reason")
    if not is_future_instant(deadline, now=timezone.now()):
        raise errors.invalid_deadline(field="deadline")
    if default_action not in ChangeDefault.values:
        raise errors.invalid_default()
    min_hours = settings.PRICE_CHANGE_MIN_ANSWER_HOURS
    if deadline < timezone.now() + timedelta(hours=min_hours):
        raise errors.answer_window_too_short(min_hours=min_hours)
    offer = None
    if new_offer_id:
        offer = Offer.objects.filter(pk=new_offer_id, supplier__community_id=buy.community_id).first()
        if offer is None:
            raise errors.unknown_offer(field="new_offer")
        if BuyItem.objects.filter(buy_id=buy.pk, offer_id=offer.pk).exclude(pk=item.pk).exists():
            raise errors.offer_already_in_buy()
    cost = parse_money(new_cost, field="new_cost") if new_cost not in (None, "") else None
    if cost is None:
        cost = offer.supplier_cost if offer else item.supplier_cost
    if price == item.unit_price and offer is None:
        raise errors.no_change()
    if offer is not None and offer.pk != item.offer_id and default_action == ChangeDefault.ACCEPT_IF_CHEAPER:
        raise errors.substitution_needs_consent(field="default_action")
    if buy.kind == BuyKind.CHARITY and price != cost:
        raise errors.charity_has_markup()
    if ItemArrival.objects.filter(item_id=item.pk).exists():
        raise errors.arrival_already_recorded()

    shots = [evidence] if evidence else []
    with stored_photos(shots, user_id=actor.pk, prefix=photo_prefix("evidence")) as names:
        try:
            with transaction.atomic():
                # The item row lock orders this against a concurrent arrival record for the same item.
                BuyItem.objects.select_for_update().filter(pk=item.pk).first()
                if ItemArrival.objects.filter(item_id=item.pk).exists():
                    raise errors.arrival_already_recorded()
                change = PriceChange.objects.create(
                    buy=buy,
                    item=item,
                    old_price=item.unit_price,
                    new_price=price,
                    old_cost=item.supplier_cost,
                    new_cost=cost,
                    new_offer=offer,
                    reason=reason[:300],
                    evidence=names[0] if names else "",
                    deadline=deadline,
                    default_action=default_action,
                    proposed_by=actor,
                )
                if names:
                    photo_recorded(kind="evidence", pk=change.pk)
                entries = Entry.objects.filter(
                    buy_id=buy.pk, status=EntryStatus.ACTIVE, lines__item_id=item.pk
                ).select_related("buy")
                for entry in entries:
                    notify_entry(
                        entry=entry,
                        kind="price_change_proposed",
                        dedupe_key=f"price_change:{change.pk}",
                        params={
                            "item": item.offer.title,
                            "old_price": str(change.old_price),
                            "new_price": str(price),
                            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
                        },
                    )
        except IntegrityError:
            raise errors.price_change_open() from None
    return change


def _apply(
    *, change: PriceChange, entry: Entry, choice: str, by_default: bool, actor: User | None
) -> PriceChangeResponse | None:
    """Record one entry's answer and change what it owes. Caller holds the change row lock.

    Returns None if the entry had already answered (a racing answer won)."""
    lock_payment(entry)
    entry.refresh_from_db(fields=["status", "amount", "units"])
    line = EntryLine.objects.filter(entry_id=entry.pk, item_id=change.item_id).first()
    if entry.status != EntryStatus.ACTIVE or line is None:
        return None
    qty = line.quantity
    # Entry.amount counts ordered units; whole-pack cuts/fills at close live in adjustments, and move too.
    pack_units = line_units(line) - qty
    unit_delta = change.new_price - change.old_price if choice == ResponseChoice.ACCEPT else -change.old_price
    delta = money(unit_delta * qty)
    pack_delta = money(unit_delta * pack_units)
    try:
        with transaction.atomic():
            response = PriceChangeResponse.objects.create(
                change=change,
                entry=entry,
                choice=choice,
                quantity=qty,
                amount_delta=delta + pack_delta,
                by_default=by_default,
                decided_by=actor,
            )
    except IntegrityError:
        return None
    item = change.item
    if pack_delta:
        Adjustment.objects.create(
            entry=entry,
            buy_id=entry.buy_id,
            amount=pack_delta,
            reason=AdjustmentReason.PACKS,
            source_key=f"price_change:{change.pk}:{line.pk}",
        )
    if choice == ResponseChoice.ACCEPT:
        Entry.objects.filter(pk=entry.pk).update(amount=F("amount") + delta)
        GroupBuy.objects.filter(pk=entry.buy_id).update(total_amount=F("total_amount") + delta, version=version_next())
    else:
        line.delete()
        remaining = EntryLine.objects.filter(entry_id=entry.pk).exists()
        entry_fields: dict[str, Any] = {"units": F("units") - qty, "amount": F("amount") + delta}
        buy_fields: dict[str, Any] = {
            "total_units": F("total_units") - qty,
            "total_amount": F("total_amount") + delta,
            "version": version_next(),
        }
        if item.is_main and hasattr(GroupBuy, "main_units"):
            buy_fields["main_units"] = F("main_units") - qty
        if not remaining:
            entry_fields["status"] = EntryStatus.WITHDRAWN
            buy_fields["entry_count"] = F("entry_count") - 1
        Entry.objects.filter(pk=entry.pk).update(**entry_fields)
        GroupBuy.objects.filter(pk=entry.buy_id).update(**buy_fields)
        BuyItem.objects.filter(pk=item.pk).update(total_quantity=F("total_quantity") - qty)
    refund_excess(entry=entry, reason=RefundReason.PRICE_CHANGE)
    if by_default:
        notify_entry(
            entry=entry,
            kind="price_change_resolved",
            dedupe_key=f"price_change:{change.pk}:default",
            params={"item": item.offer.title, "choice": choice},
        )
    return response


def _pending_entries(change: PriceChange) -> list[Entry]:
    answered = PriceChangeResponse.objects.filter(change_id=change.pk).values("entry_id")
    return list(
        Entry.objects.filter(buy_id=change.buy_id, status=EntryStatus.ACTIVE, lines__item_id=change.item_id)
        .exclude(pk__in=answered)
        .select_related("buy")
        .order_by("pk")
    )


def _resolve_locked(change: PriceChange) -> None:
    """Apply the default to every unanswered entry, then move the item to the new price/offer."""
    default = ResponseChoice.WITHDRAW
    # Only a lower price of the very same product is accepted for someone who did not answer (a change stored
    # before substitutions were refused this default still withdraws them).
    same_product = change.new_offer_id is None or change.new_offer_id == change.item.offer_id
    if change.default_action == ChangeDefault.ACCEPT_IF_CHEAPER and change.is_cheaper and same_product:
        default = ResponseChoice.ACCEPT
    for entry in _pending_entries(change):
        _apply(change=change, entry=entry, choice=default, by_default=True, actor=None)
    fields: dict[str, Any] = {"unit_price": change.new_price, "supplier_cost": change.new_cost}
    if change.new_offer_id:
        fields["offer_id"] = change.new_offer_id
    BuyItem.objects.filter(pk=change.item_id).update(**fields)
    buys_touch(buy_id=change.buy_id)
    PriceChange.objects.filter(pk=change.pk, status=ChangeStatus.OPEN).update(
        status=ChangeStatus.RESOLVED, resolved_at=timezone.now()
    )
    purchase_order_recompute(buy_id=change.buy_id, item_ids=[change.item_id])


def price_change_respond(*, actor: User, change: PriceChange, entry: Entry, choice: str) -> PriceChangeResponse:
    """The household accepts the new price or withdraws the item. Answering twice is refused."""
    require_own_entry(actor, entry)
    if choice not in ResponseChoice.values:
        raise errors.invalid_choice()
    if entry.buy_id != change.buy_id:
        raise errors.not_found()
    with transaction.atomic():
        change = (
            PriceChange.objects.select_for_update(of=("self",)).select_related("item__offer", "buy").get(pk=change.pk)
        )
        if change.status != ChangeStatus.OPEN:
            raise errors.price_change_closed()
        if timezone.now() >= change.deadline:
            raise errors.price_change_deadline_passed()
        if PriceChangeResponse.objects.filter(change_id=change.pk, entry_id=entry.pk).exists():
            raise errors.already_answered()
        response = _apply(change=change, entry=entry, choice=choice, by_default=False, actor=actor)
        if response is None:
            raise errors.not_affected()
        resolved = not _pending_entries(change)
        if resolved:
            _resolve_locked(change)
    if resolved:
        _recheck_filing(buy_id=change.buy_id)
    return response


def price_change_resolve(*, change_id: int) -> bool:
    """Resolve one change whose deadline passed (or that everybody answered). Idempotent."""
    with transaction.atomic():
        change = (
            PriceChange.objects.select_for_update(of=("self",))
            .select_related("item__offer", "buy")
            .filter(pk=change_id)
            .first()
        )
        if change is None or change.status != ChangeStatus.OPEN:
            return False
        if change.deadline > timezone.now() and _pending_entries(change):
            return False
        _resolve_locked(change)
    _recheck_filing(buy_id=change.buy_id)
    return True


def _recheck_filing(*, buy_id: int) -> None:
    """After a resolution committed: a filing that names goods the buy no longer orders goes back to re-filing.

    Not inside the resolution's transaction: that one holds the buy's row, and compliance locks the filing
    before the buy (as approval does), so doing it there could deadlock with a committee member's approval."""
    filing_goods_changed(buy_id=buy_id)


def price_changes_sweep(*, now: datetime | None = None) -> int:
    """Beat: resolve every open change past its deadline. Returns how many it resolved.

    It also rechecks the filings of buys resolved in the last day, so a process that died between a
    resolution and its filing recheck cannot leave an approved filing naming the old goods."""
    moment = now or timezone.now()
    due = list(
        PriceChange.objects.filter(status=ChangeStatus.OPEN, deadline__lte=moment)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    resolved = sum(1 for pk in due if price_change_resolve(change_id=pk))
    recent = PriceChange.objects.filter(status=ChangeStatus.RESOLVED, resolved_at__gte=moment - timedelta(days=1))
    for buy_id in sorted(set(recent.values_list("buy_id", flat=True))):
        _recheck_filing(buy_id=buy_id)
    return resolved
