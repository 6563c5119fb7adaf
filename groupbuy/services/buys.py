"""Group buys: opening, the leader's actions, and the close / fail / sweep work of the workers.

Every state change is a compare-and-swap (groupbuy.services.transitions):
done twice, the second call changes nothing and returns False. The close
and the failure take the buy's row lock with that UPDATE before they read
the entries, so they serialize with sign-ups (see signup.py).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, User
from accounts.permissions import Action, require, require_buy_leader
from core.parsing import parse_int
from groupbuy import exceptions as err
from groupbuy.models import (
    AllocationRule,
    BuyItem,
    BuyKind,
    BuyStatus,
    DistributionMode,
    DuplicateBuyNotice,
    GroupBuy,
    MoqKind,
    Offer,
    max_length_of,
)
from groupbuy.notifications import notify_buy, participant_user_ids
from groupbuy.selectors.duplicates import duplicate_buys
from groupbuy.services.dates import deadline_check, delivery_date_check
from groupbuy.services.lifecycle import buy_cancel_locked
from groupbuy.services.locks import pool_lock_for_buy
from groupbuy.services.pools import pool_cancel_member
from groupbuy.services.purchase_order import entries_allocate, purchase_order_build
from groupbuy.services.share import share_link_make
from groupbuy.services.transitions import buy_transition
from settlement.services.hooks import settlement_buy_closed

MAX_CAP = 1_000_000
MAX_MOQ = Decimal("99999999")


def _choice(value: Any, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise err.invalid_field(field)
    return str(value)


def _parse_moq(moq: Any, moq_kind: str) -> Decimal:
    try:
        value = Decimal(str(moq).strip())
    except (InvalidOperation, ValueError) as exc:
        raise err.invalid_moq() from exc
    if not value.is_finite() or value <= 0 or value > MAX_MOQ:
        raise err.invalid_moq()
    if moq_kind == MoqKind.UNITS and value != value.to_integral_value():
        raise err.invalid_moq(_("A minimum in units must be a whole number."))
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise err.invalid_moq()
    return value


def _parse_items(items: Any, community: Community) -> list[dict[str, Any]]:
    if not isinstance(items, list | tuple) or not items:
        raise err.no_items()
    parsed: list[dict[str, Any]] = []
    seen: set[int] = set()
    for raw in items:
        if not isinstance(raw, dict):
            raise err.invalid_field("items")
        offer_id = parse_int(raw.get("offer_id"))
        if offer_id is None or offer_id in seen:
            raise err.unknown_item({"offer": str(raw.get("offer_id"))[:20]})
        seen.add(offer_id)
        cap = raw.get("cap")
        if cap in (None, ""):
            cap = None
        else:
            cap = parse_int(cap)
            if cap is None or not 1 <= cap <= MAX_CAP:
                raise err.invalid_field("cap", _("A stock cap must be a whole number above zero."))
        parsed.append({"offer_id": offer_id, "cap": cap, "is_main": bool(raw.get("is_main", False))})
    offers = {
        o.pk: o
        for o in Offer.objects.filter(pk__in=seen, supplier__community=community, is_active=True).select_related(
            "supplier"
        )
    }
    missing = sorted(seen - set(offers))
    if missing:
        raise err.unknown_item({"offers": missing})
    mains = [i for i in parsed if i["is_main"]]
    if len(mains) > 1:
        raise err.invalid_field("items", _("Only one item can be the main item."))
    if not mains:
        parsed[0]["is_main"] = True
    for item in parsed:
        item["offer"] = offers[item["offer_id"]]
    return parsed


def group_buy_open(
    *,
    actor: User,
    community: Community,
    title: str,
    kind: str,
    items: list[dict[str, Any]],
    moq_kind: str,
    moq: Any,
    deadline: datetime.datetime,
    delivery_date: datetime.date,
    distribution_mode: str,
    household_limit: int | None = None,
    allocation_rule: str = AllocationRule.FCFS,
    close_when_formed: bool = False,
    drop_point: str = "",
    description: str = "",
    confirm_duplicate: bool = False,
) -> GroupBuy:
    """Open a buy (status open) from offers of this community's suppliers; prices are frozen now.

    Next to a running buy of the same product (groupbuy.selectors.duplicates.duplicate_buys, the one rule) it refuses
    with similar_buy_open unless `confirm_duplicate`; opened anyway, the duplicates are recorded for the board."""
    require(actor, Action.OPEN_BUY, community)
    title = (title or "").strip()
    if not title or len(title) > max_length_of(GroupBuy, "title"):
        raise err.invalid_field("title")
    kind = _choice(kind, BuyKind, "kind")
    moq_kind = _choice(moq_kind, MoqKind, "moq_kind")
    distribution_mode = _choice(distribution_mode, DistributionMode, "distribution_mode")
    allocation_rule = _choice(allocation_rule, AllocationRule, "allocation_rule")
    moq_value = _parse_moq(moq, moq_kind)
    now = timezone.now()
    deadline_check(deadline, now=now)
    delivery_date_check(delivery_date, deadline=deadline)
    if household_limit in ("", None):
        household_limit = None
    else:
        household_limit = parse_int(household_limit)
        if household_limit is None or not 1 <= household_limit <= 9999:
            raise err.invalid_field("household_limit", _("The household limit must be a whole number above zero."))
    drop_point = (drop_point or "").strip()
    if len(drop_point) > max_length_of(GroupBuy, "drop_point"):
        raise err.invalid_field("drop_point")
    parsed = _parse_items(items, community)
    if kind == BuyKind.CHARITY and any(i["offer"].unit_price != i["offer"].supplier_cost for i in parsed):
        raise err.charity_has_markup()
    main = next(i for i in parsed if i["is_main"])
    if moq_kind == MoqKind.UNITS and main["cap"] is not None and main["cap"] < moq_value:
        raise err.invalid_moq(_("The stock cap of the main item is below the minimum order: it could never form."))
    duplicates = duplicate_buys(community_id=community.pk, offer_ids=[i["offer"].pk for i in parsed])
    if duplicates and not confirm_duplicate:
        raise err.similar_buy_open([d.buy.pk for d in duplicates])

    with transaction.atomic():
        buy = GroupBuy.objects.create(
            community=community,
            leader=actor,
            title=title,
            description=(description or "").strip(),
            kind=kind,
            status=BuyStatus.OPEN,
            moq_kind=moq_kind,
            moq=moq_value,
            household_limit=household_limit,
            deadline=deadline,
            delivery_date=delivery_date,
            distribution_mode=distribution_mode,
            allocation_rule=allocation_rule,
            close_when_formed=bool(close_when_formed),
            drop_point=drop_point,
            opened_at=now,
        )
        share_link_make(buy_id=buy.pk, actor=actor)
        BuyItem.objects.bulk_create(
            [
                BuyItem(
                    buy=buy,
                    offer=i["offer"],
                    is_main=i["is_main"],
                    unit_price=i["offer"].unit_price,
                    supplier_cost=i["offer"].supplier_cost,
                    cap=i["cap"],
                    position=n,
                )
                for n, i in enumerate(parsed)
            ]
        )
        # Opened anyway next to a running buy: recorded so other leaders see it on the board.
        DuplicateBuyNotice.objects.bulk_create(
            [
                DuplicateBuyNotice(buy=buy, other_buy=d.buy, community=community, opened_by=actor, reason=d.reason)
                for d in duplicates
            ],
            ignore_conflicts=True,
        )
    return buy


def group_buy_close(*, buy_id: int) -> bool:
    """Close a formed buy: freeze the list, build the purchase order, tell the participants.
    True if this call did it; False if the buy was not formed (already closed, back to open, ...)."""
    with transaction.atomic():
        # The CAS takes the row lock first; every sign-up committed before it is in the list read below.
        if not buy_transition(
            buy_id=buy_id, from_states=[BuyStatus.FORMED], to_state=BuyStatus.CLOSED, closed_at=timezone.now()
        ):
            return False
        buy = GroupBuy.objects.get(pk=buy_id)
        entries_allocate(buy_id=buy_id)
        purchase_order_build(buy=buy)
        # Pack cuts / filled tolerances change what entries owe; donated portions join the order.
        settlement_buy_closed(buy_id=buy_id)
        notify_buy(buy=buy, kind="buy_closed", user_ids=participant_user_ids(buy_id=buy_id))
    return True


def group_buy_close_now(*, actor: User, buy: GroupBuy) -> GroupBuy:
    """The leader closes a formed buy before its deadline."""
    require_buy_leader(actor, buy)
    if not group_buy_close(buy_id=buy.pk):
        status = GroupBuy.objects.values_list("status", flat=True).get(pk=buy.pk)
        raise err.below_moq() if status == BuyStatus.OPEN else err.invalid_state()
    buy.refresh_from_db()
    return buy


def group_buy_cancel(*, actor: User, buy: GroupBuy, reason: str) -> GroupBuy:
    """The leader cancels (supplier out of stock, ...): entries released, participants told why."""
    require_buy_leader(actor, buy)
    reason = (reason or "").strip()
    if not reason:
        raise err.reason_required()
    if len(reason) > max_length_of(GroupBuy, "cancel_reason"):
        raise err.invalid_field("reason")
    now = timezone.now()
    with transaction.atomic():
        # A member of a pool that has not formed leaves it first (pool row, then the buy); once the pool
        # formed, a member cannot drop out alone (the supplier's minimum was met with it).
        pool_id = pool_lock_for_buy(buy_id=buy.pk)
        if pool_id is not None:
            pool_cancel_member(pool_id=pool_id, buy_id=buy.pk, now=now)
        if not buy_cancel_locked(buy_id=buy.pk, reason=reason, now=now):
            raise err.invalid_state()
    buy.refresh_from_db()
    return buy


def group_buy_mark_ordered(*, actor: User, buy: GroupBuy) -> GroupBuy:
    """The leader placed the order with the supplier (closed -> ordered)."""
    require_buy_leader(actor, buy)
    if not buy_transition(
        buy_id=buy.pk, from_states=[BuyStatus.CLOSED], to_state=BuyStatus.ORDERED, ordered_at=timezone.now()
    ):
        raise err.invalid_state()
    buy.refresh_from_db()
    return buy
