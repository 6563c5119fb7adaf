"""Filing documents that are photos: re-encoded off the request (EXIF/GPS stripped, thumbnail).

The request stores the raw photo under incoming/ (core.uploads.accept_image_upload) and the document
row holds that pending name; it is not served until this task swaps it, with a compare-and-swap on the
old name, for the re-encoded file. A resubmission that replaced the document meanwhile wins: the late
task's files are removed. A PDF is stored as is and never pending.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from compliance.files import DOCUMENT_PREFIX
from compliance.models import FilingDocument
from core import uploads
from core.enqueue import enqueue_task_on_commit

logger = logging.getLogger(__name__)


def document_recorded(*, document_id: int, name: str | None) -> None:
    """Call inside the transaction that stored a document: a pending photo is re-encoded after commit."""
    if uploads.is_pending(name):
        enqueue_task_on_commit("compliance.tasks.process_document", document_id)


def document_process(*, document_id: int) -> bool:
    """Re-encode a pending document photo (task path). True if this call made it ready; idempotent.

    A photo refused on decoding drops the document: the filing shows it missing and the leader re-files it.
    """
    source = FilingDocument.objects.filter(pk=document_id).values_list("file", flat=True).first()
    if not source or not uploads.is_pending(source):
        return False
    result = uploads.reencode_stored(source, DOCUMENT_PREFIX)
    same = FilingDocument.objects.filter(pk=document_id, file=source)
    if result.error_code:
        logger.info("filing document %s refused on re-encoding: %s", document_id, result.error_code)
        done = same.delete()[0]
    else:
        done = same.update(file=result.image, thumbnail=result.thumbnail, content_type=result.content_type)
    uploads.reencode_settle(result, source=source, swapped=bool(done))
    return bool(done) and not result.error_code


def documents_pending_ids(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Documents still pending a while after upload: their enqueue was lost (the sweep sends them again)."""
    cutoff = (now or timezone.now()) - older_than
    pending = FilingDocument.objects.filter(file__startswith=f"{uploads.INCOMING_PREFIX}/", uploaded_at__lt=cutoff)
    return list(pending.order_by("pk").values_list("pk", flat=True)[:100])
