"""Videos: MP4/WebM by signature and structure, size caps, metadata scrubbing."""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from core.uploads.checks import empty_upload, sniff_video_ext, upload_size, video_format_not_allowed, video_too_large

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
    size = upload_size(upload)
    if size <= 0:
        raise empty_upload()
    if size > settings.UPLOAD_MAX_VIDEO_BYTES:
        raise video_too_large()
    head = upload.read(64)
    upload.seek(0)
    ext = sniff_video_ext(head)
    if ext is None:
        raise video_format_not_allowed()
    if ext == "mp4":
        ok = _mp4_structure_ok(upload, size)
        upload.seek(0)
        if not ok:
            raise ValidationFailed(
                _("The video could not be read: the file is damaged or incomplete."), code="video_corrupt"
            )
    return ext
