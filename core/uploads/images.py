"""Photos: the cheap checks that run in the request and the re-encoding that runs in a task."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from PIL import Image, ImageOps

from core.uploads.checks import (
    DECODE_ERRORS,
    EXT_PIL_FORMATS,
    IMAGE_CONTENT_TYPES,
    JPEG_QUALITY,
    MAX_ICC_BYTES,
    MAX_LONG_SIDE,
    PIL_FORMAT_EXT,
    THUMBNAIL_LONG_SIDE,
    THUMBNAIL_QUALITY,
    empty_upload,
    image_corrupt,
    image_format_not_allowed,
    image_too_large,
    image_too_many_pixels,
    sniff_image_ext,
    upload_size,
)

# --- images ------------------------------------------------------------------


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
        image = Image.open(_KeepOpen(fp), formats=EXT_PIL_FORMATS[ext])  # type: ignore[arg-type]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning (over Image.MAX_IMAGE_PIXELS) is only raised when warnings are errors.
        raise image_too_many_pixels() from None
    except DECODE_ERRORS:
        raise image_corrupt() from None
    if PIL_FORMAT_EXT.get(image.format or "") != ext:
        image.close()
        raise image_format_not_allowed()
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise image_corrupt()
    if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
        image.close()
        raise image_too_many_pixels()
    return image


def _check_image_stream(fp: IO[bytes], size: int) -> str:
    """All cheap checks on a seekable stream; returns the extension."""
    if size <= 0:
        raise empty_upload()
    if size > settings.UPLOAD_MAX_IMAGE_BYTES:
        raise image_too_large()
    fp.seek(0)
    ext = sniff_image_ext(fp.read(16))
    if ext is None:
        raise image_format_not_allowed()

    image = _open_checked(fp, ext)
    try:
        # PNG: walks every chunk to IEND checking CRCs (catches truncation).
        image.verify()
    except DECODE_ERRORS:
        raise image_corrupt() from None
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
        except DECODE_ERRORS:
            raise image_corrupt() from None
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
    size = upload_size(upload)
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
        except DECODE_ERRORS:
            raise image_corrupt() from None
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
