"""Pure allocation of a short delivery among the lines that ordered it.

`requests` are the ordered quantities in 接龙 order (earliest first). Both rules
hand out min(available, sum(requests)) units, never more than a line asked for,
never negative.
"""

from __future__ import annotations

from collections.abc import Sequence


def allocate_fcfs(requests: Sequence[int], available: int) -> list[int]:
    """First come, first served: fill each request in order until the stock runs out."""
    left = max(available, 0)
    result = []
    for wanted in requests:
        give = min(max(wanted, 0), left)
        result.append(give)
        left -= give
    return result


def allocate_fair_share(requests: Sequence[int], available: int) -> list[int]:
    """Max-min fair share (water-filling): raise everyone's allocation one unit at a time.

    Every request gets min(request, level); the units left below the next level go
    one each to the earliest requests still wanting more, so two cut requests differ
    by at most one unit.
    """
    wants = [max(r, 0) for r in requests]
    stock = max(available, 0)
    if sum(wants) <= stock:
        return list(wants)

    def used(level: int) -> int:
        return sum(min(w, level) for w in wants)

    # Largest level whose cost fits the stock (binary search; used() is monotone).
    low, high = 0, max(wants)
    while low < high:
        mid = (low + high + 1) // 2
        if used(mid) <= stock:
            low = mid
        else:
            high = mid - 1
    result = [min(w, low) for w in wants]
    left = stock - sum(result)
    for i, w in enumerate(wants):
        if left == 0:
            break
        if w > low:
            result[i] += 1
            left -= 1
    return result


def allocate(rule: str, requests: Sequence[int], available: int) -> list[int]:
    if rule == "fair_share":
        return allocate_fair_share(requests, available)
    return allocate_fcfs(requests, available)
