"""The API: the same services and rules as the pages, in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.utils import timezone

from compliance.models import Filing, FilingStatus
from groupbuy.models import BuyStatus

from .conftest import documents, live_times

pytestmark = pytest.mark.django_db


def iso(dt):
    return timezone.localtime(dt).isoformat()


def filing_payload(times=None, **overrides):
    times = times or live_times()
    data = {
        "gate": "North gate",
        "arrival_start": iso(times["arrival_start"]),
        "arrival_end": iso(times["arrival_end"]),
        "vehicle_plate": "沪A12345",
        "driver_name": "李师傅",
        "test_sampled_at": iso(times["test_sampled_at"]),
        **documents(),
    }
    data.update(overrides)
    return data


def test_leader_files_committee_approves_guard_verifies(place, buy, live_policy, api):
    response = api(place.leader.user).post(
        f"/api/compliance/buys/{buy.pk}/filing/", filing_payload(), format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted"
    assert body["lines"] == [{"title": buy.items.get().offer.title, "unit": "份", "quantity": 12}]
    assert {d["kind"] for d in body["documents"]} == {"qualification", "vehicle_pass", "test_report"}

    queue = api(place.committee.user).get(f"/api/compliance/communities/{place.community.pk}/queue/")
    assert [f["id"] for f in queue.json()] == [body["id"]]

    approved = api(place.committee.user).post(f"/api/compliance/filings/{body['id']}/approve/")
    assert approved.status_code == 200
    code = approved.json()["slip"]["code"]
    assert approved.json()["delivery_status"] == BuyStatus.APPROVED

    check = api(place.gate_guard.user).post(
        f"/api/compliance/communities/{place.community.pk}/verify-slip/", {"code": code}, format="json"
    )
    assert check.status_code == 200
    assert check.json()["result"] == "valid"
    assert check.json()["vehicle_plate"] == "沪A12345"


def test_refused_filing_returns_all_violations_with_codes(place, buy, api):
    times = live_times()  # default policy: lead time one day, so arrival today is too soon
    response = api(place.leader.user).post(
        f"/api/compliance/buys/{buy.pk}/filing/", filing_payload(times), format="multipart"
    )
    assert response.status_code == 400
    codes = [v["code"] for v in response.json()["detail"]["violations"]]
    assert "lead_time_too_short" in codes
    assert response.json()["code"] == codes[0]
    assert not Filing.objects.exists()


def test_missing_document_via_api(place, buy, live_policy, api):
    payload = filing_payload()
    del payload["vehicle_pass"]
    response = api(place.leader.user).post(f"/api/compliance/buys/{buy.pk}/filing/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "documents_missing"


def test_self_approval_refused_via_api(place, buy, live_policy, api):
    place.leader.is_committee = True
    place.leader.save()
    filing_id = (
        api(place.leader.user)
        .post(f"/api/compliance/buys/{buy.pk}/filing/", filing_payload(), format="multipart")
        .json()["id"]
    )
    response = api(place.leader.user).post(f"/api/compliance/filings/{filing_id}/approve/")
    assert response.status_code == 403
    assert response.json()["code"] == "own_filing"
    assert Filing.objects.get().status == FilingStatus.SUBMITTED


def test_resident_refused_every_committee_endpoint(place, live_filed, api):
    client = api(place.resident.user)
    c = place.community.pk
    calls = [
        client.put(
            f"/api/compliance/communities/{c}/policy/",
            {"weekdays": [0], "lead_hours": 1, "gate_opens": "08:00", "gate_closes": "18:00"},
            format="json",
        ),
        client.post(
            f"/api/compliance/communities/{c}/suspensions/",
            {"starts_at": "2030-01-01T00:00:00+08:00", "ends_at": "2030-01-02T00:00:00+08:00", "reason": "x"},
            format="json",
        ),
        client.get(f"/api/compliance/communities/{c}/queue/"),
        client.get(f"/api/compliance/communities/{c}/audit/verify/"),
        client.post(f"/api/compliance/filings/{live_filed.pk}/approve/"),
        client.post(f"/api/compliance/filings/{live_filed.pk}/reject/", {"reason": "x"}, format="json"),
        client.post(f"/api/compliance/communities/{c}/verify-slip/", {"code": "ABCD2345"}, format="json"),
    ]
    assert [r.status_code for r in calls] == [403] * len(calls)
    assert all(r.json()["code"] == "forbidden" for r in calls)
    live_filed.refresh_from_db()
    assert live_filed.status == FilingStatus.SUBMITTED


def test_participant_reads_status_without_documents_or_slip(place, live_approved, api):
    body = api(place.resident.user).get(f"/api/compliance/filings/{live_approved.pk}/").json()
    assert body["delivery_status"] == BuyStatus.APPROVED
    assert body["documents"] == []
    assert body["slip"] is None
    assert api(place.neighbour.user).get(f"/api/compliance/filings/{live_approved.pk}/").status_code == 403


def test_release_too_early_via_api(place, live_approved, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import MP4_BYTES

    client = api(place.receiving_volunteer.user)
    pk = live_approved.pk
    assert (
        client.post(f"/api/compliance/filings/{pk}/arrival/", {"receivers": "小李"}, format="json").status_code == 200
    )
    upload = client.post(
        f"/api/compliance/filings/{pk}/evidence/", {"file": SimpleUploadedFile("v.mp4", MP4_BYTES)}, format="multipart"
    )
    assert upload.status_code == 201
    assert client.post(f"/api/compliance/filings/{pk}/disinfected/", {}, format="json").status_code == 200
    response = client.post(f"/api/compliance/filings/{pk}/release/")
    assert response.status_code == 409
    assert response.json()["code"] == "release_too_early"


def test_bad_evidence_via_api_is_a_clear_error(place, live_approved, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(place.receiving_volunteer.user)
    client.post(f"/api/compliance/filings/{live_approved.pk}/arrival/", {}, format="json")
    response = client.post(
        f"/api/compliance/filings/{live_approved.pk}/evidence/",
        {"file": SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "evidence_format_not_allowed"


def test_compliance_endpoints_are_in_the_openapi_schema(place, api):
    response = api(place.committee.user).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    for path in (
        "/api/compliance/buys/{buy_id}/filing/",
        "/api/compliance/filings/{id}/approve/",
        "/api/compliance/communities/{community_id}/verify-slip/",
        "/api/compliance/communities/{community_id}/audit/verify/",
    ):
        assert (path in paths) if paths is not None else (path in text)


def test_filing_of_a_buy_is_readable_by_its_participants(place, live_approved, api):
    response = api(place.resident.user).get(f"/api/compliance/buys/{live_approved.buy_id}/filing/")
    assert response.status_code == 200
    assert response.json()["id"] == live_approved.pk
    assert api(place.neighbour.user).get(f"/api/compliance/buys/{live_approved.buy_id}/filing/").status_code == 403
