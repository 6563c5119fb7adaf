"""Issue 13, item 8: settlement photos are not decoded in the web request, one person's uploads are
bounded, a report carries at most four photos, and a replaced or refused photo leaves no file behind.

A photo is accepted in the request with cheap checks only (size, signature, pixel count from the header)
and stored raw under incoming/: the record is *pending* and its file is not served. The re-encoding task
runs after commit (tests run Celery eagerly; ``django_capture_on_commit_callbacks`` decides when).
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.errors import ValidationFailed
from settlement.models import AfterSalesPhoto, AfterSalesReport, Payment, PaymentState
from settlement.services.after_sales import after_sales_report
from settlement.services.payments import payment_mark
from tests.core import files
from tests.reliability.test_upload_memory import Watch

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
FORTY_MEGAPIXELS = (8_000, 5_000)


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def photo(name: str = "shot.png", content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        buffer = io.BytesIO()
        Image.new("RGB", (60, 40), (250, 20, 20)).save(buffer, "PNG")
        content = buffer.getvalue()
    return SimpleUploadedFile(name, content, content_type="image/png")


def pay_api(api, user, entry, *, screenshot, amount="197"):
    return api(user).post(
        f"/api/settlement/entries/{entry.pk}/payment/",
        {"amount": amount, "method": "wechat", "screenshot": screenshot},
        format="multipart",
    )


def pay_page(web, user, entry, *, screenshot, amount="197"):
    return web(user).post(
        reverse("settlement:pay", kwargs={"entry_pk": entry.pk}),
        {"amount": amount, "method": "wechat", "screenshot": screenshot},
    )


def report_api(api, user, entry, photos):
    return api(user).post(
        f"/api/settlement/entries/{entry.pk}/after-sales/",
        {"kind": "damaged", "description": "bag torn", "photos": photos},
        format="multipart",
    )


def report_page(web, user, entry, photos):
    return web(user).post(
        reverse("settlement:report", kwargs={"entry_pk": entry.pk}),
        {"kind": "damaged", "description": "bag torn", "item": "", "photos": photos},
    )


def file_url(kind: str, pk: int) -> str:
    return reverse("settlement:file", kwargs={"kind": kind, "pk": pk})


# --- decoding happens in the task, not in the request -----------------------------------------------------------


@pytest.mark.parametrize("through", ["api", "page"])
def test_a_40_megapixel_screenshot_is_pending_until_the_task_re_encodes_it(
    through, closed, place, api, web, settings, django_capture_on_commit_callbacks
):
    content = files.bilevel_png(*FORTY_MEGAPIXELS)  # a few KB that decode to 40 MP (120 MB as RGB)
    assert len(content) < 200 * 1024
    entry, user = closed.resident_entry, place.resident.user
    pay_api(api, user, entry, screenshot=photo("warm.png", b"not an image"))  # imports and caches, not counted

    with django_capture_on_commit_callbacks(execute=False) as callbacks, Watch() as watch:
        if through == "api":
            response = pay_api(api, user, entry, screenshot=photo(content=content))
            assert response.status_code == 200, response.content[:300]
        else:
            response = pay_page(web, user, entry, screenshot=photo(content=content))
            assert response.status_code == 302, response.content[:300]

    # The request stored the raw upload without decoding it: no 120 MB picture in this process.
    assert watch.rss_growth < 40 * MB
    payment = Payment.objects.get(entry=entry)
    assert payment.state == PaymentState.MARKED
    raw = payment.screenshot
    assert raw.startswith("incoming/settlement/payments/")
    assert stored_files(settings) == [raw]
    pending = web(place.data_volunteer.user).get(file_url("payment", payment.pk))
    assert pending.status_code == 409  # the raw file (EXIF/GPS still in it) is never served
    assert not getattr(pending, "streaming", False)

    for callback in callbacks:  # the commit: the task runs (eagerly) and re-encodes
        callback()

    payment.refresh_from_db()
    assert payment.screenshot.startswith("settlement/payments/")
    assert payment.screenshot.endswith(".jpg")
    assert stored_files(settings) == [payment.screenshot]  # the raw upload is gone
    with default_storage.open(payment.screenshot, "rb") as fp:
        assert max(Image.open(fp).size) == 2048  # re-encoded and capped
    served = web(place.data_volunteer.user).get(file_url("payment", payment.pk))
    assert served.status_code == 200
    from settlement.services.photos import settlement_photo_process

    assert settlement_photo_process(kind="payment", pk=payment.pk) is False  # done twice: nothing the second time
    assert stored_files(settings) == [payment.screenshot]


@pytest.mark.parametrize("through", ["api", "page"])
def test_after_sales_photos_are_pending_until_the_task_re_encodes_them(
    through, closed, place, api, web, settings, django_capture_on_commit_callbacks
):
    entry, user = closed.resident_entry, place.resident.user
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        if through == "api":
            response = report_api(api, user, entry, [photo("a.png"), photo("b.png")])
            assert response.status_code == 201, response.content[:300]
        else:
            response = report_page(web, user, entry, [photo("a.png"), photo("b.png")])
            assert response.status_code == 302, response.content[:300]
    names = sorted(AfterSalesPhoto.objects.values_list("path", flat=True))
    assert len(names) == 2
    assert all(name.startswith("incoming/settlement/after-sales/") for name in names)
    assert stored_files(settings) == names

    for callback in callbacks:
        callback()

    names = sorted(AfterSalesPhoto.objects.values_list("path", flat=True))
    assert all(name.startswith("settlement/after-sales/") and name.endswith(".jpg") for name in names)
    assert stored_files(settings) == names


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (files.bilevel_png(60_000, 60_000, full_data=False), "image_too_many_pixels"),  # a decompression bomb
        (files.jpeg_declaring(9_000, 9_000), "image_too_many_pixels"),
        (files.SVG, "image_format_not_allowed"),
    ],
    ids=["png-bomb", "jpeg-81mp", "svg"],
)
def test_bombs_and_non_photos_are_refused_in_the_request_and_leave_nothing(
    content, code, closed, place, api, web, settings
):
    entry, user = closed.resident_entry, place.resident.user
    with Watch() as watch:
        response = pay_api(api, user, entry, screenshot=photo(content=content))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert watch.rss_growth < 40 * MB
    response = report_api(api, user, entry, [photo("ok.png"), photo(content=content)])
    assert response.status_code == 400
    assert response.json()["code"] == code
    response = report_page(web, user, entry, [photo("ok.png"), photo(content=content)])
    assert response.status_code == 400
    assert not Payment.objects.filter(entry=entry).exclude(state=PaymentState.UNPAID).exists()
    assert not AfterSalesReport.objects.exists()
    assert stored_files(settings) == []


# --- bounded work per person -------------------------------------------------------------------------------------


def test_uploads_past_the_per_person_allowance_are_refused_with_429_and_store_nothing(
    closed, place, api, web, settings
):
    settings.UPLOAD_RATE_LIMIT = 3
    entry, user = closed.resident_entry, place.resident.user
    response = report_api(api, user, entry, [photo("a.png"), photo("b.png")])
    assert response.status_code == 201
    kept = stored_files(settings)
    assert len(kept) == 2

    # Two more photos: the first fits the allowance, the second does not; neither is kept.
    response = report_api(api, user, entry, [photo("c.png"), photo("d.png")])
    assert response.status_code == 429
    assert response.json()["code"] == "upload_rate_limited"
    assert response.json()["detail"]["retry_after_seconds"] == settings.UPLOAD_RATE_WINDOW_SECONDS
    response = report_page(web, user, entry, [photo("e.png")])
    assert response.status_code == 429
    response = pay_api(api, user, entry, screenshot=photo("f.png"))
    assert response.status_code == 429
    assert response.json()["code"] == "upload_rate_limited"

    assert AfterSalesReport.objects.count() == 1
    assert not Payment.objects.filter(entry=entry).exclude(state=PaymentState.UNPAID).exists()
    assert stored_files(settings) == kept

    # The allowance is per person: a neighbour still uploads.
    response = report_api(api, place.neighbour.user, closed.neighbour_entry, [photo("g.png")])
    assert response.status_code == 201


# --- at most four photos per report ------------------------------------------------------------------------------


def test_a_report_with_more_than_four_photos_is_refused_and_stores_nothing(closed, place, api, web, settings):
    entry, user = closed.resident_entry, place.resident.user
    five = [photo(f"{n}.png") for n in range(5)]
    response = report_api(api, user, entry, five)
    assert response.status_code == 400
    five = [photo(f"{n}.png") for n in range(5)]
    response = report_page(web, user, entry, five)
    assert response.status_code == 400
    assert "At most 4 photos." in response.content.decode()
    with pytest.raises(ValidationFailed) as exc:
        after_sales_report(
            actor=user, entry=entry, kind="damaged", description="x", photos=[photo(f"{n}.png") for n in range(5)]
        )
    assert exc.value.code == "too_many_photos"
    assert not AfterSalesReport.objects.exists()
    assert stored_files(settings) == []


# --- what is replaced is deleted ---------------------------------------------------------------------------------


@pytest.mark.parametrize("through", ["api", "page", "service-corrected-amount"])
def test_a_replaced_payment_screenshot_is_removed_from_disk_after_commit(
    through, closed, place, api, web, settings, django_capture_on_commit_callbacks
):
    entry, user = closed.resident_entry, place.resident.user
    with django_capture_on_commit_callbacks(execute=True):
        assert pay_api(api, user, entry, screenshot=photo("first.png")).status_code == 200
    first = Payment.objects.get(entry=entry).screenshot
    assert stored_files(settings) == [first]

    with django_capture_on_commit_callbacks(execute=True):
        if through == "api":
            assert pay_api(api, user, entry, screenshot=photo("second.png")).status_code == 200
        elif through == "page":
            assert pay_page(web, user, entry, screenshot=photo("second.png")).status_code == 302
        else:
            payment_mark(actor=user, entry=entry, amount="198", method="alipay", screenshot=photo("second.png"))

    second = Payment.objects.get(entry=entry).screenshot
    assert second != first
    assert second.startswith("settlement/payments/")
    assert stored_files(settings) == [second]


def test_a_screenshot_replaced_while_the_first_was_processing_leaves_one_file(
    closed, place, settings, django_capture_on_commit_callbacks
):
    from settlement.services.photos import settlement_photo_process

    entry, user = closed.resident_entry, place.resident.user
    with django_capture_on_commit_callbacks(execute=False):  # the first task is still queued...
        payment_mark(actor=user, entry=entry, amount="197", method="wechat", screenshot=photo("first.png"))
    payment = Payment.objects.get(entry=entry)
    with django_capture_on_commit_callbacks(execute=True):  # ...when the screenshot is replaced
        payment_mark(actor=user, entry=entry, amount="197", method="wechat", screenshot=photo("second.png"))
    payment.refresh_from_db()
    assert stored_files(settings) == [payment.screenshot]
    assert settlement_photo_process(kind="payment", pk=payment.pk) is False  # the late first task
    assert stored_files(settings) == [payment.screenshot]


def test_a_refused_payment_leaves_no_screenshot_behind(closed, place, api, settings):
    entry = closed.resident_entry
    response = pay_api(api, place.resident.user, entry, screenshot=photo(), amount="-5")
    assert response.status_code == 400
    response = pay_api(api, place.neighbour.user, entry, screenshot=photo())
    assert response.status_code in (403, 404)
    assert not Payment.objects.filter(entry=entry).exclude(state=PaymentState.UNPAID).exists()
    assert stored_files(settings) == []


# --- the task side -----------------------------------------------------------------------------------------------


def test_a_pending_photo_that_fails_to_decode_is_dropped_with_its_file(closed, place, settings):
    from settlement.services.photos import settlement_photo_process

    report = after_sales_report(
        actor=place.resident.user, entry=closed.resident_entry, kind="damaged", description="x", photos=[photo()]
    )
    pending = report.photos.get()
    with default_storage.open(pending.path, "wb") as fp:  # the raw file turned out undecodable
        fp.write(files.image_bytes("PNG", (60, 40))[:60])
    assert settlement_photo_process(kind="after_sales", pk=pending.pk) is False
    assert not AfterSalesPhoto.objects.exists()
    assert AfterSalesReport.objects.filter(pk=report.pk).exists()
    assert stored_files(settings) == []


def test_the_sweep_re_encodes_photos_whose_task_was_lost(closed, place, settings, django_capture_on_commit_callbacks):
    from settlement.services.photos import settlement_photos_requeue

    payment = payment_mark(  # on_commit never runs here: the enqueue is "lost"
        actor=place.resident.user, entry=closed.resident_entry, amount="197", method="wechat", screenshot=photo()
    )
    assert payment.screenshot.startswith("incoming/")
    with django_capture_on_commit_callbacks(execute=True):
        assert settlement_photos_requeue() == 0  # too recent: its task may still be on the way
    with django_capture_on_commit_callbacks(execute=True):
        assert settlement_photos_requeue(now=timezone.now() + datetime.timedelta(minutes=3)) == 1
    payment.refresh_from_db()
    assert payment.screenshot.startswith("settlement/payments/")
    assert stored_files(settings) == [payment.screenshot]
