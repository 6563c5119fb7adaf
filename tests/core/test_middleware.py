"""The request-size guard and the upload endpoints end to end (test client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from tests.core import files


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the guard ---------------------------------------------------------------------


def test_body_over_the_default_cap_is_refused_with_413_json(settings, db):
    assert settings.UPLOAD_MAX_REQUEST_BYTES == 40 * 1024 * 1024
    client = Client(enforce_csrf_checks=True)
    big = SimpleUploadedFile("huge.mp4", files.mp4_bytes(payload=41 * 1024 * 1024), content_type="video/mp4")
    response = client.post("/api/anything/", {"file": big}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "message": "The request is too large. The limit is 40 MB.",
        "detail": {"max_bytes": 40 * 1024 * 1024},
    }
    assert response["X-Error-Code"] == "request_too_large"
    assert stored_files(settings) == []


def test_guard_runs_before_anything_reads_the_body(settings, db):
    # The declared length is far beyond what is really sent: if anything tried to
    # read the body (CSRF, the form parser) the test client's payload would raise.
    client = Client(enforce_csrf_checks=True)
    response = client.generic(
        "POST",
        "/accounts/login/",
        b"x" * 10,
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(10**9),
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 413  # not 403 from CSRF, which would have read the form
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b'data-code="request_too_large"' in response.content


def test_html_refusal_speaks_the_requested_language(settings, db):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024
    client = Client()
    response = client.post("/accounts/login/", {"x": "y" * 2000}, HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert '<html lang="en">' in response.content.decode()
    assert "The request is too large. The limit is 1 MB." in response.content.decode()


def test_json_is_chosen_by_accept_header_outside_the_api(settings, db):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024
    response = Client().post("/accounts/login/", {"x": "y" * 2000}, HTTP_ACCEPT="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert response.json()["detail"] == {"max_bytes": 1024}


def test_body_at_the_cap_passes_through(settings, db):
    settings.UPLOAD_MAX_REQUEST_BYTES = 2000
    body = b"a=" + b"b" * 1998
    response = Client().generic("POST", "/api/nothing-here/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code != 413


@pytest.mark.parametrize("length", ["", "abc", "-5"])
def test_missing_or_malformed_length_is_not_refused(settings, db, length):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10
    response = Client().generic("GET", "/accounts/login/", CONTENT_LENGTH=length)
    assert response.status_code != 413


# --- end to end: upload endpoints built on core.uploads ---------------------------

pytestmark = pytest.mark.urls("tests.core.urls")


def post_file(client, url, content, name="photo.jpg", content_type="image/jpeg"):
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type=content_type)})


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (files.bilevel_png(100_000, 100_000, full_data=False), 400, "image_too_many_pixels"),
        (files.bilevel_png(10_000, 5_000), 400, "image_too_many_pixels"),
        (files.TIFF, 400, "image_format_not_allowed"),
        (files.SVG, 400, "image_format_not_allowed"),
        (files.HTML, 400, "image_format_not_allowed"),
        (files.SCRIPT, 400, "image_format_not_allowed"),
        (files.noise_jpeg()[:20_000], 400, "image_corrupt"),
        (b"", 400, "empty_file"),
    ],
    ids=["bomb", "50mp", "tiff", "svg", "html", "script", "truncated", "empty"],
)
def test_bad_photos_are_refused_over_http_with_nothing_left_on_disk(client, settings, content, status, code):
    response = post_file(client, "/t/photo/", content)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert stored_files(settings) == []


def test_oversized_photo_is_413_with_nothing_left_on_disk(client, settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 50_000
    response = post_file(client, "/t/photo/", files.noise_jpeg((400, 400)))
    assert (response.status_code, response.json()["code"]) == (413, "image_too_large")
    assert stored_files(settings) == []


def test_photo_with_a_path_traversal_name_is_stored_under_a_server_name(client, settings):
    original = files.two_halves((200, 100), exif=files.gps_exif(6)) + files.zip_bytes()
    response = post_file(client, "/t/photo/", original, name="../../../../tmp/evil.jpg.php")
    assert response.status_code == 201, response.content
    names = response.json()
    stored = sorted(stored_files(settings))
    assert stored == sorted(Path(settings.MEDIA_ROOT) / n for n in names.values())
    assert not Path("/tmp/evil.jpg.php").exists()
    for path in stored:
        assert path.name.endswith(".jpg")
        assert "evil" not in str(path)
        data = path.read_bytes()
        assert b"Exif" not in data
        assert b"PK\x03\x04" not in data
    sizes = sorted(Image.open(path).size for path in stored)
    assert sizes == [(100, 200), (100, 200)]  # upright; small enough that the thumbnail is the same size


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (files.HTML, 400, "video_format_not_allowed"),
        (files.image_bytes("JPEG"), 400, "video_format_not_allowed"),
        (files.mp4_bytes(brand=b"qt  ", compatible=()), 400, "video_format_not_allowed"),
        (files.mp4_bytes(payload=6000), 413, "video_too_large"),
    ],
    ids=["html", "jpeg", "quicktime", "oversized"],
)
def test_bad_videos_are_refused_over_http_with_nothing_left_on_disk(client, settings, content, status, code):
    settings.UPLOAD_MAX_VIDEO_BYTES = 5000
    response = post_file(client, "/t/video/", content, name="../clip.mp4", content_type="video/mp4")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert stored_files(settings) == []


def test_good_video_is_stored_under_a_server_name(client, settings):
    response = post_file(client, "/t/video/", files.ebml_bytes(), name="../../x.html", content_type="text/html")
    assert response.status_code == 201
    name = response.json()["video"]
    assert name.startswith("videos/")
    assert name.endswith(".webm")
    assert stored_files(settings) == [Path(settings.MEDIA_ROOT) / name]


def test_multipart_over_the_request_cap_is_413_before_the_view(client, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 100_000
    payload = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("a.jpg", files.noise_jpeg((500, 500)))})
    assert len(payload) > 100_000
    response = client.generic(
        "POST", "/t/photo/", payload, content_type=MULTIPART_CONTENT, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 413
    assert json.loads(response.content)["code"] == "request_too_large"
    assert stored_files(settings) == []


def test_uploaded_mp4_is_stored_without_its_location(client, settings):
    response = post_file(
        client, "/t/video/", files.mp4_bytes(location=True), name="VID_0001.mp4", content_type="video/mp4"
    )
    assert response.status_code == 201
    stored = (Path(settings.MEDIA_ROOT) / response.json()["video"]).read_bytes()
    assert len(stored) == len(files.mp4_bytes(location=True))
    assert files.LOCATION not in stored
