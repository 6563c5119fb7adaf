"""core.media.serve_private: private streaming, headers, ranges; no public media URL."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.test import RequestFactory

from core.media import serve_private
from core.uploads import save_private
from tests.core import files

rf = RequestFactory()
VIDEO = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_photo_is_streamed_inline_with_private_safe_headers():
    content = files.image_bytes("JPEG")
    name = save_private(content, "evidence", "jpg")
    response = serve_private(rf.get("/x"), name)
    assert response.status_code == 200
    assert body(response) == content
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Disposition"] == f'inline; filename="{name.rsplit("/", 1)[1]}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("ext", "content_type", "disposition"),
    [
        ("png", "image/png", "inline"),
        ("webp", "image/webp", "inline"),
        ("mp4", "video/mp4", "inline"),
        ("webm", "video/webm", "inline"),
        ("pdf", "application/pdf", "attachment"),
        ("bin", "application/octet-stream", "attachment"),
    ],
)
def test_only_our_image_and_video_types_are_inline(ext, content_type, disposition):
    name = save_private(b"data", "docs", ext)
    response = serve_private(rf.get("/x"), name)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].split(";")[0] == disposition


def test_scriptable_content_type_given_by_a_caller_is_still_a_download():
    name = save_private(files.SVG, "docs", "svg")
    response = serve_private(rf.get("/x"), name, content_type="image/svg+xml")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_name_is_used_and_non_ascii_is_encoded():
    name = save_private(files.PDF, "filings", "pdf")
    response = serve_private(rf.get("/x"), name, download_name="保供资质.pdf")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E4%BF%9D%E4%BE%9B%E8%B5%84%E8%B4%A8.pdf"


def test_a_fieldfile_is_served_from_its_storage():
    name = save_private(b"abc", "offers", "jpg")
    field = FileField()
    field.storage = default_storage
    fieldfile = FieldFile(instance=None, field=field, name=name)
    assert body(serve_private(rf.get("/x"), fieldfile)) == b"abc"


@pytest.mark.parametrize("name", ["", None, "evidence/2026/01/missing.jpg", "../../etc/passwd", "/etc/passwd"])
def test_missing_or_outside_files_are_404(name):
    with pytest.raises(Http404):
        serve_private(rf.get("/x"), name)


def test_empty_fieldfile_is_404():
    field = FileField()
    with pytest.raises(Http404):
        serve_private(rf.get("/x"), FieldFile(instance=None, field=field, name=""))


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 10239),
        ("bytes=-16", 10224, 10239),
        ("bytes=10000-99999", 10000, 10239),
    ],
)
def test_single_byte_range_gets_206(header, start, end):
    name = save_private(VIDEO, "videos", "mp4")
    response = serve_private(rf.get("/x", HTTP_RANGE=header), name)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(VIDEO)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert body(response) == VIDEO[start : end + 1]
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=10240-10300", "bytes=-0"])
def test_unsatisfiable_range_gets_416(header):
    name = save_private(VIDEO, "videos", "mp4")
    response = serve_private(rf.get("/x", HTTP_RANGE=header), name)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO)}"
    assert body(response) == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-5", "bytes=9-3", "bytes=-", "nonsense"])
def test_ranges_we_do_not_handle_get_the_whole_file(header):
    name = save_private(VIDEO, "videos", "mp4")
    response = serve_private(rf.get("/x", HTTP_RANGE=header), name)
    assert response.status_code == 200
    assert body(response) == VIDEO


def test_if_range_gets_the_whole_file():
    name = save_private(VIDEO, "videos", "mp4")
    response = serve_private(rf.get("/x", HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"x"'), name)
    assert response.status_code == 200
    assert body(response) == VIDEO


# --- through the full middleware stack ---------------------------------------------


@pytest.mark.urls("tests.core.urls")
def test_served_media_is_not_gzipped_and_ranges_survive_the_middleware(client, place):
    name = save_private(VIDEO, "videos", "mp4")
    client.force_login(place.resident.user)
    response = client.get(f"/t/media/{name}", HTTP_ACCEPT_ENCODING="gzip, deflate, br", HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert "Content-Encoding" not in response
    assert response["Content-Length"] == "10"
    assert body(response) == VIDEO[10:20]


@pytest.mark.urls("tests.core.urls")
def test_view_owning_the_permission_check_refuses_anonymous(client):
    name = save_private(b"secret screenshot", "payments", "png")
    response = client.get(f"/t/media/{name}")
    assert response.status_code == 403
    assert b"secret screenshot" not in response.content


def test_there_is_no_public_media_url(client, settings, place):
    name = save_private(b"secret screenshot", "payments", "png")
    client.force_login(place.resident.user)
    for url in (f"{settings.MEDIA_URL}{name}", f"/media/{name}", f"/{name}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"secret screenshot" not in response.content
