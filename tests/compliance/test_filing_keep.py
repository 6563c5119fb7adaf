"""Filings that keep work (issue 16): ISO dates in every locale, uploads kept across a refusal,
filing offered only when allowed, supplier qualifications stored once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


def test_chinese_filing_form_prefills_iso_dates(place, buy, live_policy, web, chinese):
    body = (
        web(place.leader.user)
        .get(reverse("compliance:filing_create", args=[buy.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert f'value="{buy.delivery_date.isoformat()}"' in body


def test_chinese_resubmit_form_prefills_iso_dates_and_times(place, live_filed, web, chinese):
    from django.utils import timezone

    start = timezone.localtime(live_filed.arrival_start)
    sampled = timezone.localtime(live_filed.test_sampled_at)
    body = (
        web(place.leader.user)
        .get(reverse("compliance:filing_edit", args=[live_filed.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert f'name="arrival_date" value="{start.date().isoformat()}"' in body
    assert f'name="arrival_from" value="{start:%H:%M}"' in body
    assert f'name="test_sampled_at" value="{sampled:%Y-%m-%dT%H:%M}"' in body
