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
from settlement.forms import (
    HandoverForm,
)
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


@require_http_methods(["GET", "POST"])
@page
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """Look a pickup code up, then hand its goods over. Codes travel in POST bodies only, never in the URL
    (access logs, browser history): a GET shows the empty form, reads no code and changes nothing."""
    buy = _buy_for_hand_over(request, pk)
    if request.method == "GET":
        return render(request, "settlement/handover.html", {"buy": buy, "form": HandoverForm(), "preview": None})
    form = HandoverForm(request.POST)
    if not form.is_valid():
        return render(request, "settlement/handover.html", {"buy": buy, "form": form, "preview": None}, status=400)
    code = form.cleaned_data["code"]
    if request.POST.get("action") == "lookup":
        preview = None
        with refusal_on(form):
            distribution_services.pickup_code_resolve(actor=request.user, buy=buy, code=code)
            preview = selectors.pickup_preview_get(buy=buy, code=code)
        return render_form(request, "settlement/handover.html", {"buy": buy, "form": form, "preview": preview}, form)
    handed = _handed_quantities(request.POST)
    with refusal_on(form):
        pickup = distribution_services.pickup_hand_over(
            actor=request.user, buy=buy, code=code, handed=handed, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Handed over: %(household)s") % {"household": selectors.identity(pickup.entry)})
        return redirect(reverse("settlement:handover", kwargs={"pk": pk}))
    # Refused before the code resolved (unknown, another building's, too many tries): show no household.
    resolved = not isinstance(getattr(form, "refusal", None), PermissionRefused | NotFound | RateLimited)
    preview = selectors.pickup_preview_get(buy=buy, code=code) if resolved else None
    return render_form(request, "settlement/handover.html", {"buy": buy, "form": form, "preview": preview}, form)
