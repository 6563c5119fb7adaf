"""Mobile pages for committee staff, leaders, gate guards, receiving volunteers and residents.

Views parse input, check who may look, call one service and render. Refusals
from services are shown in the form with the same message the API gives.
"""

from __future__ import annotations

import csv
from functools import wraps

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Community
from accounts.permissions import Action, allowed_actions, can, require
from compliance import selectors
from compliance.forms import (
    ArrivalForm,
    DisinfectedForm,
    EvidenceForm,
    FilingForm,
    GateForm,
    PolicyForm,
    RejectForm,
    SuspensionForm,
)
from compliance.models import Filing, FilingStatus, Suspension
from compliance.services import delivery, filings, gate, policy, review
from compliance.services.audit import audit_chain_verify
from config.errors import ApplicationError, NotFound, PermissionRefused
from config.media import serve_private
from groupbuy.models import GroupBuy


def page(view):
    """Login required; PermissionRefused → 403 and NotFound → 404 instead of a server error."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionRefused as exc:
            raise PermissionDenied(str(exc.message)) from None
        except NotFound:
            raise Http404 from None

    return wrapper


def _community(community_id: int, user, action: Action) -> Community:
    community = get_object_or_404(Community, pk=community_id)
    require(user, action, community)
    return community


def _filing(pk: int) -> Filing:
    filing = selectors.filing_detail(pk=pk)
    if filing is None:
        raise Http404
    return filing


def _show_error(request, form, exc: ApplicationError) -> None:
    violations = (exc.detail or {}).get("violations") if isinstance(exc.detail, dict) else None
    if violations:
        for violation in violations:
            form.add_error(None, violation["message"])
    else:
        form.add_error(None, str(exc.message))


def _flash_error(request, exc: ApplicationError) -> None:
    messages.error(request, str(exc.message))


def qr_svg(data: str) -> str:
    return segno.make(data, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


# --- overview ----------------------------------------------------------------


@page
def index(request):
    """The deliveries page of the user's community (or a choice when they belong to several)."""
    communities = selectors.communities_of(user=request.user)
    if len(communities) == 1:
        return redirect("compliance:community", community_id=communities[0].pk)
    return render(request, "compliance/index.html", {"communities": communities})


@page
def community_home(request, community_id: int):
    community = _community(community_id, request.user, Action.VIEW)
    actions = allowed_actions(request.user, community)
    context = {
        "community": community,
        "actions": {a.value for a in actions},
        "policy": selectors.policy_of(community=community),
        "queue_count": Filing.objects.filter(community=community, status=FilingStatus.SUBMITTED).count()
        if Action.REVIEW_FILING in actions
        else None,
        "deliveries": list(selectors.deliveries_today(community=community))
        if Action.RECEIVE_GOODS in actions or Action.REVIEW_FILING in actions
        else [],
        "my_deliveries": selectors.filings_of_participant(user=request.user, community=community),
        "my_buys": list(selectors.buys_to_file(community=community, leader=request.user))
        if Action.FILE_DELIVERY in actions
        else [],
    }
    return render(request, "compliance/community.html", context)


# --- committee: policy, suspensions, queue, review, audit -------------------


@page
def policy_edit(request, community_id: int):
    community = _community(community_id, request.user, Action.EDIT_POLICY)
    current = selectors.policy_of(community=community)
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                policy.policy_update(actor=request.user, community=community, **form.cleaned_data)
            except ApplicationError as exc:
                _show_error(request, form, exc)
            else:
                messages.success(request, _("Delivery policy saved."))
                return redirect("compliance:policy", community_id=community.pk)
    else:
        form = PolicyForm(
            initial={
                "weekdays": sorted(current.weekday_set),
                "lead_days": current.lead_days,
                "gate_opens": current.gate_opens,
                "gate_closes": current.gate_closes,
            }
        )
    return render(request, "compliance/policy.html", {"community": community, "form": form, "policy": current})


@page
def suspensions(request, community_id: int):
    community = _community(community_id, request.user, Action.EDIT_POLICY)
    form = SuspensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy.suspension_create(actor=request.user, community=community, **form.cleaned_data)
        except ApplicationError as exc:
            _show_error(request, form, exc)
        else:
            messages.success(request, _("Deliveries suspended. Affected deliveries are on hold."))
            return redirect("compliance:suspensions", community_id=community.pk)
    rows = list(selectors.suspensions_of(community=community, now=timezone.now())[:50])
    return render(
        request,
        "compliance/suspensions.html",
        {"community": community, "form": form, "suspensions": rows, "now": timezone.now()},
    )


@page
@require_POST
def suspension_lift(request, pk: int):
    suspension = get_object_or_404(Suspension, pk=pk)
    try:
        policy.suspension_lift(actor=request.user, suspension=suspension)
    except PermissionRefused:
        raise
    except ApplicationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Suspension lifted. Held deliveries are approved again."))
    return redirect("compliance:suspensions", community_id=suspension.community_id)


