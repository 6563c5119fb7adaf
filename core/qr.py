"""The one QR module: an inline SVG (no file, no extra request) for pages and printables, and a PNG for images
made on the server (the share poster)."""

from __future__ import annotations

import io

import segno


def qr_svg(data: str, *, scale: int = 5, border: int = 2, fast: bool = False) -> str:
    """An inline ``<svg>`` QR code of `data` (error correction M, black on white).

    `fast` fixes the mask instead of letting segno try all eight (about 5x faster, for a sheet of
    hundreds of codes); any mask is valid QR and scans as well when printed.
    """
    code = segno.make(data, error="m", mask=0 if fast else None)
    return code.svg_inline(scale=scale, border=border, dark="#000", light="#fff")


def qr_png(data: str, *, scale: int = 8, border: int = 2) -> bytes:
    """A PNG QR code of `data` (error correction M, black on white), for images made on the server (posters)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=scale, border=border, dark="#000", light="#fff")
    return buffer.getvalue()
