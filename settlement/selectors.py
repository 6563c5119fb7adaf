"""Reads for settlement pages and the API. Each owns its joins so list pages stay at a fixed query count."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.display import mask_name, public_identity
from accounts.models import User, VolunteerGroup
from accounts.permissions import Action, can, membership_for
from core.errors import NotFound, PermissionRefused
from groupbuy.models import Entry, EntryLine, EntryStatus, GroupBuy
from settlement.models import (
    ZERO,
    Adjustment,
    AfterSalesReport,
    ChangeStatus,
    Donation,
    Payment,
    PaymentState,
    PickupCode,
    PickupState,
    PriceChange,
    PriceChangeResponse,
    Refund,
)
from settlement.services.common import is_payment_staff, money

MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)
# Shown (never stored) when everything paid for an entry has been refunded.
REFUNDED = "refunded"


def get_buy(*, user: User, buy_id: int) -> GroupBuy:
    """The buy, if the user is a member of its community."""
    buy = GroupBuy.objects.select_related("community", "leader").filter(pk=buy_id).first()
    if buy is None or not can(user, Action.VIEW, buy.community_id):
        raise NotFound(code="not_found")
    return buy


def entry_get(*, entry_id: int) -> Entry:
    """The entry with its buy and household (no visibility check: the caller checks who may see it)."""
    entry = Entry.objects.select_related("buy", "household__building").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(code="not_found")
    return entry


def _sum_subquery(model: Any, field: str = "amount") -> Subquery:
    return Subquery(
        model.objects.filter(entry_id=OuterRef("pk"))
        .order_by()
        .values("entry_id")
        .annotate(s=Sum(field))
        .values("s")[:1],
        output_field=MONEY_FIELD,
    )


class _MoneyAnnotations(TypedDict):
    credits: Decimal
    refunded: Decimal


if TYPE_CHECKING:  # django_stubs_ext is a dev requirement; its two-argument form is for the type checker only
    from django_stubs_ext import WithAnnotations

    # An entry annotated by entries_with_money: the sums of its adjustments and refunds.
    EntryWithMoney = WithAnnotations[Entry, _MoneyAnnotations]


class EntryMoney(TypedDict):
    owed: Decimal
    paid: Decimal
    pending: Decimal
    refunded: Decimal
    due: Decimal
    balance: Decimal
    state: str
    method: str
    marked_at: datetime | None
    payment: Payment | None


def entries_with_money(*, buy: GroupBuy) -> QuerySet[EntryWithMoney]:
    """Entries of the buy (all statuses) with their payment, credits and refunds in one query."""
    return (
        Entry.objects.filter(buy_id=buy.pk)
        .select_related("household__building", "payment", "placed_by")
        .annotate(
            credits=Coalesce(_sum_subquery(Adjustment), Value(ZERO), output_field=MONEY_FIELD),
            refunded=Coalesce(_sum_subquery(Refund), Value(ZERO), output_field=MONEY_FIELD),
        )
        .order_by("seq")
    )


def money_of(entry: EntryWithMoney) -> EntryMoney:
    """owed / paid / pending / refunded / due / excess for an entry annotated by entries_with_money."""
    payment = getattr(entry, "payment", None) if hasattr(entry, "payment") else None
    owed = money(max(entry.amount + entry.credits, ZERO)) if entry.status == EntryStatus.ACTIVE else ZERO
    paid = payment.paid if payment else ZERO
    pending = payment.marked_amount if payment else ZERO
    net = paid - entry.refunded
    state = payment.state if payment else PaymentState.UNPAID
    if paid > 0 and pending == 0 and entry.refunded >= paid:
        state = REFUNDED
    return {
        "owed": owed,
        "paid": paid,
        "pending": pending,
        "refunded": entry.refunded,
        "due": money(owed - net - pending),
        "balance": money(net - owed),  # > 0: paid too much and not yet refunded
        "state": state,
        "method": payment.method if payment else "",
        "marked_at": payment.marked_at if payment else None,
        "payment": payment,
    }


def reconciliation_rows(*, buy: GroupBuy) -> list[dict[str, Any]]:
    rows = []
    for entry in entries_with_money(buy=buy):
        info = money_of(entry)
        if entry.status != EntryStatus.ACTIVE and info["paid"] == 0 and info["pending"] == 0:
            continue
        rows.append({"entry": entry, **info})
    return rows


# "Unpaid too long" is counted over at most 90 days (the API refuses more: timedelta overflows far beyond).
UNPAID_HOURS_MAX = 24 * 90


def reconciliation(*, user: User, buy: GroupBuy, unpaid_hours: int = 24, state: str = "") -> dict[str, Any]:
    """The leader's and data volunteers' view: totals, every entry's money, what needs attention."""
    if not is_payment_staff(user, buy):
        raise PermissionRefused(code="forbidden")
    rows = reconciliation_rows(buy=buy)
    since = buy.closed_at or buy.created_at
    overdue_before = timezone.now() - timedelta(hours=min(max(unpaid_hours, 0), UNPAID_HOURS_MAX))
    totals: defaultdict[str, Decimal] = defaultdict(lambda: Decimal("0"))
    counts: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        totals["expected"] += row["owed"]
        totals["marked"] += row["pending"]
        totals["confirmed"] += row["paid"]
        totals["refunded"] += row["refunded"]
        row["overdue"] = row["state"] == PaymentState.UNPAID and row["owed"] > 0 and since <= overdue_before
        row["mismatch"] = row["state"] == PaymentState.MARKED and row["due"] != 0
        row["overpaid"] = row["balance"] > 0
        counts[row["state"]] += 1
        counts["overdue"] += row["overdue"]
        counts["mismatch"] += row["mismatch"]
        counts["overpaid"] += row["overpaid"]
    totals["outstanding"] = totals["expected"] - (totals["confirmed"] - totals["refunded"])
    if state == "attention":
        rows = [r for r in rows if r["overdue"] or r["mismatch"] or r["overpaid"] or r["state"] == PaymentState.MARKED]
    elif state in (*PaymentState.values, REFUNDED):
        rows = [r for r in rows if r["state"] == state]
    return {"buy": buy, "rows": rows, "totals": dict(totals), "counts": dict(counts), "unpaid_hours": unpaid_hours}


