"""Printables for residents without phones, and the buy's charts page. Read-only views (the sheet's QR makes the buy's
share link on first use, through groupbuy.services.share).

- Sign-up sheet per building (A4): the buy's items, prices, minimum, deadline and drop point, who in the
  building has already signed up (masked), blank numbered lines to write on and a QR code of the buy's share
  link. A building leader posts it in the lobby, collects it and enters the lines with proxy ordering. It prints
  in Chinese whatever the leader's own language (`?lang=en` for English): the lobby reads Chinese.
- Pick list (A4 portrait): households by room with what to hand over, a tick box and a signature column.
  Buildings are packed onto pages (a page breaks only where a building's block would not fit), so 50
  households over 38 buildings print on a few sheets; `?per_building=1` gives one sheet per building, to
  hand each building's volunteer their own page.
- Stats: sign-up progress over time and distribution per building as inline SVG.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from accounts.permissions import membership_for, require_proxy
from accounts.selectors import buildings_of
from core.pages import page
from core.parsing import int_param
from core.qr import qr_svg
from groupbuy import charts, selectors
from groupbuy import exceptions as err
from groupbuy.services.share import share_link_for
from settlement import selectors as settlement_selectors

DEFAULT_BLANK_LINES = 18
SHEET_LANGUAGES = ("zh-hans", "en")  # the first is the default: the lobby reads Chinese
MAX_BLANK_LINES = 60


def _building_choice(request: HttpRequest, community_id: int) -> int | None:
    """?building=<id> or ?building=all; without it a building leader (who is not also a team leader) starts
    with their own building, everyone else with all of them."""
    raw = request.GET.get("building")
    chosen = int_param(raw, 0) or None
    if raw is None:
        membership = membership_for(request.user, community_id)
        if membership and membership.is_building_leader and not membership.is_team_leader:
            chosen = membership.led_building_id
    return chosen


@require_GET
@page
def signup_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """Paper 接龙 for one building (or every building, one per page): anyone who may order for neighbours,
    for the buildings they order for (the lines collected are entered with proxy ordering)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    scope = require_proxy(request.user, buy)
    building_id = _building_choice(request, buy.community_id)
    if building_id is not None and not scope.covers(building_id):
        raise err.not_your_building()
    buildings = [b for b in buildings_of(community_id=buy.community_id) if scope.covers(b.pk)]
    if building_id is not None:
        buildings = [b for b in buildings if b.pk == building_id]
    by_building: dict[int, list[selectors.ListRow]] = {}
    for row in selectors.signup_list(buy=buy):
        by_building.setdefault(row.entry.household.building_id, []).append(row)
    blank = int_param(request.GET.get("lines"), DEFAULT_BLANK_LINES, low=1, high=MAX_BLANK_LINES)
    sheets = [{"building": b, "rows": by_building.get(b.pk, []), "blank": range(1, blank + 1)} for b in buildings]
    language = request.GET.get("lang") if request.GET.get("lang") in SHEET_LANGUAGES else SHEET_LANGUAGES[0]
    share_link = share_link_for(buy, request)
    context = {
        "buy": buy,
        "sheets": sheets,
        "building_id": building_id,
        "all_buildings": building_id is None,
        "sheet_language": language,
        "share_link": share_link,
        "share_qr": qr_svg(share_link, scale=3),
    }
    with translation.override(language):
        response = render(request, "groupbuy/print/signup_sheet.html", context)
    response["Content-Language"] = language
    return response


@require_GET
@page
def pick_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The pick list laid out for A4 paper (volunteers and building leaders): buildings packed onto pages, or one
    building per page with `?per_building=1`."""
    buy = settlement_selectors.buy_get(user=request.user, buy_id=pk)
    building_id = _building_choice(request, buy.community_id)
    groups = settlement_selectors.pick_list_get(user=request.user, buy=buy, building_id=building_id)
    per_building = request.GET.get("per_building") == "1"
    context = {"buy": buy, "groups": groups, "building_id": building_id, "per_building": per_building}
    return render(request, "groupbuy/print/pick_list.html", context)


@require_GET
@page
def buy_stats(request: HttpRequest, pk: int) -> HttpResponse:
    """Charts for anyone in the community: how the list filled up, and how distribution is going."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    context = {
        "buy": buy,
        "progress_chart": charts.signup_progress(buy=buy),
        "distribution_chart": charts.distribution_bars(buy=buy),
    }
    return render(request, "groupbuy/charts/stats.html", context)
