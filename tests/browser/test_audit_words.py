"""The committee's audit page on a phone (issue 16, item 7): each record a card that reads as a sentence, the code
small beside it, in Chinese and English at 390×844, with the contrast, tap-target and 200%-text checks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.audit_text import SENTENCES
from compliance.models import AuditEvent
from tests.compliance.test_audit_words import full_delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_audit_page_reads_as_cards_on_a_phone(place, browse, django_capture_on_commit_callbacks):
    full_delivery(place, django_capture_on_commit_callbacks)
    committee = browse(place.committee.user)
    committee.visit(reverse("compliance:audit", args=[place.community.pk]))
    rows = committee.page.locator("table.cards.audit-log tbody tr")
    assert rows.count() == AuditEvent.objects.count()
    first = rows.first.bounding_box()
    assert first is not None
    assert first["width"] <= 390  # a card, not a row of a wide table
    for path in committee.screenshots("audit-cards"):
        assert path.exists()
    # Both languages: no sentence cell is only a code, and every kind is shown once as its small code.
    for language in ("zh-hans", "en"):
        if committee.page.locator("html").get_attribute("lang") != language:
            committee.switch_language()
        cells = committee.page.locator("table.audit-log td[data-label]:has(code.audit-code)")
        for i in range(cells.count()):
            cell = cells.nth(i)
            code = cell.locator("code.audit-code").inner_text()
            words = cell.inner_text().replace(code, "").strip()
            assert code in SENTENCES
            assert len(words) > 8, f"{language}: {code} has no sentence"
            assert code not in words
