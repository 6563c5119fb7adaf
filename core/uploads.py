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

import io
import re
import secrets
import struct
import zlib
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core import ratelimit
from core.errors import ApplicationError, Conflict, PayloadTooLarge, RateLimited, ValidationFailed

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
_PIL_FORMAT_EXT = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
_EXT_PIL_FORMATS = {"jpg": ["JPEG"], "png": ["PNG"], "webp": ["WEBP"]}

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

_PREFIX_RE = re.compile(r"^[a-z0-9_-]+(?:/[a-z0-9_-]+)*$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,5}$")


# --- errors ------------------------------------------------------------------


def _empty() -> ValidationFailed:
    return ValidationFailed(_("The file is empty."), code="empty_file")


def _image_too_large() -> PayloadTooLarge:
    mb = settings.UPLOAD_MAX_IMAGE_BYTES // (1024 * 1024)
    return PayloadTooLarge(
        _("The photo is too large. The limit is %(mb)s MB.") % {"mb": mb},
        code="image_too_large",
        detail={"max_bytes": settings.UPLOAD_MAX_IMAGE_BYTES},
    )


def _image_format_not_allowed() -> ValidationFailed:
    return ValidationFailed(
        _("Only JPEG, PNG and WebP photos are accepted."),
        code="image_format_not_allowed",
        detail={"allowed": ["jpeg", "png", "webp"]},
    )


def _image_corrupt() -> ValidationFailed:
    return ValidationFailed(
        _("The photo could not be read: the file is damaged or incomplete."),
        code="image_corrupt",
    )


def _image_too_many_pixels() -> ValidationFailed:
    megapixels = settings.UPLOAD_MAX_IMAGE_PIXELS // 1_000_000
    return ValidationFailed(
        _("The photo has too many pixels. The limit is %(mp)s megapixels.") % {"mp": megapixels},
        code="image_too_many_pixels",
        detail={"max_pixels": settings.UPLOAD_MAX_IMAGE_PIXELS},
    )


def _video_format_not_allowed() -> ValidationFailed:
    return ValidationFailed(
        _("Only MP4 and WebM videos are accepted."),
        code="video_format_not_allowed",
        detail={"allowed": ["mp4", "webm"]},
    )


def _video_too_large() -> PayloadTooLarge:
    mb = settings.UPLOAD_MAX_VIDEO_BYTES // (1024 * 1024)
    return PayloadTooLarge(
        _("The video is too large. The limit is %(mb)s MB.") % {"mb": mb},
        code="video_too_large",
        detail={"max_bytes": settings.UPLOAD_MAX_VIDEO_BYTES},
    )


# What Pillow raises for malformed input. Listed explicitly: anything else is a
# bug and should surface as one.
_DECODE_ERRORS = (
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


# --- images ------------------------------------------------------------------


def _upload_size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    return int(size)


class _KeepOpen:
    """A view of a file that Pillow cannot close (PNG verify() closes the file it read)."""

    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = fp

    def read(self, size: int = -1) -> bytes:
        return self._fp.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._fp.seek(offset, whence)

    def tell(self) -> int:
        return self._fp.tell()

    def close(self) -> None:
        pass


def _open_checked(fp: IO[bytes], ext: str) -> Image.Image:
    """Open (header only), refusing formats other than ``ext`` and too many pixels.

    Pillow reads only the header here. It raises DecompressionBombError itself
    beyond twice Image.MAX_IMAGE_PIXELS; our own, lower cap is checked on the
    declared size before any pixel is decoded.
    """
    fp.seek(0)
    try:
        image = Image.open(_KeepOpen(fp), formats=_EXT_PIL_FORMATS[ext])  # type: ignore[arg-type]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning (over Image.MAX_IMAGE_PIXELS) is only raised when warnings are errors.
        raise _image_too_many_pixels() from None
    except _DECODE_ERRORS:
        raise _image_corrupt() from None
    if _PIL_FORMAT_EXT.get(image.format or "") != ext:
        image.close()
        raise _image_format_not_allowed()
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise _image_corrupt()
    if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
        image.close()
        raise _image_too_many_pixels()
    return image


def _check_image_stream(fp: IO[bytes], size: int) -> str:
    """All cheap checks on a seekable stream; returns the extension."""
    if size <= 0:
        raise _empty()
    if size > settings.UPLOAD_MAX_IMAGE_BYTES:
        raise _image_too_large()
    fp.seek(0)
    ext = sniff_image_ext(fp.read(16))
    if ext is None:
        raise _image_format_not_allowed()

    image = _open_checked(fp, ext)
    try:
        # PNG: walks every chunk to IEND checking CRCs (catches truncation).
        image.verify()
    except _DECODE_ERRORS:
        raise _image_corrupt() from None
    finally:
        image.close()

    if ext == "jpg":
        # verify() does nothing for JPEG. A decode at 1/8 scale reads the whole
        # entropy-coded stream (so truncation shows) for a fraction of the cost.
        image = _open_checked(fp, ext)
        try:
            width, height = image.size
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
        except _DECODE_ERRORS:
            raise _image_corrupt() from None
        finally:
            image.close()
    fp.seek(0)
    return ext


def validate_image_upload(upload: Any) -> str:
    """Refuse anything that is not a sound JPEG/PNG/WebP photo within the caps.

    ``upload`` is a Django UploadedFile (or any seekable binary file object).
    Raises ValidationFailed / PayloadTooLarge with a stable code; returns the
    real extension ("jpg", "png", "webp"), which callers may ignore. The file
    is left at position 0.
    """
    size = _upload_size(upload)
    return _check_image_stream(upload, size)


@dataclass(frozen=True)
class ProcessedImage:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    ext: str
    content_type: str
    thumbnail_width: int = 0
    thumbnail_height: int = 0


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = image.getchannel("A")
        return alpha.getextrema()[0] < 255
    return image.mode in ("P", "L", "RGB", "1") and "transparency" in image.info


def _encode(image: Image.Image, ext: str, *, quality: int, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, Any] = {}
    if icc:
        options["icc_profile"] = icc
    if ext == "jpg":
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, **options)
    else:
        image.save(buffer, "PNG", optimize=False, compress_level=6, **options)
    return buffer.getvalue()


