"""`{% load jl_buys %}`: the sentences a buy card shows (price note, minimum order, deadline, households).

The buy list shows up to 100 cards and residents reload it all day. `{% blocktranslate %}` re-parses its
message on every render, then resolves, localizes and escapes each value in a pushed context; as filters the
five sentences of a card cost about 60 µs less (issue 7: 6 of the 55 ms of a 100-card list). The output is
the same: the same msgids (the catalogues are unchanged), each value escaped, the translated text itself not,
exactly as `{% blocktranslate %}` does (tests/groupbuy/test_templatetags.py compares the two).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timeuntil
from django.utils.translation import gettext, ngettext

from accounts.templatetags.money import money
from groupbuy.units import unit_label as _unit_label

register = template.Library()


def _fill(message: str, **values: Any) -> SafeString:
    """A translated message with its %(name)s placeholders filled with escaped values."""
    return mark_safe(message % {k: conditional_escape(v) for k, v in values.items()})  # values escaped here


@register.filter
def price_note(item: Any) -> SafeString:
    """`supplier cost ¥20.00, leader's markup ¥5.00 (25%)`, or `at supplier cost ¥30.00, no markup`."""
    cost = money(item.supplier_cost)
    if not item.markup:
        return _fill(gettext("at supplier cost %(cost)s, no markup"), cost=cost)
    text = _fill(gettext("supplier cost %(cost)s, leader's markup %(markup)s"), cost=cost, markup=money(item.markup))
    if item.markup_percent is not None:
        text = mark_safe(f"{text} ({int(item.markup_percent)}%)")  # an int: nothing to escape
    return text


@register.filter
def moq_line(buy: Any) -> SafeString:
    """How far the buy is toward its minimum order (from buy_display_get's `buy.progress`)."""
    p = buy.progress
    if p.counts_units:
        return _fill(
            gettext("%(cur)s of %(moq)s %(unit)s (minimum order, main item)"),
            cur=localize(p.current),
            moq=localize(p.moq),
            unit=_main_unit(buy, p.moq),
        )
    return _fill(
        gettext("%(cur)s of %(moq)s (minimum order, counted as total amount in yuan)"),
        cur=money(p.current),
        moq=money(p.moq),
    )


@register.filter
def moq_remaining(buy: Any) -> SafeString:
    """`Formed (成团)`, or what is still missing to form."""
    p = buy.progress
    if p.reached:
        return mark_safe(gettext("Formed (成团)"))  # a translation, no value in it
    if p.counts_units:
        return _fill(gettext("%(n)s %(unit)s more to form"), n=localize(p.remaining), unit=_main_unit(buy, p.remaining))
    return _fill(gettext("%(n)s more to form"), n=money(p.remaining))


def _main_unit(buy: Any, n: Any) -> str:
    item = buy.main_item
    return _unit_label(item.offer.unit, n) if item is not None else ""


@register.filter
def unit_label(unit: Any, n: Any = None) -> str:
    """`{{ offer.unit|unit_label }}` / `{{ line.unit|unit_label:line.quantity }}`: as typed on a Chinese page,
    "瓶 (bottles)" on an English one for a known unit (groupbuy.units). Every unit a page shows goes through it."""
    return _unit_label(unit, n)


@register.filter
def deadline_line(buy: Any) -> SafeString:
    """`Closes in 2 days, 3 hours (05-20 18:00)` while sign-ups are open, else `Deadline 05-20 18:00`."""
    when = dateformat.format(timezone.localtime(buy.deadline), "m-d H:i")
    if getattr(buy, "signup_open", False):
        return _fill(gettext("Closes in %(left)s (%(when)s)"), left=timeuntil(buy.deadline), when=when)
    return _fill(gettext("Deadline %(when)s"), when=when)


@register.filter
def households(count: int) -> SafeString:
    """`1 household` / `12 households`."""
    return _fill(ngettext("%(n)s household", "%(n)s households", count), n=count)
