"""Re-encoding settlement photos off the request (transfer screenshots, price-change evidence, after-sales).

Each record keeps one storage name. While it is under incoming/ the photo is pending: the raw upload,
never served. The task re-encodes it and swaps the name with a compare-and-swap on the old name, so a
repeat, or a screenshot replaced meanwhile, changes nothing and leaves no orphan file.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from core import uploads
from core.enqueue import enqueue_task_on_commit
from settlement.models import AfterSalesPhoto, PayeeAccount, Payment, PriceChange

logger = logging.getLogger(__name__)

# kind -> (model, field holding the storage name, where the re-encoded file goes)
PHOTO_KINDS: dict[str, tuple[type[Model], str, str]] = {
    "payment": (Payment, "screenshot", "settlement/payments"),
    "evidence": (PriceChange, "evidence", "settlement/evidence"),
    "after_sales": (AfterSalesPhoto, "path", "settlement/after-sales"),
    "payee": (PayeeAccount, "qr_image", "settlement/payees"),
}
# A photo pending this long lost its task: the sweep sends it again.
PHOTO_REQUEUE_AFTER = datetime.timedelta(minutes=2)


def photo_prefix(kind: str) -> str:
    """The storage folder of this kind of photo (its raw upload goes under core.uploads.INCOMING_PREFIX)."""
    return PHOTO_KINDS[kind][2]


def photo_process_enqueue(kind: str, pk: int) -> None:
    """Re-encode this record's pending photo after the surrounding transaction commits."""
    enqueue_task_on_commit("settlement.process_photo", kind, pk)


def photo_recorded(*, kind: str, pk: int, replaced: str = "") -> None:
    """Call inside the transaction that put a new pending photo on a record: once it commits, the
    photo is re-encoded and the file it replaced is deleted (a rollback does neither)."""
    photo_process_enqueue(kind, pk)
    if replaced:
        transaction.on_commit(lambda: uploads.delete_private(replaced))


def settlement_photo_process(*, kind: str, pk: int) -> bool:
    """Re-encode one pending photo (task path). True if this call made it ready; idempotent.

    A photo refused on decoding is dropped (the field emptied; an after-sales photo row removed).
    """
    model, field, prefix = PHOTO_KINDS[kind]
    source = model._default_manager.filter(pk=pk).values_list(field, flat=True).first()
    if not source or not uploads.is_pending(source):
        return False
    result = uploads.reencode_stored(source, prefix, thumbnail=False)
    same = model._default_manager.filter(pk=pk, **{field: source})
    if result.error_code:
        logger.info("settlement %s photo %s refused on re-encoding: %s", kind, pk, result.error_code)
        swapped = bool(same.delete()[0] if kind == "after_sales" else same.update(**{field: ""}))
    else:
        swapped = bool(same.update(**{field: result.image}))
    uploads.reencode_settle(result, source=source, swapped=swapped)
    return swapped and not result.error_code


def settlement_photos_requeue(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Sweep: send the task again for photos still pending a while after upload (their enqueue was lost).

    Processing is a compare-and-swap, so a photo sent twice is re-encoded once.
    """
    now = now or timezone.now()
    before = now - PHOTO_REQUEUE_AFTER
    pending = f"{uploads.INCOMING_PREFIX}/"
    found: list[tuple[str, Any]] = []
    found += [
        ("payment", pk)
        for pk in Payment.objects.filter(screenshot__startswith=pending, marked_at__lte=before).values_list(
            "pk", flat=True
        )[:limit]
    ]
    found += [
        ("evidence", pk)
        for pk in PriceChange.objects.filter(evidence__startswith=pending, created_at__lte=before).values_list(
            "pk", flat=True
        )[:limit]
    ]
    found += [
        ("after_sales", pk)
        for pk in AfterSalesPhoto.objects.filter(path__startswith=pending, report__created_at__lte=before).values_list(
            "pk", flat=True
        )[:limit]
    ]
    found += [
        ("payee", pk)
        for pk in PayeeAccount.objects.filter(qr_image__startswith=pending, updated_at__lte=before).values_list(
            "pk", flat=True
        )[:limit]
    ]
    for kind, pk in found:
        photo_process_enqueue(kind, pk)
    return len(found)
