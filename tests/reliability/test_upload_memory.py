"""Issue 8, test 9 (memory): hostile uploads do not make a request's memory grow with what they claim.

The refusals themselves (pixel bomb, 50-megapixel image, other formats renamed .jpg, truncated JPEG,
JPEG+ZIP polyglot, oversized body and video, path traversal, nothing left on disk) are in
tests/core/test_uploads.py, tests/core/test_middleware.py and tests/compliance/test_delivery.py.
Here the same kinds of files go through the real upload API while the process's memory is watched:
Python allocations with tracemalloc (the upload must be spooled to disk, not held in memory) and the
resident set size sampled in a thread (Pillow's own buffers: a bomb must never be decoded).
"""

import io
import struct
import threading
import tracemalloc
import zlib

import psutil
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from groupbuy.factories import OfferFactory
from groupbuy.models import OfferPhoto

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims width x height pixels (a decompression bomb if decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Rows of zeros compress to almost nothing: a few KB claiming gigabytes.
    body = zlib.compress(b"\x00" * (width * 3 + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def jpeg_padded_to(size: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(buffer, "JPEG")
    head = buffer.getvalue()
    return head + b"\x00" * (size - len(head))


class Watch:
    """Peak Python allocations and peak RSS growth while the block runs."""

    def __enter__(self):
        self.process = psutil.Process()
        self.base_rss = self.process.memory_info().rss
        self.peak_rss = self.base_rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        tracemalloc.start()
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        _, self.peak_python = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.rss_growth = self.peak_rss - self.base_rss


def warm_up(client, offer):
    """One refused upload first, so imports and caches of a first request are not counted."""
    post_photo(client, offer, b"not an image at all")


def post_photo(client, offer, content: bytes, name: str = "photo.jpg"):
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post(f"/api/offers/{offer.pk}/photos/", {"upload": upload}, format="multipart")


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (png_claiming(60_000, 60_000), 400, "image_too_many_pixels"),
        (png_claiming(8_000, 6_300), 400, "image_too_many_pixels"),  # 50 megapixels, over our 40 MP cap
    ],
    ids=["pixel-bomb", "50-megapixels"],
)
def test_images_claiming_huge_sizes_are_refused_without_decoding(place, api, content, status, code):
    offer = OfferFactory(supplier__community=place.community)
    client = api(place.leader.user)
    warm_up(client, offer)
    with Watch() as watch:
        response = post_photo(client, offer, content, name="bomb.jpg")

    assert response.status_code == status, response.content[:300]
    assert response.json()["code"] == code
    assert not OfferPhoto.objects.exists()
    # Decoding 60000x60000 RGB would need ~10 GB; 50 MP ~150 MB. Neither happens.
    assert watch.rss_growth < 40 * MB
    assert watch.peak_python < 10 * MB


def test_big_upload_is_spooled_to_disk_not_held_in_memory(place, api, settings):
    offer = OfferFactory(supplier__community=place.community)
    client = api(place.leader.user)
    content = jpeg_padded_to(settings.UPLOAD_MAX_IMAGE_BYTES + MB)  # over the per-photo cap, under the body cap
    upload = SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")
    body = encode_multipart(BOUNDARY, {"upload": upload})
    warm_up(client, offer)

    with Watch() as watch:
        response = client.generic("POST", f"/api/offers/{offer.pk}/photos/", body, content_type=MULTIPART_CONTENT)

    assert response.status_code == 413, response.content[:300]
    assert not OfferPhoto.objects.exists()
    # The test client's own copy of the body is ~1x; holding the upload in memory would add another 1x.
    assert watch.peak_python < len(body) * 1.5


def test_body_over_the_request_cap_is_refused_before_it_is_read(place, api, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 4 * MB
    offer = OfferFactory(supplier__community=place.community)
    client = api(place.leader.user)
    content = jpeg_padded_to(8 * MB)

    response = post_photo(client, offer, content)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert not OfferPhoto.objects.exists()
