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
from django.db.models import Field, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, User
from accounts.permissions import Action, allowed_actions, membership_for, require
from groupbuy import exceptions as err
from groupbuy.models import (
    AllocationRule,
    BuyItem,
    BuyKind,
    BuyStatus,
    DistributionMode,
    DuplicateBuyNotice,
    Entry,
    EntryStatus,
    GroupBuy,
    MoqKind,
    Offer,
    Pool,
    PoolMember,
    PoolMemberStatus,
)
from groupbuy.notifications import buy_announced, notify_buy, participant_user_ids
from groupbuy.pool_selectors import duplicate_buys
from groupbuy.services.catalog import offer_photos_requeue
from groupbuy.services.pools import pool_id_for_buy, pool_lock_for_buy, pools_sweep
from groupbuy.services.purchase_order import entries_allocate, purchase_order_build
from groupbuy.services.signup import _as_int
from groupbuy.services.transitions import buy_transition
from settlement.services.hooks import refunds_create_for_released_entries, settlement_buy_closed

MAX_CAP = 1_000_000
MAX_MOQ = Decimal("99999999")
# A formed close-when-formed buy still formed after this long lost its close enqueue: the sweep closes it.
LOST_CLOSE_GRACE = datetime.timedelta(seconds=10)
SWEEP_BATCH = 200
# A buy formed this long ago whose "formed" notice is still missing lost its notice task: the sweep sends it
# (as long as the lost close's grace, so a buy that lost both is announced formed before closed).
LOST_NOTICE_GRACE = LOST_CLOSE_GRACE
# ... unless it formed longer ago than this: by then the news is stale (and the scan stays small).
LOST_NOTICE_HORIZON = datetime.timedelta(days=2)
# A buy in these states has nothing to announce as formed (never formed, back to open, or ended).
NOT_FORMED_STATES = (BuyStatus.DRAFT, BuyStatus.OPEN, BuyStatus.FAILED, BuyStatus.CANCELLED)
# Before these states the leader may still cancel (after them the goods are on their way).
CANCELLABLE = (BuyStatus.DRAFT, BuyStatus.OPEN, BuyStatus.FORMED, BuyStatus.CLOSED, BuyStatus.ORDERED)


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
        offer_id = _as_int(raw.get("offer_id"))
        if offer_id is None or offer_id in seen:
            raise err.unknown_item({"offer": str(raw.get("offer_id"))[:20]})
        seen.add(offer_id)
        cap = raw.get("cap")
        if cap in (None, ""):
            cap = None
        else:
            cap = _as_int(cap)
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

    Next to a running buy of the same product (groupbuy.pool_selectors.duplicate_buys, the one rule) it refuses
    with similar_buy_open unless `confirm_duplicate`; opened anyway, the duplicates are recorded for the board."""
    require(actor, Action.OPEN_BUY, community)
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise err.invalid_field("title")
    kind = _choice(kind, BuyKind, "kind")
    moq_kind = _choice(moq_kind, MoqKind, "moq_kind")
    distribution_mode = _choice(distribution_mode, DistributionMode, "distribution_mode")
    allocation_rule = _choice(allocation_rule, AllocationRule, "allocation_rule")
    moq_value = _parse_moq(moq, moq_kind)
    now = timezone.now()
    if not isinstance(deadline, datetime.datetime) or timezone.is_naive(deadline) or deadline <= now:
        raise err.invalid_deadline()
    if (
        not isinstance(delivery_date, datetime.date)
        or isinstance(delivery_date, datetime.datetime)
        or delivery_date < timezone.localdate(deadline)
    ):
        raise err.invalid_deadline(_("The delivery date cannot be before the deadline."))
    if household_limit in ("", None):
        household_limit = None
    else:
        household_limit = _as_int(household_limit)
        if household_limit is None or not 1 <= household_limit <= 9999:
            raise err.invalid_field("household_limit", _("The household limit must be a whole number above zero."))
    drop_point = (drop_point or "").strip()
    if len(drop_point) > 120:
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


def _require_leader(actor: User, buy: GroupBuy) -> None:
    if membership_for(actor, buy.community_id) is None:
        raise err.wrong_community()
    if Action.OPEN_BUY not in allowed_actions(actor, buy.community_id):
        raise err.forbidden()
    if buy.leader_id != actor.pk:
        raise err.not_your_buy()


def _release_entries(buy_id: int) -> int:
    return Entry.objects.filter(buy_id=buy_id, status=EntryStatus.ACTIVE).update(
        status=EntryStatus.RELEASED, updated_at=timezone.now()
    )


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


def group_buy_fail(*, buy_id: int, now: datetime.datetime | None = None, pooled: bool = False) -> bool:
    """Fail an open buy whose deadline passed below the MOQ (流团): release entries, tell everyone.
    True if this call did it. A buy in a pool fails only with its pool (`pooled=True`, from pool_fail)."""
    now = now or timezone.now()
    where = Q(deadline__lte=now)
    if not pooled:
        where &= ~Q(pk__in=PoolMember.objects.filter(status=PoolMemberStatus.ACTIVE).values("buy_id"))
    with transaction.atomic():
        if not buy_transition(
            buy_id=buy_id,
            from_states=[BuyStatus.OPEN],
            to_state=BuyStatus.FAILED,
            where=where,
            ended_at=now,
        ):
            return False
        buy = GroupBuy.objects.get(pk=buy_id)
        _release_entries(buy_id)
        refunds_create_for_released_entries(buy_id=buy_id)
        notify_buy(buy=buy, kind="buy_failed", user_ids=participant_user_ids(buy_id=buy_id, statuses=["released"]))
    return True


def group_buy_notify_formed(*, buy_id: int) -> int:
    """Tell participants and the leader the buy formed (once, whatever happens to it afterwards)."""
    buy = GroupBuy.objects.filter(pk=buy_id).first()
    # Formed and then back to open (a withdrawal) before this ran: nothing to announce yet.
    if buy is None or buy.status in NOT_FORMED_STATES:
        return 0
    return notify_buy(buy=buy, kind="buy_formed", user_ids=participant_user_ids(buy_id=buy_id))


def group_buys_notify_formed_lost(*, now: datetime.datetime) -> int:
    """Send the "formed" notice of buys whose notice task was lost (broker down when they formed). The buy's
    formed_at and the notices are the record: formed more than LOST_NOTICE_GRACE ago (the task had its
    chance) and its leader holds no such notice means it was never sent. Idempotent (the notice's dedupe
    key): a sweep racing the late task, or another sweep, adds nothing. Returns how many buys it announced."""
    lost = (
        GroupBuy.objects.filter(formed_at__lte=now - LOST_NOTICE_GRACE, formed_at__gt=now - LOST_NOTICE_HORIZON)
        .exclude(status__in=NOT_FORMED_STATES)
        .exclude(buy_announced("buy_formed"))
        .order_by("formed_at", "pk")
    )
    return sum(
        group_buy_notify_formed(buy_id=buy_id) > 0 for buy_id in list(lost.values_list("pk", flat=True)[:SWEEP_BATCH])
    )


def group_buys_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Beat: close formed buys past their deadline, fail open ones, close close-when-formed buys whose close
    task was lost, and send "formed" notices whose task was lost. Safe to run concurrently and repeatedly
    (every step is a CAS or a deduplicated notice)."""
    now = now or timezone.now()
    # First, so that a buy this run closes was announced as formed before it is announced as closed.
    done = {"notices": group_buys_notify_formed_lost(now=now), "closed": 0, "failed": 0, "repaired": 0}
    due_formed = GroupBuy.objects.filter(status=BuyStatus.FORMED, deadline__lte=now).order_by("deadline", "pk")
    for buy_id in list(due_formed.values_list("pk", flat=True)[:SWEEP_BATCH]):
        done["closed"] += group_buy_close(buy_id=buy_id)
    lost = GroupBuy.objects.filter(
        status=BuyStatus.FORMED, close_when_formed=True, formed_at__lte=now - LOST_CLOSE_GRACE
    ).order_by("formed_at", "pk")
    for buy_id in list(lost.values_list("pk", flat=True)[:SWEEP_BATCH]):
        done["repaired"] += group_buy_close(buy_id=buy_id)
    done["pools_failed"] = pools_sweep(now=now)
    due_open = (
        GroupBuy.objects.filter(status=BuyStatus.OPEN, deadline__lte=now)
        .exclude(pk__in=PoolMember.objects.filter(status=PoolMemberStatus.ACTIVE).values("buy_id"))
        .order_by("deadline", "pk")
    )
    for buy_id in list(due_open.values_list("pk", flat=True)[:SWEEP_BATCH]):
        done["failed"] += group_buy_fail(buy_id=buy_id, now=now)
    done["photos"] = offer_photos_requeue(now=now)
    return done


