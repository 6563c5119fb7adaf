"""Supplier pack sizes with tolerance (as food co-ops do): pure functions, no database.

Residents order units (斤); the supplier ships whole packs (10-斤 boxes). A
resident may add a tolerance: "I'd take up to 2 more if it fills a box".

At close: packs = full packs from the firm quantities, plus one more if the
remainder plus the tolerances fill it. A remainder that the tolerances cannot
fill is NOT ordered, so the last firm units in 接龙 order are cut (their
EntryLine.allocated ends below the quantity; settlement refunds the cut).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def packs_to_order(firm_total: int, tolerance_total: int, pack_size: int) -> int:
    """Full packs from the firm units, plus one if the remainder plus the tolerances fill it."""
    if pack_size <= 1:
        return max(firm_total, 0)
    full, remainder = divmod(max(firm_total, 0), pack_size)
    if remainder and remainder + max(tolerance_total, 0) >= pack_size:
        full += 1
    return full


def units_to_fill_next_pack(firm_total: int, tolerance_total: int, pack_size: int) -> int:
    """How many more firm units would make the open pack orderable (0 when nothing is pending)."""
    if pack_size <= 1:
        return 0
    remainder = max(firm_total, 0) % pack_size
    if remainder == 0:
        return 0
    return max(0, pack_size - remainder - max(tolerance_total, 0))


@dataclass(frozen=True)
class PackAllocation:
    packs: int
    allocated: list[int]  # one per request, in the order given (接龙 order)


def allocate_packs(requests: Sequence[tuple[int, int]], pack_size: int) -> PackAllocation:
    """`requests` are (firm quantity, tolerance) in 接龙 order. Firm quantities are filled first in order,
    then tolerances in order, never beyond packs × pack size."""
    firm = [max(q, 0) for q, _t in requests]
    tolerance = [max(t, 0) for _q, t in requests]
    packs = packs_to_order(sum(firm), sum(tolerance), pack_size)
    left = packs * max(pack_size, 1)
    allocated = []
    for quantity in firm:
        give = min(quantity, left)
        allocated.append(give)
        left -= give
    if pack_size > 1:
        for i, extra in enumerate(tolerance):
            give = min(extra, left)
            allocated[i] += give
            left -= give
    return PackAllocation(packs=packs, allocated=allocated)
