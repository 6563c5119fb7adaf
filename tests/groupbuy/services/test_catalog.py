import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from core.errors import ApplicationError
from groupbuy.factories import GroupBuyFactory, OfferFactory, SupplierFactory, main_item
from groupbuy.models import Offer, OfferPhoto, PhotoStatus, Supplier
from groupbuy.services.catalog import (
    MAX_PHOTOS_PER_OFFER,
    PHOTO_REQUEUE_AFTER,
    offer_create,
    offer_photo_add,
    offer_photo_process,
    offer_photos_requeue,
    offer_update,
    supplier_create,
    supplier_update,
)


def refused(code, fn, *args, **kwargs):
    with pytest.raises(ApplicationError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.as_dict()
    return info.value


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def jpeg_with_gps(size=(300, 200)) -> bytes:
    image = Image.new("RGB", size, (10, 120, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(data=None, name="photo.jpg"):
    return SimpleUploadedFile(name, data if data is not None else jpeg_with_gps(), content_type="image/jpeg")


@pytest.fixture
def supplier(place):
    return SupplierFactory(community=place.community)


def test_leader_registers_a_supplier_and_an_offer(place):
    supplier = supplier_create(
        actor=place.leader.user, community=place.community, name=" 江桥蔬菜 ", phone="13900000000", categories="蔬菜"
    )
    assert (supplier.name, supplier.created_by, supplier.community) == ("江桥蔬菜", place.leader.user, place.community)
    offer = offer_create(
        actor=place.leader.user, supplier=supplier, title="蔬菜套餐", unit="份", unit_price="59", supplier_cost="50.5"
    )
    assert (offer.unit_price, offer.supplier_cost, offer.pack_size) == (Decimal("59.00"), Decimal("50.50"), 1)


@pytest.mark.parametrize(("who", "code"), [("resident", "forbidden"), ("data_volunteer", "forbidden")])
def test_residents_cannot_manage_suppliers(place, supplier, who, code):
    actor = getattr(place, who).user
    refused(code, supplier_create, actor=actor, community=place.community, name="x")
    refused(code, supplier_update, actor=actor, supplier=supplier, name="y")
    refused(code, offer_create, actor=actor, supplier=supplier, title="t", unit="份", unit_price=1, supplier_cost=1)
    assert Supplier.objects.count() == 1
    assert not Offer.objects.exists()


def test_leader_of_another_community_cannot_touch_our_suppliers(place, other_place, supplier):
    refused("wrong_community", supplier_update, actor=other_place.leader.user, supplier=supplier, name="mine")
    assert Supplier.objects.get(pk=supplier.pk).name == supplier.name


@pytest.mark.parametrize(
    "fields",
    [
        {"unit_price": "-1"},
        {"unit_price": "abc"},
        {"unit_price": "1.234"},
        {"supplier_cost": "NaN"},
        {"pack_size": 0},
        {"title": ""},
        {"unit": ""},
        {"colour": "red"},
    ],
)
def test_bad_offer_fields_are_refused_and_nothing_changes(place, supplier, fields):
    offer = OfferFactory(supplier=supplier)
    before = Offer.objects.filter(pk=offer.pk).values().get()
    refused("invalid", offer_update, actor=place.leader.user, offer=offer, **fields)
    assert Offer.objects.filter(pk=offer.pk).values().get() == before
    args = {"title": "t", "unit": "份", "unit_price": "1", "supplier_cost": "1", **fields}
    if "colour" not in fields:
        refused("invalid", offer_create, actor=place.leader.user, supplier=supplier, **args)
    assert Offer.objects.count() == 1


def test_offer_price_change_does_not_touch_open_buys(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    offer = main_item(buy).offer
    offer_update(actor=place.leader.user, offer=offer, unit_price="80", description="新包装")
    assert Offer.objects.get(pk=offer.pk).unit_price == Decimal("80.00")
    assert main_item(buy).unit_price == Decimal("59.00")


def test_supplier_update_changes_only_known_fields(place, supplier):
    supplier_update(actor=place.leader.user, supplier=supplier, is_supply_guaranteed=True, contact_name="李")
    supplier.refresh_from_db()
    assert (supplier.is_supply_guaranteed, supplier.contact_name) == (True, "李")
    refused("invalid", supplier_update, actor=place.leader.user, supplier=supplier, community=None)


# --- photos --------------------------------------------------------------------------


def test_photo_is_stored_pending_then_reencoded_after_commit_without_exif(
    place, supplier, django_capture_on_commit_callbacks
):
    offer = OfferFactory(supplier=supplier)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        photo = offer_photo_add(actor=place.leader.user, offer=offer, upload=upload())
    assert photo.status == PhotoStatus.PENDING
    assert default_storage.exists(photo.source.name)
    assert "photo.jpg" not in photo.source.name  # a server-generated name, never the client's

    for callback in callbacks:
        callback()

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert photo.source.name == ""
    with default_storage.open(photo.image.name, "rb") as fp:
        assert dict(Image.open(io.BytesIO(fp.read())).getexif()) == {}
    assert stored_files() == sorted([photo.image.name, photo.thumbnail.name])
    assert offer_photo_process(photo_id=photo.pk) is False  # done twice: nothing the second time
    assert stored_files() == sorted([photo.image.name, photo.thumbnail.name])


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"MZ\x90\x00 this is not a photo", "image_format_not_allowed"),
        (b"%PDF-1.4 disguised", "image_format_not_allowed"),
        (jpeg_with_gps()[:200], "image_corrupt"),
    ],
)
def test_bad_photo_is_refused_and_leaves_nothing(place, supplier, data, code):
    offer = OfferFactory(supplier=supplier)
    refused(code, offer_photo_add, actor=place.leader.user, offer=offer, upload=upload(data))
    assert not OfferPhoto.objects.exists()
    assert stored_files() == []


def test_resident_cannot_add_photos(place, supplier):
    offer = OfferFactory(supplier=supplier)
    refused("forbidden", offer_photo_add, actor=place.resident.user, offer=offer, upload=upload())
    assert stored_files() == []


def test_photo_count_is_capped(place, supplier):
    offer = OfferFactory(supplier=supplier)
    OfferPhoto.objects.bulk_create([OfferPhoto(offer=offer, status=PhotoStatus.READY)] * MAX_PHOTOS_PER_OFFER)
    refused("too_many_photos", offer_photo_add, actor=place.leader.user, offer=offer, upload=upload())
    assert OfferPhoto.objects.count() == MAX_PHOTOS_PER_OFFER


def test_photo_whose_source_turns_out_bad_is_marked_failed_and_removed(place, supplier):
    offer = OfferFactory(supplier=supplier)
    name = default_storage.save("incoming/offers/broken.jpg", io.BytesIO(b"\xff\xd8\xff garbage"))
    photo = OfferPhoto.objects.create(offer=offer, source=name)
    assert offer_photo_process(photo_id=photo.pk) is False
    photo.refresh_from_db()
    assert (photo.status, photo.error_code) == (PhotoStatus.FAILED, "image_corrupt")
    assert stored_files() == []


def test_pending_photo_without_a_source_is_marked_failed(place, supplier):
    # Not reached through the services (the source is cleared only on leaving pending), but the task must not
    # open the storage root: that raised IsADirectoryError whenever MEDIA_ROOT existed.
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    photo = OfferPhoto.objects.create(offer=OfferFactory(supplier=supplier))
    assert offer_photo_process(photo_id=photo.pk) is False
    photo.refresh_from_db()
    assert (photo.status, photo.error_code) == (PhotoStatus.FAILED, "missing_source")


def test_sweep_resends_a_photo_whose_task_was_lost_once(place, supplier, django_capture_on_commit_callbacks):
    offer = OfferFactory(supplier=supplier)
    with django_capture_on_commit_callbacks(execute=False):
        photo = offer_photo_add(actor=place.leader.user, offer=offer, upload=upload())  # its task is "lost"
    later = timezone.now() + PHOTO_REQUEUE_AFTER + datetime.timedelta(seconds=1)
    assert offer_photos_requeue(now=timezone.now()) == 0  # too early to call it lost
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_photos_requeue(now=later) == 1
    assert OfferPhoto.objects.get(pk=photo.pk).status == PhotoStatus.READY
    assert offer_photos_requeue(now=later) == 0