def group_buy_close_now(*, actor: User, buy: GroupBuy) -> GroupBuy:
    """The leader closes a formed buy before its deadline."""
    _require_leader(actor, buy)
    if not group_buy_close(buy_id=buy.pk):
        status = GroupBuy.objects.values_list("status", flat=True).get(pk=buy.pk)
        raise err.below_moq() if status == BuyStatus.OPEN else err.invalid_state()
    buy.refresh_from_db()
    return buy


def group_buy_cancel(*, actor: User, buy: GroupBuy, reason: str) -> GroupBuy:
    """The leader cancels (supplier out of stock, ...): entries released, participants told why."""
    _require_leader(actor, buy)
    reason = (reason or "").strip()
    if not reason:
        raise err.reason_required()
    if len(reason) > 300:
        raise err.invalid_field("reason")
    now = timezone.now()
    with transaction.atomic():
        # A member of a pool that has not formed leaves it first (pool row, then the buy); once the pool
        # formed, a member cannot drop out alone (the supplier's minimum was met with it).
        pool_id = pool_lock_for_buy(buy_id=buy.pk)
        if pool_id is not None:
            from groupbuy.services.pools import pool_cancel_member

            pool_cancel_member(pool_id=pool_id, buy_id=buy.pk, now=now)
        if not _buy_cancel(buy_id=buy.pk, reason=reason, now=now):
            raise err.invalid_state()
    buy.refresh_from_db()
    return buy


