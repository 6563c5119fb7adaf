"""Issue 16, item 4, in a phone-sized Chromium: the leader cannot start filing a buy that is still open (the
reason shows before any form), then files the ordered buy, is refused once (a bad plate) and resubmits WITHOUT
attaching the three documents again; the zh-hans form prefills its dates (ISO). Screenshots of the refused form
and of the filed delivery in Chinese and English; taps are written to test-artifacts/journeys.json."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from compliance.models import Filing, PendingDocument, SupplierQualification
from groupbuy.models import BuyStatus, GroupBuy, Supplier
from tests.browser.helpers import PDF, any_day_policy, arrival_window, jpeg
from tests.compliance.conftest import make_ordered_buy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = Path(settings.BASE_DIR) / "test-artifacts" / "journeys.json"


def _record(journey: str, figures: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    measured = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    measured[journey] = figures
    REPORT.write_text(json.dumps(measured, ensure_ascii=False, indent=2))


def fill_fields(leader, start, end, sampled, *, plate: str) -> None:
    leader.page.fill("#id_arrival_date", start.date().isoformat())
    leader.page.fill("#id_arrival_from", start.strftime("%H:%M"))
    leader.page.fill("#id_arrival_until", end.strftime("%H:%M"))
    leader.page.fill("#id_vehicle_plate", plate)
    leader.page.fill("#id_driver_name", "李师傅")
    leader.page.fill("#id_test_sampled_at", sampled.strftime("%Y-%m-%dT%H:%M"))
    leader.page.fill("#id_qualification_expires_on", (timezone.localdate() + timedelta(days=60)).isoformat())


def test_leader_files_after_one_refusal_without_attaching_the_documents_again(place, browse):
    any_day_policy(place.community)
    buy = make_ordered_buy(place, status=BuyStatus.OPEN)
    leader = browse(place.leader.user)

    # Still open: the delivery page says why it cannot be filed; no form to fill in vain.
    leader.visit(reverse("compliance:buy_delivery", args=[buy.pk]))
    assert leader.page.locator("#cannot-file[data-code=buy_not_ready]").count() == 1
    assert leader.page.locator("input[name=vehicle_plate]").count() == 0

    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.ORDERED)
    start, end, sampled = arrival_window()
    taps = 0
    leader.visit(reverse("compliance:buy_delivery", args=[buy.pk]))  # now it leads to the form
    assert leader.page.url.endswith(reverse("compliance:filing_create", args=[buy.pk]))
    assert leader.page.locator("html").get_attribute("lang") == "zh-hans"
    assert leader.page.input_value("#id_arrival_date") == buy.delivery_date.isoformat()  # prefilled, ISO

    fill_fields(leader, start, end, sampled, plate="沪A!")  # a typo in the plate: refused
    leader.page.set_input_files("#id_qualification", PDF)
    leader.page.set_input_files("#id_vehicle_pass", jpeg())
    leader.page.set_input_files("#id_test_report", {**PDF, "name": "核酸报告.pdf"})
    taps += 10
    leader.submit("form[enctype='multipart/form-data']")
    taps += 1
    assert not Filing.objects.filter(buy=buy).exists()
    assert leader.page.locator("[data-code=invalid_vehicle_plate], .has-error").count() >= 1
    assert PendingDocument.objects.filter(user=place.leader.user, buy=buy).count() == 3
    for field, name in (("qualification", "doc.pdf"), ("vehicle_pass", "photo.jpg"), ("test_report", "核酸报告.pdf")):
        assert name in leader.page.inner_text(f"#id_{field}_helptext")
    # What was typed is still there (ISO values the inputs accept), the plate included.
    assert leader.page.input_value("#id_arrival_date") == start.date().isoformat()
    assert leader.page.input_value("#id_vehicle_plate") == "沪A!"
    leader.screenshots("filing-refused")
    # The language switch reloaded the form (a GET): the documents are still offered, the typed fields are not
    # (a real leader would not switch language here, so refilling them is not counted as taps).
    assert "photo.jpg" in leader.page.inner_text("#id_vehicle_pass_helptext")
    fill_fields(leader, start, end, sampled, plate="沪A!")

    # Fix the plate and send again: no file attached this time.
    leader.page.fill("#id_vehicle_plate", "沪A 12345")
    taps += 1
    leader.submit("form[enctype='multipart/form-data']")
    taps += 1
    filing = Filing.objects.get(buy=buy)
    assert leader.page.url.endswith(reverse("compliance:filing_detail", args=[filing.pk]))
    assert filing.vehicle_plate == "沪A12345"
    assert sorted(filing.documents.values_list("kind", flat=True)) == ["qualification", "test_report", "vehicle_pass"]
    assert not PendingDocument.objects.exists()
    assert SupplierQualification.objects.count() == 1  # kept for the supplier's next filings
    leader.screenshots("filing")

    # The committee's queue lists the supplier's qualification when it runs out within 14 days.
    SupplierQualification.objects.update(expires_on=timezone.localdate() + timedelta(days=5))
    Supplier.objects.filter(qualification__isnull=False).update(phone="13800138000")
    committee = browse(place.committee.user)
    committee.visit(reverse("compliance:queue", args=[place.community.pk]))
    assert committee.page.locator("#expiring-qualifications a[href^='tel:']").count() == 1
    committee.page.locator("#expiring-qualifications").scroll_into_view_if_needed()
    committee.screenshots("filing-queue-expiring")
    _record(
        "filing_after_one_refusal",
        {"taps_and_fields": taps, "documents_attached": 3, "documents_attached_again_after_refusal": 0},
    )
