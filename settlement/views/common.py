"""Shared pieces of the settlement pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from settlement import selectors


def hub_url(buy_id: int) -> str:
    """The buy's settlement page (where most actions return)."""
    return reverse("settlement:hub", kwargs={"pk": buy_id})


def entry_for(request: HttpRequest, entry_pk: int):
    """The entry, if the user may see its buy (else NotFound)."""
    entry = selectors.entry_get(entry_id=entry_pk)
    selectors.buy_get(user=request.user, buy_id=entry.buy_id)
    return entry


def pickup_qr_url(request: HttpRequest, buy_id: int, code: str) -> str:
    """What a household's pickup QR holds: the buy's hand-over page with the code in the fragment, which browsers
    never send, so it stays out of access logs (the page's script reads it and looks it up by POST)."""
    return request.build_absolute_uri(reverse("settlement:handover", kwargs={"pk": buy_id})) + f"#code={code}"
