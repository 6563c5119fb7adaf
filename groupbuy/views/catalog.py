"""The catalogue pages of community staff: suppliers, offers and their photos."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Action, require
from core.media import serve_private
from core.pages import page, refusal_on, render_form
from groupbuy import exceptions as err
from groupbuy import selectors
from groupbuy.forms import (
    OfferForm,
    PhotoForm,
    SupplierForm,
)
from groupbuy.models import PhotoStatus, Supplier
from groupbuy.services import catalog


@require_http_methods(["GET", "POST"])
@page
def supplier_list(request: HttpRequest) -> HttpResponse:
    membership = selectors.membership_get_current(user=request.user, community_id=request.GET.get("community"))
    if membership is None:
        raise err.forbidden()
    require(request.user, Action.MANAGE_SUPPLIERS, membership.community_id)
    form = SupplierForm(request.POST or None)
    context = {
        "membership": membership,
        "suppliers": selectors.supplier_list(community_id=membership.community_id),
        "form": form,
    }
    if request.method == "GET":
        return render(request, "groupbuy/suppliers.html", context)
    if not form.is_valid():
        return render(request, "groupbuy/suppliers.html", context, status=400)
    with refusal_on(form):
        supplier = catalog.supplier_create(actor=request.user, community=membership.community, **form.cleaned_data)
        messages.success(request, _("Supplier added."))
        return redirect("groupbuy:supplier_detail", pk=supplier.pk)
    return render_form(request, "groupbuy/suppliers.html", context, form)


def _supplier_form(supplier: Supplier, data: Any) -> SupplierForm:
    """The supplier's edit form, filled with what is saved (`data`: the POST when this form was sent)."""
    return SupplierForm(
        data,
        initial={
            f: getattr(supplier, f) for f in ("name", "contact_name", "phone", "categories", "is_supply_guaranteed")
        },
    )


@require_http_methods(["GET", "POST"])
@page
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = selectors.supplier_get(user=request.user, supplier_id=pk)
    require(request.user, Action.MANAGE_SUPPLIERS, supplier.community_id)
    posted = request.method == "POST"
    which = request.POST.get("form") if posted else None
    form = _supplier_form(supplier, request.POST if which == "supplier" else None)
    offer_form = OfferForm(request.POST if which == "offer" else None)
    context = {
        "supplier": supplier,
        "form": form,
        "offer_form": offer_form,
        "offers": selectors.offer_list(community_id=supplier.community_id, supplier_id=supplier.pk),
    }
    if not posted:
        return render(request, "groupbuy/supplier_detail.html", context)
    bound = form if which == "supplier" else offer_form
    if which not in ("supplier", "offer") or not bound.is_valid():
        return render(request, "groupbuy/supplier_detail.html", context, status=400)
    with refusal_on(bound):
        if which == "supplier":
            catalog.supplier_update(actor=request.user, supplier=supplier, **form.cleaned_data)
            messages.success(request, _("Supplier saved."))
            return redirect("groupbuy:supplier_detail", pk=supplier.pk)
        offer = catalog.offer_create(actor=request.user, supplier=supplier, **offer_form.cleaned_data)
        messages.success(request, _("Offer added. Add a photo so residents see what they get."))
        return redirect("groupbuy:offer_detail", pk=offer.pk)
    return render_form(request, "groupbuy/supplier_detail.html", context, bound)


@require_http_methods(["GET", "POST"])
@page
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.offer_get(user=request.user, offer_id=pk)
    require(request.user, Action.MANAGE_SUPPLIERS, offer.supplier.community_id)
    which = request.POST.get("form") if request.method == "POST" else None
    fields = ("title", "description", "category", "unit", "unit_price", "supplier_cost", "pack_size", "is_active")
    form = OfferForm(
        request.POST if which == "offer" else None,
        creating=False,
        initial={f: getattr(offer, f) for f in fields},
    )
    photo_form = PhotoForm(request.POST if which == "photo" else None, request.FILES if which == "photo" else None)
    context = {"offer": offer, "form": form, "photo_form": photo_form, "photos": list(offer.photos.all())}
    if request.method == "GET":
        return render(request, "groupbuy/offer_detail.html", context)
    bound = form if which == "offer" else photo_form
    if which not in ("offer", "photo") or not bound.is_valid():
        return render(request, "groupbuy/offer_detail.html", context, status=400)
    with refusal_on(bound):
        if which == "offer":
            catalog.offer_update(actor=request.user, offer=offer, **form.cleaned_data)
            messages.success(request, _("Offer saved."))
        else:
            catalog.offer_photo_add(actor=request.user, offer=offer, upload=photo_form.cleaned_data["upload"])
            messages.success(request, _("Photo received; it appears once it has been processed."))
        return redirect("groupbuy:offer_detail", pk=offer.pk)
    return render_form(request, "groupbuy/offer_detail.html", context, bound)


@require_GET
@page
def offer_photo(request: HttpRequest, pk: int, variant: str) -> HttpResponse:
    """A processed offer photo, for members of the supplier's community only (media is never public)."""
    photo = selectors.photo_get(user=request.user, photo_id=pk)
    fieldfile = photo.thumbnail if variant == "thumb" else photo.image
    if photo.status != PhotoStatus.READY or not fieldfile:
        raise err.not_found()
    return serve_private(request, fieldfile)
