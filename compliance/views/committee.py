"""Pages for committee staff: overview, policy, suspensions, review queue, audit."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, allowed_actions, require
from compliance import selectors
from compliance.exceptions import reason_required
from compliance.forms import (
    PolicyForm,
    RejectForm,
    SuspensionForm,
)
from compliance.models import Filing, FilingStatus, Suspension
from compliance.services import policy, qualifications, review
from compliance.services.audit import audit_chain_verify
from compliance.views.common import community_for, filing_or_404
from core.errors import PermissionRefused
from core.pages import confirm_first, page, refusal_flashed, refusal_on, render_form
from groupbuy.exports import safe_text

# --- overview ----------------------------------------------------------------


@page
def index(request):
    """The deliveries page of the user's community (or a choice when they belong to several)."""
    communities = selectors.community_list(user=request.user)
    if len(communities) == 1:
        return redirect("compliance:community", community_id=communities[0].pk)
    return render(request, "compliance/index.html", {"communities": communities})


@page
def community_home(request, community_id: int):
    community = community_for(community_id, request.user, Action.VIEW)
    actions = allowed_actions(request.user, community)
    context = {
        "community": community,
        "actions": {a.value for a in actions},
        "policy": selectors.policy_get(community=community),
        "suspensions": selectors.suspension_current_list(community=community, now=timezone.now()),
        "queue_count": Filing.objects.filter(community=community, status=FilingStatus.SUBMITTED).count()
        if Action.REVIEW_FILING in actions
        else None,
        "deliveries": list(selectors.delivery_today_list(community=community))
        if Action.RECEIVE_GOODS in actions or Action.REVIEW_FILING in actions
        else [],
        "my_deliveries": selectors.participant_filing_list(user=request.user, community=community),
        "my_buys": list(selectors.buy_to_file_list(community=community, leader=request.user))
        if Action.FILE_DELIVERY in actions
        else [],
    }
    return render(request, "compliance/community.html", context)


# --- committee: policy, suspensions, queue, review, audit -------------------


@page
def policy_edit(request, community_id: int):
    community = community_for(community_id, request.user, Action.EDIT_POLICY)
    current = selectors.policy_get(community=community)
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            with refusal_on(form):
                policy.policy_update(actor=request.user, community=community, **form.cleaned_data)
                messages.success(request, _("Delivery policy saved."))
                return redirect("compliance:policy", community_id=community.pk)
    else:
        form = PolicyForm(
            initial={
                "weekdays": sorted(current.weekday_set),
                "lead_hours": current.lead_hours,
                "gate_opens": current.gate_opens,
                "gate_closes": current.gate_closes,
                "public_previews": current.public_previews,
            }
        )
    context = {"community": community, "form": form, "policy": current}
    return render_form(request, "compliance/policy.html", context, form)


@page
def suspensions(request, community_id: int):
    community = community_for(community_id, request.user, Action.EDIT_POLICY)
    form = SuspensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Held deliveries and told leaders cannot be taken back: the committee confirms first.
        asked = confirm_first(
            request,
            title=_("Suspend deliveries?"),
            consequence=_(
                "From %(starts)s to %(ends)s no goods may enter. Approved deliveries in this period go on hold "
                "at once and their leaders are told; lifting the suspension early approves them again."
            )
            % {
                "starts": date_format(timezone.localtime(form.cleaned_data["starts_at"]), "SHORT_DATETIME_FORMAT"),
                "ends": date_format(timezone.localtime(form.cleaned_data["ends_at"]), "SHORT_DATETIME_FORMAT"),
            },
            confirm_label=_("Suspend deliveries"),
            back_url=reverse("compliance:suspensions", kwargs={"community_id": community.pk}),
        )
        if asked:
            return asked
        with refusal_on(form):
            policy.suspension_create(actor=request.user, community=community, **form.cleaned_data)
            messages.success(request, _("Deliveries suspended. Affected deliveries are on hold."))
            return redirect("compliance:suspensions", community_id=community.pk)
    rows = list(selectors.suspension_list(community=community)[:50])
    context = {"community": community, "form": form, "suspensions": rows, "now": timezone.now()}
    return render_form(request, "compliance/suspensions.html", context, form)


@page
@require_POST
def suspension_lift(request, pk: int):
    suspension = get_object_or_404(Suspension, pk=pk)
    require(request.user, Action.EDIT_POLICY, suspension.community_id)
    asked = confirm_first(
        request,
        title=_("Lift the suspension now?"),
        consequence=_(
            "Goods may enter again at once: the deliveries it held are approved again and their leaders are told; "
            "any past their arrival time must be re-filed."
        ),
        confirm_label=_("Lift now"),
        back_url=reverse("compliance:suspensions", kwargs={"community_id": suspension.community_id}),
    )
    if asked:
        return asked
    with refusal_flashed(request, passes=(PermissionRefused,)):
        policy.suspension_lift(actor=request.user, suspension=suspension)
        messages.success(
            request,
            _("Suspension lifted. Held deliveries are approved again; any past their arrival time must be re-filed."),
        )
    return redirect("compliance:suspensions", community_id=suspension.community_id)


@page
def queue(request, community_id: int):
    community = community_for(community_id, request.user, Action.REVIEW_FILING)
    rows = selectors.review_queue_list(community=community)
    return render(
        request,
        "compliance/queue.html",
        {
            "community": community,
            "filings": rows,
            "reject_form": RejectForm(),
            "me": request.user.pk,
            "expiring_qualifications": qualifications.qualifications_expiring(community_id=community.pk),
            "today": timezone.localdate(),
        },
    )


@page
@require_POST
def filing_approve(request, pk: int):
    filing = filing_or_404(pk)
    with refusal_flashed(request, passes=(PermissionRefused,)):
        slip = review.filing_approve(actor=request.user, filing=filing)
        messages.success(
            request, _("Approved “%(title)s”. Slip %(code)s.") % {"title": filing.buy.title, "code": slip.display_code}
        )
    return back_to_queue(request, filing)


@page
@require_POST
def filing_reject(request, pk: int):
    filing = filing_or_404(pk)
    form = RejectForm(request.POST)
    with refusal_flashed(request, passes=(PermissionRefused,)):
        if not form.is_valid():
            raise reason_required()
        review.filing_reject(actor=request.user, filing=filing, reason=form.cleaned_data["reason"])
        messages.success(request, _("Rejected “%(title)s”. The leader was told.") % {"title": filing.buy.title})
    return back_to_queue(request, filing)


def back_to_queue(request, filing: Filing) -> HttpResponseRedirect:
    if request.POST.get("next") == "detail":
        return redirect("compliance:filing_detail", pk=filing.pk)
    return redirect("compliance:queue", community_id=filing.community_id)


@page
def audit(request, community_id: int):
    community = community_for(community_id, request.user, Action.VIEW_AUDIT)
    report = audit_chain_verify(community_id=community.pk) if request.GET.get("verify") else None
    return render(
        request,
        "compliance/audit.html",
        {"community": community, "lines": selectors.audit_line_list(community=community), "report": report},
    )


class Echo:
    def write(self, value):
        return value


@page
@require_GET
def audit_csv(request, community_id: int):
    community = community_for(community_id, request.user, Action.VIEW_AUDIT)
    writer = csv.writer(Echo())
    # Actor names are self-chosen: neutralised against formula injection like every other export.
    rows = (writer.writerow([safe_text(v) for v in row]) for row in selectors.audit_csv_row_list(community=community))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{community.pk}.csv"'
    return response
