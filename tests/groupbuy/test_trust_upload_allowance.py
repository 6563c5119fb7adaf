"""Issue 13, item 8: offer photos count against the same per-person upload allowance as every other upload
(a coded 429 that stores nothing), through the API and the offer page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from groupbuy.factories import OfferFactory
from groupbuy.models import OfferPhoto
from tests.core import files

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("veg.jpg", files.image_bytes("JPEG", (64, 48)), content_type="image/jpeg")


def test_offer_photos_past_the_upload_allowance_are_refused_with_429_and_store_nothing(place, api, web, settings):
    settings.UPLOAD_RATE_LIMIT = 2
    offer = OfferFactory(supplier__community=place.community)
    client = api(place.leader.user)
    page = web(place.leader.user)
    url = f"/api/offers/{offer.pk}/photos/"

    assert client.post(url, {"upload": photo()}, format="multipart").status_code == 201
    page_url = reverse("groupbuy:offer_detail", args=[offer.pk])
    assert page.post(page_url, {"form": "photo", "upload": photo()}).status_code == 302
    kept = stored_files(settings)
    assert len(kept) == 2

    response = client.post(url, {"upload": photo()}, format="multipart")
    assert response.status_code == 429
    assert response.json()["code"] == "upload_rate_limited"
    response = page.post(page_url, {"form": "photo", "upload": photo()})
    assert response.status_code == 429
    assert "You have sent too many files." in response.content.decode()

    assert OfferPhoto.objects.count() == 2
    assert stored_files(settings) == kept
