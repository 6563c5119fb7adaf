"""Suppliers, offers and their photos (community staff's catalogue)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from groupbuy import exceptions as err
from groupbuy.models import (
    Offer,
    OfferPhoto,
    Supplier,
)
from groupbuy.selectors.communities import lookup_id, require_member


def supplier_list(*, community_id: int) -> QuerySet[Supplier]:
    return Supplier.objects.filter(community_id=community_id).order_by("name", "id")


def supplier_get(*, user: User, supplier_id: Any) -> Supplier:
    supplier = Supplier.objects.select_related("community").filter(pk=lookup_id(supplier_id)).first()
    if supplier is None:
        raise err.not_found()
    require_member(user=user, community_id=supplier.community_id)
    return supplier


def offer_list(*, community_id: int, supplier_id: int | None = None, active_only: bool = False) -> QuerySet[Offer]:
    offers = Offer.objects.filter(supplier__community_id=community_id).select_related("supplier")
    if supplier_id is not None:
        offers = offers.filter(supplier_id=supplier_id)
    if active_only:
        offers = offers.filter(is_active=True)
    photos = OfferPhoto.objects.order_by("position", "id")
    return offers.prefetch_related(Prefetch("photos", queryset=photos)).order_by("supplier__name", "title", "id")


def offer_get(*, user: User, offer_id: Any) -> Offer:
    offer = (
        Offer.objects.select_related("supplier__community")
        .prefetch_related(Prefetch("photos", queryset=OfferPhoto.objects.order_by("position", "id")))
        .filter(pk=lookup_id(offer_id))
        .first()
    )
    if offer is None:
        raise err.not_found()
    require_member(user=user, community_id=offer.supplier.community_id)
    return offer


def photo_get(*, user: User, photo_id: Any) -> OfferPhoto:
    """A photo the user may see: members of the community whose supplier the offer belongs to."""
    photo = OfferPhoto.objects.select_related("offer__supplier").filter(pk=lookup_id(photo_id)).first()
    if photo is None:
        raise err.not_found()
    require_member(user=user, community_id=photo.offer.supplier.community_id)
    return photo