def _buy_cancel(
    *,
    buy_id: int,
    reason: str,
    now: datetime.datetime,
    kind: str = "buy_cancelled",
    params: dict[str, Any] | None = None,
) -> bool:
    """Cancel one buy inside the caller's transaction (its pool, if any, already locked by the caller):
    compare-and-swap to cancelled from a cancellable state, release the entries, create the refunds, tell
    the participants and the leader (`kind`, with the reason). False if the buy was not cancellable."""
    if not buy_transition(
        buy_id=buy_id,
        from_states=CANCELLABLE,
        to_state=BuyStatus.CANCELLED,
        cancel_reason=reason,
        ended_at=now,
    ):
        return False
    _release_entries(buy_id)
    refunds_create_for_released_entries(buy_id=buy_id)
    notify_buy(
        buy=GroupBuy.objects.get(pk=buy_id),
        kind=kind,
        user_ids=participant_user_ids(buy_id=buy_id, statuses=["released"]),
        params={"reason": reason, **(params or {})},
    )
    return True


def group_buy_mark_ordered(*, actor: User, buy: GroupBuy) -> GroupBuy:
    """The leader placed the order with the supplier (closed -> ordered)."""
    _require_leader(actor, buy)
    if not buy_transition(
        buy_id=buy.pk, from_states=[BuyStatus.CLOSED], to_state=BuyStatus.ORDERED, ordered_at=timezone.now()
    ):
        raise err.invalid_state()
    buy.refresh_from_db()
    return buy


UPDATABLE_FIELDS = ("title", "description", "drop_point", "deadline", "delivery_date")


def group_buy_update(*, actor: User, buy: GroupBuy, **fields: Any) -> GroupBuy:
    """The leader edits a buy still taking sign-ups (title, description, drop point, deadline, delivery
    date); participants are told what changed. Prices, items, MOQ and limits are fixed once people joined."""
    _require_leader(actor, buy)
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise err.invalid_field(sorted(unknown)[0])
    cleaned: dict[str, Any] = {}
    if "title" in fields:
        cleaned["title"] = (fields["title"] or "").strip()
        if not cleaned["title"] or len(cleaned["title"]) > 120:
            raise err.invalid_field("title")
    if "description" in fields:
        cleaned["description"] = (fields["description"] or "").strip()
    if "drop_point" in fields:
        cleaned["drop_point"] = (fields["drop_point"] or "").strip()
        if len(cleaned["drop_point"]) > 120:
            raise err.invalid_field("drop_point")
    now = timezone.now()
    deadline = fields.get("deadline", buy.deadline)
    if not isinstance(deadline, datetime.datetime) or timezone.is_naive(deadline):
        raise err.invalid_deadline()
    if "deadline" in fields:
        if deadline <= now:
            raise err.invalid_deadline()
        pool_id = pool_id_for_buy(buy.pk)
        if pool_id is not None and deadline > Pool.objects.values_list("deadline", flat=True).get(pk=pool_id):
            raise err.pool_deadline_later()
        cleaned["deadline"] = deadline
    delivery_date = fields.get("delivery_date", buy.delivery_date)
    if (
        not isinstance(delivery_date, datetime.date)
        or isinstance(delivery_date, datetime.datetime)
        or delivery_date < timezone.localdate(deadline)
    ):
        raise err.invalid_deadline(_("The delivery date cannot be before the deadline."))
    if "delivery_date" in fields:
        cleaned["delivery_date"] = delivery_date
    changed = sorted(k for k, v in cleaned.items() if getattr(buy, k) != v)
    if not changed:
        return buy
    with transaction.atomic():
        # Only while sign-ups are open (and before the current deadline): the sweep cannot close it meanwhile.
        updated = GroupBuy.objects.filter(
            pk=buy.pk, status__in=[BuyStatus.OPEN, BuyStatus.FORMED], deadline__gt=now
        ).update(**cleaned)
        if updated != 1:
            raise err.invalid_state()
        buy.refresh_from_db()
        labels = ", ".join(_verbose_name(name) for name in changed)
        notify_buy(
            buy=buy,
            kind="buy_changed",
            user_ids=participant_user_ids(buy_id=buy.pk),
            params={"text": labels, "fields": changed},
            key_suffix=now.isoformat(),
        )
    return buy


def _verbose_name(field_name: str) -> str:
    """The label of a GroupBuy field (every editable one is a concrete Field, which has a verbose name)."""
    field = GroupBuy._meta.get_field(field_name)
    return str(field.verbose_name) if isinstance(field, Field) else field_name
