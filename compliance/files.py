"""Checking and storing filing documents and disinfection evidence.

Photos and videos go through core.uploads. PDFs (documents only) are checked
here: the %PDF- signature, the end-of-file marker (a truncated upload is
refused) and a size cap. Everything is stored under random private names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compliance import exceptions as errors
from core import uploads

PDF_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_PREFIX = "compliance/documents"
EVIDENCE_PREFIX = "compliance/evidence"
INCOMING_PREFIX = f"{uploads.INCOMING_PREFIX}/compliance/evidence"  # raw photos: pending, never served


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    upload.seek(0)
    return int(size)


def _head(upload: Any, n: int = 64) -> bytes:
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head


def validate_pdf_upload(upload: Any) -> str:
    size = _size(upload)
    if size <= 0:
        raise errors.unsupported_document()
    if size > PDF_MAX_BYTES:
        raise errors.document_too_large(PDF_MAX_BYTES // (1024 * 1024))
    if not _head(upload, 8).startswith(b"%PDF-"):
        raise errors.unsupported_document()
    upload.seek(max(0, size - 1024))
    tail = upload.read()
    upload.seek(0)
    if b"%%EOF" not in tail:
        raise errors.unsupported_document()
    return "pdf"


def validate_document_upload(upload: Any) -> str:
    """A photo (JPEG/PNG/WebP) or a PDF; returns the extension. Raises coded errors."""
    head = _head(upload, 16)
    if head.startswith(b"%PDF-"):
        return validate_pdf_upload(upload)
    if uploads.sniff_image_ext(head) is not None:
        return uploads.validate_image_upload(upload)
    raise errors.unsupported_document()


@dataclass
class StoredDocument:
    kind: str
    name: str
    thumbnail: str
    content_type: str


def store_document(kind: str, upload: Any, ext: str, *, user_id: int) -> StoredDocument:
    """Store a PDF as is, or a photo raw and pending (not decoded here: a task re-encodes it after
    commit, see compliance/services/documents.py). Counts against the person's upload allowance."""
    if ext == "pdf":
        uploads.upload_allowance_check(user_id)
        name = uploads.save_private_upload(upload, DOCUMENT_PREFIX, "pdf")
        return StoredDocument(kind=kind, name=name, thumbnail="", content_type="application/pdf")
    name = uploads.accept_image_upload(upload, user_id=user_id, prefix=DOCUMENT_PREFIX)
    return StoredDocument(kind=kind, name=name, thumbnail="", content_type=uploads.IMAGE_CONTENT_TYPES[ext])


def delete_stored(documents: list[StoredDocument]) -> None:
    for doc in documents:
        uploads.delete_private(doc.name, doc.thumbnail)


def classify_evidence(upload: Any) -> tuple[str, str]:
    """("photo"|"video", ext) after the matching checks; anything else is refused."""
    head = _head(upload, 64)
    if uploads.sniff_image_ext(head) is not None:
        return "photo", uploads.validate_image_upload(upload)
    if uploads.sniff_video_ext(head) is not None:
        return "video", uploads.validate_video_upload(upload)
    raise errors.evidence_format_not_allowed()
