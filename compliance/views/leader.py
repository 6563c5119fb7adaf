"""Pages for leaders: file a delivery, fix and resubmit, and the delivery status page everyone shares."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action, is_buy_leader, require, require_buy_leader
from compliance import selectors
from compliance.forms import (
    ArrivalForm,
    DisinfectedForm,
    EvidenceForm,
    FilingForm,
    RejectForm,
)
from compliance.services import delivery, filings, pending, qualifications
from compliance.views.common import filing_or_404
from core.pages import page, refusal_on, render_form
from core.qr import qr_svg
from groupbuy.models import BuyStatus, GroupBuy

EDITABLE_BUY_STATES = (BuyStatus.ORDERED, BuyStatus.FILED, BuyStatus.APPROVED, BuyStatus.ON_HOLD)

# --- leaders: file, fix, status ----------------------------------------------


@page
def buy_delivery(request, buy_id: int):
    """The delivery of a buy: its filing if there is one (for anyone who may see it), else the way to file."""
    buy = get_object_or_404(GroupBuy.objects.select_related("community"), pk=buy_id)
    require(request.user, Action.VIEW, buy.community_id)
    found = selectors.buy_filing_get(buy_id=buy.pk)
    if found is not None:
        return redirect("compliance:filing_detail", pk=found.pk)
    context = {"buy": buy}
    if is_buy_leader(request.user, buy):
        refusal = filings.filing_refusal(buy=buy)
        if refusal is None:
            return redirect("compliance:filing_create", buy_id=buy.pk)
        context.update(reason=refusal.message, code=refusal.code)  # why the leader cannot file yet
    return render(request, "compliance/no_filing.html", context)


def _keep_refused_uploads(request, form: FilingForm, buy: GroupBuy) -> None:
    """A form refused before the service ran (a field left empty) still keeps its files for the next submit."""
    uploads = form.uploads()
    if uploads:
        with refusal_on(form):
            pending.pending_documents_store(actor=request.user, buy=buy, uploads=uploads)


@page
def filing_create(request, buy_id: int):
    buy = get_object_or_404(GroupBuy.objects.select_related("community"), pk=buy_id)
    require(request.user, Action.FILE_DELIVERY, buy.community_id)
    require_buy_leader(request.user, buy)
    found = selectors.buy_filing_get(buy_id=buy.pk)
    if found is not None:
        return redirect("compliance:filing_detail", pk=found.pk)
    refusal = filings.filing_refusal(buy=buy)
    if refusal is not None:  # before the form is filled, not after
        context = {"buy": buy, "reason": refusal.message, "code": refusal.code}
        return render(request, "compliance/no_filing.html", context, status=refusal.status_code)
    on_file = qualifications.qualification_valid_get(buy=buy)
    passes = qualifications.vehicle_passes_valid_list(community_id=buy.community_id, user_id=request.user.pk)
    kept = pending.pending_documents_get(user_id=request.user.pk, buy_id=buy.pk)
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES, kept=kept, on_file=on_file, passes=passes)
        if form.is_valid():
            with refusal_on(form):
                filing = filings.filing_submit(actor=request.user, buy=buy, keep_uploads=True, **form.service_kwargs())
                messages.success(request, _("Filed. The committee will review it."))
                return redirect("compliance:filing_detail", pk=filing.pk)
        else:
            _keep_refused_uploads(request, form, buy)
        form.offer(
            kept=pending.pending_documents_get(user_id=request.user.pk, buy_id=buy.pk), on_file=on_file, passes=passes
        )
    else:
        form = FilingForm(
            initial={"gate": buy.drop_point, "arrival_date": buy.delivery_date},
            kept=kept,
            on_file=on_file,
            passes=passes,
        )
    return render_form(
        request,
        "compliance/filing_form.html",
        {
            "buy": buy,
            "form": form,
            "policy": selectors.policy_get(community=buy.community_id),
            "goods": selectors.purchase_order_line_list(buy_id=buy.pk),
        },
        form,
    )


@page
def filing_edit(request, pk: int):
    filing = filing_or_404(pk)
    require(request.user, Action.FILE_DELIVERY, filing.community_id)
    require_buy_leader(request.user, filing.buy)
    if filing.status not in filings.EDITABLE_STATES or filing.buy.status not in EDITABLE_BUY_STATES:
        return redirect("compliance:filing_detail", pk=filing.pk)
    kept = pending.pending_documents_get(user_id=request.user.pk, buy_id=filing.buy_id)
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES, documents_required=False, kept=kept)
        if form.is_valid():
            with refusal_on(form):
                filings.filing_resubmit(actor=request.user, filing=filing, keep_uploads=True, **form.service_kwargs())
                messages.success(request, _("Resubmitted. The committee will review it again."))
                return redirect("compliance:filing_detail", pk=filing.pk)
        else:
            _keep_refused_uploads(request, form, filing.buy)
        form.offer(kept=pending.pending_documents_get(user_id=request.user.pk, buy_id=filing.buy_id))
    else:
        form = FilingForm(initial=FilingForm.initial_from(filing), documents_required=False, kept=kept)
    return render_form(
        request,
        "compliance/filing_form.html",
        {
            "buy": filing.buy,
            "filing": filing,
            "form": form,
            "policy": selectors.policy_get(community=filing.community_id),
            "goods": list(filing.lines.all()),
        },
        form,
    )


@page
def filing_detail(request, pk: int):
    filing = filing_or_404(pk)
    see = selectors.delivery_visibility(user=request.user, filing=filing)
    if not see["delivery"]:
        raise PermissionDenied
    slip = getattr(filing, "slip", None) if see["slip"] else None
    context = {
        "filing": filing,
        "buy": filing.buy,
        "see": see,
        "slip": slip,
        # The code rides in the fragment, which never reaches a server or its logs; the gate page's script
        # moves it into the form.
        "slip_qr": qr_svg(request.build_absolute_uri(reverse("compliance:gate")) + f"#code={slip.code}")
        if slip
        else "",
        "evidence": list(filing.evidence.all()),
        "release_at": delivery.release_earliest(filing),
        "now": timezone.now(),
        "can_edit": see["edit"]
        and filing.status in filings.EDITABLE_STATES
        and filing.buy.status in EDITABLE_BUY_STATES,
        "reject_form": RejectForm(),
        "arrival_form": ArrivalForm(),
        "evidence_form": EvidenceForm(),
        "disinfected_form": DisinfectedForm(),
    }
    return render(request, "compliance/filing_detail.html", context)
