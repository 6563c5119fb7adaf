"""Units as a reader sees them (issue 16, item 7).

An offer's unit is free text typed by its leader, nearly always Chinese (份, 斤, 箱). A Chinese page shows it as
typed. An English page shows a known unit with its English name beside it ("瓶 (bottles)"), so "74 of 24 瓶"
reads "74 of 24 瓶 (bottles)" and the label on the box still matches; a unit we do not know is shown as typed.
One function for pages (the `unit_label` filter of jl_buys), the 接龙 text and the exports.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import npgettext, pgettext


def _count(n: Any) -> int:
    """What to pluralise by: 1 for exactly one (or no count: "¥5.00/瓶 (bottle)"), else the integer part."""
    if n is None or n == "":
        return 1
    try:
        value = Decimal(str(n))
    except (InvalidOperation, ValueError):
        return 1
    if value == 1:
        return 1
    # A fraction (2.5 斤) or a huge number reads as "many": only 1 is singular in English.
    return int(value) if value == value.to_integral_value() and abs(value) < 10**9 else 2


# The units the issue lists (and 千克, which is 公斤), by what a leader types. Weights keep their weight.
KNOWN_UNITS: dict[str, Callable[[int], str]] = {
    "斤": lambda n: pgettext("unit", "jin, 500 g"),
    "两": lambda n: pgettext("unit", "liang, 50 g"),
    "公斤": lambda n: pgettext("unit", "kg"),
    "千克": lambda n: pgettext("unit", "kg"),
    "瓶": lambda n: npgettext("unit", "bottle", "bottles", n),
    "份": lambda n: npgettext("unit", "portion", "portions", n),
    "箱": lambda n: npgettext("unit", "case", "cases", n),
    "盒": lambda n: npgettext("unit", "box", "boxes", n),
    "袋": lambda n: npgettext("unit", "bag", "bags", n),
    "个": lambda n: npgettext("unit", "piece", "pieces", n),
}


def unit_english(unit: Any, n: Any = None) -> str | None:
    """The English name of a known unit when the active language is not Chinese (pluralised by `n`), else None."""
    language = translation.get_language() or ""
    if not language or language.startswith("zh"):
        return None
    name = KNOWN_UNITS.get(str(unit or "").strip())
    return name(_count(n)) if name else None


def unit_label(unit: Any, n: Any = None) -> str:
    """`unit` for the reader: as typed on a Chinese page or when unknown, else "瓶 (bottle)" / "瓶 (bottles)"."""
    text = "" if unit is None else str(unit)
    english = unit_english(text, n)
    return f"{text.strip()} ({english})" if english else text
