"""Fixtures for compliance: ordered buys with purchase orders, document files and a fixed clock."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import BuyStatus, Entry, PurchaseOrder, PurchaseOrderLine

SH = ZoneInfo("Asia/Shanghai")
# A Tuesday afternoon; the delivery comes Wednesday morning (lead time 1 day, test sampled Tuesday 14:00).
NOW = datetime(2026, 11, 24, 16, 0, tzinfo=SH)
ARRIVAL_START = datetime(2026, 11, 25, 10, 0, tzinfo=SH)
ARRIVAL_END = datetime(2026, 11, 25, 12, 0, tzinfo=SH)
SAMPLED = datetime(2026, 11, 24, 14, 0, tzinfo=SH)


def jpeg_bytes(*, gps: bool = True, size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 1.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# ftyp + moov + mdat top-level boxes, chained to the end of the file.
MP4_BYTES = (
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + b"\x00\x00\x00\x10moov"
    + b"\x00" * 8
    + b"\x00\x00\x00\x28mdat"
    + b"\x00" * 32
)


def jpeg_upload(name="doc.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def pdf_upload(name="doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def documents() -> dict:
    return {"qualification": pdf_upload(), "vehicle_pass": jpeg_upload(), "test_report": pdf_upload("test.pdf")}


def filing_kwargs(**overrides) -> dict:
    values = {
        "arrival_start": ARRIVAL_START,
        "arrival_end": ARRIVAL_END,
        "vehicle_plate": "沪A 12345",
        "driver_name": "李师傅",
        "test_sampled_at": SAMPLED,
        "documents": documents(),
        "gate": "North gate",
        "now": NOW,
    }
    values.update(overrides)
    return values


def stored_files(root) -> list[str]:
    from pathlib import Path

    base = Path(root)
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()) if base.exists() else []


def make_ordered_buy(place, *, leader=None, status=BuyStatus.ORDERED, quantity=12):
    """An ordered buy with a purchase order and one participant (place.resident)."""
    leader = leader or place.leader
    buy = GroupBuyFactory(community=place.community, leader=leader.user, title="Vegetable box round 3")
    item = main_item(buy)
    Entry.objects.create(
        buy=buy, household=place.resident.household, seq=1, placed_by=place.resident.user, units=quantity
    )
    order = PurchaseOrder.objects.create(buy=buy, total_cost=Decimal("600"), total_amount=Decimal("708"))
    PurchaseOrderLine.objects.create(
        order=order, item=item, quantity=quantity, unit_cost=item.supplier_cost, amount=item.supplier_cost * quantity
    )
    buy.__class__.objects.filter(pk=buy.pk).update(status=status, deadline=timezone.now() - timedelta(hours=1))
    buy.refresh_from_db()
    return buy


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English text; the zh-Hans catalogue may translate the default language later."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def buy(place):
    return make_ordered_buy(place)


@pytest.fixture
def filed(place, buy):
    from compliance.services.filings import filing_submit

    return filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())


@pytest.fixture
def approved(place, filed):
    from compliance.services.review import filing_approve

    filing_approve(actor=place.committee.user, filing=filed, now=NOW)
    filed.refresh_from_db()
    return filed


def live_times() -> dict:
    """Arrival a couple of hours from the real clock (for pages and the API, which use the real now)."""
    now = timezone.now()
    # Starts within the hour, so the slip (valid from an hour before the window) is valid right away.
    start = now + timedelta(minutes=30)
    if timezone.localtime(start).date() != timezone.localtime(start + timedelta(minutes=30)).date():
        start = now + timedelta(minutes=60)
    return {
        "arrival_start": start,
        "arrival_end": start + timedelta(minutes=30),
        "test_sampled_at": now - timedelta(hours=1),
    }


@pytest.fixture
def live_policy(place):
    """Any day, any hour, no lead time: so page and API tests do not depend on the time they run."""
    from datetime import time

    from compliance.models import DeliveryPolicy

    return DeliveryPolicy.objects.create(
        community=place.community, weekdays="0123456", lead_hours=0, gate_opens=time(0, 0), gate_closes=time(23, 59, 59)
    )


@pytest.fixture
def live_filed(place, buy, live_policy, django_capture_on_commit_callbacks):
    from compliance.services.filings import filing_submit

    with django_capture_on_commit_callbacks(execute=True):  # document photos are re-encoded after commit
        return filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(now=None, **live_times()))


@pytest.fixture
def live_approved(place, live_filed):
    from compliance.services.review import filing_approve

    filing_approve(actor=place.committee.user, filing=live_filed)
    live_filed.refresh_from_db()
    return live_filed
