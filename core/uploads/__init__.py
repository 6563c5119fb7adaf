"""Shared upload handling: photos, videos and the private file names they are stored under.

Every app that accepts a file goes through here:

- ``validate_image_upload`` runs in the request and is cheap: size cap, real
  format by content (JPEG/PNG/WebP only), header-only pixel cap (decompression
  bombs are refused before anything is decoded), structure check, truncation.
- ``process_image`` runs later (a Celery task): it re-checks everything, applies
  the EXIF orientation, drops all metadata (EXIF incl. GPS, XMP, comments, text
  chunks; the ICC colour profile is kept so phone photos keep their colours),
  re-encodes, caps the long side and makes a thumbnail. Re-encoding also throws
  away anything appended to the file (JPEG+ZIP polyglots).
- ``validate_video_upload`` checks MP4/WebM by signature (MP4 also by its box
  structure: a cut-off upload is refused) and size.
- Files are stored under server-generated random names (``private_name``) in the
  default storage; nothing under MEDIA_ROOT is served publicly (see core/media.py).

Photos are never decoded in the web request (a 40-megapixel PNG costs seconds and
hundreds of MB to decode). Every caller uses the same two halves:

- in the request, ``accept_image_upload``: the per-person upload allowance
  (``upload_allowance_check``), the cheap checks above, and the raw file stored
  under ``incoming/`` — the record holds that name and is *pending*
  (``is_pending``; a pending file is never served: it still has its EXIF/GPS);
- in a Celery task enqueued after commit, ``reencode_stored`` re-encodes it; the
  caller swaps the record's name with a compare-and-swap and ``reencode_settle``
  removes whichever copy lost, so nothing is left behind either way.
"""

from __future__ import annotations

from core.uploads.checks import (
    CONTENT_TYPES,
    DECODE_ERRORS,
    EXT_PIL_FORMATS,
    EXT_RE,
    IMAGE_CONTENT_TYPES,
    JPEG_QUALITY,
    MAX_ICC_BYTES,
    MAX_LONG_SIDE,
    MP4_BRANDS,
    PIL_FORMAT_EXT,
    PREFIX_RE,
    THUMBNAIL_LONG_SIDE,
    THUMBNAIL_QUALITY,
    VIDEO_CONTENT_TYPES,
    empty_upload,
    image_corrupt,
    image_format_not_allowed,
    image_limit_mb,
    image_too_large,
    image_too_many_pixels,
    sniff_image_ext,
    sniff_video_ext,
    upload_size,
    video_format_not_allowed,
    video_limit_mb,
    video_too_large,
)
from core.uploads.images import ProcessedImage, process_image, validate_image_upload
from core.uploads.storage import (
    INCOMING_PREFIX,
    Reencoded,
    accept_image_upload,
    delete_private,
    is_pending,
    photo_processing,
    private_name,
    reencode_settle,
    reencode_stored,
    save_private,
    save_private_upload,
    save_processed_image,
    upload_allowance_check,
)
from core.uploads.videos import scrub_mp4_metadata, validate_video_upload

__all__ = [
    "CONTENT_TYPES",
    "DECODE_ERRORS",
    "EXT_PIL_FORMATS",
    "EXT_RE",
    "IMAGE_CONTENT_TYPES",
    "JPEG_QUALITY",
    "MAX_ICC_BYTES",
    "MAX_LONG_SIDE",
    "MP4_BRANDS",
    "PIL_FORMAT_EXT",
    "PREFIX_RE",
    "THUMBNAIL_LONG_SIDE",
    "THUMBNAIL_QUALITY",
    "VIDEO_CONTENT_TYPES",
    "empty_upload",
    "image_corrupt",
    "image_format_not_allowed",
    "image_limit_mb",
    "image_too_large",
    "image_too_many_pixels",
    "sniff_image_ext",
    "sniff_video_ext",
    "upload_size",
    "video_format_not_allowed",
    "video_limit_mb",
    "video_too_large",
    "ProcessedImage",
    "process_image",
    "validate_image_upload",
    "scrub_mp4_metadata",
    "validate_video_upload",
    "INCOMING_PREFIX",
    "Reencoded",
    "accept_image_upload",
    "delete_private",
    "is_pending",
    "photo_processing",
    "private_name",
    "reencode_settle",
    "reencode_stored",
    "save_private",
    "save_private_upload",
    "save_processed_image",
    "upload_allowance_check",
]
