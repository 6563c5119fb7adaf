"""After-sales reports (missing / damaged / wrong item)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus
from settlement import exceptions as errors
from settlement.models import (
    Adjustment,
    AdjustmentReason,
    AfterSalesPhoto,
    AfterSalesReport,
    ProblemKind,
    RefundReason,
    ReportState,
    Resolution,
    money,
)
from settlement.permissions import require_buy_leader, require_own_entry
from settlement.selectors.orders import Tab
from settlement.services.common import (
    AFTER_CLOSE_STATES,
    entry_owed,
    entry_refunded,
    lock_payment,
    parse_money,
    refund_excess,
)
from settlement.services.notify import entry_card_link, notify_entry
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
        raise errors.invalid_state()
    if entry.status != EntryStatus.ACTIVE:
        raise errors.entry_not_active()
    if kind not in ProblemKind.values:
        raise errors.invalid_kind(field="kind")
    description = (description or "").strip()
    if not description:
        raise errors.description_required(field="description")
    if item_id and not EntryLine.objects.filter(entry_id=entry.pk, item_id=item_id).exists():
        raise errors.item_not_in_entry(field="item")
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise errors.too_many_photos(field="photos")
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
        raise errors.invalid_resolution()
    note = (note or "").strip()
    if resolution == Resolution.REJECTED and not note:
        raise errors.reason_required(field="note")
    amount = None
    if resolution == Resolution.REFUND:
        amount = parse_money(refund_amount, field="refund_amount") if refund_amount not in (None, "") else None
        if amount is None or amount <= 0:
            raise errors.invalid_amount(field="refund_amount")
    entry = report.entry
    with transaction.atomic():
        payment = lock_payment(entry)
        entry.refresh_from_db(fields=["status", "amount", "units"])
        if amount is not None:
            refundable = payment.paid - entry_refunded(entry.pk)
            if amount > refundable:
                raise errors.refund_exceeds_paid(paid=money(refundable))
            if amount > entry_owed(entry):
                raise errors.refund_exceeds_owed(field="refund_amount")
        changed = AfterSalesReport.objects.filter(pk=report.pk, state=ReportState.OPEN).update(
            state=ReportState.RESOLVED,
            resolution=resolution,
            resolution_note=note[:300],
            refund_amount=amount,
            resolved_by=actor,
            resolved_at=timezone.now(),
        )
        if not changed:
            raise errors.already_resolved()
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
            link=entry_card_link(entry_id=entry.pk, tab=Tab.AFTER),
        )
    report.refresh_from_db()
    return report