@page
def queue(request, community_id: int):
    community = _community(community_id, request.user, Action.REVIEW_FILING)
    rows = selectors.review_queue(community=community)
    return render(
        request,
        "compliance/queue.html",
        {"community": community, "filings": rows, "reject_form": RejectForm(), "me": request.user.pk},
    )


@page
@require_POST
def filing_approve(request, pk: int):
    filing = _filing(pk)
    try:
        slip = review.filing_approve(actor=request.user, filing=filing)
    except PermissionRefused:
        raise
    except ApplicationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(
            request, _("Approved “%(title)s”. Slip %(code)s.") % {"title": filing.buy.title, "code": slip.display_code}
        )
    return _back_to_queue(request, filing)


@page
@require_POST
def filing_reject(request, pk: int):
    filing = _filing(pk)
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            from compliance.exceptions import reason_required

            raise reason_required()
        review.filing_reject(actor=request.user, filing=filing, reason=form.cleaned_data["reason"])
    except PermissionRefused:
        raise
    except ApplicationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Rejected “%(title)s”. The leader was told.") % {"title": filing.buy.title})
    return _back_to_queue(request, filing)


def _back_to_queue(request, filing: Filing) -> HttpResponseRedirect:
    if request.POST.get("next") == "detail":
        return redirect("compliance:filing_detail", pk=filing.pk)
    return redirect("compliance:queue", community_id=filing.community_id)


@page
def audit(request, community_id: int):
    community = _community(community_id, request.user, Action.VIEW_AUDIT)
    report = audit_chain_verify(community_id=community.pk) if request.GET.get("verify") else None
    return render(
        request,
        "compliance/audit.html",
        {"community": community, "events": selectors.audit_recent(community=community), "report": report},
    )


class _Echo:
    def write(self, value):
        return value


@page
@require_GET
def audit_csv(request, community_id: int):
    community = _community(community_id, request.user, Action.VIEW_AUDIT)
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in selectors.audit_csv_rows(community=community))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{community.pk}.csv"'
    return response


# --- leaders: file, fix, status ----------------------------------------------


@page
def buy_delivery(request, buy_id: int):
    """The delivery of a buy: its filing if there is one (for anyone who may see it), else the way to file."""
    buy = get_object_or_404(GroupBuy.objects.select_related("community"), pk=buy_id)
    require(request.user, Action.VIEW, buy.community_id)
    found = selectors.filing_of_buy(buy_id=buy.pk)
    if found is not None:
        return redirect("compliance:filing_detail", pk=found.pk)
    if buy.leader_id == request.user.pk:
        return redirect("compliance:filing_create", buy_id=buy.pk)
    return render(request, "compliance/no_filing.html", {"buy": buy})


@page
def filing_create(request, buy_id: int):
    buy = get_object_or_404(GroupBuy.objects.select_related("community"), pk=buy_id)
    require(request.user, Action.FILE_DELIVERY, buy.community_id)
    if buy.leader_id != request.user.pk:
        raise PermissionDenied
    found = selectors.filing_of_buy(buy_id=buy.pk)
    if found is not None:
        return redirect("compliance:filing_detail", pk=found.pk)
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                filing = filings.filing_submit(actor=request.user, buy=buy, **form.service_kwargs())
            except ApplicationError as exc:
                _show_error(request, form, exc)
            else:
                messages.success(request, _("Filed. The committee will review it."))
                return redirect("compliance:filing_detail", pk=filing.pk)
    else:
        form = FilingForm(initial={"gate": buy.drop_point, "arrival_date": buy.delivery_date})
    return render(
        request,
        "compliance/filing_form.html",
        {
            "buy": buy,
            "form": form,
            "policy": selectors.policy_of(community=buy.community_id),
            "goods": selectors.purchase_order_lines(buy_id=buy.pk),
        },
    )


@page
def filing_edit(request, pk: int):
    filing = _filing(pk)
    require(request.user, Action.FILE_DELIVERY, filing.community_id)
    if filing.buy.leader_id != request.user.pk:
        raise PermissionDenied
    if filing.status not in (FilingStatus.REJECTED, FilingStatus.SUBMITTED):
        return redirect("compliance:filing_detail", pk=filing.pk)
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES, documents_required=False)
        if form.is_valid():
            try:
                filings.filing_resubmit(actor=request.user, filing=filing, **form.service_kwargs())
            except ApplicationError as exc:
                _show_error(request, form, exc)
            else:
                messages.success(request, _("Resubmitted. The committee will review it again."))
                return redirect("compliance:filing_detail", pk=filing.pk)
    else:
        form = FilingForm(initial=FilingForm.initial_from(filing), documents_required=False)
    return render(
        request,
        "compliance/filing_form.html",
        {
            "buy": filing.buy,
            "filing": filing,
            "form": form,
            "policy": selectors.policy_of(community=filing.community_id),
            "goods": list(filing.lines.all()),
        },
    )


