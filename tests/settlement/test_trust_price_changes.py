"""Issue 13 item 3: a price change needs real consent. A minimum answer window, never an automatic acceptance of a
different product, and a filing whose goods changed goes back to re-filing (its slip no longer opens the gate)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from compliance.models import AuditEvent, Filing, FilingLine, FilingStatus, Slip
from compliance.services.filings import filing_resubmit, filing_submit
from compliance.services.gate import slip_verify
from compliance.services.review import filing_approve
from core.errors import ValidationFailed
from groupbuy.factories import OfferFactory
from groupbuy.models import BuyItem, BuyStatus, Entry, EntryStatus, GroupBuy
from settlement.models import ChangeDefault, ChangeStatus, PriceChange
from settlement.services.price_changes import (
    price_change_propose,
    price_change_respond,
    price_changes_sweep,
)
from tests.compliance.conftest import ARRIVAL_START, NOW, filing_kwargs
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def min_window(settings):
    settings.PRICE_CHANGE_MIN_ANSWER_HOURS = 12
    return 12


def propose(closed, *, hours=13, **kwargs):
    """A proposal by the buy's leader for the main item (59.00), answered within `hours` unless told otherwise."""
    values = {
        "actor": closed.place.leader.user,
        "buy": closed.buy,
        "item_id": closed.main.pk,
        "new_price": "49.00",
        "new_cost": "40.00",
        "reason": "The rice sold out.",
        "deadline": timezone.now() + timedelta(hours=hours or 0),
        "default_action": ChangeDefault.WITHDRAW,
    }
    values.update(kwargs)
    return price_change_propose(**values)


def past_deadline(change):
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(seconds=1))


def vegetable_set(closed):
    return OfferFactory(
        supplier=closed.main.offer.supplier,
        title="Vegetable set",
        unit_price=Decimal("45.00"),
        supplier_cost=Decimal("38.00"),
    )


# --- the answer window --------------------------------------------------------------------------------------------


def test_an_answer_window_shorter_than_the_minimum_is_refused(closed, min_window):
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        propose(closed, hours=None, deadline=timezone.now() + timedelta(seconds=5))
    assert exc.value.code == "answer_window_too_short"
    assert exc.value.detail == {"field": "deadline", "min_hours": 12}
    assert settlement_state(closed.buy) == before
    assert propose(closed, hours=12.1).status == ChangeStatus.OPEN


@pytest.mark.parametrize("deadline", [None, "tomorrow", "naive", "date"])
def test_an_answer_deadline_that_is_not_an_aware_future_time_is_refused_not_a_500(closed, deadline):
    """The deadline rule is groupbuy.services.dates.is_future_instant; a date used to raise AttributeError."""
    value = {
        None: None,
        "tomorrow": "2099-01-01T00:00:00+08:00",
        "naive": (timezone.now() + timedelta(days=1)).replace(tzinfo=None),
        "date": timezone.localdate() + timedelta(days=2),
    }[deadline]
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        propose(closed, hours=None, deadline=value)
    assert exc.value.code == "invalid_deadline"
    assert settlement_state(closed.buy) == before


