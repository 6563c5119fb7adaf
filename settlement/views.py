"""Settlement pages: thin views reading through selectors and writing through one service each.

A refused action re-renders the page with the service's coded message (and what was typed),
with the error's HTTP status.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import membership_for
from core.errors import ApplicationError, NotFound, PermissionRefused, RateLimited
from core.http import safe_next
from groupbuy.exports import csv_response, xlsx_response
from groupbuy.models import Offer
from settlement import exports, selectors
from settlement.forms import (
    AfterSalesForm,
    DonationForm,
    HandoverForm,
    PaymentForm,
    PriceChangeForm,
    ResolveForm,
    add_error,
)
from settlement.models import (
    AfterSalesPhoto,
    AfterSalesReport,
    Donation,
    PaymentState,
    PriceChange,
    Refund,
)
from settlement.providers import PaymentRequest, get_provider
from settlement.services import after_sales as after_sales_services
from settlement.services import distribution as distribution_services
from settlement.services import payments as payment_services
from settlement.services import price_changes as change_services
from settlement.services import shortages as shortage_services
from settlement.services.common import get_entry, is_payment_staff, require_own_entry


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; a coded refusal outside a form becomes an error page with its status."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return render(request, "settlement/error.html", {"error": exc, "code": exc.code}, status=exc.status_code)

    return wrapper


def _hub(buy_id: int) -> str:
    return reverse("settlement:hub", kwargs={"pk": buy_id})


def _refused(request: HttpRequest, exc: ApplicationError, to: str) -> HttpResponse:
    messages.error(request, str(exc.message))
    response = redirect(to)
    return response


def _qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=5, border=2)


def _entry_for(request: HttpRequest, entry_pk: int):
    entry = get_entry(entry_pk)
    selectors.get_buy(user=request.user, buy_id=entry.buy_id)
    return entry


# --- the participant's page -----------------------------------------------------------------------------------


def _hub_context(request: HttpRequest, buy, *, pay_form=None) -> dict[str, Any]:
    entry = selectors.my_entry(user=request.user, buy=buy)
    info = selectors.money_of(entry) if entry else None
    pickup = selectors.pickup_for(entry=entry) if entry else None
    qr = qr_url = None
    if pickup is not None:
        # The code rides in the fragment, which browsers never send: it stays out of access logs, and the
        # hand-out page's script removes it from the address and history and looks it up by POST.
        qr_url = (
            request.build_absolute_uri(reverse("settlement:handover", kwargs={"pk": buy.pk})) + f"#code={pickup.code}"
        )
        qr = _qr_svg(qr_url)
    instructions = ""
    if info and info["due"] > 0:
        provider = get_provider(info["payment"].provider if info["payment"] else "manual")
        instructions = provider.start_payment(
            PaymentRequest(entry_id=entry.pk, amount=info["due"], payee_hint=buy.leader.display_name)
        ).instructions
    return {
        "buy": buy,
        "entry": entry,
        "money": info,
        "pay_instructions": instructions,
        "pay_form": pay_form or PaymentForm(initial={"amount": info["due"] if info and info["due"] > 0 else ""}),
        "open_changes": selectors.open_price_changes_for_entry(entry=entry) if entry else [],
        "changes": selectors.price_changes(buy=buy),
        "refunds": list(entry.refunds.all()) if entry else [],
        "pickup": pickup,
        "qr": qr,
        "qr_url": qr_url,
        "reports": selectors.after_sales_for(buy=buy),
        "is_leader": selectors.can_manage(request.user, buy),
        "is_staff": is_payment_staff(request.user, buy),
        "can_hand_over": selectors.can_hand_over(request.user, buy),
        "PaymentState": PaymentState,
    }


@require_GET
@page
def hub(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    return render(request, "settlement/hub.html", _hub_context(request, buy))


@require_POST
@page
def pay(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry_for(request, entry_pk)
    form = PaymentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            payment_services.payment_mark(
                actor=request.user,
                entry=entry,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                screenshot=form.cleaned_data.get("screenshot"),
            )
        except ApplicationError as exc:
            add_error(form, exc)
            context = _hub_context(request, entry.buy, pay_form=form)
            return render(request, "settlement/hub.html", context, status=exc.status_code)
        messages.success(request, _("Thank you. The leader will confirm your payment."))
        return redirect(_hub(entry.buy_id))
    return render(request, "settlement/hub.html", _hub_context(request, entry.buy, pay_form=form), status=400)


@require_POST
@page
def respond(request: HttpRequest, change_pk: int) -> HttpResponse:
    change = PriceChange.objects.filter(pk=change_pk).first()
    if change is None:
        raise NotFound(code="not_found")
    buy = selectors.get_buy(user=request.user, buy_id=change.buy_id)
    entry = selectors.my_entry(user=request.user, buy=buy)
    if entry is None:
        raise PermissionRefused(code="not_your_entry")
    try:
        change_services.price_change_respond(
            actor=request.user, change=change, entry=entry, choice=request.POST.get("choice", "")
        )
    except ApplicationError as exc:
        return _refused(request, exc, _hub(buy.pk))
    messages.success(request, _("Your answer was recorded."))
    return redirect(_hub(buy.pk))


@require_POST
@page
def refund_received(request: HttpRequest, refund_pk: int) -> HttpResponse:
    refund = Refund.objects.select_related("entry__buy", "buy").filter(pk=refund_pk).first()
    if refund is None:
        raise NotFound(code="not_found")
    selectors.get_buy(user=request.user, buy_id=refund.buy_id)
    try:
        payment_services.refund_confirm(actor=request.user, refund=refund)
    except ApplicationError as exc:
        return _refused(request, exc, safe_next(request, _hub(refund.buy_id)))
    return redirect(safe_next(request, _hub(refund.buy_id)))


@require_http_methods(["GET", "POST"])
@page
def report_problem(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry_for(request, entry_pk)
    require_own_entry(request.user, entry)
    lines = list(entry.lines.select_related("item__offer"))
    form = AfterSalesForm(request.POST or None, lines=lines)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            after_sales_services.after_sales_report(
                actor=request.user,
                entry=entry,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                item_id=form.cleaned_data["item"],
                photos=request.FILES.getlist("photos"),
            )
        except ApplicationError as exc:
            add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Your report was sent to the leader."))
            return redirect(_hub(entry.buy_id))
    elif request.method == "POST":
        status = 400
    return render(
        request, "settlement/report_form.html", {"buy": entry.buy, "entry": entry, "form": form}, status=status
    )


# --- leader and data volunteers ----------------------------------------------------------------------------------


def _int(value: Any, default: int) -> int:
    try:
        return max(0, min(int(value), 24 * 90))
    except (TypeError, ValueError):
        return default


@require_GET
@page
def reconcile(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    data = selectors.reconciliation(
        user=request.user, buy=buy, unpaid_hours=_int(request.GET.get("hours"), 24), state=request.GET.get("state", "")
    )
    fmt = request.GET.get("format")
    if fmt == "csv":
        return csv_response(exports.reconciliation_table(data=data))
    if fmt == "xlsx":
        return xlsx_response(exports.reconciliation_table(data=data))
    return render(
        request,
        "settlement/reconcile.html",
        {
            **data,
            "state": request.GET.get("state", ""),
            "PaymentState": PaymentState,
            # Nobody confirms their own household's payment (the service refuses it): no button for it.
            "my_household_id": getattr(membership_for(request.user, buy.community_id), "household_id", None),
        },
    )


@require_POST
@page
def confirm_payment(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry_for(request, entry_pk)
    back = reverse("settlement:reconcile", kwargs={"pk": entry.buy_id}) + f"#e{entry.pk}"
    try:
        if request.POST.get("action") == "reject":
            payment_services.payment_reject(actor=request.user, entry=entry)
        else:
            payment_services.payment_confirm(
                actor=request.user, entry=entry, expected_amount=request.POST.get("amount")
            )
    except ApplicationError as exc:
        return _refused(request, exc, back)
    return redirect(back)


@require_POST
@page
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    try:
        payment_services.payment_reminders_request(actor=request.user, buy=buy)
    except ApplicationError as exc:
        return _refused(request, exc, reverse("settlement:reconcile", kwargs={"pk": pk}))
    messages.success(request, _("Reminders are on their way to everyone who has not paid."))
    return redirect(reverse("settlement:reconcile", kwargs={"pk": pk}))


@require_GET
@page
def refunds(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    return render(
        request,
        "settlement/refunds.html",
        {
            "buy": buy,
            "refunds": selectors.refunds_for(user=request.user, buy=buy),
            "is_staff": is_payment_staff(request.user, buy),
        },
    )


@require_POST
@page
def refund_paid_back(request: HttpRequest, refund_pk: int) -> HttpResponse:
    refund = Refund.objects.select_related("buy").filter(pk=refund_pk).first()
    if refund is None:
        raise NotFound(code="not_found")
    selectors.get_buy(user=request.user, buy_id=refund.buy_id)
    back = reverse("settlement:refunds", kwargs={"pk": refund.buy_id})
    try:
        payment_services.refund_mark_paid_back(actor=request.user, refund=refund)
    except ApplicationError as exc:
        return _refused(request, exc, back)
    return redirect(back)


@require_http_methods(["GET", "POST"])
@page
def price_change_new(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    if not selectors.can_manage(request.user, buy):
        raise PermissionRefused(code="not_your_buy")
    items = list(buy.items.select_related("offer"))
    offers = Offer.objects.filter(supplier__community_id=buy.community_id, is_active=True).order_by("title")[:200]
    form = PriceChangeForm(request.POST or None, request.FILES or None, items=items, offers=offers)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change_services.price_change_propose(
                actor=request.user,
                buy=buy,
                item_id=data["item"],
                new_price=data["new_price"],
                new_cost=data["new_cost"],
                new_offer_id=data["new_offer"],
                reason=data["reason"],
                evidence=data.get("evidence"),
                deadline=data["deadline"],
                default_action=data["default_action"],
            )
        except ApplicationError as exc:
            add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("The participants were asked to accept or withdraw."))
            return redirect(_hub(buy.pk))
    elif request.method == "POST":
        status = 400
    return render(request, "settlement/price_change_form.html", {"buy": buy, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@page
def arrivals(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    if not selectors.can_manage(request.user, buy):
        raise PermissionRefused(code="not_your_buy")
    items = list(buy.items.select_related("offer", "arrival").order_by("position", "pk"))
    ordered = selectors.ordered_per_item(buy=buy)
    typed = {}
    error = None
    status = 200
    if request.method == "POST":
        typed = {
            item.pk: request.POST.get(f"item_{item.pk}", "").strip()
            for item in items
            if request.POST.get(f"item_{item.pk}", "").strip() != ""
        }
        try:
            shortage_services.arrivals_record(actor=request.user, buy=buy, arrived=typed)
        except ApplicationError as exc:
            error, status = exc, exc.status_code
        else:
            messages.success(request, _("Recorded. Shortfalls were shared out and refunds created."))
            return redirect(reverse("settlement:arrivals", kwargs={"pk": pk}))
    rows = [
        {
            "item": item,
            "ordered": ordered.get(item.pk, 0),
            "typed": typed.get(item.pk, ""),
            "arrival": getattr(item, "arrival", None) if hasattr(item, "arrival") else None,
        }
        for item in items
    ]
    return render(request, "settlement/arrivals.html", {"buy": buy, "rows": rows, "error": error}, status=status)


@require_GET
@page
def after_sales_list(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    return render(
        request,
        "settlement/after_sales.html",
        {
            "buy": buy,
            "reports": selectors.after_sales_for(buy=buy),
            "is_leader": selectors.can_manage(request.user, buy),
            "resolve_form": ResolveForm(),
        },
    )


@require_POST
@page
def after_sales_resolve(request: HttpRequest, report_pk: int) -> HttpResponse:
    report = AfterSalesReport.objects.select_related("buy", "entry__buy").filter(pk=report_pk).first()
    if report is None:
        raise NotFound(code="not_found")
    selectors.get_buy(user=request.user, buy_id=report.buy_id)
    back = reverse("settlement:after_sales", kwargs={"pk": report.buy_id})
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a resolution."))
        return redirect(back)
    try:
        after_sales_services.after_sales_resolve(
            actor=request.user,
            report=report,
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
            refund_amount=form.cleaned_data["refund_amount"],
        )
    except ApplicationError as exc:
        return _refused(request, exc, back + f"#r{report.pk}")
    return redirect(back)


@require_http_methods(["GET", "POST"])
@page
def donations(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    items = list(buy.items.select_related("offer"))
    form = DonationForm(request.POST or None, items=items)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            after_sales_services.donation_add(
                actor=request.user, buy=buy, item_id=form.cleaned_data["item"], quantity=form.cleaned_data["quantity"]
            )
        except ApplicationError as exc:
            add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Thank you for your donation."))
            return redirect(reverse("settlement:donations", kwargs={"pk": pk}))
    elif request.method == "POST":
        status = 400
    # Recipients reveal the committee-only vulnerable list: the leader and the committee only.
    may_assign = selectors.can_see_donation_recipients(request.user, buy)
    return render(
        request,
        "settlement/donations.html",
        {
            "buy": buy,
            "form": form,
            "donations": selectors.donations(buy=buy),
            "may_assign": may_assign,
            "is_leader": buy.leader_id == request.user.pk,
            "donation_limit": after_sales_services.donation_limit(buy),
            "vulnerable": selectors.vulnerable_households(buy=buy) if may_assign else [],
            "is_staff": is_payment_staff(request.user, buy),
            "can_hand_over": selectors.can_hand_over(request.user, buy),
        },
        status=status,
    )


@require_POST
@page
def donation_action(request: HttpRequest, donation_pk: int) -> HttpResponse:
    donation = Donation.objects.select_related("buy").filter(pk=donation_pk).first()
    if donation is None:
        raise NotFound(code="not_found")
    selectors.get_buy(user=request.user, buy_id=donation.buy_id)
    back = reverse("settlement:donations", kwargs={"pk": donation.buy_id})
    action = request.POST.get("action")
    try:
        if action == "assign":
            after_sales_services.donation_assign(
                actor=request.user, donation=donation, recipient_id=request.POST.get("recipient")
            )
        elif action == "paid":
            after_sales_services.donation_mark_paid(actor=request.user, donation=donation)
        elif action == "delivered":
            distribution_services.donation_hand_over(actor=request.user, donation=donation)
        elif action == "withdraw":
            after_sales_services.donation_withdraw(actor=request.user, donation=donation)
            messages.success(request, _("The donation was withdrawn."))
    except ApplicationError as exc:
        return _refused(request, exc, back)
    return redirect(back)


# --- distribution --------------------------------------------------------------------------------------------------


def _buy_for_hand_over(request: HttpRequest, pk: int):
    """The buy, if the user may hand out its goods (building leaders, volunteers, the leader)."""
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    if not selectors.can_hand_over(request.user, buy):
        raise PermissionRefused(code="forbidden")
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
            "progress": selectors.distribution_progress(buy=buy),
            "is_leader": selectors.can_manage(request.user, buy),
        },
    )


@require_POST
@page
def issue_codes(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    back = reverse("settlement:distribution", kwargs={"pk": pk})
    try:
        created = distribution_services.pickup_codes_issue(actor=request.user, buy=buy)
    except ApplicationError as exc:
        return _refused(request, exc, back)
    messages.success(request, _("%(n)d pickup codes issued.") % {"n": created})
    return redirect(back)


@require_GET
@page
def pick_list(request: HttpRequest, pk: int) -> HttpResponse:
    buy = _buy_for_hand_over(request, pk)
    building = _int(request.GET.get("building"), 0) or None
    membership = membership_for(request.user, buy.community_id)
    if building is None and membership and membership.is_building_leader and not membership.is_team_leader:
        building = membership.led_building_id  # a building leader starts with their own building
    groups = selectors.pick_list(user=request.user, buy=buy, building_id=building)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(exports.pick_list_table(buy=buy, groups=groups))
    template = "settlement/route.html" if request.GET.get("view") == "route" else "settlement/pick_list.html"
    return render(request, template, {"buy": buy, "groups": groups, "building": building})


@require_GET
@page
def gate_queue(request: HttpRequest, pk: int) -> HttpResponse:
    buy = _buy_for_hand_over(request, pk)
    return render(request, "settlement/queue.html", {"buy": buy, "entries": selectors.gate_queue(buy=buy)})


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
        preview, status = None, 200
        try:
            distribution_services.pickup_code_resolve(actor=request.user, buy=buy, code=code)
        except ApplicationError as exc:
            add_error(form, exc)
            status = exc.status_code
        else:
            preview = selectors.pickup_preview(buy=buy, code=code)
        return render(
            request, "settlement/handover.html", {"buy": buy, "form": form, "preview": preview}, status=status
        )
    handed = {
        key.removeprefix("line_"): value
        for key, value in request.POST.items()
        if key.startswith("line_") and value.strip() != ""
    }
    try:
        pickup = distribution_services.pickup_hand_over(
            actor=request.user, buy=buy, code=code, handed=handed, note=form.cleaned_data["note"]
        )
    except ApplicationError as exc:
        add_error(form, exc)
        # Refused before the code resolved (unknown, another building's, too many tries): show no household.
        resolved = not isinstance(exc, PermissionRefused | NotFound | RateLimited)
        preview = selectors.pickup_preview(buy=buy, code=code) if resolved else None
        context = {"buy": buy, "form": form, "preview": preview}
        return render(request, "settlement/handover.html", context, status=exc.status_code)
    messages.success(request, _("Handed over: %(household)s") % {"household": selectors.identity(pickup.entry)})
    return redirect(reverse("settlement:handover", kwargs={"pk": pk}))


# --- private files ---------------------------------------------------------------------------------------------------


@require_GET
@page
def private_file(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Transfer screenshots (the household and payment staff), price-change evidence and after-sales
    photos (everyone in the buy's community)."""
    from settlement.models import Payment

    if kind == "payment":
        payment = Payment.objects.select_related("entry__buy").filter(pk=pk).first()
        if payment is None or not payment.screenshot:
            raise NotFound(code="not_found")
        buy = selectors.get_buy(user=request.user, buy_id=payment.buy_id)
        if not is_payment_staff(request.user, buy):
            require_own_entry(request.user, payment.entry)
        return _serve_photo(request, payment.screenshot)
    if kind == "evidence":
        change = PriceChange.objects.filter(pk=pk).first()
        if change is None or not change.evidence:
            raise NotFound(code="not_found")
        selectors.get_buy(user=request.user, buy_id=change.buy_id)
        return _serve_photo(request, change.evidence)
    if kind == "photo":
        photo = AfterSalesPhoto.objects.select_related("report").filter(pk=pk).first()
        if photo is None:
            raise NotFound(code="not_found")
        selectors.get_buy(user=request.user, buy_id=photo.report.buy_id)
        return _serve_photo(request, photo.path)
    raise NotFound(code="not_found")


def _serve_photo(request: HttpRequest, name: str) -> HttpResponse:
    """A photo still pending is the raw upload (with its EXIF/GPS): it is never served."""
    from core.media import serve_private
    from core.uploads import is_pending, photo_processing

    if is_pending(name):
        raise photo_processing()
    return serve_private(request, name)
