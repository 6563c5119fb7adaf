"""Upload limits, the coded refusals and format sniffing shared by images, videos and storage."""

from __future__ import annotations

import io
import re
import struct
import zlib
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import UnidentifiedImageError

from core.errors import PayloadTooLarge, ValidationFailed

# Output geometry and quality.
MAX_LONG_SIDE = 2048
THUMBNAIL_LONG_SIDE = 480
JPEG_QUALITY = 82
THUMBNAIL_QUALITY = 75
# An ICC profile is a colour description, not personal data; a silly-large one is dropped.
MAX_ICC_BYTES = 256 * 1024

IMAGE_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
VIDEO_CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
CONTENT_TYPES = {**IMAGE_CONTENT_TYPES, **VIDEO_CONTENT_TYPES, "pdf": "application/pdf"}

# Pillow format name -> our extension. MPO is what some phones write: a JPEG
# with extra frames; we keep the first.
PIL_FORMAT_EXT = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
EXT_PIL_FORMATS = {"jpg": ["JPEG"], "png": ["PNG"], "webp": ["WEBP"]}

# ISO base media brands that browsers play as MP4 (H.264/H.265/AV1 in an .mp4).
# QuickTime ('qt  ') is deliberately not here: it is not MP4 and most browsers
# outside Safari cannot play it.
MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"iso7",
        b"iso8",
        b"iso9",
        b"mp41",
        b"mp42",
        b"mp71",
        b"avc1",
        b"hvc1",
        b"hev1",
        b"av01",
        b"dash",
        b"MSNV",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"f4v ",
        b"3gp4",
        b"3gp5",
        b"3gp6",
        b"3g2a",
    }
)

PREFIX_RE = re.compile(r"^[a-z0-9_-]+(?:/[a-z0-9_-]+)*$")
EXT_RE = re.compile(r"^[a-z0-9]{1,5}$")


# --- errors ------------------------------------------------------------------


def empty_upload() -> ValidationFailed:
    return ValidationFailed(_("The file is empty."), code="empty_file")


def image_too_large() -> PayloadTooLarge:
    mb = settings.UPLOAD_MAX_IMAGE_BYTES // (1024 * 1024)
    return PayloadTooLarge(
        _("The photo is too large. The limit is %(mb)s MB.") % {"mb": mb},
        code="image_too_large",
        detail={"max_bytes": settings.UPLOAD_MAX_IMAGE_BYTES},
    )


def image_format_not_allowed() -> ValidationFailed:
    return ValidationFailed(
        _("Only JPEG, PNG and WebP photos are accepted."),
        code="image_format_not_allowed",
        detail={"allowed": ["jpeg", "png", "webp"]},
    )


def image_corrupt() -> ValidationFailed:
    return ValidationFailed(
        _("The photo could not be read: the file is damaged or incomplete."),
        code="image_corrupt",
    )


def image_too_many_pixels() -> ValidationFailed:
    megapixels = settings.UPLOAD_MAX_IMAGE_PIXELS // 1_000_000
    return ValidationFailed(
        _("The photo has too many pixels. The limit is %(mp)s megapixels.") % {"mp": megapixels},
        code="image_too_many_pixels",
        detail={"max_pixels": settings.UPLOAD_MAX_IMAGE_PIXELS},
    )


def video_format_not_allowed() -> ValidationFailed:
    return ValidationFailed(
        _("Only MP4 and WebM videos are accepted."),
        code="video_format_not_allowed",
        detail={"allowed": ["mp4", "webm"]},
    )


def video_too_large() -> PayloadTooLarge:
    mb = settings.UPLOAD_MAX_VIDEO_BYTES // (1024 * 1024)
    return PayloadTooLarge(
        _("The video is too large. The limit is %(mb)s MB.") % {"mb": mb},
        code="video_too_large",
        detail={"max_bytes": settings.UPLOAD_MAX_VIDEO_BYTES},
    )


# What Pillow raises for malformed input. Listed explicitly: anything else is a
# bug and should surface as one.
DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    zlib.error,
)


def video_limit_mb() -> int:
    """The video size cap in whole MB, for pages that state it."""
    return settings.UPLOAD_MAX_VIDEO_BYTES // (1024 * 1024)


def image_limit_mb() -> int:
    return settings.UPLOAD_MAX_IMAGE_BYTES // (1024 * 1024)


# --- sniffing ----------------------------------------------------------------


def sniff_image_ext(head: bytes) -> str | None:
    """The image type by its first bytes, or None when it is not JPEG/PNG/WebP."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _ebml_vint(data: bytes, position: int) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``position``: (value, position after it)."""
    if position >= len(data) or data[position] == 0:
        return None
    first = data[position]
    width = 8 - first.bit_length() + 1  # leading zero bits + 1
    if position + width > len(data):
        return None
    value = first & (0xFF >> width)
    for byte in data[position + 1 : position + width]:
        value = (value << 8) | byte
    return value, position + width


def sniff_video_ext(head: bytes) -> str | None:
    """MP4 (an ISO-BMFF ``ftyp`` box with a known brand) or WebM (EBML, DocType webm)."""
    if len(head) >= 16 and head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[0:4], "big")
        if box_size < 16 or box_size > 4096 or box_size % 4:
            return None
        body = head[8:box_size]
        # major brand, minor version, then compatible brands (4 bytes each)
        brands = [body[0:4]] + [body[i : i + 4] for i in range(8, len(body) - 3, 4)]
        if any(brand in MP4_BRANDS for brand in brands):
            return "mp4"
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # DocType element (ID 0x4282) in the EBML header: a variable-length size, then "webm".
        position = head.find(b"\x42\x82", 4, 64)
        if position != -1:
            decoded = _ebml_vint(head, position + 2)
            if decoded is not None:
                length, start = decoded
                if head[start : start + length] == b"webm":
                    return "webm"
        return None
    return None


def upload_size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    return int(size)
