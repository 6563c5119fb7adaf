"""Filing documents kept across a refused submit (issue 16).

A page submit first stores its uploads as the person's pending documents for the buy (one per kind; a new
upload replaces the old one), then files with whatever is pending: a refusal (a bad plate, a rule) leaves them
stored and the re-rendered form offers them back, so nothing is attached twice. A successful submit hands each
file to the filing's document and drops the pending row in the same transaction. Abandoned ones are removed with
their files by the compliance beat sweep after PENDING_DOCUMENT_TTL.

Photos stay raw (under incoming/) while pending: they are never served from here, and the filing's document
re-encodes them after commit like any uploaded photo (compliance.services.documents).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from compliance import exceptions as errors
from compliance.files import StoredDocument, delete_stored, store_document, validate_document_upload
from compliance.models import DocumentKind, PendingDocument
from core.uploads import delete_private
from groupbuy.models import GroupBuy

PENDING_DOCUMENT_TTL = timedelta(days=1)
DOCUMENT_KIND_NAMES = {str(kind) for kind in DocumentKind}


def pending_documents_get(*, user_id: int, buy_id: int) -> dict[str, PendingDocument]:
    """The documents this person uploaded for this buy and has not filed yet, by kind (a read)."""
    return {doc.kind: doc for doc in PendingDocument.objects.filter(user_id=user_id, buy_id=buy_id)}


def pending_documents_store(
    *, actor: User, buy: GroupBuy, uploads: dict[str, Any], now: datetime | None = None
) -> dict[str, PendingDocument]:
    """Check every upload, store each as `actor`'s pending document of its kind for `buy` (replacing an older
    one, whose file goes after commit), and return everything now pending for them, by kind.

    A refused upload stores nothing of this call. The caller has checked that `actor` may file for `buy`.
    """
    uploads = {kind: upload for kind, upload in (uploads or {}).items() if upload}
    unknown = set(uploads) - DOCUMENT_KIND_NAMES
    if unknown:
        raise errors.invalid_field(sorted(unknown)[0])
    exts = {kind: validate_document_upload(upload) for kind, upload in uploads.items()}
    stored: list[StoredDocument] = []
    names = {kind: (getattr(upload, "name", "") or "")[-120:] for kind, upload in uploads.items()}
    try:
        for kind, upload in uploads.items():
            stored.append(store_document(kind, upload, exts[kind], user_id=actor.pk))
        now = now or timezone.now()
        replaced: list[str] = []
        with transaction.atomic():
            for doc in stored:
                old = (
                    PendingDocument.objects.select_for_update()
                    .filter(user=actor, buy=buy, kind=doc.kind)
                    .values_list("file", flat=True)
                    .first()
                )
                if old:
                    replaced.append(old)
                PendingDocument.objects.update_or_create(
                    user=actor,
                    buy=buy,
                    kind=doc.kind,
                    defaults={
                        "file": doc.name,
                        "content_type": doc.content_type,
                        "original_name": names[doc.kind],
                        "uploaded_at": now,
                    },
                )
            transaction.on_commit(lambda: delete_private(*replaced))
    except BaseException:
        delete_stored(stored)
        raise
    return pending_documents_get(user_id=actor.pk, buy_id=buy.pk)


def pending_as_stored(pending: dict[str, PendingDocument]) -> list[StoredDocument]:
    """The pending documents in the shape a filing records (their files are reused, not copied)."""
    return [
        StoredDocument(kind=doc.kind, name=doc.file.name or "", thumbnail="", content_type=doc.content_type)
        for doc in pending.values()
    ]


def pending_documents_consume(*, pending: dict[str, PendingDocument]) -> None:
    """Drop the pending rows whose files a filing now holds.

    Precondition: inside the transaction that recorded the filing's documents. Compare-and-swap on the file:
    if another submit replaced one meanwhile (its old file goes after that commit), the filing is refused.
    """
    for doc in pending.values():
        if not PendingDocument.objects.filter(pk=doc.pk, file=doc.file.name).delete()[0]:
            raise errors.invalid_state()


def pending_documents_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Beat: remove documents pending longer than PENDING_DOCUMENT_TTL (an abandoned form) and their files.

    Each row goes by compare-and-swap on its file, and the file only if this call removed the row, so a submit
    using it at the same moment keeps it. Returns how many were removed."""
    cutoff = (now or timezone.now()) - PENDING_DOCUMENT_TTL
    stale = list(
        PendingDocument.objects.filter(uploaded_at__lt=cutoff).order_by("pk").values_list("pk", "file")[:limit]
    )
    removed = 0
    for pk, name in stale:
        if PendingDocument.objects.filter(pk=pk, file=name).delete()[0]:
            delete_private(name)
            removed += 1
    return removed
