"""Issue 8, test 11: protected media, end to end through the pages.

A resident uploads a transfer screenshot with their payment; the file is stored under a server-made
random name (never the uploaded one) and served only to that household and the buy's payment staff.
Another household, staff of another community and anonymous visitors are refused, and no direct media
URL serves it. Documents and disinfection evidence per role are in the permission matrix
(test_permission_matrix.py: compliance:document_file, compliance:evidence_file, settlement:file) and in
tests/compliance/test_pages.py; uploads and EXIF in tests/core/test_uploads.py.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from settlement.models import Payment
from tests.settlement.conftest import ClosedBuy

pytestmark = pytest.mark.django_db


def screenshot(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (250, 250, 250)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def stored_files(root) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_payment_screenshot_is_stored_under_a_server_name_and_served_only_to_its_household_and_staff(
    place, other_place, settings, django_capture_on_commit_callbacks
):
    closed = ClosedBuy(place)
    entry = closed.resident_entry
    upload = screenshot("../../etc/passwd 王小明 12-301 转账.png")

    with django_capture_on_commit_callbacks(execute=True):  # the re-encoding task runs after commit
        response = client_for(place.resident.user).post(
            reverse("settlement:pay", kwargs={"entry_pk": entry.pk}),
            {"amount": "197", "method": "wechat", "screenshot": upload},
        )
    assert response.status_code == 302, response.content[:500]

    payment = Payment.objects.get(entry=entry)
    assert payment.screenshot
    stored = stored_files(settings.MEDIA_ROOT)
    assert [p.name for p in stored] == [Path(payment.screenshot).name]
    name = Path(payment.screenshot).name
    assert "passwd" not in payment.screenshot
    assert "王小明" not in name
    assert "12-301" not in name
    assert ".." not in payment.screenshot
    assert Path(settings.MEDIA_ROOT).resolve() in stored[0].resolve().parents

    url = reverse("settlement:file", kwargs={"kind": "payment", "pk": payment.pk})
    content = stored[0].read_bytes()
    for user in (place.resident.user, place.data_volunteer.user, place.leader.user):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == content
        assert "private" in response["Cache-Control"]
    for user in (place.neighbour.user, place.building_leader.user, place.committee.user, other_place.committee.user):
        response = client_for(user).get(url)
        assert response.status_code in (403, 404), user
        assert not getattr(response, "streaming", False)
    anonymous = client_for().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))

    # No direct URL serves the stored file, whoever asks.
    for user in (None, place.resident.user):
        for direct in (f"{settings.MEDIA_URL}{payment.screenshot}", f"/media/{payment.screenshot}"):
            assert client_for(user).get(direct).status_code == 404


@pytest.mark.parametrize(
    "route",
    ["compliance:document_file", "compliance:evidence_file", "groupbuy:offer_photo", "settlement:file"],
)
def test_anonymous_direct_file_urls_are_refused(route, client):
    kwargs = {"pk": 1}
    if route == "groupbuy:offer_photo":
        kwargs["variant"] = "full"
    if route == "settlement:file":
        kwargs["kind"] = "payment"
    response = client.get(reverse(route, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
