"""Shared pieces of the settlement pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from settlement import selectors


def hub_url(buy_id: int) -> str:
    """The buy's settlement page (where most actions return)."""
    return reverse("settlement:hub", kwargs={"pk": buy_id})


def entry_for(request: HttpRequest, entry_pk: int):
    """The entry, if the user may see its buy (else NotFound)."""
    entry = selectors.entry_get(entry_id=entry_pk)
    selectors.get_buy(user=request.user, buy_id=entry.buy_id)
    return entry


def int_or(value: Any, default: int) -> int:
    """A whole number clamped to 0..24*90 (hours), or `default` when it is not one."""
    try:
        return max(0, min(int(value), 24 * 90))
    except (TypeError, ValueError):
        return default