def my_entry(*, user: User, buy: GroupBuy) -> EntryWithMoney | None:
    """The user's household's entry (the live one, else the latest), with its money."""
    membership = membership_for(user, buy.community_id)
    if membership is None or not membership.household_id:
        return None
    qs = entries_with_money(buy=buy).filter(household_id=membership.household_id)
    qs = qs.prefetch_related(
        Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")),
        Prefetch("refunds", queryset=Refund.objects.order_by("pk")),
    )
    return qs.filter(status=EntryStatus.ACTIVE).first() or qs.order_by("-seq").first()


def pickup_for(*, entry: Entry) -> PickupCode | None:
    return PickupCode.objects.filter(entry_id=entry.pk).first()


def price_changes(*, buy: GroupBuy):
    """Every change of the buy with its answers: the history participants see."""
    return (
        PriceChange.objects.filter(buy_id=buy.pk)
        .select_related("item__offer", "new_offer")
        .prefetch_related(Prefetch("responses", queryset=PriceChangeResponse.objects.select_related("entry")))
        .order_by("-created_at", "-id")
    )


def open_price_changes_for_entry(*, entry: Entry) -> list[PriceChange]:
    answered = PriceChangeResponse.objects.filter(entry_id=entry.pk).values("change_id")
    return list(
        PriceChange.objects.filter(
            buy_id=entry.buy_id, status=ChangeStatus.OPEN, item__lines__entry_id=entry.pk, deadline__gt=timezone.now()
        )
        .exclude(pk__in=answered)
        .select_related("item__offer", "new_offer")
    )


def refunds_for(*, user: User, buy: GroupBuy):
    """All refunds of the buy for payment staff; only the user's household's otherwise."""
    qs = Refund.objects.filter(buy_id=buy.pk).select_related("entry__household__building").order_by("pk")
    if is_payment_staff(user, buy):
        return qs
    membership = membership_for(user, buy.community_id)
    household_id = membership.household_id if membership else None
    return qs.filter(Q(entry__household_id=household_id) | Q(entry__placed_by=user))


