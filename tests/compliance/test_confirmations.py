"""Issue 16, item 3: the committee's and the gate's irreversible buttons (暂停送货, lifting a suspension, releasing
goods) ask first and say what will happen (core.pages.confirm_first): without `confirm=yes` nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import Filing, FilingStatus, Suspension
from compliance.services.policy import suspension_create
from groupbuy.models import BuyStatus, GroupBuy

pytestmark = pytest.mark.django_db


def suspension_form(filing):
    start = timezone.localtime(filing.arrival_start - timedelta(hours=1))
    return {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "case found",
    }


def test_suspending_asks_first_and_says_deliveries_go_on_hold(place, live_approved, web):
    client = web(place.committee.user)
    url = reverse("compliance:suspensions", args=[place.community.pk])
    response = client.post(url, suspension_form(live_approved))
    assert response.status_code == 200
    text = response.content.decode()
    assert "data-consequence" in text
    assert "go on hold" in text
    assert 'name="reason" value="case found"' in text
    assert not Suspension.objects.exists()
    live_approved.refresh_from_db()
    assert live_approved.status == FilingStatus.APPROVED

    response = client.post(url, {**suspension_form(live_approved), "confirm": "yes"})
    assert response.status_code == 302
    live_approved.refresh_from_db()
    assert live_approved.status == FilingStatus.ON_HOLD


def test_an_invalid_suspension_form_is_shown_again_not_confirmed(place, web):
    response = web(place.committee.user).post(
        reverse("compliance:suspensions", args=[place.community.pk]), {"starts_at": "soon", "reason": ""}
    )
    assert "data-consequence" not in response.content.decode()
    assert not Suspension.objects.exists()


def test_lifting_a_suspension_asks_first(place, live_approved, web):
    now = timezone.now()
    suspension = suspension_create(
        actor=place.committee.user,
        community=place.community,
        starts_at=live_approved.arrival_start - timedelta(hours=1),
        ends_at=live_approved.arrival_end + timedelta(days=1),
        reason="case found",
        now=now,
    )
    client = web(place.committee.user)
    url = reverse("compliance:suspension_lift", args=[suspension.pk])
    response = client.post(url)
    assert response.status_code == 200
    assert "approved again" in response.content.decode()
    suspension.refresh_from_db()
    assert suspension.lifted_at is None

    assert client.post(url, {"confirm": "yes"}).status_code == 302
    suspension.refresh_from_db()
    assert suspension.lifted_at is not None


def test_releasing_goods_asks_first(place, live_approved, web):
    now = timezone.now()
    Filing.objects.filter(pk=live_approved.pk).update(
        arrived_at=now - timedelta(minutes=60), disinfected_at=now - timedelta(minutes=40)
    )
    GroupBuy.objects.filter(pk=live_approved.buy_id).update(status=BuyStatus.DISINFECTED)
    client = web(place.receiving_volunteer.user)
    url = reverse("compliance:release", args=[live_approved.pk])
    response = client.post(url)
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert GroupBuy.objects.get(pk=live_approved.buy_id).status == BuyStatus.DISINFECTED
    assert Filing.objects.get(pk=live_approved.pk).released_at is None

    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert GroupBuy.objects.get(pk=live_approved.buy_id).status == BuyStatus.RELEASED


@pytest.mark.parametrize("who", ["resident", "leader"])
def test_no_release_confirmation_for_someone_who_may_not_release(place, live_approved, web, who):
    response = web(getattr(place, who).user).post(reverse("compliance:release", args=[live_approved.pk]))
    assert response.status_code == 403
    assert "data-consequence" not in response.content.decode()
