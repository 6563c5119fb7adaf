"""Supplier qualifications (保供企业资质) and vehicle passes (运输车辆配送证明): stored once, per supplier and per
vehicle plate, with an expiry date, and reused (issue 16).

A filing that uploads a qualification with a "valid until" date records a copy of it as its supplier's
qualification (replacing the older one); later filings of that supplier's buys attach a copy of it instead of
asking for the file again, while it is valid on the arrival day. Each filing holds its own copy, so replacing
or removing the supplier's file never touches a filed document. Vehicle passes work the same way per plate
(in the community): a pass given with a "valid until" date is reused by later filings naming that plate.
Photos keep the raw-until-re-encoded rule: a copy of a raw photo is raw (under incoming/) and the filing's
document re-encodes it after commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from compliance.files import DOCUMENT_PREFIX, StoredDocument
from compliance.models import DocumentKind, SupplierQualification, VehiclePass
from core import uploads
from groupbuy.models import BuyItem, GroupBuy

QUALIFICATION_PREFIX = "compliance/qualifications"
VEHICLE_PASS_PREFIX = "compliance/passes"
EXPIRY_WARNING_DAYS = 14


def buy_supplier_id(buy: GroupBuy) -> int | None:
    """The supplier a buy's filing vouches for: the supplier of its main item."""
    return BuyItem.objects.filter(buy_id=buy.pk, is_main=True).values_list("offer__supplier_id", flat=True).first()


def qualification_valid_get(*, buy: GroupBuy, on: date | None = None) -> SupplierQualification | None:
    """The buy's supplier's qualification if it is still valid on `on` (default: today), else None (a read)."""
    supplier_id = buy_supplier_id(buy)
    if supplier_id is None:
        return None
    on = on or timezone.localdate()
    return SupplierQualification.objects.filter(supplier_id=supplier_id, expires_on__gte=on).first()


def qualifications_expiring(*, community_id: int, today: date | None = None) -> QuerySet[SupplierQualification]:
    """Qualifications of the community's suppliers that run out within EXPIRY_WARNING_DAYS (or already have),
    soonest first: the committee's reminder to ask for new ones (a read)."""
    today = today or timezone.localdate()
    return (
        SupplierQualification.objects.filter(
            supplier__community_id=community_id, expires_on__lte=today + timedelta(days=EXPIRY_WARNING_DAYS)
        )
        .select_related("supplier")
        .order_by("expires_on", "pk")
    )


def _copy(name: str, *, to_prefix: str) -> str:
    """A private copy of a stored file under `to_prefix` (under incoming/ too when the source is a raw photo)."""
    ext = name.rsplit(".", 1)[-1].lower()
    prefix = f"{uploads.INCOMING_PREFIX}/{to_prefix}" if uploads.is_pending(name) else to_prefix
    with default_storage.open(name, "rb") as fp:
        return uploads.save_private(fp.read(), prefix, ext)


def vehicle_pass_valid_get(*, community_id: int, vehicle_plate: str, on: date | None = None) -> VehiclePass | None:
    """The pass on file for this (cleaned) plate in the community if still valid on `on` (a read)."""
    on = on or timezone.localdate()
    return VehiclePass.objects.filter(
        community_id=community_id, vehicle_plate=vehicle_plate, expires_on__gte=on
    ).first()


def vehicle_passes_valid_list(*, community_id: int, user_id: int) -> list[VehiclePass]:
    """The valid passes this person put on file in the community, to offer on the filing form (a read)."""
    return list(
        VehiclePass.objects.filter(
            community_id=community_id, uploaded_by_id=user_id, expires_on__gte=timezone.localdate()
        ).order_by("vehicle_plate")
    )


def kept_copy_for_filing(kept: SupplierQualification | VehiclePass, kind: str) -> StoredDocument:
    """A copy of a kept qualification or pass for one filing's document (the caller deletes it on failure)."""
    return StoredDocument(
        kind=kind,
        name=_copy(kept.file.name or "", to_prefix=DOCUMENT_PREFIX),
        thumbnail="",
        content_type=kept.content_type,
    )


KEEP_PREFIXES = {
    str(DocumentKind.QUALIFICATION): QUALIFICATION_PREFIX,
    str(DocumentKind.VEHICLE_PASS): VEHICLE_PASS_PREFIX,
}


def copy_to_keep(document: StoredDocument) -> StoredDocument:
    """A copy of a filing's uploaded qualification or pass to keep for later filings (before the filing's
    transaction: nothing slow under a lock; the caller deletes it if the filing fails)."""
    return StoredDocument(
        kind=document.kind,
        name=_copy(document.name, to_prefix=KEEP_PREFIXES[document.kind]),
        thumbnail="",
        content_type=document.content_type,
    )


def _keep_on_file(
    model: type[SupplierQualification] | type[VehiclePass],
    key: dict[str, Any],
    *,
    actor: User,
    copy: StoredDocument,
    expires_on: date,
) -> None:
    """Make `copy` the document on file under `key` (one row per key), valid until `expires_on`; the file it
    replaces is removed after commit. The row is locked first, so the replaced file is read once."""
    old = model.objects.select_for_update().filter(**key).values_list("file", flat=True).first()
    model.objects.update_or_create(
        **key,
        defaults={
            "file": copy.name,
            "content_type": copy.content_type,
            "expires_on": expires_on,
            "uploaded_by": actor,
            "uploaded_at": timezone.now(),
        },
    )
    if old:
        transaction.on_commit(lambda: uploads.delete_private(old))


def qualification_record(*, actor: User, supplier_id: int, copy: StoredDocument, expires_on: date) -> None:
    """Make `copy` the supplier's qualification, valid until `expires_on`. Precondition: inside the transaction
    recording the filing it came with (so it is kept only if the filing is), by a leader who files for a buy of
    this supplier."""
    _keep_on_file(SupplierQualification, {"supplier_id": supplier_id}, actor=actor, copy=copy, expires_on=expires_on)


def vehicle_pass_record(
    *, actor: User, community_id: int, vehicle_plate: str, copy: StoredDocument, expires_on: date
) -> None:
    """Make `copy` the pass on file for `vehicle_plate`, valid until `expires_on`. Precondition: inside the
    transaction recording the filing it came with."""
    key = {"community_id": community_id, "vehicle_plate": vehicle_plate}
    _keep_on_file(VehiclePass, key, actor=actor, copy=copy, expires_on=expires_on)
