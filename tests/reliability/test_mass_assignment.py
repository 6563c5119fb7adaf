"""Issue 8, test 12 (second half): status, approval, counters, prices, owners and money cannot be set
through request bodies. Each request adds the fields an attacker would try; the server-set values win.

Opening a buy with status/counters/prices in the body is covered by
tests/groupbuy/test_api.py::test_leader_opens_a_buy_and_read_only_fields_are_ignored.
"""

from decimal import Decimal

import pytest

from accounts.models import JoinRequest
from groupbuy.factories import GroupBuyFactory, OfferFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, Offer, Supplier
from settlement.models import Payment, PaymentState
from tests.settlement.conftest import ClosedBuy

pytestmark = pytest.mark.django_db

FORGED = {
    "status": "closed",
    "state": "confirmed",
    "approved": True,
    "is_approved": True,
    "amount": "0.01",
    "units": 999,
    "seq": 1,
    "total_units": 999,
    "entry_count": 999,
    "total_amount": "0.01",
    "unit_price": "0.01",
    "supplier_cost": "0.01",
    "paid": "9999",
    "id": 424242,
    "leader_id": None,
    "placed_by_id": None,
}


def forged(place, **extra):
    return {**FORGED, "leader_id": place.other_leader.user.pk, "placed_by_id": place.neighbour.user.pk, **extra}


def test_sign_up_body_cannot_set_amount_units_number_status_or_who_placed_it(place, api):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, item__offer__unit_price=Decimal("59"))
    signup(buy, place.neighbour, 1)
    item = main_item(buy)

    response = api(place.resident.user).post(
        f"/api/buys/{buy.pk}/entries/", {**forged(place), "quantities": {str(item.pk): 2}}, format="json"
    )

    assert response.status_code == 201, response.json()
    entry = Entry.objects.get(pk=response.json()["id"])
    assert entry.pk != 424242
    assert (entry.units, entry.amount, entry.seq, entry.status) == (2, Decimal("118.00"), 2, EntryStatus.ACTIVE)
    assert (entry.placed_by_id, entry.household_id) == (place.resident.user.pk, place.resident.household_id)
    buy.refresh_from_db()
    assert (buy.status, buy.total_units, buy.entry_count, buy.total_amount) == (
        BuyStatus.OPEN,
        3,
        2,
        Decimal("177.00"),
    )
    item.refresh_from_db()
    assert item.unit_price == Decimal("59.00")


def test_changing_an_entry_cannot_set_its_amount_or_status(place, api):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, item__offer__unit_price=Decimal("10"))
    entry = signup(buy, place.resident, 1)
    item = main_item(buy)

    response = api(place.resident.user).patch(
        f"/api/entries/{entry.pk}/", {**forged(place), "quantities": {str(item.pk): 3}}, format="json"
    )

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert (entry.units, entry.amount, entry.status, entry.seq) == (3, Decimal("30.00"), EntryStatus.ACTIVE, 1)
    assert GroupBuy.objects.get(pk=buy.pk).total_amount == Decimal("30.00")


def test_a_supplier_cannot_be_moved_to_another_community_through_its_body(place, other_place, api):
    offer = OfferFactory(supplier__community=place.community)
    supplier = offer.supplier

    response = api(place.leader.user).patch(
        f"/api/suppliers/{supplier.pk}/",
        {**forged(place), "name": "新名字", "community_id": other_place.community.pk, "community": 0},
        format="json",
    )

    assert response.status_code == 200, response.json()
    supplier.refresh_from_db()
    assert (supplier.name, supplier.community_id) == ("新名字", place.community.pk)
    assert Supplier.objects.filter(community=other_place.community).count() == 0


def test_an_offer_cannot_be_moved_to_another_supplier_through_its_body(place, other_place, api):
    offer = OfferFactory(supplier__community=place.community)
    elsewhere = OfferFactory(supplier__community=other_place.community).supplier

    response = api(place.leader.user).patch(
        f"/api/offers/{offer.pk}/",
        {**forged(place), "title": "新土豆", "supplier_id": elsewhere.pk, "supplier": elsewhere.pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert (offer.title, offer.supplier_id) == ("新土豆", place.community.suppliers.get().pk)
    assert Offer.objects.filter(supplier=elsewhere).count() == 1


def test_marking_a_payment_cannot_confirm_it_or_set_what_was_received(place, api):
    closed = ClosedBuy(place)

    response = api(place.resident.user).post(
        f"/api/settlement/entries/{closed.resident_entry.pk}/payment/",
        {**forged(place), "amount": "197", "method": "cash", "confirmed_at": "2026-01-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code in (200, 201), response.json()
    payment = Payment.objects.get(entry=closed.resident_entry)
    assert (payment.state, payment.paid, payment.marked_amount) == (PaymentState.MARKED, Decimal("0"), Decimal("197"))
    assert payment.marked_by_id == place.resident.user.pk


def test_a_join_request_cannot_approve_itself(place, api):
    from accounts.factories import UserFactory

    applicant = UserFactory()

    response = api(applicant).post(
        "/api/join-requests/",
        {
            **forged(place),
            "status": "approved",
            "decided_by": place.committee.user.pk,
            "community_id": place.community.pk,
            "building_id": place.building.pk,
            "room": "909",
            "name": "新邻居",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    request = JoinRequest.objects.get(user=applicant)
    assert (request.status, request.decided_by_id) == ("pending", None)
    assert not applicant.memberships.exists()


def test_a_filing_cannot_be_submitted_already_approved(place, api):
    from compliance.models import DeliveryPolicy, Filing, FilingStatus, Slip
    from tests.compliance.conftest import make_ordered_buy
    from tests.compliance.test_api import filing_payload

    DeliveryPolicy.objects.create(
        community=place.community, weekdays="0123456", lead_hours=0, gate_opens="00:00", gate_closes="23:59:59"
    )
    buy = make_ordered_buy(place)

    response = api(place.leader.user).post(
        f"/api/compliance/buys/{buy.pk}/filing/",
        filing_payload(status="approved", revision=9, approved_by=place.leader.user.pk, buy_id=0),
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    filing = Filing.objects.get()
    assert (filing.status, filing.revision, filing.buy_id) == (FilingStatus.SUBMITTED, 1, buy.pk)
    assert not Slip.objects.exists()
