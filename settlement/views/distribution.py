"""Distribution: pickup codes, pick lists, the gate queue and the hand-over."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import is_buy_leader, membership_for
from core.errors import NotFound, PermissionRefused, RateLimited
from core.pages import page, refusal_flashed, refusal_on, render_form
from core.parsing import parse_int
from groupbuy.exports import xlsx_response
from settlement import exceptions as errors
from settlement import exports, selectors
from settlement.forms import HandoutFindForm, HandoverForm
from settlement.models import PickupState
from settlement.services import distribution as distribution_services


def _buy_for_hand_over(request: HttpRequest, pk: int):
    """The buy, if the user may hand out its goods (building leaders, volunteers, the leader)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    if not selectors.can_hand_over(request.user, buy):
        raise errors.forbidden()
    return buy


@require_GET
@page
def distribution(request: HttpRequest, pk: int) -> HttpResponse:
    buy = _buy_for_hand_over(request, pk)
    return render(
        request,
        "settlement/distribution.html",
        {
            "buy": buy,
            "progress": selectors.distribution_progress_list(buy=buy),
            "is_leader": is_buy_leader(request.user, buy),
        },
    )


@require_POST
@page
def issue_codes(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    back = reverse("settlement:distribution", kwargs={"pk": pk})
    with refusal_flashed(request):
        created = distribution_services.pickup_codes_issue(actor=request.user, buy=buy)
        messages.success(request, _("%(n)d pickup codes issued.") % {"n": created})
    return redirect(back)


@require_GET
@page
def pick_list(request: HttpRequest, pk: int) -> HttpResponse:
    buy = _buy_for_hand_over(request, pk)
    building = parse_int(request.GET.get("building")) or None
    membership = membership_for(request.user, buy.community_id)
    if building is None and membership and membership.is_building_leader and not membership.is_team_leader:
        building = membership.led_building_id  # a building leader starts with their own building
    groups = selectors.pick_list_get(user=request.user, buy=buy, building_id=building)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(exports.pick_list_table(buy=buy, groups=groups))
    template = "settlement/route.html" if request.GET.get("view") == "route" else "settlement/pick_list.html"
    return render(request, template, {"buy": buy, "groups": groups, "building": building})


@require_GET
@page
def gate_queue(request: HttpRequest, pk: int) -> HttpResponse:
    buy = _buy_for_hand_over(request, pk)
    return render(request, "settlement/queue.html", {"buy": buy, "entries": selectors.gate_queue_list(buy=buy)})


def _handed_quantities(post: QueryDict) -> dict[str, str]:
    """The quantities typed per line (`line_<id>` fields), blanks left out; the service parses them."""
    return {
        key.removeprefix("line_"): value for key, value in post.items() if key.startswith("line_") and value.strip()
    }


def _handout_page(
    request: HttpRequest,
    buy,
    *,
    find: HandoutFindForm,
    hand: HandoverForm | None = None,
    order: dict | None = None,
    matches: list | None = None,
) -> HttpResponse:
    context = {"buy": buy, "find": find, "form": hand or HandoverForm(), "order": order, "matches": matches or []}
    # Kept for the older templates' and tests' name: the order found.
    context["preview"] = order
    return render_form(request, "settlement/handover.html", context, find, hand)


def _order_of(request: HttpRequest, buy, pickup) -> dict | None:
    return selectors.handout_order_get(user=request.user, buy=buy, entry_id=pickup.entry_id)


@require_http_methods(["GET", "POST"])
@page
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """The hand-out table (核销). One field finds an order: a pickup code (typed, or scanned: the household's QR
    opens this page with `#code=` which the page posts), a 接龙 number, a room or a phone's last four digits
    (several matches: a list to choose from). The order shows paid or not, what each line still has to come and
    the record of earlier hand-overs; a hand-over may be partial, the rest goes later.
    Codes travel in POST bodies only, never in the URL (access logs, browser history): a GET reads no code and
    changes nothing; after a hand-over the page shows the order by its entry id (`?order=`), never its code."""
    buy = _buy_for_hand_over(request, pk)
    find = HandoutFindForm()
    if request.method == "GET":
        order = None
        entry_id = parse_int(request.GET.get("order"))
        if entry_id:
            with refusal_on(find):
                pickup = distribution_services.pickup_entry_resolve(actor=request.user, buy=buy, entry_id=entry_id)
                order = _order_of(request, buy, pickup)
        return _handout_page(request, buy, find=find, order=order)
    action = request.POST.get("action", "")
    if action == "lookup":
        find = HandoutFindForm(request.POST)
        if not find.is_valid():
            return _handout_page(request, buy, find=find)
        query = find.cleaned_data["code"]
        order, matches = None, []
        with refusal_on(find):
            if selectors.handout_query_is_code(query):
                pickup = distribution_services.pickup_code_resolve(actor=request.user, buy=buy, code=query)
                order = _order_of(request, buy, pickup)
            else:
                matches = selectors.handout_find(user=request.user, buy=buy, query=query)
                if not matches:
                    raise errors.handout_no_match()
                if len(matches) == 1:
                    pickup = distribution_services.pickup_entry_resolve(
                        actor=request.user, buy=buy, entry_id=matches[0].pk
                    )
                    order, matches = _order_of(request, buy, pickup), []
        return _handout_page(request, buy, find=find, order=order, matches=matches)
    if action == "open":
        order = None
        with refusal_on(find):
            pickup = distribution_services.pickup_entry_resolve(
                actor=request.user, buy=buy, entry_id=parse_int(request.POST.get("entry")) or 0
            )
            order = _order_of(request, buy, pickup)
        return _handout_page(request, buy, find=find, order=order)
    hand = HandoverForm(request.POST)
    if not hand.is_valid():
        return _handout_page(request, buy, find=find, hand=hand)
    entry_id, code = hand.cleaned_data["entry"], hand.cleaned_data["code"]
    pickup = None
    with refusal_on(hand):
        pickup = distribution_services.pickup_hand_over(
            actor=request.user,
            buy=buy,
            code=code,
            entry_id=entry_id,
            handed=_handed_quantities(request.POST),
            note=hand.cleaned_data["note"],
        )
        if pickup.state == PickupState.PARTIAL:
            done = _("Handed over in part: %(household)s. The rest is still to come.")
        else:
            done = _("Handed over: %(household)s")
        messages.success(request, done % {"household": selectors.identity(pickup.entry)})
        back = reverse("settlement:handover", kwargs={"pk": pk})
        return redirect(f"{back}?order={pickup.entry_id}" if entry_id else back)
    # Refused before the order resolved (unknown code, another building's, too many tries): show no household.
    order = None
    if not isinstance(getattr(hand, "refusal", None), PermissionRefused | NotFound | RateLimited):
        with refusal_on(find):
            if entry_id:
                found = distribution_services.pickup_entry_resolve(actor=request.user, buy=buy, entry_id=entry_id)
            else:
                found = distribution_services.pickup_code_resolve(actor=request.user, buy=buy, code=code)
            order = _order_of(request, buy, found)
    return _handout_page(request, buy, find=find, hand=hand, order=order)
