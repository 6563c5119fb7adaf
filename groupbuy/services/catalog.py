"""Suppliers, offers and offer photos.

Prices on an offer may change; a buy freezes the prices of its items when it
opens, so changing an offer never changes what residents already signed up for.
Photos are validated in the request (cheap checks) and stored raw under a
server-generated name; a Celery task re-encodes them after commit (EXIF/GPS
stripped, thumbnail), outside any lock or transaction.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, User
from accounts.permissions import Action, membership_for, require
from core.enqueue import enqueue_task_on_commit
from core.parsing import parse_int
from core.uploads import accept_image_upload, delete_private, reencode_settle, reencode_stored
from groupbuy import exceptions as err
from groupbuy.models import Offer, OfferPhoto, PhotoStatus, Supplier, max_length_of
from groupbuy.services.transitions import buys_touch

logger = logging.getLogger(__name__)

PHOTO_TASK = "groupbuy.tasks.process_offer_photo"
MAX_PRICE = Decimal("1000000")
MAX_PHOTOS_PER_OFFER = 9
# A photo still pending this long after its task was sent lost the task: send it again (at most this often).
PHOTO_REQUEUE_AFTER = datetime.timedelta(minutes=2)
# ...and after this long give up: the leader sees "failed" and can upload it again.
PHOTO_GIVE_UP_AFTER = datetime.timedelta(minutes=30)
SUPPLIER_FIELDS = {"name", "contact_name", "phone", "categories", "is_supply_guaranteed"}
OFFER_FIELDS = {"title", "description", "category", "unit", "unit_price", "supplier_cost", "pack_size", "is_active"}


def _require_manager(actor: User, community_id: int) -> None:
    if membership_for(actor, community_id) is None:
        raise err.wrong_community()
    require(actor, Action.MANAGE_SUPPLIERS, community_id)


def _text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    text = ("" if value is None else str(value)).strip()
    if (required and not text) or len(text) > max_length:
        raise err.invalid_field(field)
    return text


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise err.invalid_field(field, _("Enter a price such as 59 or 12.50.")) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE or amount != amount.quantize(Decimal("0.01")):
        raise err.invalid_field(field, _("Enter a price such as 59 or 12.50."))
    return amount.quantize(Decimal("0.01"))


def _pack_size(value: Any, field: str) -> int:
    size = parse_int(value)
    if size is None or not 1 <= size <= 10000:
        raise err.invalid_field(field, _("The pack size must be a whole number above zero."))
    return size


# Text columns without a length of their own (TextField) still get a bound.
_TEXT_BOUNDS = {"description": 5000}


def _clean_fields(
    fields: dict[str, Any],
    *,
    model: type[models.Model],
    allowed: set[str],
    required: set[str],
    parsers: dict[str, Callable[[Any, str], Any]],
) -> dict[str, Any]:
    """The one cleaner for supplier and offer fields: only `allowed` keys; text trimmed and bounded by the
    model column's max_length (`required` ones non-empty); booleans as booleans; the rest through `parsers`."""
    cleaned: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in allowed:
            raise err.invalid_field(key)
        if key in parsers:
            cleaned[key] = parsers[key](value, key)
        elif isinstance(model._meta.get_field(key), models.BooleanField):
            cleaned[key] = bool(value)
        else:
            bound = _TEXT_BOUNDS.get(key) or max_length_of(model, key)
            cleaned[key] = _text(value, key, bound, required=key in required)
    return cleaned


def _clean_supplier(fields: dict[str, Any]) -> dict[str, Any]:
    return _clean_fields(fields, model=Supplier, allowed=SUPPLIER_FIELDS, required={"name"}, parsers={})


def _clean_offer(fields: dict[str, Any]) -> dict[str, Any]:
    return _clean_fields(
        fields,
        model=Offer,
        allowed=OFFER_FIELDS,
        required={"title", "unit"},
        parsers={"unit_price": _money, "supplier_cost": _money, "pack_size": _pack_size},
    )


def supplier_create(
    *,
    actor: User,
    community: Community,
    name: str,
    contact_name: str = "",
    phone: str = "",
    categories: str = "",
    is_supply_guaranteed: bool = False,
) -> Supplier:
    _require_manager(actor, community.pk)
    cleaned = _clean_supplier(
        {
            "name": name,
            "contact_name": contact_name,
            "phone": phone,
            "categories": categories,
            "is_supply_guaranteed": is_supply_guaranteed,
        }
    )
    return Supplier.objects.create(community=community, created_by=actor, **cleaned)