def process_image(data: bytes) -> ProcessedImage:
    """Re-check, orient, strip metadata, re-encode and thumbnail a photo.

    Output is JPEG (quality 82), or PNG when the picture really uses
    transparency. The long side is capped at MAX_LONG_SIDE; the thumbnail at
    THUMBNAIL_LONG_SIDE. Raises the same coded errors as validate_image_upload.
    """
    fp = io.BytesIO(data)
    ext = _check_image_stream(fp, len(data))
    image = _open_checked(fp, ext)
    try:
        icc = image.info.get("icc_profile")
        if not isinstance(icc, bytes) or len(icc) > MAX_ICC_BYTES:
            icc = None
        try:
            if ext == "jpg":
                # Let libjpeg decode at a reduced scale when the photo is far
                # larger than what we keep: bounded memory for big JPEGs.
                width, height = image.size
                scale = MAX_LONG_SIDE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            image.load()
            transparent = _has_transparency(image)
            target_mode = "RGBA" if transparent else "RGB"
            # convert() copies info, so the EXIF orientation is still there to apply below.
            working = image if image.mode == target_mode else image.convert(target_mode)
            working.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
            ImageOps.exif_transpose(working, in_place=True)
        except _DECODE_ERRORS:
            raise _image_corrupt() from None
        # Drop every bit of metadata (EXIF/GPS, XMP, comments, PNG text, DPI...).
        # Encoders only write EXIF/XMP passed explicitly, but JPEG copies a comment from info.
        working.info = {}

        out_ext = "png" if transparent else "jpg"
        main = _encode(working, out_ext, quality=JPEG_QUALITY, icc=icc)
        width, height = working.size

        thumb = working
        if max(width, height) > THUMBNAIL_LONG_SIDE:
            ratio = THUMBNAIL_LONG_SIDE / max(width, height)
            thumb_size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
            thumb = working.resize(thumb_size, Image.Resampling.LANCZOS, reducing_gap=2.0)
            thumb.info = {}
        thumbnail = _encode(thumb, out_ext, quality=THUMBNAIL_QUALITY, icc=icc)
    finally:
        image.close()
    return ProcessedImage(
        image=main,
        thumbnail=thumbnail,
        width=width,
        height=height,
        ext=out_ext,
        content_type=IMAGE_CONTENT_TYPES[out_ext],
        thumbnail_width=thumb.width,
        thumbnail_height=thumb.height,
    )


# --- videos ------------------------------------------------------------------


_BOX_TYPE_RE = re.compile(rb"^[A-Za-z0-9 \xa9_-]{4}$")  # \xa9 is the "©" of QuickTime tags


class _BadBox(Exception):
    pass