def after_sales_for(*, buy: GroupBuy):
    """Reports of the buy; participants see them all (with masked identities)."""
    return (
        AfterSalesReport.objects.filter(buy_id=buy.pk)
        .select_related("entry__household__building", "item__offer")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")
    )


def identity(entry: Entry) -> str:
    return public_identity(entry.household.label, entry.display_name or "")


# --- distribution -------------------------------------------------------------


@dataclass(frozen=True)
class PickScope:
    """What of a buy's pick list one person sees (DESIGN "Who may do what to whom").
    `building_ids` None: every building; else only those. `detail_ids` None: names, care notes and donated
    portions everywhere shown; else only in those buildings (elsewhere: the room, a masked name, the items)."""

    building_ids: frozenset[int] | None
    detail_ids: frozenset[int] | None

    def shows(self, building_id: int) -> bool:
        return self.building_ids is None or building_id in self.building_ids

    def details(self, building_id: int) -> bool:
        return self.detail_ids is None or building_id in self.detail_ids


def pick_list_scope(*, user: User, buy: GroupBuy) -> PickScope:
    """Who sees which pick list rows:
    - the buy's leader and data volunteers: the whole buy with names and care notes (they run the list);
    - a building leader: their own building, in full;
    - receiving volunteers (and team leaders of other buys): every building, to hand out, but only the room,
      a masked name and the items: no care notes (独居，放门口), and no donated portions, which would tell who
      is on the committee's vulnerable list. A receiving volunteer who also leads a building sees it in full.
    PermissionRefused for anyone who may not hand out goods."""
    membership = membership_for(user, buy.community_id)
    if membership is None or not can(user, Action.HAND_OVER, buy.community_id):
        raise PermissionRefused(code="forbidden")
    if buy.leader_id == user.pk or membership.volunteer_group == VolunteerGroup.DATA:
        return PickScope(building_ids=None, detail_ids=None)
    led = (
        frozenset([membership.led_building_id])
        if membership.is_building_leader and membership.led_building_id
        else frozenset()
    )
    if membership.is_team_leader or membership.volunteer_group == VolunteerGroup.RECEIVING:
        return PickScope(building_ids=None, detail_ids=led)
    return PickScope(building_ids=led, detail_ids=led)


def pick_list(*, user: User, buy: GroupBuy, building_id: int | None = None) -> list[dict[str, Any]]:
    """Per building: households (by room) with items and quantities to hand over, notes, donations; limited
    to what `user` may see (pick_list_scope). Asking for a building outside the scope is refused."""
    scope = pick_list_scope(user=user, buy=buy)
    if building_id and not scope.shows(building_id):
        raise PermissionRefused(_("This household is not in your building."), code="not_your_building")
    entries = (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .select_related("household__building", "pickup", "placed_for")
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")))
        .order_by("household__building__sort_key", "household__building__label", "household__room", "seq")
    )
    donations = Donation.objects.filter(buy_id=buy.pk, recipient__isnull=False).select_related(
        "recipient__building", "item__offer"
    )
    if building_id:
        entries = entries.filter(household__building_id=building_id)
        donations = donations.filter(recipient__building_id=building_id)
    if scope.building_ids is not None:
        entries = entries.filter(household__building_id__in=scope.building_ids)
    if scope.detail_ids is not None:
        donations = donations.filter(recipient__building_id__in=scope.detail_ids)
    buildings: dict[int, dict[str, Any]] = {}

    def bucket(building) -> dict[str, Any]:
        if building.pk not in buildings:
            buildings[building.pk] = {
                "building": building,
                "households": [],
                "donations": [],
                "handed": 0,
                "total": 0,
                "totals": defaultdict(int),
            }
        return buildings[building.pk]

    for entry in entries:
        group = bucket(entry.household.building)
        pickup = getattr(entry, "pickup", None) if hasattr(entry, "pickup") else None
        lines = [
            {"line": line, "title": line.item.offer.title, "unit": line.item.offer.unit, "quantity": _to_hand(line)}
            for line in entry.lines.all()
        ]
        for line in lines:
            group["totals"][line["title"]] += line["quantity"]
        detail = scope.details(entry.household.building_id)
        group["households"].append(
            {
                "entry": entry,
                "lines": lines,
                "pickup": pickup,
                "name": entry.display_name if detail else mask_name(entry.display_name),
                "note": entry.note if detail else "",
            }
        )
        group["total"] += 1
        if pickup is not None and pickup.state != PickupState.ISSUED:
            group["handed"] += 1
    for donation in donations:
        if donation.recipient is None:  # excluded by the query; narrows the type
            continue
        group = bucket(donation.recipient.building)
        group["donations"].append(donation)
        group["totals"][donation.item.offer.title] += donation.quantity
    result = sorted(buildings.values(), key=lambda g: (g["building"].sort_key, g["building"].label))
    for group in result:
        group["totals"] = sorted(group["totals"].items())
    return result


