"""The one integer parser of the project: request values (query strings, JSON bodies, form posts) to ints.

Every app calls this instead of writing its own ``try: int(x) except ValueError``: ``parse_int`` for values a
service validates (None means "not a whole number", the caller decides which coded error that is) and
``int_param`` for optional query parameters that fall back to a default and are clamped to a range.
"""

from __future__ import annotations

import re
from typing import Any

_DIGITS = re.compile(r"^[0-9]{1,12}$")
_SIGNED_DIGITS = re.compile(r"^-?[0-9]{1,12}$")


def parse_int(value: Any, *, signed: bool = False) -> int | None:
    """An int from an int or a string of up to 12 digits (surrounding blanks ignored); None for anything else
    (floats, bools, '1.5', '', None). A leading minus is accepted only when ``signed``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if signed or value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if (_SIGNED_DIGITS if signed else _DIGITS).match(text):
            return int(text)
    return None


def int_param(value: Any, default: int, *, low: int = 0, high: int = 10**9) -> int:
    """An optional query parameter: ``default`` when absent or not a whole number, else clamped to low..high."""
    parsed = parse_int(value, signed=True)
    if parsed is None:
        return default
    return max(low, min(parsed, high))