@page
def filing_detail(request, pk: int):
    filing = _filing(pk)
    see = selectors.delivery_visibility(user=request.user, filing=filing)
    if not see["delivery"]:
        raise PermissionDenied
    slip = getattr(filing, "slip", None) if see["slip"] else None
    context = {
        "filing": filing,
        "buy": filing.buy,
        "see": see,
        "slip": slip,
        "slip_qr": qr_svg(request.build_absolute_uri(reverse("compliance:gate") + f"?code={slip.code}"))
        if slip
        else "",
        "evidence": list(filing.evidence.all()),
        "release_at": delivery.release_earliest(filing),
        "now": timezone.now(),
        "reject_form": RejectForm(),
        "arrival_form": ArrivalForm(),
        "evidence_form": EvidenceForm(),
        "disinfected_form": DisinfectedForm(),
    }
    return render(request, "compliance/filing_detail.html", context)


# --- receiving volunteers ------------------------------------------------------


def _receiving_action(request, pk: int, call) -> HttpResponseRedirect:
    filing = _filing(pk)
    try:
        call(filing)
    except PermissionRefused:
        raise
    except ApplicationError as exc:
        _flash_error(request, exc)
    return redirect("compliance:filing_detail", pk=filing.pk)


@page
@require_POST
def arrival(request, pk: int):
    form = ArrivalForm(request.POST)
    receivers = form.cleaned_data["receivers"] if form.is_valid() else ""
    return _receiving_action(
        request, pk, lambda f: delivery.arrival_record(actor=request.user, filing=f, receivers=receivers)
    )


@page
@require_POST
def evidence_upload(request, pk: int):
    return _receiving_action(
        request, pk, lambda f: delivery.evidence_add(actor=request.user, filing=f, upload=request.FILES.get("file"))
    )


@page
@require_POST
def disinfected(request, pk: int):
    form = DisinfectedForm(request.POST)
    finished_at = form.cleaned_data.get("finished_at") if form.is_valid() else None
    if not form.is_valid():
        messages.error(request, _("Enter a valid time."))
        return redirect("compliance:filing_detail", pk=pk)
    return _receiving_action(
        request, pk, lambda f: delivery.disinfection_finish(actor=request.user, filing=f, finished_at=finished_at)
    )


@page
@require_POST
def release(request, pk: int):
    return _receiving_action(request, pk, lambda f: delivery.delivery_release(actor=request.user, filing=f))


@page
def deliveries(request, community_id: int):
    community = get_object_or_404(Community, pk=community_id)
    if not (can(request.user, Action.RECEIVE_GOODS, community) or can(request.user, Action.REVIEW_FILING, community)):
        raise PermissionDenied
    return render(
        request,
        "compliance/deliveries.html",
        {"community": community, "filings": list(selectors.deliveries_upcoming(community=community))},
    )


# --- gate guards ---------------------------------------------------------------


@page
def gate_check(request):
    """Open the page, type or scan the code: the result shows at once (two taps)."""
    communities = selectors.guard_communities(user=request.user)
    if not communities:
        raise PermissionDenied
    chosen = communities[0]
    wanted = request.GET.get("c")
    if wanted:
        chosen = next((c for c in communities if str(c.pk) == wanted), None)
        if chosen is None:
            raise PermissionDenied
    form = GateForm(request.GET or None)
    result = None
    if request.GET.get("code") and form.is_valid():
        try:
            result = gate.slip_verify(actor=request.user, community=chosen, code=form.cleaned_data["code"])
        except PermissionRefused:
            raise
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
    form = GateForm(initial={"code": ""}) if result else form
    return render(
        request,
        "compliance/gate.html",
        {"form": form, "result": result, "community": chosen, "communities": communities},
    )


# --- files (never from a public URL) ---------------------------------------------


@page
@require_GET
def document_file(request, pk: int):
    document = selectors.document_for_viewer(user=request.user, pk=pk)
    if document is None:
        raise Http404
    if request.GET.get("thumb") and document.thumbnail:
        return serve_private(request, document.thumbnail, content_type=document.content_type)
    return serve_private(
        request, document.file, content_type=document.content_type, download_name=f"{document.kind}-{document.pk}"
    )


@page
@require_GET
def evidence_file(request, pk: int):
    evidence = selectors.evidence_for_viewer(user=request.user, pk=pk)
    if evidence is None or not evidence.file:
        raise Http404
    if request.GET.get("thumb") and evidence.thumbnail:
        return serve_private(request, evidence.thumbnail, content_type=evidence.content_type)
    return serve_private(request, evidence.file, content_type=evidence.content_type)
