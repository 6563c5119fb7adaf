"""Pages: the same services through forms, and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from compliance.models import Filing, FilingStatus, Slip
from compliance.services.delivery import arrival_record, evidence_add
from compliance.services.filings import filing_submit
from groupbuy.models import BuyStatus, GroupBuy

from .conftest import MP4_BYTES, documents, filing_kwargs, live_times, make_ordered_buy, stored_files

pytestmark = pytest.mark.django_db


def form_data(times, **overrides):
    start = timezone.localtime(times["arrival_start"])
    data = {
        "gate": "North gate",
        "arrival_date": start.date().isoformat(),
        "arrival_from": start.strftime("%H:%M"),
        "arrival_until": timezone.localtime(times["arrival_end"]).strftime("%H:%M"),
        "vehicle_plate": "沪A12345",
        "driver_name": "李师傅",
        "test_sampled_at": timezone.localtime(times["test_sampled_at"]).strftime("%Y-%m-%dT%H:%M"),
        **documents(),
    }
    data.update(overrides)
    return data


def test_leader_files_through_the_page(place, buy, live_policy, web):
    client = web(place.leader.user)
    page = client.get(reverse("compliance:filing_create", args=[buy.pk]))
    assert page.status_code == 200
    assert buy.items.get().offer.title in page.content.decode()

    response = client.post(reverse("compliance:filing_create", args=[buy.pk]), form_data(live_times()))

    filing = Filing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:filing_detail", args=[filing.pk])
    buy.refresh_from_db()
    assert buy.status == BuyStatus.FILED


def test_refused_filing_page_shows_the_reason_and_keeps_the_input(place, buy, live_policy, web):
    times = live_times()
    data = form_data(
        times,
        test_sampled_at=(timezone.localtime(times["arrival_start"]) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    before = stored_files(settings.MEDIA_ROOT)
    response = web(place.leader.user).post(reverse("compliance:filing_create", args=[buy.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400  # the refusal's status (issue 14), not 200
    assert 'data-code="test_report_stale"' in body
    assert "within 24 hours before the arrival window" in body
    assert 'value="李师傅"' in body
    assert not Filing.objects.exists()
    # The documents are kept for the next submit (issue 16), and nothing else is stored.
    from compliance.models import PendingDocument

    kept = sorted(PendingDocument.objects.values_list("file", flat=True))
    assert len(kept) == 3
    assert sorted(set(stored_files(settings.MEDIA_ROOT)) - set(before)) == kept


def test_other_leader_cannot_open_the_filing_form(place, buy, web):
    assert web(place.other_leader.user).get(reverse("compliance:filing_create", args=[buy.pk])).status_code == 403


def test_review_queue_shows_documents_inline_with_a_fixed_number_of_queries(
    place, live_policy, web, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    def add_filing():
        buy = make_ordered_buy(place, leader=place.other_leader)
        with django_capture_on_commit_callbacks(execute=True):  # document photos are re-encoded after commit
            return filing_submit(actor=place.other_leader.user, buy=buy, **filing_kwargs(now=None, **live_times()))

    first = add_filing()
    client = web(place.committee.user)
    url = reverse("compliance:queue", args=[place.community.pk])
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    for _ in range(4):
        add_filing()
    with django_assert_max_num_queries(10):
        response = client.get(url)
    body = response.content.decode()
    image = first.documents.get(kind="vehicle_pass")
    assert reverse("compliance:document_file", args=[image.pk]) + "?thumb=1" in body
    assert body.count("Approve and issue slip") == 5
    # Oldest first.
    assert body.index(f'id="filing-{first.pk}"') < body.index(
        f'id="filing-{Filing.objects.order_by("-pk").first().pk}"'
    )


def test_committee_approves_and_rejects_from_the_queue(place, live_filed, web):
    client = web(place.committee.user)
    response = client.post(reverse("compliance:filing_approve", args=[live_filed.pk]))
    assert response.status_code == 302
    live_filed.refresh_from_db()
    assert live_filed.status == FilingStatus.APPROVED
    detail = web(place.leader.user).get(reverse("compliance:filing_detail", args=[live_filed.pk])).content.decode()
    assert live_filed.slip.display_code in detail
    assert "<svg" in detail  # the QR code, inline


def test_queue_page_does_not_offer_review_of_own_filing(place, buy, live_policy, web):
    place.leader.is_committee = True
    place.leader.save()
    filing = filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(now=None, **live_times()))
    client = web(place.leader.user)
    body = client.get(reverse("compliance:queue", args=[place.community.pk])).content.decode()
    assert "another committee member must review it" in body
    client.post(reverse("compliance:filing_approve", args=[filing.pk]))
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED
    assert not Slip.objects.exists()


def test_resident_is_refused_every_committee_page_and_action(place, live_filed, web):
    from compliance.models import Suspension

    suspension = Suspension.objects.create(
        community=place.community,
        starts_at=timezone.now() + timedelta(days=5),
        ends_at=timezone.now() + timedelta(days=6),
        reason="r",
        created_by=place.committee.user,
    )
    client = web(place.resident.user)
    c = place.community.pk
    for name in ("policy", "suspensions", "queue", "audit", "audit_csv"):
        assert client.get(reverse(f"compliance:{name}", args=[c])).status_code == 403, name
    assert (
        client.post(reverse("compliance:policy", args=[c]), {"weekdays": ["0"], "lead_hours": "1"}).status_code == 403
    )
    assert (
        client.post(
            reverse("compliance:suspensions", args=[c]),
            {"starts_at": "2030-01-01T00:00", "ends_at": "2030-01-02T00:00", "reason": "x"},
        ).status_code
        == 403
    )
    assert client.post(reverse("compliance:suspension_lift", args=[suspension.pk])).status_code == 403
    assert client.post(reverse("compliance:filing_approve", args=[live_filed.pk])).status_code == 403
    assert client.post(reverse("compliance:filing_reject", args=[live_filed.pk]), {"reason": "x"}).status_code == 403
    assert client.get(reverse("compliance:gate")).status_code == 403
    live_filed.refresh_from_db()
    assert live_filed.status == FilingStatus.SUBMITTED
    assert Suspension.objects.filter(lifted_at__isnull=True).count() == 1
    assert Suspension.objects.count() == 1


def test_committee_sets_policy_and_suspends_through_pages(place, live_approved, web):
    client = web(place.committee.user)
    c = place.community.pk
    response = client.post(
        reverse("compliance:policy", args=[c]),
        {"weekdays": ["0", "2", "4"], "lead_hours": "1", "gate_opens": "08:00", "gate_closes": "18:00"},
    )
    assert response.status_code == 302
    start = timezone.localtime(live_approved.arrival_start - timedelta(hours=1))
    response = client.post(
        reverse("compliance:suspensions", args=[c]),
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "case found",
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    live_approved.refresh_from_db()
    assert live_approved.status == FilingStatus.ON_HOLD


def test_gate_guard_verifies_in_two_taps(place, live_approved, web):
    client = web(place.gate_guard.user)
    assert client.get(reverse("compliance:gate")).status_code == 200  # tap 1: open the page
    body = client.post(reverse("compliance:gate"), {"code": live_approved.slip.code}).content.decode()  # tap 2
    assert "Valid" in body
    assert "沪A12345" in body


def test_gate_guard_of_a_cannot_use_bs_gate_and_as_slip_is_invalid_at_b(place, other_place, live_approved, web):
    client = web(place.gate_guard.user)
    response = client.post(reverse("compliance:gate"), {"c": other_place.community.pk, "code": live_approved.slip.code})
    assert response.status_code == 403
    body = web(other_place.gate_guard.user).post(reverse("compliance:gate"), {"code": live_approved.slip.code})
    assert "Invalid" in body.content.decode()
    assert "沪A12345" not in body.content.decode()


def test_documents_only_for_leader_and_committee(place, other_place, live_filed, web):
    document = live_filed.documents.get(kind="vehicle_pass")
    url = reverse("compliance:document_file", args=[document.pk])
    assert web(place.committee.user).get(url).status_code == 200
    response = web(place.leader.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    for who in (place.resident, place.neighbour, other_place.committee):
        assert web(who.user).get(url).status_code == 404


def test_evidence_visible_to_participants_not_to_other_residents(
    place, live_approved, web, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    arrival_record(actor=place.receiving_volunteer.user, filing=live_approved)
    evidence = evidence_add(
        actor=place.receiving_volunteer.user, filing=live_approved, upload=SimpleUploadedFile("v.mp4", MP4_BYTES)
    )
    url = reverse("compliance:evidence_file", args=[evidence.pk])
    assert web(place.resident.user).get(url).status_code == 200  # took part in the buy
    detail = web(place.resident.user).get(reverse("compliance:filing_detail", args=[live_approved.pk]))
    assert detail.status_code == 200
    assert live_approved.slip.code not in detail.content.decode()  # residents do not get the slip
    assert web(place.neighbour.user).get(url).status_code == 404
    assert (
        web(place.neighbour.user).get(reverse("compliance:filing_detail", args=[live_approved.pk])).status_code == 403
    )


def test_receiving_volunteer_walks_the_delivery_through_pages(place, live_approved, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web(place.receiving_volunteer.user)
    pk = live_approved.pk
    client.post(reverse("compliance:arrival", args=[pk]), {"receivers": "小李"})
    client.post(reverse("compliance:evidence_upload", args=[pk]), {"file": SimpleUploadedFile("v.mp4", MP4_BYTES)})
    client.post(reverse("compliance:disinfected", args=[pk]), {"finished_at": ""})
    response = client.post(reverse("compliance:release", args=[pk]), {"confirm": "yes"}, follow=True)
    assert "30 minutes after disinfection" in response.content.decode()
    assert GroupBuy.objects.get(pk=live_approved.buy_id).status == BuyStatus.DISINFECTED


def test_audit_page_verifies_and_exports(place, live_filed, web):
    client = web(place.committee.user)
    body = client.get(reverse("compliance:audit", args=[place.community.pk]), {"verify": 1}).content.decode()
    assert "Chain intact" in body
    response = client.get(reverse("compliance:audit_csv", args=[place.community.pk]))
    content = b"".join(response.streaming_content).decode()
    assert content.splitlines()[1].split(",")[2] == "filing_submitted"


def test_community_page_lists_role_links(place, web):
    body = web(place.committee.user).get(reverse("compliance:community", args=[place.community.pk])).content.decode()
    assert reverse("compliance:queue", args=[place.community.pk]) in body
    body = web(place.resident.user).get(reverse("compliance:community", args=[place.community.pk])).content.decode()
    assert reverse("compliance:queue", args=[place.community.pk]) not in body


def test_resident_sees_the_delivery_of_their_buy_on_the_community_page(place, live_approved, web):
    body = web(place.resident.user).get(reverse("compliance:community", args=[place.community.pk])).content.decode()
    assert reverse("compliance:filing_detail", args=[live_approved.pk]) in body
    body = web(place.neighbour.user).get(reverse("compliance:community", args=[place.community.pk])).content.decode()
    assert reverse("compliance:filing_detail", args=[live_approved.pk]) not in body


def test_deliveries_link_leads_to_the_members_community(place, web):
    response = web(place.resident.user).get(reverse("compliance:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:community", args=[place.community.pk])


def test_leader_fixes_a_rejected_filing_through_the_page(place, live_filed, web):
    from compliance.services.review import filing_reject

    filing_reject(actor=place.committee.user, filing=live_filed, reason="plate unreadable")
    client = web(place.leader.user)
    url = reverse("compliance:filing_edit", args=[live_filed.pk])
    page = client.get(url).content.decode()
    assert "plate unreadable" in page
    assert 'value="沪A12345"' in page

    data = form_data(live_times(), vehicle_plate="沪B 54321")
    for kind in ("qualification", "vehicle_pass", "test_report"):
        data.pop(kind)  # keep the documents already filed
    response = client.post(url, data)
    assert response.status_code == 302
    live_filed.refresh_from_db()
    assert (live_filed.status, live_filed.vehicle_plate, live_filed.revision) == (FilingStatus.SUBMITTED, "沪B54321", 2)
    assert live_filed.documents.count() == 3
    assert GroupBuy.objects.get(pk=live_filed.buy_id).status == BuyStatus.FILED


def test_everyone_sees_a_current_suspension_on_the_community_page(place, web):
    from compliance.services.policy import suspension_create

    suspension_create(
        actor=place.committee.user,
        community=place.community,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=3),
        reason="positive case in building 7",
    )
    body = web(place.resident.user).get(reverse("compliance:community", args=[place.community.pk])).content.decode()
    assert "positive case in building 7" in body


def test_filing_detail_page_query_count_is_fixed(
    place, live_approved, web, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    arrival_record(actor=place.receiving_volunteer.user, filing=live_approved)
    client = web(place.resident.user)
    url = reverse("compliance:filing_detail", args=[live_approved.pk])
    client.get(url)
    for _ in range(5):
        evidence_add(
            actor=place.receiving_volunteer.user, filing=live_approved, upload=SimpleUploadedFile("v.mp4", MP4_BYTES)
        )
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200


def test_every_page_renders_for_its_role(place, other_place, live_approved, web):
    c = place.community.pk
    committee = web(place.committee.user)
    for name in ("community", "policy", "suspensions", "queue", "deliveries", "audit"):
        response = committee.get(reverse(f"compliance:{name}", args=[c]))
        assert response.status_code == 200, name
    assert live_approved.vehicle_plate in committee.get(reverse("compliance:deliveries", args=[c])).content.decode()
    unfiled = make_ordered_buy(place, leader=place.other_leader)
    response = web(place.resident.user).get(reverse("compliance:buy_delivery", args=[unfiled.pk]))
    assert "has not been filed yet" in response.content.decode()
    response = web(place.other_leader.user).get(reverse("compliance:buy_delivery", args=[unfiled.pk]))
    assert response["Location"] == reverse("compliance:filing_create", args=[unfiled.pk])
    from accounts.factories import MembershipFactory

    MembershipFactory(user=place.resident.user, household__building__community=other_place.community)
    body = web(place.resident.user).get(reverse("compliance:index")).content.decode()
    assert other_place.community.name in body
