"""Pages at the gate: receiving volunteers, gate guards, and private files."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Community
from accounts.permissions import Action, can, require
from compliance import selectors
from compliance.forms import (
    ArrivalForm,
    DisinfectedForm,
    GateForm,
)
from compliance.services import delivery, gate
from compliance.views.common import filing_or_404
from core.errors import PermissionRefused
from core.media import serve_private
from core.pages import confirm_first, page, refusal_flashed, refusal_on, render_form
from core.uploads import is_pending, photo_processing

# --- receiving volunteers ------------------------------------------------------


def receiving_action(request, pk: int, call) -> HttpResponseRedirect:
    filing = filing_or_404(pk)
    with refusal_flashed(request, passes=(PermissionRefused,)):
        call(filing)
    return redirect("compliance:filing_detail", pk=filing.pk)


@page
@require_POST
def arrival(request, pk: int):
    form = ArrivalForm(request.POST)
    receivers = form.cleaned_data["receivers"] if form.is_valid() else ""
    return receiving_action(
        request, pk, lambda f: delivery.arrival_record(actor=request.user, filing=f, receivers=receivers)
    )


@page
@require_POST
def evidence_upload(request, pk: int):
    return receiving_action(
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
    return receiving_action(
        request, pk, lambda f: delivery.disinfection_finish(actor=request.user, filing=f, finished_at=finished_at)
    )


@page
@require_POST
def release(request, pk: int):
    """Goods let in cannot be called back: the receiving volunteer confirms first."""
    filing = filing_or_404(pk)
    require(request.user, Action.RECEIVE_GOODS, filing.community_id)
    asked = confirm_first(
        request,
        title=_("Release the goods into the compound?"),
        consequence=_(
            "The goods of “%(title)s” go in for hand-out now; the residents in the list and the leader are told. "
            "It cannot be undone: release only after disinfection has finished and the wait is over."
        )
        % {"title": filing.buy.title},
        confirm_label=_("Release into the compound"),
        back_url=reverse("compliance:filing_detail", kwargs={"pk": filing.pk}),
    )
    if asked:
        return asked
    return receiving_action(request, pk, lambda f: delivery.delivery_release(actor=request.user, filing=f))


@page
def deliveries(request, community_id: int):
    community = get_object_or_404(Community, pk=community_id)
    if not (can(request.user, Action.RECEIVE_GOODS, community) or can(request.user, Action.REVIEW_FILING, community)):
        raise PermissionDenied
    return render(
        request,
        "compliance/deliveries.html",
        {"community": community, "filings": list(selectors.delivery_upcoming_list(community=community))},
    )


# --- gate guards ---------------------------------------------------------------


@page
@require_http_methods(["GET", "POST"])
def gate_check(request):
    """Open the page, type or scan the code: the result shows at once (two taps).

    The code travels only in the POST body: a GET (bookmark, reload, link) renders the empty form, checks
    nothing and records nothing, and no code ends up in access logs or browser history.
    """
    communities = selectors.guard_community_list(user=request.user)
    if not communities:
        raise PermissionDenied
    chosen = communities[0]
    wanted = request.POST.get("c") if request.method == "POST" else request.GET.get("c")
    if wanted:
        chosen = next((c for c in communities if str(c.pk) == wanted), None)
        if chosen is None:
            raise PermissionDenied
    form = GateForm(request.POST if request.method == "POST" else None)
    result = None
    if request.method == "POST" and form.is_valid():
        with refusal_on(form, passes=(PermissionRefused,)):
            result = gate.slip_verify(actor=request.user, community=chosen, code=form.cleaned_data["code"])
    form = GateForm(initial={"code": ""}) if result else form
    context = {"form": form, "result": result, "community": chosen, "communities": communities}
    return render_form(request, "compliance/gate.html", context, form)


# --- files (never from a public URL) ---------------------------------------------


@page
@require_GET
def document_file(request, pk: int):
    document = selectors.document_get(user=request.user, pk=pk)
    if document is None:
        raise Http404
    if is_pending(document.file):  # the raw upload, EXIF/GPS still in it: never served
        refusal = photo_processing()
        return HttpResponse(str(refusal.message), status=refusal.status_code, content_type="text/plain; charset=utf-8")
    if request.GET.get("thumb") and document.thumbnail:
        return serve_private(request, document.thumbnail, content_type=document.content_type)
    return serve_private(
        request, document.file, content_type=document.content_type, download_name=f"{document.kind}-{document.pk}"
    )


@page
@require_GET
def evidence_file(request, pk: int):
    evidence = selectors.evidence_get(user=request.user, pk=pk)
    if evidence is None or not evidence.file:
        raise Http404
    if request.GET.get("thumb") and evidence.thumbnail:
        return serve_private(request, evidence.thumbnail, content_type=evidence.content_type)
    return serve_private(request, evidence.file, content_type=evidence.content_type)
