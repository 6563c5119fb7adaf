"""Issue 16, item 3: the leader's irreversible buttons (立即截单, 取消) ask first and say what will happen
(core.pages.confirm_first). Without `confirm=yes` the answer is the confirmation page and nothing changes; with it the
action happens; anyone else is refused before any confirmation is shown."""

from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import GroupBuyFactory, buy_state, signup
from groupbuy.models import BuyStatus, PurchaseOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def buy(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜套餐", moq=Decimal("3"))


def test_close_now_asks_first_and_says_the_list_stops(place, web, buy):
    signup(buy, place.resident, 3)
    client = web(place.leader.user)
    before = buy_state(buy)
    response = client.post(reverse("groupbuy:buy_close_now", args=[buy.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "data-consequence" in text
    assert "Sign-ups stop now" in text
    assert "cannot be undone" in text
    assert 'name="confirm" value="yes"' in text
    assert f'action="{reverse("groupbuy:buy_close_now", args=[buy.pk])}"' in text
    assert buy_state(buy) == before
    assert not PurchaseOrder.objects.filter(buy=buy).exists()

    response = client.post(reverse("groupbuy:buy_close_now", args=[buy.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    buy.refresh_from_db()
    assert buy.status == BuyStatus.CLOSED


def test_cancel_asks_first_carrying_the_reason(place, web, buy):
    signup(buy, place.resident, 1)
    client = web(place.leader.user)
    before = buy_state(buy)
    response = client.post(reverse("groupbuy:buy_cancel", args=[buy.pk]), {"reason": "供应商缺货"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "everyone in it is told" in text
    assert "供应商缺货" in text
    assert 'name="reason" value="供应商缺货"' in text  # the confirmed post sends the same reason
    assert buy_state(buy) == before
    assert not place.resident.user.notifications.filter(kind="buy_cancelled").exists()

    response = client.post(reverse("groupbuy:buy_cancel", args=[buy.pk]), {"reason": "供应商缺货", "confirm": "yes"})
    assert response.status_code == 302
    buy.refresh_from_db()
    assert (buy.status, buy.cancel_reason) == (BuyStatus.CANCELLED, "供应商缺货")


@pytest.mark.parametrize("action", ["buy_close_now", "buy_cancel"])
@pytest.mark.parametrize("who", ["other_leader", "resident"])
def test_no_confirmation_is_offered_to_someone_who_may_not_act(place, web, buy, action, who):
    signup(buy, place.resident, 3)
    before = buy_state(buy)
    response = web(getattr(place, who).user).post(reverse(f"groupbuy:{action}", args=[buy.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert "data-consequence" not in response.content.decode()
    assert buy_state(buy) == before
