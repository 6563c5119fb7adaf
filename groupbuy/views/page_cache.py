"""The buy page and the buy list at the cost of a cache hit (issue 17): the page's 接龙 list rendered once per buy
version and language, the page's ETag (so the live refresh's conditional GET answers 304 without rendering), and
the buy list's cards rendered once per community, listed buys' versions, language and minute.

What is cached is the same for every viewer: the public list (masked names, never a phone: `signup_list`
without contacts), the share text's list lines and which household holds which number. Everything about the
viewer (their entry's form, CSRF token, idempotency key, roles, the share text's header and link) is made per
request. `GroupBuy.version` moves in the same UPDATE as every write that changes the list (groupbuy.models
`version_next`), so a key can never name an older list than the one the request's buy row promised; a sign-up's
redirect reads the new version and misses.

The cache is an accelerator only: with Redis down, the page renders as before (fail open).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timeuntil

from groupbuy import selectors
from groupbuy.models import GroupBuy

logger = logging.getLogger(__name__)

LIST_TTL = 60 * 60  # an old version is never asked for again; this only bounds the memory it holds
TEMPLATE = "groupbuy/_signup_list.html"
CARDS_TEMPLATE = "groupbuy/_buy_cards.html"
CARDS_TTL = 120  # keyed by the minute: older keys are never asked for again
ETAG_WINDOW = 600  # seconds
FORMAT = 1  # bump when the cached value's shape or the fragment's template changes


def _list_key(buy: GroupBuy, language: str) -> str:
    return f"buypage:list:{FORMAT}:{buy.pk}:{buy.version}:{language}"


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not take the page down: render instead
        logger.warning("page cache unavailable (get)", exc_info=True)
        return None


def _cache_set(key: str, value: Any, ttl: int = LIST_TTL) -> None:
    try:
        cache.set(key, value, ttl)
    except Exception:  # noqa: BLE001 - same: the page was rendered, it just is not kept
        logger.warning("page cache unavailable (set)", exc_info=True)


def signup_list_part(buy: GroupBuy, language: str) -> dict[str, Any]:
    """The buy's public 接龙 list for the page: `html` (the list section, rendered in `language`), `count`,
    `share_lines` (for share_text_get) and `entries` (household id -> (entry pk, seq, units, building id,
    label), to find the viewer's own entry without reading the list). From the cache when this version was
    rendered before; else read (two queries at most) and rendered here, then kept."""
    key = _list_key(buy, language)
    part = _cache_get(key)
    if part is not None:
        return part
    rows = selectors.signup_list(buy=buy)
    part = {
        "html": render_to_string(TEMPLATE, {"rows": rows, "count": len(rows), "buy": buy}),
        "count": len(rows),
        "share_lines": selectors.share_list_lines(rows, buy.item_list),
        "entries": {
            r.entry.household_id: (
                r.entry.pk,
                r.seq,
                r.entry.units,
                r.entry.household.building_id,
                r.entry.household.label,
            )
            for r in rows
        },
    }
    _cache_set(key, part)
    return part


def own_entry(part: dict[str, Any], household_id: int | None) -> selectors.ListEntry | None:
    """The viewer's household's live entry, from the cached list (what the page reads of it: pk, seq, units)."""
    found = part["entries"].get(household_id) if household_id is not None else None
    if found is None:
        return None
    pk, seq, units, building_id, label = found
    return selectors.ListEntry(pk, seq, household_id, units, selectors.ListHousehold(household_id, building_id, label))


def buy_page_etag(request: HttpRequest, buy_id: int, language: str, buy: GroupBuy | None = None) -> str | None:
    """The buy page's ETag for this viewer (None: no ETag, answer in full) — from `buy` when the page already
    read it, else from one primary-key read of the buy's version (`selectors.buy_page_version`).

    It names what decides the page's bytes: the buy's version (the list, counters, status, items — and so the
    viewer's own entry, whose every write moves it), the language, the viewer, the deadline line as it reads now
    ("closes in 3 hours, 5 minutes", which moves with the clock, not with a write), and a ten-minute window that
    bounds how long anything else the page shows (the viewer's roles, the leader's name) can stay stale under a
    304. No ETag (so no 304) for a pooled buy (its progress moves with other compounds' sign-ups) or while a
    message waits to be shown (the confirmation after a sign-up)."""
    user = request.user
    if not user.is_authenticated or len(messages.get_messages(request)):
        return None
    if buy is not None:
        state: dict[str, Any] | None = {
            "version": buy.version,
            "status": buy.status,
            "deadline": buy.deadline,
            "current_pool_id": buy.current_pool_id,
        }
    else:
        state = selectors.buy_page_version(buy_id=buy_id)
    if state is None or state["current_pool_id"] is not None:
        return None
    deadline = state["deadline"]
    left = timeuntil(deadline) if deadline > timezone.now() else "-"
    window = int(time.time() // ETAG_WINDOW)
    raw = f"{FORMAT}:{buy_id}:{state['version']}:{state['status']}:{language}:{user.pk}:{left}:{window}"
    return '"' + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest() + '"'


def buy_cards(request: HttpRequest, community_id: int, language: str) -> str:
    """The buy list's cards for `community_id` ("" when no buy is listed), rendered in `language`: from the cache
    when the same buys at the same versions were rendered this minute (the cards say "closes in 2 hours, 5
    minutes"), else read (two queries) and rendered here, then kept. One indexed read of (id, version) decides.
    Precondition: the caller holds the viewer's membership of the community (the cards are the same for all of
    its members; nothing on them is the viewer's own)."""
    listed = selectors.buy_list_versions(community_id=community_id)
    if not listed:
        return ""
    digest = hashlib.blake2b(repr(listed).encode(), digest_size=12).hexdigest()
    key = f"buylist:cards:{FORMAT}:{community_id}:{digest}:{language}:{int(time.time() // 60)}"
    html = _cache_get(key)
    if html is not None:
        return html
    buys = selectors.buy_list(user=request.user, community_id=community_id)
    html = str(render_to_string(CARDS_TEMPLATE, {"buys": buys}))
    _cache_set(key, html, CARDS_TTL)
    return html
