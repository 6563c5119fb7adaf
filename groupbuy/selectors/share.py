"""The 接龙 text a leader or a neighbour pastes into the WeChat group (issue 15, item 1): one function builds it
for the buy page and the API, from the rows the page's public list shows, so the pasted list and the page's list
are the same lines. Never a phone, a full name or a care note: rows from `signup_list(buy=...)` carry none."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from accounts.models import User
from accounts.permissions import is_buy_leader
from groupbuy import exceptions as err
from groupbuy.models import GroupBuy, OfferPhoto, PhotoStatus, ShareLink
from groupbuy.selectors.buys import buy_get_shared
from groupbuy.selectors.communities import lookup_id
from groupbuy.selectors.other_apps import public_previews_on
from groupbuy.selectors.packs import pool_progress_apply
from groupbuy.units import unit_label

CENT = Decimal("0.01")


def share_allowed(*, user: User, buy: GroupBuy) -> bool:
    """Who gets the share panel: the buy's leader always, any member of its community while it takes sign-ups.
    Precondition: the caller has already checked membership (`buy_get` does)."""
    return bool(getattr(buy, "signup_open", buy.is_signup_open)) or is_buy_leader(user, buy)


def _money(value: Any) -> str:
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{'-' if amount < 0 else ''}¥{number_format(abs(amount), 2)}"


def _number(value: Decimal) -> str:
    return number_format(value, 0) if value == value.to_integral_value() else number_format(value)


def _markup(item: Any) -> str:
    """The page's price note (same msgids as `{{ item|price_note }}`), as plain text."""
    cost = _money(item.supplier_cost)
    if not item.markup:
        return gettext("at supplier cost %(cost)s, no markup") % {"cost": cost}
    text = gettext("supplier cost %(cost)s, leader's markup %(markup)s") % {"cost": cost, "markup": _money(item.markup)}
    if item.markup_percent is not None:
        text = f"{text} ({int(item.markup_percent)}%)"
    return text


def _unit(buy: GroupBuy, n: Any) -> str:
    main = buy.main_item
    return unit_label(main.offer.unit, n) if main is not None else ""


def _state(buy: GroupBuy) -> str:
    """ "Formed (成团)" or what is still missing ("3 kg more to form"), from `buy.progress`."""
    p = buy.progress
    if p.reached:
        return gettext("Formed (成团)")
    if p.counts_units:
        return gettext("%(n)s %(unit)s more to form") % {"n": _number(p.remaining), "unit": _unit(buy, p.remaining)}
    return gettext("%(n)s more to form") % {"n": _money(p.remaining)}


def _progress(buy: GroupBuy) -> str:
    """From `buy.progress` (buy_display_get), the numbers the page's progress bar shows; no rule recomputed."""
    p = buy.progress
    if p.counts_units:
        so_far = f"{_number(p.current)}/{_number(p.moq)} {_unit(buy, p.moq)}"
    else:
        so_far = f"{_money(p.current)}/{_money(p.moq)}"
    return gettext("Minimum order: %(so_far)s, %(state)s") % {"so_far": so_far, "state": _state(buy)}


def share_deadline_line(buy: GroupBuy) -> str:
    """The deadline as "Deadline: 2026-12-05 20:00 (UTC+08:00)" in the active language, in the site's time zone."""
    local = timezone.localtime(buy.deadline)
    return gettext("Deadline: %(when)s (UTC%(offset)s)") % {
        "when": local.strftime("%Y-%m-%d %H:%M"),
        "offset": local.isoformat(timespec="minutes")[-6:],
    }


def share_money(value: Any) -> str:
    """¥12.50, as the 接龙 text writes prices."""
    return _money(value)


def share_progress_summary(buy: GroupBuy) -> str:
    """The poster's and the preview's "已接 N 户 · 还差 M 份": live households (the buy's counter) and the same
    missing-to-form wording as the 接龙 text. Only counts: never a name."""
    return f"{share_households_line(buy)} · {_state(buy)}"


def share_households_line(buy: GroupBuy) -> str:
    """ "2 households joined" (已接 2 户): the buy's live-entry counter, never who."""
    return ngettext("%(n)s household joined", "%(n)s households joined", buy.entry_count) % {"n": buy.entry_count}