def _mp4_boxes(fp: Any, start: int, end: int) -> Any:
    """Yield (position, header_length, size, type) for the boxes between start and end.

    Raises _BadBox when they do not chain exactly to ``end``. Reads 16 bytes per box.
    """
    position, count = start, 0
    while position < end:
        count += 1
        if count > 10_000:
            raise _BadBox
        fp.seek(position)
        header = fp.read(16)
        if len(header) < 8:
            raise _BadBox
        size = int.from_bytes(header[0:4], "big")
        kind = header[4:8]
        header_length = 8
        if not _BOX_TYPE_RE.match(kind):
            raise _BadBox
        if size == 1:  # a 64-bit size follows
            if len(header) < 16:
                raise _BadBox
            size, header_length = int.from_bytes(header[8:16], "big"), 16
            if size < 16:
                raise _BadBox
        elif size == 0:  # runs to the end
            size = end - position
        elif size < 8:
            raise _BadBox
        if position + size > end:
            raise _BadBox
        yield position, header_length, size, kind
        position += size


def _mp4_structure_ok(upload: Any, size: int) -> bool:
    """Top-level boxes must chain exactly to the end of the file and include the
    movie header ('moov'). A cut-off upload (moov is often last) or junk behind
    an ftyp header fails."""
    try:
        return any(kind == b"moov" for _, _, _, kind in list(_mp4_boxes(upload, 0, size)))
    except _BadBox:
        return False


# User data and metadata boxes: titles, device make/model and the recording
# location (udta/©xyz on Android, meta/keys on Apple). Nothing needed to play.
_MP4_PRIVATE_BOXES = frozenset({b"udta", b"meta"})
_XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def _blank_box(fp: Any, position: int, header_length: int, size: int) -> None:
    """Turn a box into 'free' of the same size, its content zeroed: offsets stay valid."""
    fp.seek(position + 4)
    fp.write(b"free")
    fp.seek(position + header_length)
    remaining = size - header_length
    while remaining > 0:
        chunk = min(remaining, 64 * 1024)
        fp.write(b"\x00" * chunk)
        remaining -= chunk


def scrub_mp4_metadata(fp: Any, size: int | None = None) -> int:
    """Blank the metadata boxes of an MP4 in place (moov- and track-level udta/meta,
    top-level meta and XMP uuid), so no GPS position or device name is stored.

    The file keeps its size and every offset, so it still plays. ``fp`` must be
    readable, writable and seekable. Returns how many boxes were blanked; a file
    whose structure cannot be walked is left alone (validation refuses those).
    """
    if size is None:
        fp.seek(0, io.SEEK_END)
        size = fp.tell()
    targets: list[tuple[int, int, int]] = []
    try:
        for position, header_length, box_size, kind in list(_mp4_boxes(fp, 0, size)):
            if kind == b"meta":
                targets.append((position, header_length, box_size))
            elif kind == b"uuid":
                fp.seek(position + header_length)
                if fp.read(16) == _XMP_UUID:
                    targets.append((position, header_length, box_size))
            elif kind == b"moov":
                for child in list(_mp4_boxes(fp, position + header_length, position + box_size)):
                    c_position, c_header, c_size, c_kind = child
                    if c_kind in _MP4_PRIVATE_BOXES:
                        targets.append((c_position, c_header, c_size))
                    elif c_kind == b"trak":
                        for t_position, t_header, t_size, t_kind in list(
                            _mp4_boxes(fp, c_position + c_header, c_position + c_size)
                        ):
                            if t_kind in _MP4_PRIVATE_BOXES:
                                targets.append((t_position, t_header, t_size))
    except _BadBox:
        fp.seek(0)
        return 0
    for target in targets:
        _blank_box(fp, *target)
    fp.seek(0)
    return len(targets)


def validate_video_upload(upload: Any) -> str:
    """Refuse anything but an MP4/WebM within the size cap; returns "mp4" or "webm".

    The container is checked by signature (and, for MP4, its top-level box
    structure); we do not decode video. The file is stored under a server name
    and served with nosniff, so a disguised file cannot be run by a browser.
    """
    size = _upload_size(upload)
    if size <= 0:
        raise _empty()
    if size > settings.UPLOAD_MAX_VIDEO_BYTES:
        raise _video_too_large()
    head = upload.read(64)
    upload.seek(0)
    ext = sniff_video_ext(head)
    if ext is None:
        raise _video_format_not_allowed()
    if ext == "mp4":
        ok = _mp4_structure_ok(upload, size)
        upload.seek(0)
        if not ok:
            raise ValidationFailed(
                _("The video could not be read: the file is damaged or incomplete."), code="video_corrupt"
            )
    return ext


# --- storage -----------------------------------------------------------------


def private_name(prefix: str, ext: str) -> str:
    """A fresh, unguessable storage name: ``<prefix>/<yyyy>/<mm>/<32 hex>.<ext>``.

    Never derived from the client's file name, so path traversal is impossible.
    ``prefix`` and ``ext`` come from our code, and are checked anyway.
    """
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(f"bad storage prefix {prefix!r}")
    if not _EXT_RE.fullmatch(ext):
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
