"""The one QR helper: an inline SVG (no file, no extra request) for pages and printables."""

from __future__ import annotations

import segno


def qr_svg(data: str, *, scale: int = 5, border: int = 2, fast: bool = False) -> str:
    """An inline ``<svg>`` QR code of `data` (error correction M, black on white).

    `fast` fixes the mask instead of letting segno try all eight (about 5x faster, for a sheet of
    hundreds of codes); any mask is valid QR and scans as well when printed.
    """
    code = segno.make(data, error="m", mask=0 if fast else None)
    return code.svg_inline(scale=scale, border=border, dark="#000", light="#fff")
