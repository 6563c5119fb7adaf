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
import secrets
import time
import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timeuntil

from accounts.permissions import membership_for
from accounts.selectors import unread_count
from groupbuy import selectors
from groupbuy.models import GroupBuy

logger = logging.getLogger(__name__)

LIST_TTL = 60 * 60  # an old version is never asked for again; this only bounds the memory it holds
TEMPLATE = "groupbuy/_signup_list.html"
CARDS_TEMPLATE = "groupbuy/_buy_cards.html"
CARDS_TTL = 120  # keyed by the minute: older keys are never asked for again
ETAG_WINDOW = 600  # seconds
BODY_TTL = ETAG_WINDOW  # the window is in the key: older keys are never asked for again
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


def _digest(raw: str) -> str:
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _viewer_may_keep(request: HttpRequest) -> bool:
    """Whether anything about this request's page may be kept for the viewer: a signed-in viewer with no message
    waiting to be shown (the confirmation after a sign-up is shown once, in full)."""
    return bool(request.user.is_authenticated) and not len(messages.get_messages(request))


def _viewer_key(request: HttpRequest, buy_id: int, language: str, state: dict[str, Any] | None) -> str | None:
    """What decides this viewer's buy page (None: nothing may be kept; the caller checked `_viewer_may_keep`):
    the buy's version (the list, counters, status, items — and so the viewer's own entry, whose every write moves
    it), the language, the viewer, the deadline line as it reads now ("closes in 3 hours, 5 minutes", which moves
    with the clock, not with a write), and a ten-minute window that bounds how long anything else the page shows
    (the viewer's roles, the leader's name) can stay stale. Nothing for a pooled buy (its progress moves with
    other compounds' sign-ups). The one key both the ETag and the kept body are made of."""
    if state is None or state["current_pool_id"] is not None:
        return None
    deadline = state["deadline"]
    left = timeuntil(deadline) if deadline > timezone.now() else "-"
    window = int(time.time() // ETAG_WINDOW)
    return f"{FORMAT}:{buy_id}:{state['version']}:{state['status']}:{language}:{request.user.pk}:{left}:{window}"


def buy_page_etag(request: HttpRequest, buy_id: int, language: str, buy: GroupBuy | None = None) -> str | None:
    """The buy page's ETag for this viewer (None: no ETag, answer in full) — from `buy` when the page already
    read it (`buy_get` checked the viewer), else from one plain SELECT of the buy's version with the viewer's
    membership (`selectors.buy_page_state_for`): no ETag, so never a 304, for someone who is no longer a member of
    the buy's community (they get the refusal in full). Made of `_viewer_key`; none while a message waits."""
    if not _viewer_may_keep(request):
        return None
    if buy is not None:
        state: dict[str, Any] | None = {
            "version": buy.version,
            "status": buy.status,
            "deadline": buy.deadline,
            "current_pool_id": buy.current_pool_id,
        }
    else:
        state = selectors.buy_page_state_for(user=request.user, buy_id=buy_id)
        if state is None or membership_for(request.user, state["community_id"]) is None:  # read with the state
            return None
    raw = _viewer_key(request, buy_id, language, state)
    return None if raw is None else '"' + _digest(raw) + '"'


# --- whole pages kept per viewer ------------------------------------------------------------------------------
#
# A kept body is rendered with random sentinels where each serve must put its own values (the CSRF token, the
# sign-up's idempotency key) and stored with them; every serve — the first one too — replaces them, so no two
# serves share an idempotency key and the form's CSRF token is one of the viewer's own secret. The key carries
# what the rest of the bytes depend on: the viewer, the page's data versions, the language, the unread notices
# (the header's badge), the host (the share link) and the full path (the language form's `next`).


def body_sentinels() -> dict[str, str]:
    """Context overrides for a page rendered to be kept: `{% csrf_token %}` and `{{ idempotency_key }}` render
    these (random, so no text typed by anyone can match them) and `body_serve` puts each serve's own in."""
    return {"csrf_token": "csrf" + secrets.token_hex(16), "idempotency_key": "idem" + secrets.token_hex(16)}


def body_get(key: str | None) -> dict[str, Any] | None:
    return None if key is None else _cache_get(key)


def body_serve(request: HttpRequest, kept: dict[str, Any]) -> HttpResponse:
    """The kept page for this request: its CSRF token (which also sets the cookie when the viewer has none) and a
    fresh idempotency key put in. Precondition: the caller checked that the viewer may see the page."""
    body = kept["body"].replace(kept["csrf_token"], get_token(request))
    body = body.replace(kept["idempotency_key"], uuid.uuid4().hex)
    response = HttpResponse(body, content_type=kept["content_type"])
    if kept["etag"]:
        response["ETag"] = kept["etag"]
    return response


def body_keep(request: HttpRequest, key: str | None, response: HttpResponse, overrides: dict[str, Any]) -> HttpResponse:
    """Keep `response` (rendered with `overrides`, which hold the `body_sentinels`) under `key` when it is a plain
    200 page, and serve it."""
    kept = {
        "csrf_token": overrides["csrf_token"],
        "idempotency_key": overrides["idempotency_key"],
        "body": response.content.decode(),
        "content_type": response["Content-Type"],
        "etag": response.get("ETag"),
    }
    if key is not None and response.status_code == 200:
        _cache_set(key, kept, BODY_TTL)
    served = body_serve(request, kept)
    served.status_code = response.status_code
    return served


Kept = tuple[str | None, dict[str, Any]]


def _body_key(request: HttpRequest, kind: str, raw: str) -> Kept:
    unread = unread_count(user=request.user)
    key = f"{kind}:body:{FORMAT}:" + _digest(f"{raw}:{unread}:{request.get_host()}:{request.get_full_path()}")
    return key, {**body_sentinels(), "unread_count": unread}  # the badge as counted for the key: counted once


def buy_page_body_key(request: HttpRequest, buy_id: int, language: str) -> Kept:
    """Where this viewer's buy page is kept and the context to render it with (`body_sentinels`, and the unread
    notices the key counted). The key is None when the page is not kept: a query string such as the share link's
    `?item<ID>=` fills the join form, a message waits, or the buy is pooled). Checks first that the viewer may
    see the buy — `require_member` on the buy's community, as `buy_get` does (404 / wrong_community) — so a
    removed member is refused before anything kept is served. Reads the buy's version with the membership (one
    statement) and the unread notices."""
    if request.GET or not _viewer_may_keep(request):
        return None, body_sentinels()
    state = selectors.buy_page_state_for(user=request.user, buy_id=buy_id)  # and the viewer's membership
    if state is None:
        return None, body_sentinels()  # buy_get answers the 404
    selectors.require_member(user=request.user, community_id=state["community_id"])
    raw = _viewer_key(request, buy_id, language, state)
    if raw is None:
        return None, body_sentinels()
    return _body_key(request, "buypage", raw)


def buy_list_body_key(
    request: HttpRequest, community_id: int, language: str, listed: list[tuple[int, int]], led: list[Any]
) -> Kept:
    """Where this viewer's buy list is kept and the context to render it with, as `buy_page_body_key` (None: not
    kept — a message waits, or a query string other than
    `?community=`): per viewer, community, the listed buys' (id, version), the buys they lead as shown, the
    language, the minute (the cards say "closes in 2 hours, 5 minutes") and the ten-minute window that bounds how
    long their roles can stay stale. Precondition: the caller holds the viewer's membership of the community."""
    if set(request.GET) - {"community"} or not _viewer_may_keep(request):
        return None, body_sentinels()
    led_shown = [(b.pk, b.version, b.status, b.title, b.entry_count) for b in led]
    now = time.time()
    minute, window = int(now // 60), int(now // ETAG_WINDOW)
    raw = f"{request.user.pk}:{community_id}:{listed!r}:{led_shown!r}:{language}:{minute}:{window}"
    return _body_key(request, "buylist", raw)


def buy_cards(
    request: HttpRequest, community_id: int, language: str, listed: list[tuple[int, int]] | None = None
) -> str:
    """The buy list's cards for `community_id` ("" when no buy is listed), rendered in `language`: from the cache
    when the same buys at the same versions were rendered this minute (the cards say "closes in 2 hours, 5
    minutes"), else read (two queries) and rendered here, then kept. One indexed read of (id, version) decides.
    Precondition: the caller holds the viewer's membership of the community (the cards are the same for all of
    its members; nothing on them is the viewer's own)."""
    if listed is None:
        listed = selectors.buy_list_versions(community_id=community_id)
    if not listed:
        return ""
    digest = _digest(repr(listed))
    key = f"buylist:cards:{FORMAT}:{community_id}:{digest}:{language}:{int(time.time() // 60)}"
    html = _cache_get(key)
    if html is not None:
        return html
    buys = selectors.buy_list(user=request.user, community_id=community_id)
    html = str(render_to_string(CARDS_TEMPLATE, {"buys": buys}))
    _cache_set(key, html, CARDS_TTL)
    return html
