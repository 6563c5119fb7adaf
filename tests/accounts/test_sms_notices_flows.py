"""Issue 15, item 7, through the real services: the events that need a resident's action send one SMS to each
person concerned after commit (buy formed, buy failed, a price change to answer, a refund sent back), and the
same event again sends nothing more."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Notification, SmsState
from core import sms
from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import BuyStatus, GroupBuy
from groupbuy.services.lifecycle import group_buy_fail, group_buy_notify_formed
from settlement.models import PickupCode, Refund
from settlement.services.distribution import pickup_codes_issue, pickup_ready_notify
from settlement.services.payments import payment_confirm, payment_mark, refund_mark_paid_back
from settlement.services.price_changes import price_change_propose
from tests.settlement.conftest import ClosedBuy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemBackend"
    settings.SITE_URL = "https://jielong.example.org"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def texted(outbox, kind):
    return sorted(m.phone for m in outbox if m.purpose == f"notice:{kind}")


def test_a_buy_that_forms_texts_its_participants_and_leader_once(place, django_capture_on_commit_callbacks, outbox):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
    with django_capture_on_commit_callbacks(execute=True):
        signup(buy, place.resident, 1)
        signup(buy, place.neighbour, 1)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    people = [place.resident.user, place.neighbour.user, place.leader.user]
    assert texted(outbox, "buy_formed") == sorted(u.phone for u in people)
    with django_capture_on_commit_callbacks(execute=True):
        group_buy_notify_formed(buy_id=buy.pk)  # the sweep's repair racing the task: nothing more
    assert len(outbox) == 3


def test_a_buy_that_fails_texts_the_released_households(place, django_capture_on_commit_callbacks, outbox):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"))
    signup(buy, place.resident, 1)
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        group_buy_fail(buy_id=buy.pk)
    with django_capture_on_commit_callbacks(execute=True):
        group_buy_fail(buy_id=buy.pk)
    assert texted(outbox, "buy_failed") == sorted([place.resident.user.phone, place.leader.user.phone])


def test_a_price_change_texts_the_households_that_must_answer(place, django_capture_on_commit_callbacks, outbox):
    closed = ClosedBuy(place)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        price_change_propose(
            actor=place.leader.user,
            buy=closed.buy,
            item_id=closed.extra.pk,
            new_price="25",
            reason="dearer at the market",
            deadline=timezone.now() + timedelta(hours=1),
        )
    # Only the resident ordered the extra item.
    assert place.resident.user.phone in texted(outbox, "price_change_proposed")
    assert place.neighbour.user.phone not in texted(outbox, "price_change_proposed")


def test_a_refund_sent_back_asks_the_household_to_confirm_once(place, django_capture_on_commit_callbacks, outbox):
    closed = ClosedBuy(place)
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="200", method="wechat")
    payment_confirm(actor=place.data_volunteer.user, entry=closed.resident_entry)
    refund = Refund.objects.get()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refund_mark_paid_back(actor=place.leader.user, refund=refund)
    with django_capture_on_commit_callbacks(execute=True):
        refund_mark_paid_back(actor=place.leader.user, refund=refund)  # already paid back: nothing more
    assert texted(outbox, "refund_paid_back") == [place.resident.user.phone]
    notice = Notification.objects.get(kind="refund_paid_back")
    assert notice.sms_state == SmsState.SENT
    assert notice.params["amount"] == str(refund.amount)
    assert "sent back" in outbox[0].text
    # The SMS leads to the entry's card on 我的订单, where the household confirms.
    assert f"entry={closed.resident_entry.pk}" in notice.link
    assert outbox[0].text.endswith(" https://jielong.example.org" + notice.link)


def test_released_goods_text_each_household_its_own_pickup_code_once(place, django_capture_on_commit_callbacks, outbox):
    closed = ClosedBuy(place)
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    assert outbox == []  # codes exist, but the goods are not released yet
    closed.set_status(BuyStatus.RELEASED)
    with django_capture_on_commit_callbacks(execute=True):
        pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    with django_capture_on_commit_callbacks(execute=True):
        pickup_ready_notify(buy_id=closed.buy.pk)
    texts = {m.phone: m.text for m in outbox if m.purpose == "notice:pickup_ready"}
    assert len(outbox) == len(texts) == 2
    for membership, entry in ((place.resident, closed.resident_entry), (place.neighbour, closed.neighbour_entry)):
        assert PickupCode.objects.get(entry=entry).code in texts[membership.user.phone]