def supplier_update(*, actor: User, supplier: Supplier, **fields: Any) -> Supplier:
    _require_manager(actor, supplier.community_id)
    cleaned = _clean_supplier(fields)
    if cleaned:
        Supplier.objects.filter(pk=supplier.pk).update(**cleaned)
        supplier.refresh_from_db()
    return supplier


def offer_create(
    *,
    actor: User,
    supplier: Supplier,
    title: str,
    unit: str,
    unit_price: Any,
    supplier_cost: Any,
    description: str = "",
    category: str = "",
    pack_size: int = 1,
) -> Offer:
    _require_manager(actor, supplier.community_id)
    cleaned = _clean_offer(
        {
            "title": title,
            "unit": unit,
            "unit_price": unit_price,
            "supplier_cost": supplier_cost,
            "description": description,
            "category": category,
            "pack_size": pack_size,
        }
    )
    return Offer.objects.create(supplier=supplier, **cleaned)


def offer_update(*, actor: User, offer: Offer, **fields: Any) -> Offer:
    """Change an offer. Buys already open keep the prices frozen when they opened."""
    _require_manager(actor, offer.supplier.community_id)
    cleaned = _clean_offer(fields)
    if cleaned:
        with transaction.atomic():
            Offer.objects.filter(pk=offer.pk).update(**cleaned)
            buys_touch(offer_id=offer.pk)  # the buy pages show its title, unit and description
        offer.refresh_from_db()
    return offer


def offer_photo_add(*, actor: User, offer: Offer, upload: Any) -> OfferPhoto:
    """Validate now, store the raw file privately, re-encode in a task after commit.
    A refused file leaves nothing behind."""
    _require_manager(actor, offer.supplier.community_id)
    if OfferPhoto.objects.filter(offer_id=offer.pk).exclude(status=PhotoStatus.FAILED).count() >= MAX_PHOTOS_PER_OFFER:
        raise err.too_many_photos(MAX_PHOTOS_PER_OFFER)
    name = accept_image_upload(upload, user_id=actor.pk, prefix="offers")
    try:
        with transaction.atomic():
            position = OfferPhoto.objects.filter(offer_id=offer.pk).count()
            photo = OfferPhoto.objects.create(offer=offer, source=name, position=position)
            enqueue_task_on_commit(PHOTO_TASK, photo.pk)
    except BaseException:
        delete_private(name)
        raise
    return photo


def offer_photo_process(*, photo_id: int) -> bool:
    """Re-encode a pending photo (task path). True if this call made it ready; idempotent."""
    photo = OfferPhoto.objects.filter(pk=photo_id, status=PhotoStatus.PENDING).first()
    if photo is None:
        return False
    source = photo.source.name
    result = reencode_stored(source, "offers")
    still_pending = OfferPhoto.objects.filter(pk=photo_id, status=PhotoStatus.PENDING)
    if result.error_code:  # refused on decoding, or its raw file is gone
        done = still_pending.update(status=PhotoStatus.FAILED, error_code=result.error_code, source="")
    else:
        done = still_pending.update(status=PhotoStatus.READY, image=result.image, thumbnail=result.thumbnail, source="")
    reencode_settle(result, source=source, swapped=bool(done))  # the loser's files go
    if done and not result.error_code:
        buys_touch(offer_id=photo.offer_id)  # the buy pages show it
    return bool(done) and not result.error_code


def offer_photos_requeue(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """Sweep: re-send processing for pending photos whose task was lost; fail the hopeless ones."""
    now = now or timezone.now()
    OfferPhoto.objects.filter(status=PhotoStatus.PENDING, created_at__lte=now - PHOTO_GIVE_UP_AFTER).update(
        status=PhotoStatus.FAILED, error_code="processing_timeout"
    )
    stale = OfferPhoto.objects.filter(status=PhotoStatus.PENDING, queued_at__lte=now - PHOTO_REQUEUE_AFTER)
    sent = 0
    for photo_id in list(stale.values_list("pk", flat=True)[:limit]):
        # CAS on queued_at: two sweeps running at once send it once.
        if OfferPhoto.objects.filter(
            pk=photo_id, status=PhotoStatus.PENDING, queued_at__lte=now - PHOTO_REQUEUE_AFTER
        ).update(queued_at=now):
            enqueue_task_on_commit(PHOTO_TASK, photo_id)
            sent += 1
    return sent
