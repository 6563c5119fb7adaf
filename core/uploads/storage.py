"""Private storage under server-made names, and the off-request photo pipeline (accept in the request, re-encode
in a task, settle which copy stays)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import ratelimit
from core.errors import ApplicationError, Conflict, RateLimited
from core.uploads.checks import EXT_RE, PREFIX_RE
from core.uploads.images import ProcessedImage, process_image, validate_image_upload
from core.uploads.videos import scrub_mp4_metadata

# --- storage -----------------------------------------------------------------


def private_name(prefix: str, ext: str) -> str:
    """A fresh, unguessable storage name: ``<prefix>/<yyyy>/<mm>/<32 hex>.<ext>``.

    Never derived from the client's file name, so path traversal is impossible.
    ``prefix`` and ``ext`` come from our code, and are checked anyway.
    """
    if not PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"bad storage prefix {prefix!r}")
    if not EXT_RE.fullmatch(ext):
        raise ValueError(f"bad extension {ext!r}")
    now = timezone.now()
    return f"{prefix}/{now:%Y}/{now:%m}/{secrets.token_hex(16)}.{ext}"


def save_private(content: bytes, prefix: str, ext: str) -> str:
    """Store bytes under a new private name in the default storage; returns the name."""
    return default_storage.save(private_name(prefix, ext), ContentFile(content))


def save_private_upload(upload: Any, prefix: str, ext: str) -> str:
    """Store an uploaded file (streamed in chunks, not read into memory); returns the name.

    An MP4 has its metadata boxes (GPS position, device) blanked first, in the
    upload's temporary copy (see scrub_mp4_metadata).
    """
    if ext == "mp4":
        scrub_mp4_metadata(upload)
    upload.seek(0)
    name = default_storage.save(private_name(prefix, ext), File(upload))
    upload.seek(0)
    return name


def save_processed_image(processed: ProcessedImage, prefix: str) -> tuple[str, str]:
    """Store a processed photo and its thumbnail; returns (image_name, thumbnail_name).

    If the second write fails the first is removed, so nothing is left behind.
    """
    image_name = save_private(processed.image, prefix, processed.ext)
    try:
        thumbnail_name = save_private(processed.thumbnail, prefix, processed.ext)
    except BaseException:
        delete_private(image_name)
        raise
    return image_name, thumbnail_name


def delete_private(*names: Any) -> None:
    """Remove stored files (cleanup after a failure).

    Takes names or FieldFiles; empty and already-missing ones are ignored.
    """
    for item in names:
        name = getattr(item, "name", item)
        if name:
            default_storage.delete(name)


# --- off-request processing --------------------------------------------------

INCOMING_PREFIX = "incoming"


def upload_allowance_check(user_id: int) -> None:
    """Count one upload by this person; refuse (429, ``upload_rate_limited``) past the allowance.

    Called before anything is read or stored, so a refused upload costs nothing and leaves nothing.
    """
    window = settings.UPLOAD_RATE_WINDOW_SECONDS
    if not ratelimit.hit("upload", str(user_id), limit=settings.UPLOAD_RATE_LIMIT, window=window):
        raise RateLimited(
            _("You have sent too many files. Please wait a few minutes and try again."),
            code="upload_rate_limited",
            detail={"retry_after_seconds": window},
        )


def accept_image_upload(upload: Any, *, user_id: int, prefix: str) -> str:
    """The request half: allowance, cheap checks (no decoding), raw file stored as pending.

    Returns the storage name under ``incoming/<prefix>/``. The caller records it, enqueues its
    re-encoding task after commit, and deletes the file if its own transaction fails.
    """
    upload_allowance_check(user_id)
    ext = validate_image_upload(upload)
    return save_private_upload(upload, f"{INCOMING_PREFIX}/{prefix}", ext)


def photo_processing() -> Conflict:
    """The refusal for a pending photo (views must never serve the raw upload)."""
    return Conflict(_("The photo is still being processed. Try again in a minute."), code="photo_processing")


def is_pending(name: Any) -> bool:
    """True for a raw upload not yet re-encoded (it must not be served)."""
    name = getattr(name, "name", name)
    return bool(name) and str(name).startswith(f"{INCOMING_PREFIX}/")


@dataclass(frozen=True)
class Reencoded:
    """What ``reencode_stored`` produced: stored names, or an error code when the photo was refused."""

    image: str = ""
    thumbnail: str = ""
    content_type: str = ""
    error_code: str = ""


def reencode_stored(source: str | None, prefix: str, *, thumbnail: bool = True) -> Reencoded:
    """The task half: read a pending raw file, re-encode it (process_image) and store the result.

    Never touches ``source``: the caller swaps its record from ``source`` to the result (or marks it
    failed) with a compare-and-swap, then calls ``reencode_settle``. ``error_code`` is the refusal's
    code, or ``missing_source`` when the raw file is gone.
    """
    if not source:
        return Reencoded(error_code="missing_source")
    try:
        with default_storage.open(source, "rb") as fp:
            data = fp.read()
    except (FileNotFoundError, ValueError):
        return Reencoded(error_code="missing_source")
    try:
        processed = process_image(data)
    except ApplicationError as exc:
        return Reencoded(error_code=exc.code[:40])
    if not thumbnail:
        return Reencoded(
            image=save_private(processed.image, prefix, processed.ext), content_type=processed.content_type
        )
    image_name, thumbnail_name = save_processed_image(processed, prefix)
    return Reencoded(image=image_name, thumbnail=thumbnail_name, content_type=processed.content_type)


def reencode_settle(result: Reencoded, *, source: str | None, swapped: bool) -> None:
    """After the caller's compare-and-swap: if it won, the raw source goes; if another run (or a
    replacement) got there first, our copies go. Either way one set of files is left."""
    if swapped:
        delete_private(source)
    else:
        delete_private(result.image, result.thumbnail)
