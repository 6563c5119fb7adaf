"""Arrival, disinfection evidence (photos re-encoded, bad files refused) and release 30 minutes later."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from accounts.models import Notification
from compliance.models import AuditEvent, Evidence, EvidenceStatus
from compliance.services.delivery import (
    arrival_record,
    delivery_release,
    disinfection_finish,
    evidence_add,
    evidence_process,
)
from core.errors import ApplicationError
from groupbuy.models import BuyStatus, GroupBuy

from .conftest import ARRIVAL_START, MP4_BYTES, jpeg_bytes, jpeg_upload, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrived(place, approved):
    arrival_record(actor=place.receiving_volunteer.user, filing=approved, receivers="小李, 小王", now=ARRIVAL_START)
    approved.refresh_from_db()
    return approved


def buy_status(filing):
    return GroupBuy.objects.get(pk=filing.buy_id).status


def add_photo(place, filing, django_capture_on_commit_callbacks, upload=None, now=ARRIVAL_START):
    with django_capture_on_commit_callbacks(execute=True):
        return evidence_add(
            actor=place.receiving_volunteer.user, filing=filing, upload=upload or jpeg_upload("p.jpg"), now=now
        )


def test_arrival_records_time_and_receivers(place, arrived):
    assert buy_status(arrived) == BuyStatus.ARRIVED
    assert (arrived.arrived_at, arrived.arrived_by, arrived.receivers) == (
        ARRIVAL_START,
        place.receiving_volunteer.user,
        "小李, 小王",
    )


def test_evidence_photo_is_reencoded_without_gps_by_the_task(place, arrived, django_capture_on_commit_callbacks):
    evidence = add_photo(place, arrived, django_capture_on_commit_callbacks)
    evidence.refresh_from_db()

    assert evidence.status == EvidenceStatus.READY
    assert not evidence.source
    for field in (evidence.file, evidence.thumbnail):
        with field.open("rb") as fh, Image.open(fh) as image:
            assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    # The raw upload is gone: only the re-encoded photo and its thumbnail remain.
    assert sorted(stored_files(settings.MEDIA_ROOT)) == sorted(
        [
            *[d.file.name for d in arrived.documents.all()],
            *[d.thumbnail.name for d in arrived.documents.all() if d.thumbnail],
            evidence.file.name,
            evidence.thumbnail.name,
        ]
    )
    assert evidence_process(evidence_id=evidence.pk) is False  # a second run does nothing


def test_evidence_video_is_stored_as_is(place, arrived):
    evidence = evidence_add(
        actor=place.receiving_volunteer.user,
        filing=arrived,
        upload=SimpleUploadedFile("v.mp4", MP4_BYTES, content_type="video/mp4"),
    )
    assert (evidence.kind, evidence.status, evidence.content_type) == ("video", EvidenceStatus.READY, "video/mp4")


def _png_bomb() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _tiff() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "TIFF")
    return buffer.getvalue()


BAD_FILES = [
    ("script.jpg", b"#!/bin/sh\nrm -rf /\n"),
    ("scan.tiff", _tiff()),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("cut.jpg", jpeg_bytes(size=(400, 300))[:600]),
    ("bomb.png", _png_bomb()),
    ("empty.jpg", b""),
]


@pytest.mark.parametrize(("name", "content"), BAD_FILES, ids=[n for n, _ in BAD_FILES])
def test_bad_evidence_file_is_refused_and_nothing_is_left(place, arrived, name, content):
    before = stored_files(settings.MEDIA_ROOT)
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError):
        evidence_add(actor=place.receiving_volunteer.user, filing=arrived, upload=SimpleUploadedFile(name, content))
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.count() == events
    assert stored_files(settings.MEDIA_ROOT) == before


def test_oversized_video_is_refused_and_nothing_is_left(place, arrived, settings):
    settings.UPLOAD_MAX_VIDEO_BYTES = 50
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        evidence_add(
            actor=place.receiving_volunteer.user, filing=arrived, upload=SimpleUploadedFile("v.mp4", MP4_BYTES)
        )
    assert exc.value.code == "video_too_large"
    assert not Evidence.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == before


@pytest.mark.parametrize(("name", "content"), BAD_FILES[:4], ids=[n for n, _ in BAD_FILES[:4]])
def test_bad_document_file_refuses_the_filing(place, buy, name, content):
    from compliance.models import Filing
    from compliance.services.filings import filing_submit

    from .conftest import documents, filing_kwargs

    docs = documents()
    docs["test_report"] = SimpleUploadedFile(name, content)
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError):
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(documents=docs))
    assert not Filing.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == before


def test_truncated_pdf_is_refused(place, buy):
    from compliance.services.filings import filing_submit

    from .conftest import PDF_BYTES, documents, filing_kwargs

    docs = documents()
    docs["qualification"] = SimpleUploadedFile("q.pdf", PDF_BYTES[:30])
    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(documents=docs))
    assert exc.value.code == "unsupported_file"


def test_evidence_before_arrival_is_refused(place, approved):
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        evidence_add(actor=place.receiving_volunteer.user, filing=approved, upload=jpeg_upload())
    assert exc.value.code == "invalid_state"
    assert stored_files(settings.MEDIA_ROOT) == before
    assert not Evidence.objects.exists()


def test_disinfection_needs_evidence(place, arrived):
    with pytest.raises(ApplicationError) as exc:
        disinfection_finish(
            actor=place.receiving_volunteer.user, filing=arrived, now=ARRIVAL_START + timedelta(minutes=20)
        )
    assert exc.value.code == "evidence_required"
    assert buy_status(arrived) == BuyStatus.ARRIVED


def test_release_only_30_minutes_after_disinfection(place, arrived, django_capture_on_commit_callbacks):
    add_photo(place, arrived, django_capture_on_commit_callbacks)
    finished = ARRIVAL_START + timedelta(minutes=20)
    disinfection_finish(
        actor=place.receiving_volunteer.user, filing=arrived, finished_at=finished, now=finished + timedelta(minutes=1)
    )
    assert buy_status(arrived) == BuyStatus.DISINFECTED

    with pytest.raises(ApplicationError) as exc:
        delivery_release(
            actor=place.receiving_volunteer.user, filing=arrived, now=finished + timedelta(minutes=29, seconds=59)
        )
    assert exc.value.code == "release_too_early"
    arrived.refresh_from_db()
    assert (buy_status(arrived), arrived.released_at) == (BuyStatus.DISINFECTED, None)
    assert not Notification.objects.filter(kind="goods_released").exists()

    delivery_release(actor=place.receiving_volunteer.user, filing=arrived, now=finished + timedelta(minutes=30))
    arrived.refresh_from_db()
    assert buy_status(arrived) == BuyStatus.RELEASED
    assert arrived.released_at == finished + timedelta(minutes=30)
    released_to = set(Notification.objects.filter(kind="goods_released").values_list("user_id", flat=True))
    assert released_to == {place.resident.user.pk, place.leader.user.pk}


def test_release_twice_is_refused(place, arrived, django_capture_on_commit_callbacks):
    add_photo(place, arrived, django_capture_on_commit_callbacks)
    disinfection_finish(
        actor=place.receiving_volunteer.user, filing=arrived, finished_at=ARRIVAL_START, now=ARRIVAL_START
    )
    delivery_release(actor=place.receiving_volunteer.user, filing=arrived, now=ARRIVAL_START + timedelta(hours=1))
    with pytest.raises(ApplicationError) as exc:
        delivery_release(actor=place.receiving_volunteer.user, filing=arrived, now=ARRIVAL_START + timedelta(hours=2))
    assert exc.value.code == "invalid_state"


@pytest.mark.parametrize("role", ["resident", "leader", "gate_guard", "data_volunteer"])
def test_only_receiving_team_and_committee_record_arrival(place, approved, role):
    with pytest.raises(ApplicationError) as exc:
        arrival_record(actor=getattr(place, role).user, filing=approved, now=ARRIVAL_START)
    assert exc.value.code == "forbidden"
    assert buy_status(approved) == BuyStatus.APPROVED


def _pending_evidence(filing, user, content: bytes) -> Evidence:
    from core.uploads import save_private

    name = save_private(content, "compliance/incoming", "jpg")
    return Evidence.objects.create(filing=filing, kind="photo", source=name, uploaded_by=user)


def test_photo_that_fails_processing_is_marked_failed_and_its_file_removed(place, arrived):
    before = stored_files(settings.MEDIA_ROOT)
    evidence = _pending_evidence(arrived, place.receiving_volunteer.user, b"\xff\xd8\xff" + b"garbage" * 10)
    assert evidence_process(evidence_id=evidence.pk) is False
    evidence.refresh_from_db()
    assert (evidence.status, evidence.source.name) == (EvidenceStatus.FAILED, "")
    assert evidence.error_code
    assert stored_files(settings.MEDIA_ROOT) == before


def test_repair_task_processes_photos_whose_enqueue_was_lost(place, arrived):
    from django.utils import timezone

    from compliance.tasks import repair_pending_evidence

    evidence = _pending_evidence(arrived, place.receiving_volunteer.user, jpeg_bytes())
    Evidence.objects.filter(pk=evidence.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert repair_pending_evidence() == 1  # tasks run eagerly in tests
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.READY
