"""Serving private uploads.

Nothing under MEDIA_ROOT has a public URL (MEDIA_URL is not routed). A view
that owns the permission check ("may this user see this evidence / this
payment screenshot?") calls ``serve_private`` to stream the file.

Single byte ranges are honoured, because phone browsers (iOS Safari) will not
play a <video> whose server ignores Range requests.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.utils.http import content_disposition_header

from core.uploads import CONTENT_TYPES

# Types a browser may render in place. Anything else (PDF, unknown, and
# anything scriptable such as SVG or HTML) is sent as a download.
INLINE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "video/mp4", "video/webm"})
CACHE_CONTROL = "private, max-age=600"
# If a stored file were ever opened as a document, it could run nothing.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Slice:
    """Bytes ``start``..``end`` (inclusive) of an open file, read in blocks."""

    def __init__(self, file: IO[bytes], start: int, end: int) -> None:
        self._file = file
        self._remaining = end - start + 1
        file.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


def _byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(start, end) for one satisfiable range; None to send it all; False if unsatisfiable."""
    match = _RANGE_RE.match(header.strip())
    if not match:
        return None  # several ranges or another unit: ignoring Range is allowed
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignore
    if start >= size:
        return False
    end = int(last) if last else size - 1
    return start, min(end, size - 1)


def serve_private(
    request: HttpRequest,
    fieldfile_or_name: Any,
    *,
    content_type: str | None = None,
    download_name: str | None = None,
) -> FileResponse:
    """Stream a stored private file to a caller whose permission was already checked.

    ``fieldfile_or_name`` is a FieldFile or a storage name. Missing files are a
    404. Images and videos of our own types are shown inline; everything else
    is an attachment. Always: nosniff, private caching, a locked-down CSP.
    """
    name = getattr(fieldfile_or_name, "name", fieldfile_or_name)
    if not name or not isinstance(name, str):
        raise Http404("No file.")
    storage: Storage = getattr(fieldfile_or_name, "storage", None) or default_storage
    try:
        size = storage.size(name)
        file = storage.open(name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        raise Http404("No file.") from None

    # GZipMiddleware would compress this stream: pointless for JPEG/MP4, and it
    # drops Content-Length and mangles 206 responses. It only compresses when
    # the request accepts gzip, so tell it this one does not.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)

    ext = PurePosixPath(name).suffix.lstrip(".").lower()
    content_type = content_type or CONTENT_TYPES.get(ext, "application/octet-stream")
    inline = content_type in INLINE_CONTENT_TYPES

    status = 200
    body: Any = file
    byte_range = None
    if request.method == "GET" and "HTTP_RANGE" in request.META and "HTTP_IF_RANGE" not in request.META:
        byte_range = _byte_range(request.META["HTTP_RANGE"], size)
        if byte_range is False:
            file.close()
            response = FileResponse(iter(()), status=416, content_type=content_type)
            response["Content-Range"] = f"bytes */{size}"
            _secure(response)
            return response
        if byte_range:
            status = 206
            body = _Slice(file, *byte_range)

    response = FileResponse(body, status=status, content_type=content_type)
    if byte_range:
        start, end = byte_range
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(not inline, download_name or PurePosixPath(name).name)
    _secure(response)
    return response


def _secure(response: FileResponse) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Vary"] = "Cookie, Authorization"
