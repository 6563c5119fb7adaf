"""Issue 13, item 8, for compliance uploads: a filing document that is a photo is not decoded in the web
request (it stays pending, and is not served, until the task re-encodes it after commit), and filing
documents and disinfection evidence count against the per-person upload allowance (coded 429, nothing
stored)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from compliance.models import Evidence, Filing, FilingDocument
from tests.compliance.conftest import MP4_BYTES, live_times, stored_files
from tests.compliance.test_api import filing_payload
from tests.compliance.test_pages import form_data
from tests.core import files
from tests.reliability.test_upload_memory import Watch

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def forty_megapixel_png(name: str = "pass.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, files.bilevel_png(8_000, 5_000), content_type="image/png")


def submit(through: str, place, buy, api, web, **documents):
    if through == "api":
        return api(place.leader.user).post(
            f"/api/compliance/buys/{buy.pk}/filing/", filing_payload(**documents), format="multipart"
        )
    return web(place.leader.user).post(
        reverse("compliance:filing_create", args=[buy.pk]), form_data(live_times(), **documents)
    )


@pytest.mark.parametrize("through", ["api", "page"])
def test_a_40_megapixel_document_photo_is_pending_until_the_task_re_encodes_it(
    through, place, buy, live_policy, api, web, settings, django_capture_on_commit_callbacks
):
    submit(through, place, make_other_buy(place), api, web)  # warm imports and caches on another buy
    before = set(stored_files(settings.MEDIA_ROOT))

    with django_capture_on_commit_callbacks(execute=False) as callbacks, Watch() as watch:
        response = submit(through, place, buy, api, web, vehicle_pass=forty_megapixel_png())
    assert response.status_code in (201, 302), response.content[:500]

    # Not decoded in the request: no 40 MP picture (120 MB as RGB) in this process.
    assert watch.rss_growth < 40 * MB
    filing = Filing.objects.get(buy=buy)
    document = FilingDocument.objects.get(filing=filing, kind="vehicle_pass")
    raw = document.file.name
    assert raw.startswith("incoming/compliance/documents/")
    assert document.thumbnail.name == ""
    url = reverse("compliance:document_file", args=[document.pk])
    pending = web(place.committee.user).get(url)
    assert pending.status_code == 409  # the raw upload is never served
    assert not getattr(pending, "streaming", False)
    queue = web(place.committee.user).get(reverse("compliance:queue", args=[place.community.pk]))
    assert f"{url}?thumb=1" not in queue.content.decode()  # shown as "processing", not a broken image

    for callback in callbacks:  # the commit: the task runs (eagerly) and re-encodes
        callback()

    document.refresh_from_db()
    assert document.file.name.startswith("compliance/documents/")
    assert document.file.name.endswith(".jpg")
    assert document.thumbnail.name.startswith("compliance/documents/")
    assert document.content_type == "image/jpeg"
    with document.file.open("rb") as fp, Image.open(fp) as image:
        assert max(image.size) == 2048
    after = set(stored_files(settings.MEDIA_ROOT)) - before
    assert raw not in after
    assert {document.file.name, document.thumbnail.name} <= after
    assert web(place.committee.user).get(url).status_code == 200


@pytest.mark.parametrize("through", ["api", "page"])
def test_filing_documents_past_the_upload_allowance_are_refused_with_429_and_store_nothing(
    through, place, buy, live_policy, api, web, settings
):
    settings.UPLOAD_RATE_LIMIT = 2  # a filing carries three documents
    response = submit(through, place, buy, api, web)
    if through == "api":
        assert response.status_code == 429
        assert response.json()["code"] == "upload_rate_limited"
    else:  # the filing page shows the refusal in its form, with its status
        assert response.status_code == 429
        assert 'data-code="upload_rate_limited"' in response.content.decode()
        assert "You have sent too many files." in response.content.decode()
    assert not Filing.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_disinfection_evidence_past_the_upload_allowance_is_refused_with_429_and_stores_nothing(
    place, live_approved, api, settings
):
    client = api(place.receiving_volunteer.user)
    pk = live_approved.pk
    assert (
        client.post(f"/api/compliance/filings/{pk}/arrival/", {"receivers": "小李"}, format="json").status_code == 200
    )
    kept = stored_files(settings.MEDIA_ROOT)
    settings.UPLOAD_RATE_LIMIT = 1

    def post():
        upload = SimpleUploadedFile("v.mp4", MP4_BYTES)
        return client.post(f"/api/compliance/filings/{pk}/evidence/", {"file": upload}, format="multipart")

    assert post().status_code == 201
    response = post()
    assert response.status_code == 429
    assert response.json()["code"] == "upload_rate_limited"
    assert Evidence.objects.count() == 1
    assert len(stored_files(settings.MEDIA_ROOT)) == len(kept) + 1


def make_other_buy(place):
    from tests.compliance.conftest import make_ordered_buy

    return make_ordered_buy(place)
