"""The 接龙 text a leader or a neighbour pastes into the WeChat group (issue 15, item 1): one function builds it
for the buy page and the API, from the rows the page's public list shows, so the pasted list and the page's list
are the same lines. Never a phone, a full name or a care note: rows from `signup_list(buy=...)` carry none."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from accounts.models import User
from accounts.permissions import is_buy_leader
from groupbuy.models import GroupBuy

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


def _progress(buy: GroupBuy) -> str:
    """From `buy.progress` (buy_display_get), the numbers the page's progress bar shows; no rule recomputed."""
    p = buy.progress
    main = buy.main_item
    unit = main.offer.unit if main is not None else ""
    if p.counts_units:
        so_far = f"{_number(p.current)}/{_number(p.moq)} {unit}"
        left = gettext("%(n)s %(unit)s more to form") % {"n": _number(p.remaining), "unit": unit}
    else:
        so_far = f"{_money(p.current)}/{_money(p.moq)}"
        left = gettext("%(n)s more to form") % {"n": _money(p.remaining)}
    state = gettext("Formed (成团)") if p.reached else left
    return gettext("Minimum order: %(so_far)s, %(state)s") % {"so_far": so_far, "state": state}


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


def share_text_get(*, buy: GroupBuy, rows: Sequence[Any], link: str, language: str) -> str:
    """The ready-to-paste 接龙 message in `language`. `buy` comes from `buy_get` (items, progress loaded) and
    `rows` from `signup_list(buy=buy)` (public rows): no query is made here. `link` is the buy's address; a
    tokenised short link (issue 15, item 2) will be passed in its place."""
    items = buy.item_list
    with translation.override(language):
        lines = [gettext("[接龙] %(title)s") % {"title": buy.title}]
        for item in items:
            price = f"{_money(item.unit_price)}/{item.offer.unit}"
            label = f"{item.offer.title} {price}" if len(items) > 1 else price
            lines.append(gettext("Price: %(price)s (%(markup)s)") % {"price": label, "markup": _markup(item)})
        lines.append(_progress(buy))
        local = timezone.localtime(buy.deadline)
        lines.append(
            gettext("Deadline: %(when)s (UTC%(offset)s)")
            % {"when": local.strftime("%Y-%m-%d %H:%M"), "offset": local.isoformat(timespec="minutes")[-6:]}
        )
        place = buy.drop_point or buy.get_distribution_mode_display()
        lines.append(gettext("Pickup: %(place)s") % {"place": place})
        lines.append(gettext("Join here: %(link)s") % {"link": link})
        lines.append("")
        entries = share_list_lines(rows, items)
        lines.extend(entries or [gettext("Nobody yet. Be the first!")])
    return "\n".join(lines)


def share_description_get(*, buy: GroupBuy) -> str:
    """The page's meta description (and og:description), in the active language: price and unit of each item,
    progress, deadline. Only the buy's own facts: never a name, a room or a phone."""
    items = buy.item_list
    prices = ", ".join(
        f"{item.offer.title} {_money(item.unit_price)}/{item.offer.unit}"
        if len(items) > 1
        else f"{_money(item.unit_price)}/{item.offer.unit}"
        for item in items
    )
    local = timezone.localtime(buy.deadline)
    deadline = gettext("Deadline: %(when)s (UTC%(offset)s)") % {
        "when": local.strftime("%Y-%m-%d %H:%M"),
        "offset": local.isoformat(timespec="minutes")[-6:],
    }
    return " · ".join(part for part in (buy.title, prices, _progress(buy), deadline) if part)
