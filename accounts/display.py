"""How people appear in public: the address plus a masked name, never a phone."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """`王小明` -> `王**`; `John Smith` -> `J**`. The length is not revealed."""
    name = (name or "").strip()
    if not name:
        return "**"
    return f"{name[0]}**"


def public_identity(household_label: str, name: str) -> str:
    """`12-301 王**`: what lists, notices and exports for residents show."""
    return f"{household_label} {mask_name(name)}"