def _to_hand(line: EntryLine) -> int:
    return line.allocated if line.allocated is not None else line.quantity


def gate_queue(*, buy: GroupBuy):
    """Pickup in turn at the gate: live entries in 接龙 order with their hand-over state."""
    return (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .select_related("household__building", "pickup")
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")))
        .order_by("seq")
    )


def distribution_progress(*, buy: GroupBuy) -> list[dict[str, Any]]:
    """Per building: households handed over / total."""
    rows: dict[int, dict[str, Any]] = {}
    qs = (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .values("household__building_id", "household__building__label", "household__building__sort_key")
        .annotate(
            total=Sum(Value(1)),
            handed=Sum(
                Value(1),
                filter=Q(pickup__state__in=[PickupState.HANDED_OVER, PickupState.PARTIAL]),
            ),
        )
        .order_by("household__building__sort_key", "household__building__label")
    )
    for row in qs:
        rows[row["household__building_id"]] = {
            "building_id": row["household__building_id"],
            "building": row["household__building__label"],
            "total": row["total"] or 0,
            "handed": row["handed"] or 0,
        }
    return list(rows.values())


def can_manage(user: User, buy: GroupBuy) -> bool:
    return buy.leader_id == user.pk and can(user, Action.OPEN_BUY, buy.community_id)


def can_hand_over(user: User, buy: GroupBuy) -> bool:
    return can(user, Action.HAND_OVER, buy.community_id)


def ordered_per_item(*, buy: GroupBuy) -> dict[int, int]:
    return dict(
        EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )


def donations(*, buy: GroupBuy):
    """Every donation of the buy. Who received one reveals the committee-only vulnerable list: show
    `recipient` only to whom `can_see_donation_recipients` allows."""
    return (
        Donation.objects.filter(buy_id=buy.pk)
        .select_related("item__offer", "recipient__building", "donor")
        .order_by("pk")
    )


def can_see_donation_recipients(user: User, buy: GroupBuy) -> bool:
    """Committee staff of the buy's community and the buy's leader see the vulnerable list and choose donation
    recipients (DESIGN "Who may do what"); residents and volunteers never see who received a donation."""
    membership = membership_for(user, buy.community_id)
    if membership is None:
        return False
    return membership.is_committee or can_manage(user, buy)


def pickup_preview(*, buy: GroupBuy, code: str) -> dict[str, Any] | None:
    """What the typed/scanned code would hand over (same buy only), for the volunteer to check."""
    from settlement.services.distribution import normalize_code

    pickup = (
        PickupCode.objects.filter(code=normalize_code(code), buy_id=buy.pk)
        .select_related("entry__household__building")
        .first()
    )
    if pickup is None:
        return None
    lines = [
        {"line": line, "title": line.item.offer.title, "unit": line.item.offer.unit, "quantity": _to_hand(line)}
        for line in EntryLine.objects.filter(entry_id=pickup.entry_id).select_related("item__offer").order_by("pk")
    ]
    return {"pickup": pickup, "identity": identity(pickup.entry), "lines": lines}