def share_list_lines(rows: Sequence[Any], items: Sequence[Any]) -> list[str]:
    """`1. 12-301 王** ×2` per public row, quantities as the page's list shows them (titles when several items)."""
    several = len(items) > 1
    lines = []
    for row in rows:
        if several:
            quantities = ", ".join(f"{item.offer.title} ×{q}" for item, q in row.lines)
        else:
            quantities = ", ".join(f"×{q}" for _item, q in row.lines)
        lines.append(f"{row.seq}. {row.identity} {quantities}")
    return lines


def share_text_get(
    *, buy: GroupBuy, rows: Sequence[Any] = (), link: str, language: str, list_lines: Sequence[str] | None = None
) -> str:
    """The ready-to-paste 接龙 message in `language`. `buy` comes from `buy_get` (items, progress loaded) and
    `rows` from `signup_list(buy=buy)` (public rows) — or `list_lines`, what `share_list_lines` made of them
    (the buy page keeps those in its cache): no query is made here. `link` is the buy's address; a
    tokenised short link (issue 15, item 2) will be passed in its place."""
    items = buy.item_list
    with translation.override(language):
        lines = [gettext("[接龙] %(title)s") % {"title": buy.title}]
        for item in items:
            price = f"{_money(item.unit_price)}/{unit_label(item.offer.unit)}"
            label = f"{item.offer.title} {price}" if len(items) > 1 else price
            lines.append(gettext("Price: %(price)s (%(markup)s)") % {"price": label, "markup": _markup(item)})
        lines.append(_progress(buy))
        lines.append(share_deadline_line(buy))
        place = buy.drop_point or buy.get_distribution_mode_display()
        lines.append(gettext("Pickup: %(place)s") % {"place": place})
        lines.append(gettext("Join here: %(link)s") % {"link": link})
        lines.append("")
        entries = list(list_lines) if list_lines is not None else share_list_lines(rows, items)
        lines.extend(entries or [gettext("Nobody yet. Be the first!")])
    return "\n".join(lines)


def share_description_get(*, buy: GroupBuy) -> str:
    """The page's meta description (and og:description), in the active language: price and unit of each item,
    progress, deadline. Only the buy's own facts: never a name, a room or a phone."""
    items = buy.item_list
    prices = ", ".join(
        f"{item.offer.title} {_money(item.unit_price)}/{unit_label(item.offer.unit)}"
        if len(items) > 1
        else f"{_money(item.unit_price)}/{unit_label(item.offer.unit)}"
        for item in items
    )
    return " · ".join(part for part in (buy.title, prices, _progress(buy), share_deadline_line(buy)) if part)


# What secrets.token_urlsafe makes; anything else is not a token (no query for it).
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def share_link_live_get(*, token: str) -> ShareLink:
    """The live (unrevoked) share link with this token; `share_link_not_found` (404) for a reset or unknown one."""
    link = None
    if _TOKEN_RE.match(token or ""):
        link = ShareLink.objects.filter(token=token, revoked_at__isnull=True).first()
    if link is None:
        raise err.share_link_not_found()
    return link


@dataclass
class SharePreview:
    """What /s/<token>/ may show to anyone holding the link: the buy's own facts (items with their first photo,
    progress, deadline, pickup place, household count) and never a name, a room, a phone or the list.
    `previews_on` is the community's policy; when off, the page shows nothing of the buy but that it exists."""

    link: ShareLink
    buy: GroupBuy
    previews_on: bool
    photo_ids: list[int]


def share_preview_get(*, token: str) -> SharePreview:
    link = share_link_live_get(token=token)
    buy = buy_get_shared(buy_id=link.buy_id)
    pool_progress_apply(buy)  # a pooled buy shows its pool's progress, as its page does
    photo_ids = [photo for item in buy.item_list if (photo := getattr(item, "photo_id", None))]
    return SharePreview(
        link=link, buy=buy, previews_on=public_previews_on(community_id=buy.community_id), photo_ids=photo_ids
    )


def share_photo_get(*, token: str, photo_id: Any) -> OfferPhoto:
    """A processed photo of one of the offers of the shared buy, while its link is live and previews are on."""
    link = share_link_live_get(token=token)
    photo = (
        OfferPhoto.objects.select_related("offer__supplier")
        .filter(pk=lookup_id(photo_id), status=PhotoStatus.READY, offer__buy_items__buy_id=link.buy_id)
        .first()
    )
    if photo is None or not public_previews_on(community_id=photo.offer.supplier.community_id):
        raise err.not_found()
    return photo