def test_an_answer_window_shorter_than_the_minimum_is_refused_through_the_api(closed, place, api, min_window):
    before = settlement_state(closed.buy)
    r = api(place.leader.user).post(
        f"/api/settlement/buys/{closed.buy.pk}/price-changes/",
        {
            "item_id": closed.main.pk,
            "new_price": "49",
            "reason": "sold out",
            "deadline": (timezone.now() + timedelta(seconds=5)).isoformat(),
            "default_action": "accept_if_cheaper",
        },
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (400, "answer_window_too_short")
    assert settlement_state(closed.buy) == before


def test_an_answer_window_shorter_than_the_minimum_is_refused_on_the_page(closed, place, web, min_window):
    before = settlement_state(closed.buy)
    deadline = timezone.localtime() + timedelta(hours=1)
    response = web(place.leader.user).post(
        reverse("settlement:price_change_new", kwargs={"pk": closed.buy.pk}),
        {
            "item": closed.main.pk,
            "new_price": "49",
            "reason": "sold out",
            "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
            "default_action": "withdraw",
        },
    )
    assert response.status_code == 400
    assert "Give people at least 12 hours to answer." in response.content.decode()
    assert settlement_state(closed.buy) == before


# --- never accept a different product for anyone -------------------------------------------------------------------


def test_a_substitution_cannot_be_accepted_by_default(closed):
    offer = vegetable_set(closed)
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        propose(closed, new_offer_id=offer.pk, new_price="45", new_cost="", default_action="accept_if_cheaper")
    assert exc.value.code == "substitution_needs_consent"
    assert settlement_state(closed.buy) == before


def test_a_substitution_cannot_be_accepted_by_default_through_the_api_or_the_page(closed, place, api, web):
    offer = vegetable_set(closed)
    before = settlement_state(closed.buy)
    deadline = timezone.localtime() + timedelta(hours=24)
    r = api(place.leader.user).post(
        f"/api/settlement/buys/{closed.buy.pk}/price-changes/",
        {
            "item_id": closed.main.pk,
            "new_offer_id": offer.pk,
            "new_price": "45",
            "reason": "sold out",
            "deadline": deadline.isoformat(),
            "default_action": "accept_if_cheaper",
        },
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (400, "substitution_needs_consent")
    response = web(place.leader.user).post(
        reverse("settlement:price_change_new", kwargs={"pk": closed.buy.pk}),
        {
            "item": closed.main.pk,
            "new_offer": offer.pk,
            "new_price": "45",
            "reason": "sold out",
            "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
            "default_action": "accept_if_cheaper",
        },
    )
    assert response.status_code == 400
    assert "Nobody is switched to a different product without saying yes" in response.content.decode()
    assert settlement_state(closed.buy) == before


def test_the_sweep_never_accepts_a_different_product_for_anyone(closed, place):
    """Even a change stored with accept_if_cheaper (before the rule existed) withdraws everyone who did not answer."""
    offer = vegetable_set(closed)
    change = propose(closed, new_offer_id=offer.pk, new_price="45", new_cost="")
    PriceChange.objects.filter(pk=change.pk).update(default_action=ChangeDefault.ACCEPT_IF_CHEAPER)
    past_deadline(change)
    assert price_changes_sweep() == 1
    for entry in (closed.resident_entry, closed.neighbour_entry):
        assert not Entry.objects.get(pk=entry.pk).lines.filter(item_id=closed.main.pk).exists()
    assert Entry.objects.get(pk=closed.neighbour_entry.pk).status == EntryStatus.WITHDRAWN
    assert set(change.responses.values_list("choice", flat=True)) == {"withdraw"}


def test_the_sweep_still_accepts_a_pure_price_decrease_of_the_same_product(closed):
    change = propose(closed, default_action=ChangeDefault.ACCEPT_IF_CHEAPER)
    past_deadline(change)
    price_changes_sweep()
    entry = Entry.objects.get(pk=closed.neighbour_entry.pk)
    assert (entry.status, entry.amount) == (EntryStatus.ACTIVE, Decimal("343.00"))


# --- a filing whose goods changed goes back to re-filing -----------------------------------------------------------


@pytest.fixture
def approved_closed(closed, place):
    filing = filing_submit(actor=place.leader.user, buy=closed.buy, **filing_kwargs())
    slip = filing_approve(actor=place.committee.user, filing=filing, now=NOW)
    assert slip_verify(actor=place.gate_guard.user, community=place.community, code=slip.code, now=ARRIVAL_START).ok
    return closed, filing, slip


def test_a_substitution_sends_the_approved_filing_back_to_refiling(approved_closed, place):
    closed, filing, slip = approved_closed
    offer = vegetable_set(closed)
    change = propose(closed, new_offer_id=offer.pk, new_price="45", new_cost="")
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    past_deadline(change)
    assert price_changes_sweep() == 1

    filing.refresh_from_db()
    assert filing.status == FilingStatus.REJECTED
    assert filing.reject_reason == "the goods changed after a price change"
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.ORDERED
    assert not Slip.objects.filter(pk=slip.pk).exists()
    gate = slip_verify(actor=place.gate_guard.user, community=place.community, code=slip.code, now=ARRIVAL_START)
    assert gate.result == "invalid"
    event = AuditEvent.objects.filter(kind="filing_goods_changed").get()
    assert (event.subject, event.data["slip_revoked"]) == (f"filing:{filing.pk}", True)
    assert Notification.objects.filter(user=place.leader.user, kind="filing_rejected").count() == 1
    # The leader files the new goods again; the filing names the vegetable set.
    assert BuyItem.objects.get(pk=closed.main.pk).offer_id == offer.pk
    filing_resubmit(actor=place.leader.user, filing=filing, **filing_kwargs(documents=None))
    titles = set(FilingLine.objects.filter(filing=filing).values_list("title", flat=True))
    assert "Vegetable set" in titles
    assert Filing.objects.get(pk=filing.pk).status == FilingStatus.SUBMITTED


def test_a_pending_filing_whose_goods_changed_goes_back_to_refiling(closed, place):
    filing = filing_submit(actor=place.leader.user, buy=closed.buy, **filing_kwargs())
    change = propose(closed, new_price="69.00", new_cost="60.00")  # dearer: whoever does not answer is withdrawn
    past_deadline(change)
    price_changes_sweep()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.REJECTED
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.ORDERED


def test_a_price_change_that_leaves_the_goods_alone_keeps_the_filing_approved(approved_closed, place):
    closed, filing, slip = approved_closed
    change = propose(closed)
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    price_change_respond(actor=place.neighbour.user, change=change, entry=closed.neighbour_entry, choice="accept")
    filing.refresh_from_db()
    assert Filing.objects.get(pk=filing.pk).status == FilingStatus.APPROVED
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.APPROVED
    assert slip_verify(actor=place.gate_guard.user, community=place.community, code=slip.code, now=ARRIVAL_START).ok
    assert not AuditEvent.objects.filter(kind="filing_goods_changed").exists()


def test_the_price_change_form_states_the_minimum_window_and_the_default_rule(closed, place, web, min_window):
    response = web(place.leader.user).get(reverse("settlement:price_change_new", kwargs={"pk": closed.buy.pk}))
    body = response.content.decode()
    assert "At least 12 hours from now." in body
    assert "applies only to a lower price of the same product" in body
