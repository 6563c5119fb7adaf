"""The core loop with a REAL Celery worker and beat on Redis (see tests/worker.py)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from accounts.models import Notification
from groupbuy.factories import GroupBuyFactory, OfferFactory, main_item, signup
from groupbuy.models import (
    BuyKind,
    BuyStatus,
    EntryStatus,
    GroupBuy,
    OfferPhoto,
    PhotoStatus,
    Pool,
    PoolStatus,
    PurchaseOrder,
)
from groupbuy.services.buys import group_buy_open
from groupbuy.services.catalog import offer_photo_add
from groupbuy.services.pools import pool_create, pool_join, pool_offer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_closes_a_buy_when_the_moq_is_reached(place, celery_worker_process):
    offer = OfferFactory(supplier__community=place.community, unit_price=Decimal("59.00"))
    buy = group_buy_open(
        actor=place.leader.user,
        community=place.community,
        title="蔬菜套餐",
        kind=BuyKind.FAIR,
        items=[{"offer_id": offer.pk}],
        moq_kind="units",
        moq=3,
        deadline=timezone.now() + datetime.timedelta(hours=2),
        delivery_date=timezone.localdate() + datetime.timedelta(days=1),
        distribution_mode="building",
        close_when_formed=True,
    )
    signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)  # reaches the MOQ: formed here, closed by the worker after commit

    celery_worker_process.wait_for(lambda: GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.CLOSED)
    # It was the worker (not an in-process eager run) that did it.
    celery_worker_process.wait_for(lambda: "groupbuy.tasks.close_group_buy" in celery_worker_process.log_tail(400))
    order = PurchaseOrder.objects.get(buy=buy)
    assert [(line.quantity, line.item_id) for line in order.lines.all()] == [(3, main_item(buy).pk)]
    expected = sorted([place.resident.user.pk, place.neighbour.user.pk, place.leader.user.pk])
    assert sorted(Notification.objects.filter(kind="buy_closed").values_list("user_id", flat=True)) == expected
    celery_worker_process.wait_for(lambda: Notification.objects.filter(kind="buy_formed").count() == 3)


def test_beat_fails_a_buy_at_its_deadline_and_tells_everyone(place, celery_worker_process):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"))
    signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() + datetime.timedelta(seconds=1))

    celery_worker_process.wait_for(lambda: GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FAILED, timeout=30)
    assert set(buy.entries.values_list("status", flat=True)) == {EntryStatus.RELEASED}
    expected = sorted([place.resident.user.pk, place.neighbour.user.pk, place.leader.user.pk])
    assert sorted(Notification.objects.filter(kind="buy_failed").values_list("user_id", flat=True)) == expected


def test_beat_repairs_a_close_whose_enqueue_was_lost(place, celery_worker_process):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
    signup(buy, place.resident, 2)  # formed; this buy does not close when formed, so nothing was enqueued
    GroupBuy.objects.filter(pk=buy.pk).update(
        close_when_formed=True, formed_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    celery_worker_process.wait_for(lambda: GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.CLOSED, timeout=30)
    assert PurchaseOrder.objects.filter(buy=buy).count() == 1


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (320, 200), (200, 60, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 12.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_worker_reencodes_an_offer_photo_after_commit(place, celery_worker_process):
    offer = OfferFactory(supplier__community=place.community)
    upload = SimpleUploadedFile("IMG_0001.jpg", _photo_with_gps(), content_type="image/jpeg")

    photo = offer_photo_add(actor=place.leader.user, offer=offer, upload=upload)
    assert photo.status == PhotoStatus.PENDING

    celery_worker_process.wait_for(lambda: OfferPhoto.objects.get(pk=photo.pk).status == PhotoStatus.READY)
    photo.refresh_from_db()
    assert photo.source.name == ""
    with default_storage.open(photo.image.name, "rb") as fp:
        stored = Image.open(io.BytesIO(fp.read()))
        assert stored.size == (320, 200)
        assert dict(stored.getexif()) == {}
    assert default_storage.exists(photo.thumbnail.name)


def test_worker_closes_every_member_of_a_pool_and_beat_fails_a_pool_together(place, other_place, celery_worker_process):
    host = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("3"), close_when_formed=True
    )
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, drop_point="东门")
    signup(host, place.resident, 1)
    signup(member, other_place.resident, 2)  # the pool reaches 3: both form; the worker closes both

    celery_worker_process.wait_for(
        lambda: (
            set(GroupBuy.objects.filter(pk__in=[host.pk, member.pk]).values_list("status", flat=True))
            == {BuyStatus.CLOSED}
        )
    )
    orders = dict(PurchaseOrder.objects.filter(buy__in=[host, member]).values_list("buy_id", "lines__quantity"))
    assert orders == {host.pk: 1, member.pk: 2}

    # A second pool below its MOQ at its deadline: the beat fails it and both members together.
    host2 = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"))
    pool2 = pool_create(actor=place.leader.user, buy=host2)
    pool_offer(actor=place.leader.user, pool=pool2, community=other_place.community)
    member2 = pool_join(actor=other_place.leader.user, pool=pool2, community=other_place.community, drop_point="东门")
    signup(member2, other_place.neighbour, 2)
    soon = timezone.now() + datetime.timedelta(seconds=1)
    Pool.objects.filter(pk=pool2.pk).update(deadline=soon)
    GroupBuy.objects.filter(pk__in=[host2.pk, member2.pk]).update(deadline=soon)

    celery_worker_process.wait_for(lambda: Pool.objects.get(pk=pool2.pk).status == PoolStatus.FAILED, timeout=30)
    assert set(GroupBuy.objects.filter(pk__in=[host2.pk, member2.pk]).values_list("status", flat=True)) == {
        BuyStatus.FAILED
    }
    assert set(member2.entries.values_list("status", flat=True)) == {EntryStatus.RELEASED}
