"""Filing (报备): goods from the purchase order, documents, and every refusal rule."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from PIL import ExifTags, Image

from accounts.models import Notification
from compliance.models import AuditEvent, DeliveryPolicy, Filing, FilingDocument, FilingStatus, Suspension
from compliance.services.filings import filing_resubmit, filing_submit
from compliance.services.review import filing_reject
from core.errors import ApplicationError
from groupbuy.models import BuyStatus

from .conftest import ARRIVAL_END, ARRIVAL_START, NOW, SAMPLED, SH, documents, filing_kwargs, jpeg_upload, stored_files

pytestmark = pytest.mark.django_db


def nothing_changed(buy, before_files):
    buy.refresh_from_db()
    assert buy.status == BuyStatus.ORDERED
    assert Filing.objects.count() == 0
    assert FilingDocument.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == before_files


def test_filing_copies_goods_from_purchase_order_and_moves_buy_to_filed(place, buy):
    filing = filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())

    buy.refresh_from_db()
    assert buy.status == BuyStatus.FILED
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.vehicle_plate == "沪A12345"
    line = buy.purchase_order.lines.get()
    assert [(x.item_id, x.quantity, x.title) for x in filing.lines.all()] == [(line.item_id, 12, line.item.offer.title)]
    assert sorted(filing.documents.values_list("kind", "content_type")) == [
        ("qualification", "application/pdf"),
        ("test_report", "application/pdf"),
        ("vehicle_pass", "image/jpeg"),
    ]
    assert AuditEvent.objects.get().kind == "filing_submitted"


def test_stored_document_photo_has_no_exif_gps(place, buy, django_capture_on_commit_callbacks):
    upload = jpeg_upload()
    with Image.open(upload) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really carries GPS
    upload.seek(0)
    docs = documents()
    docs["vehicle_pass"] = upload
    with django_capture_on_commit_callbacks(execute=True):  # re-encoded by a task after commit
        filing = filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(documents=docs))

    stored = filing.documents.get(kind="vehicle_pass")
    for field in (stored.file, stored.thumbnail):
        with field.open("rb") as fh, Image.open(fh) as image:
            exif = image.getexif()
            assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
            assert ExifTags.Base.Make not in exif


RULES = [
    # (code, overrides, policy changes)
    ("weekday_not_allowed", {}, {"weekdays": "0146"}),  # arrival is a Wednesday (2)
    ("outside_gate_hours", {"arrival_end": datetime(2026, 11, 25, 20, 30, tzinfo=SH)}, {}),
    ("outside_gate_hours", {"arrival_start": datetime(2026, 11, 25, 6, 0, tzinfo=SH)}, {}),
    ("lead_time_too_short", {"now": datetime(2026, 11, 25, 8, 0, tzinfo=SH)}, {}),
    ("lead_time_too_short", {}, {"lead_hours": 20}),  # 18 hours before arrival
    ("test_report_stale", {"test_sampled_at": ARRIVAL_START - timedelta(hours=24, minutes=1)}, {}),
    ("test_report_in_future", {"test_sampled_at": NOW + timedelta(hours=1)}, {}),
    ("arrival_in_past", {"now": ARRIVAL_START + timedelta(minutes=5), "test_sampled_at": ARRIVAL_START}, {}),
    ("invalid_window", {"arrival_end": ARRIVAL_START}, {}),
]


@pytest.mark.parametrize(("code", "overrides", "policy"), RULES)
def test_filing_breaking_a_rule_is_refused_and_nothing_is_stored(place, buy, code, overrides, policy):
    if policy:
        values = {"weekdays": "0123456", "lead_hours": 12, "gate_opens": time(7), "gate_closes": time(19), **policy}
        DeliveryPolicy.objects.create(community=place.community, **values)
    before = stored_files(settings.MEDIA_ROOT)

    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(**overrides))

    codes = [v["code"] for v in exc.value.detail["violations"]]
    assert code in codes
    nothing_changed(buy, before)


def test_filing_inside_a_suspension_is_refused(place, buy):
    Suspension.objects.create(
        community=place.community,
        starts_at=ARRIVAL_START - timedelta(days=1),
        ends_at=ARRIVAL_START + timedelta(hours=1),
        reason="infection in building 12",
        created_by=place.committee.user,
    )
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())
    assert exc.value.code == "inside_suspension"
    assert "infection in building 12" in str(exc.value.message)
    nothing_changed(buy, before)


def test_filing_allowed_exactly_at_the_rules_edges(place, buy):
    DeliveryPolicy.objects.create(community=place.community, weekdays="2", gate_opens=time(10), gate_closes=time(12))
    filing = filing_submit(
        actor=place.leader.user, buy=buy, **filing_kwargs(test_sampled_at=ARRIVAL_START - timedelta(hours=24))
    )
    assert filing.status == FilingStatus.SUBMITTED


@pytest.mark.parametrize("missing", ["qualification", "vehicle_pass", "test_report"])
def test_filing_without_a_document_is_refused(place, buy, missing):
    docs = documents()
    del docs[missing]
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(documents=docs))
    assert exc.value.code == "documents_missing"
    assert exc.value.detail == {"missing": [missing]}
    nothing_changed(buy, before)


def test_filing_by_a_leader_of_another_buy_is_refused(place, buy):
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.other_leader.user, buy=buy, **filing_kwargs())
    assert exc.value.code == "not_your_buy"
    nothing_changed(buy, before)


def test_filing_twice_is_refused(place, buy, filed):
    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())
    assert exc.value.code == "already_filed"
    assert Filing.objects.count() == 1


def test_rejected_filing_goes_back_to_ordered_and_can_be_fixed_and_resubmitted(
    place, buy, filed, django_capture_on_commit_callbacks
):
    filing_reject(actor=place.committee.user, filing=filed, reason="test report unreadable", now=NOW)
    buy.refresh_from_db()
    filed.refresh_from_db()
    assert (buy.status, filed.status, filed.reject_reason) == (
        BuyStatus.ORDERED,
        FilingStatus.REJECTED,
        "test report unreadable",
    )
    assert Notification.objects.filter(user=place.leader.user, kind="filing_rejected").count() == 1
    old_report = filed.documents.get(kind="test_report").file.name

    later = NOW + timedelta(hours=1)
    new_sample = SAMPLED + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        filing_resubmit(
            actor=place.leader.user,
            filing=filed,
            arrival_start=ARRIVAL_START,
            arrival_end=ARRIVAL_END,
            vehicle_plate="沪A12345",
            driver_name="李师傅",
            test_sampled_at=new_sample,
            documents={"test_report": jpeg_upload("new.jpg")},
            now=later,
        )
    filed.refresh_from_db()
    buy.refresh_from_db()
    assert (buy.status, filed.status, filed.revision, filed.reject_reason) == (
        BuyStatus.FILED,
        FilingStatus.SUBMITTED,
        2,
        "",
    )
    report = filed.documents.get(kind="test_report")
    assert report.content_type == "image/jpeg"
    assert old_report not in stored_files(settings.MEDIA_ROOT)
    assert list(AuditEvent.objects.order_by("seq").values_list("kind", flat=True)) == [
        "filing_submitted",
        "filing_rejected",
        "filing_resubmitted",
    ]


def test_resubmission_breaking_a_rule_changes_nothing(place, buy, filed):
    filing_reject(actor=place.committee.user, filing=filed, reason="wrong plate", now=NOW)
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        filing_resubmit(
            actor=place.leader.user,
            filing=filed,
            arrival_start=ARRIVAL_START,
            arrival_end=ARRIVAL_END,
            vehicle_plate="沪B99999",
            driver_name="李师傅",
            test_sampled_at=SAMPLED - timedelta(days=2),
            documents={"test_report": jpeg_upload("new.jpg")},
            now=NOW,
        )
    assert exc.value.code == "test_report_stale"
    filed.refresh_from_db()
    assert (filed.status, filed.vehicle_plate, filed.revision) == (FilingStatus.REJECTED, "沪A12345", 1)
    assert stored_files(settings.MEDIA_ROOT) == before
