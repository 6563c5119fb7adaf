"""After-sales reports (missing / damaged / wrong item) and donations for vulnerable households."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Household, User
from accounts.permissions import Action, membership_for, require
from core.errors import Conflict, PermissionRefused, ValidationFailed
from groupbuy.models import BuyItem, BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy
from groupbuy.services.locks import buy_lock_taking_signups
from groupbuy.services.stock import items_apply_deltas
from settlement.models import (
    Adjustment,
    AdjustmentReason,
    AfterSalesPhoto,
    AfterSalesReport,
    Donation,
    DonationState,
    ProblemKind,
    RefundReason,
    ReportState,
    Resolution,
)
from settlement.services.common import (
    AFTER_CLOSE_STATES,
    entry_owed,
    entry_refunded,
    lock_payment,
    money,
    parse_money,
    parse_quantity,
    purchase_order_recompute,
    refund_excess,
    require_buy_leader,
    require_own_entry,
    require_payment_staff,
)
from settlement.services.notify import notify_entry
from settlement.services.photos import photo_prefix, photo_recorded
from settlement.uploads import stored_photos

MAX_PHOTOS = 4
REPORTABLE_STATES = (*AFTER_CLOSE_STATES, BuyStatus.COMPLETED)


def after_sales_report(
    *,
    actor: User,
    entry: Entry,
    kind: str,
    description: str,
    item_id: int | None = None,
    photos: list[Any] | None = None,
) -> AfterSalesReport:
    require_own_entry(actor, entry)
    if entry.buy.status not in REPORTABLE_STATES:
        raise Conflict(_("Problems can be reported once the buy has closed."), code="invalid_state")
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_("This sign-up is no longer active."), code="entry_not_active")
    if kind not in ProblemKind.values:
        raise ValidationFailed(_("Choose what went wrong."), code="invalid_kind", detail={"field": "kind"})
    description = (description or "").strip()
    if not description:
        raise ValidationFailed(_("Describe the problem."), code="description_required", detail={"field": "description"})
    if item_id and not EntryLine.objects.filter(entry_id=entry.pk, item_id=item_id).exists():
        raise ValidationFailed(_("That item is not in your sign-up."), code="unknown_item", detail={"field": "item"})
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(_("At most 4 photos."), code="too_many_photos", detail={"field": "photos"})
    with stored_photos(photos, user_id=actor.pk, prefix=photo_prefix("after_sales")) as names, transaction.atomic():
        report = AfterSalesReport.objects.create(
            entry=entry,
            buy_id=entry.buy_id,
            item_id=item_id or None,
            kind=kind,
            description=description[:500],
            reported_by=actor,
        )
        created = AfterSalesPhoto.objects.bulk_create([AfterSalesPhoto(report=report, path=name) for name in names])
        for photo in created:  # each is pending until its task re-encodes it
            photo_recorded(kind="after_sales", pk=photo.pk)
    return report


def after_sales_resolve(
    *, actor: User, report: AfterSalesReport, resolution: str, note: str = "", refund_amount: Any = None
) -> AfterSalesReport:
    """The leader resolves a report once: a refund (credited and paid back), a replacement, or a rejection."""
    require_buy_leader(actor, report.buy)
    if resolution not in Resolution.values:
        raise ValidationFailed(_("Choose a resolution."), code="invalid_resolution")
    note = (note or "").strip()
    if resolution == Resolution.REJECTED and not note:
        raise ValidationFailed(_("Say why it is rejected."), code="reason_required", detail={"field": "note"})
    amount = None
    if resolution == Resolution.REFUND:
        amount = parse_money(refund_amount, field="refund_amount") if refund_amount not in (None, "") else None
        if amount is None or amount <= 0:
            raise ValidationFailed(
                _("Enter the refund amount."), code="invalid_amount", detail={"field": "refund_amount"}
            )
    entry = report.entry
    with transaction.atomic():
        payment = lock_payment(entry)
        entry.refresh_from_db(fields=["status", "amount", "units"])
        if amount is not None:
            refundable = payment.paid - entry_refunded(entry.pk)
            if amount > refundable:
                raise ValidationFailed(
                    _("A refund cannot be larger than what was paid (%(paid)s).") % {"paid": money(refundable)},
                    code="refund_exceeds_paid",
                    detail={"field": "refund_amount"},
                )
            if amount > entry_owed(entry):
                raise ValidationFailed(
                    _("A refund cannot be larger than what the order costs."),
                    code="refund_exceeds_owed",
                    detail={"field": "refund_amount"},
                )
        changed = AfterSalesReport.objects.filter(pk=report.pk, state=ReportState.OPEN).update(
            state=ReportState.RESOLVED,
            resolution=resolution,
            resolution_note=note[:300],
            refund_amount=amount,
            resolved_by=actor,
            resolved_at=timezone.now(),
        )
        if not changed:
            raise Conflict(_("This report is already resolved."), code="already_resolved")
        if amount is not None:
            Adjustment.objects.create(
                entry=entry,
                buy_id=entry.buy_id,
                amount=-amount,
                reason=AdjustmentReason.AFTER_SALES,
                source_key=f"after_sales:{report.pk}",
                note=note[:200],
            )
            refund_excess(entry=entry, reason=RefundReason.AFTER_SALES, note=note[:200])
        notify_entry(
            entry=entry,
            kind="after_sales_resolved",
            dedupe_key=f"after_sales:{report.pk}",
            params={"resolution": resolution},
        )
    report.refresh_from_db()
    return report


# --- donations --------------------------------------------------------------


def _check_recipient(buy: GroupBuy, recipient_id: Any) -> Household | None:
    if recipient_id in (None, ""):
        return None
    household = Household.objects.filter(pk=recipient_id, community_id=buy.community_id).first()
    if household is None or not household.is_vulnerable:
        raise ValidationFailed(
            _("Donations go to households on the committee's list."),
            code="not_vulnerable",
            detail={"field": "recipient"},
        )
    return household


def donation_limit(buy: GroupBuy) -> int:
    """Portions one person may donate to `buy`, all items together: the buy's per-household limit when it sets
    one (a donor gives at most what a household may order), else settings.DONATION_MAX_PORTIONS_PER_PERSON."""
    if buy.household_limit is not None:
        return buy.household_limit
    return settings.DONATION_MAX_PORTIONS_PER_PERSON


def donation_add(*, actor: User, buy: GroupBuy, item_id: Any, quantity: Any, recipient_id: Any = None) -> Donation:
    """A member donates N portions of an item for a household on the committee's vulnerable list, under the
    rules of an entry (issue 13):

    * only while the buy takes sign-ups (open or formed, before its deadline): the sign-up's own rule and row
      lock (`buy_lock_taking_signups`), held to the commit, so a close either waits for this donation (and its
      purchase order counts it) or makes this refuse: a donation is never added after the close;
    * at most `donation_limit(buy)` portions per person on this buy, counted under that lock (two requests of
      one donor cannot both pass the check);
    * drawn from the item's stock by the sign-up's conditional UPDATE (`items_apply_deltas`): a capped item is
      never oversold, whoever (sign-up or donation) asks for the last units.

    Donations do not count toward the MOQ: the buy's counters are the households' own orders (a withdrawable
    pledge should not form a buy for everyone); the purchase order adds them (`purchase_order_include_donations`).
    """
    membership = membership_for(actor, buy.community_id)
    if membership is None:
        raise PermissionRefused(code="forbidden")
    if recipient_id not in (None, "") and not (buy.leader_id == actor.pk or membership.is_committee):
        raise PermissionRefused(_("Only the leader or the committee chooses the household."), code="forbidden")
    try:
        item_pk = int(item_id)
    except (TypeError, ValueError):
        item_pk = 0
    item = BuyItem.objects.filter(pk=item_pk, buy_id=buy.pk).first()
    if item is None:
        raise ValidationFailed(_("That item is not in this buy."), code="unknown_item", detail={"field": "item"})
    qty = parse_quantity(quantity, field="quantity")
    if qty <= 0:
        raise ValidationFailed(_("Enter how many portions."), code="invalid_quantity", detail={"field": "quantity"})
    limit = donation_limit(buy)
    if qty > limit:  # refused before taking any lock
        raise _over_donation_limit(limit, 0)
    recipient = _check_recipient(buy, recipient_id)
    with transaction.atomic():
        buy_lock_taking_signups(buy_id=buy.pk, now=timezone.now())
        given = Donation.objects.filter(buy_id=buy.pk, donor=actor).aggregate(total=Sum("quantity"))["total"] or 0
        if given + qty > limit:
            raise _over_donation_limit(limit, given)
        items_apply_deltas(deltas={item.pk: qty})
        donation = Donation.objects.create(
            buy=buy, item=item, quantity=qty, amount=money(item.unit_price * qty), donor=actor, recipient=recipient
        )
    return donation


def _over_donation_limit(limit: int, given: int) -> ValidationFailed:
    return ValidationFailed(
        _("One person may donate at most %(limit)s portions to this buy.") % {"limit": limit},
        code="over_donation_limit",
        detail={"field": "quantity", "limit": limit, "remaining": max(0, limit - given)},
    )


def donation_withdraw(*, actor: User, donation: Donation) -> None:
    """The donor withdraws, or the buy's leader removes, a donation while the buy takes sign-ups (the rule and
    lock of `donation_add`, so never after the close): the row is deleted and its portions go back to the item's
    stock. A donation already marked paid is refused (`donation_paid`): there is no refund path for donations,
    so its money is returned by hand and the leader keeps it as a gift."""
    buy = donation.buy
    if membership_for(actor, buy.community_id) is None:
        raise PermissionRefused(code="forbidden")
    if donation.donor_id != actor.pk:
        require_buy_leader(actor, buy)
    with transaction.atomic():
        buy_lock_taking_signups(buy_id=buy.pk, now=timezone.now())
        row = (
            Donation.objects.select_for_update()
            .filter(pk=donation.pk)
            .values_list("item_id", "quantity", "state")
            .first()
        )
        if row is None:
            raise Conflict(_("This donation was already withdrawn."), code="donation_withdrawn")
        item_id, qty, state = row
        if state != DonationState.PLEDGED:
            raise Conflict(_("A paid donation can no longer be withdrawn."), code="donation_paid")
        Donation.objects.filter(pk=donation.pk).delete()
        items_apply_deltas(deltas={item_id: -qty})


def donation_assign(*, actor: User, donation: Donation, recipient_id: Any) -> Donation:
    buy = donation.buy
    membership = require(actor, Action.VIEW, buy.community_id)
    if not (buy.leader_id == actor.pk or membership.is_committee):
        raise PermissionRefused(_("Only the leader or the committee chooses the household."), code="forbidden")
    recipient = _check_recipient(buy, recipient_id)
    if recipient is None:
        raise ValidationFailed(_("Choose a household."), code="not_vulnerable", detail={"field": "recipient"})
    Donation.objects.filter(pk=donation.pk).exclude(state=DonationState.DELIVERED).update(recipient=recipient)
    donation.refresh_from_db()
    return donation


def donation_mark_paid(*, actor: User, donation: Donation) -> Donation:
    require_payment_staff(actor, donation.buy)
    Donation.objects.filter(pk=donation.pk, state=DonationState.PLEDGED).update(state=DonationState.PAID)
    donation.refresh_from_db()
    return donation


def purchase_order_include_donations(*, buy_id: int) -> None:
    """Hook for the close service: after the purchase order is built, add donated portions."""
    item_ids = list(Donation.objects.filter(buy_id=buy_id).values_list("item_id", flat=True).distinct())
    if item_ids:
        purchase_order_recompute(buy_id=buy_id, item_ids=item_ids)
