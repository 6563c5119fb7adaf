"""Issue 13 item 1 (donations follow the rules of an entry) and item 6, first half (residents never see who
received a donation: the recipients are the committee-only vulnerable list). API and pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.factories import HouseholdFactory
from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import BuyItem, GroupBuy, PurchaseOrderLine
from groupbuy.services.buys import group_buy_close
from settlement.models import Donation, DonationState
from settlement.services.donations import donation_add, donation_assign
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def donations_url(buy):
    return reverse("api-settlement-donations", kwargs={"pk": buy.pk})


def action_url(donation):
    return reverse("api-settlement-donation-action", kwargs={"donation_pk": donation.pk})


def page_url(buy):
    return reverse("settlement:donations", kwargs={"pk": buy.pk})


def page_action_url(donation):
    return reverse("settlement:donation_action", kwargs={"donation_pk": donation.pk})


def refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.content
    return response.json()


def order_lines(buy):
    return list(PurchaseOrderLine.objects.filter(order__buy=buy).order_by("item_id").values_list("item_id", "quantity"))


def stock(item):
    return BuyItem.objects.get(pk=item.pk).total_quantity


@pytest.fixture
def capped(place):
    """An open buy whose main item has 5 units in stock (MOQ far away, so it stays open)."""
    return GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("100"), item__cap=5)


# --- only while the buy takes sign-ups ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 1000000])
def test_a_donation_on_a_closed_buy_is_refused_and_leaves_the_purchase_order_alone(closed, place, api, quantity):
    before, lines = settlement_state(closed.buy), order_lines(closed.buy)

    response = api(place.resident.user).post(
        donations_url(closed.buy), {"item_id": closed.extra.pk, "quantity": quantity}, format="json"
    )

    assert response.status_code in (400, 409), response.content
    assert response.json()["code"] in ("group_buy_closed", "over_donation_limit")
    assert settlement_state(closed.buy) == before
    assert order_lines(closed.buy) == lines
    assert not Donation.objects.exists()


def test_a_donation_on_a_closed_buy_answers_group_buy_closed(closed, place, api):
    response = api(place.resident.user).post(
        donations_url(closed.buy), {"item_id": closed.extra.pk, "quantity": 1}, format="json"
    )
    refused(response, 409, "group_buy_closed")
    assert not Donation.objects.exists()


def test_a_donation_after_the_deadline_is_refused(capped, place, api):
    GroupBuy.objects.filter(pk=capped.pk).update(deadline=capped.opened_at)
    response = api(place.resident.user).post(
        donations_url(capped), {"item_id": main_item(capped).pk, "quantity": 1}, format="json"
    )
    refused(response, 409, "deadline_passed")
    assert not Donation.objects.exists()
    assert stock(main_item(capped)) == 0


def test_the_donations_page_refuses_a_donation_on_a_closed_buy(closed, place, web):
    before, lines = settlement_state(closed.buy), order_lines(closed.buy)
    response = web(place.resident.user).post(page_url(closed.buy), {"item": closed.extra.pk, "quantity": "1"})
    assert response.status_code == 409
    assert settlement_state(closed.buy) == before
    assert order_lines(closed.buy) == lines


def test_a_donation_made_before_the_close_is_ordered_and_never_changes_after(place, api):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1"))
    signup(buy, place.neighbour, 2)
    donation = donation_add(actor=place.resident.user, buy=buy, item_id=main_item(buy).pk, quantity=3)
    assert group_buy_close(buy_id=buy.pk)
    assert order_lines(buy) == [(main_item(buy).pk, 5)]

    refused(
        api(place.resident.user).post(action_url(donation), {"action": "withdraw"}, format="json"),
        409,
        "group_buy_closed",
    )
    refused(
        api(place.leader.user).post(action_url(donation), {"action": "withdraw"}, format="json"),
        409,
        "group_buy_closed",
    )
    refused(
        api(place.resident.user).post(donations_url(buy), {"item_id": main_item(buy).pk, "quantity": 1}, format="json"),
        409,
        "group_buy_closed",
    )
    assert list(Donation.objects.values_list("pk", "quantity")) == [(donation.pk, 3)]
    assert order_lines(buy) == [(main_item(buy).pk, 5)]


# --- a per-person limit ----------------------------------------------------------------------------------------


def test_a_donation_over_the_per_person_limit_is_refused(place, api, settings):
    settings.DONATION_MAX_PORTIONS_PER_PERSON = 3
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("100"))
    item = main_item(buy)
    client = api(place.resident.user)

    body = refused(
        client.post(donations_url(buy), {"item_id": item.pk, "quantity": 1000000}, format="json"),
        400,
        "over_donation_limit",
    )
    assert body["detail"] == {"field": "quantity", "limit": 3, "remaining": 3}
    assert client.post(donations_url(buy), {"item_id": item.pk, "quantity": 2}, format="json").status_code == 201
    body = refused(
        client.post(donations_url(buy), {"item_id": item.pk, "quantity": 2}, format="json"), 400, "over_donation_limit"
    )
    assert body["detail"]["remaining"] == 1
    assert client.post(donations_url(buy), {"item_id": item.pk, "quantity": 1}, format="json").status_code == 201
    # Another person has a limit of their own.
    assert (
        api(place.neighbour.user)
        .post(donations_url(buy), {"item_id": item.pk, "quantity": 3}, format="json")
        .status_code
        == 201
    )
    assert sorted(Donation.objects.values_list("donor_id", "quantity")) == sorted(
        [(place.resident.user.pk, 2), (place.resident.user.pk, 1), (place.neighbour.user.pk, 3)]
    )
    assert stock(item) == 6


def test_a_buy_with_a_household_limit_uses_it_for_donations(place, api, settings):
    settings.DONATION_MAX_PORTIONS_PER_PERSON = 50
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("100"), household_limit=2)
    response = api(place.resident.user).post(
        donations_url(buy), {"item_id": main_item(buy).pk, "quantity": 3}, format="json"
    )
    assert refused(response, 400, "over_donation_limit")["detail"]["limit"] == 2
    assert not Donation.objects.exists()


# --- against the cap -----------------------------------------------------------------------------------------


def test_donations_and_signups_draw_on_the_same_capped_stock(capped, place, api):
    item = main_item(capped)
    signup(capped, place.neighbour, 3)
    client = api(place.resident.user)

    refused(client.post(donations_url(capped), {"item_id": item.pk, "quantity": 3}, format="json"), 409, "over_cap")
    assert stock(item) == 3
    assert not Donation.objects.exists()

    assert client.post(donations_url(capped), {"item_id": item.pk, "quantity": 2}, format="json").status_code == 201
    assert stock(item) == 5
    refused(
        api(place.data_volunteer.user).post(
            reverse("api-buy-entries", kwargs={"pk": capped.pk}), {"quantities": {str(item.pk): 1}}, format="json"
        ),
        409,
        "over_cap",
    )


# --- withdraw and remove until the close -----------------------------------------------------------------------


def test_the_donor_withdraws_a_donation_and_its_units_go_back_in_stock(capped, place, api):
    item = main_item(capped)
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=item.pk, quantity=2)
    assert stock(item) == 2

    response = api(place.resident.user).post(action_url(donation), {"action": "withdraw"}, format="json")

    assert response.status_code == 204, response.content
    assert not Donation.objects.exists()
    assert stock(item) == 0
    # Twice is refused with a code, not a 500.
    refused(
        api(place.resident.user).post(action_url(donation), {"action": "withdraw"}, format="json"), 404, "not_found"
    )


def test_the_buys_leader_removes_a_donation(capped, place, api):
    item = main_item(capped)
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=item.pk, quantity=2)
    response = api(place.leader.user).post(action_url(donation), {"action": "withdraw"}, format="json")
    assert response.status_code == 204, response.content
    assert not Donation.objects.exists()
    assert stock(item) == 0


@pytest.mark.parametrize("who", ["neighbour", "other_leader", "data_volunteer", "committee"])
def test_nobody_else_withdraws_a_donation(capped, place, api, who):
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=main_item(capped).pk, quantity=2)
    before = settlement_state(capped)
    response = api(getattr(place, who).user).post(action_url(donation), {"action": "withdraw"}, format="json")
    assert response.status_code == 403, response.content
    assert settlement_state(capped) == before
    assert stock(main_item(capped)) == 2


def test_a_paid_donation_cannot_be_withdrawn(capped, place, api):
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=main_item(capped).pk, quantity=2)
    Donation.objects.filter(pk=donation.pk).update(state=DonationState.PAID)
    refused(
        api(place.resident.user).post(action_url(donation), {"action": "withdraw"}, format="json"), 409, "donation_paid"
    )
    assert Donation.objects.filter(pk=donation.pk).exists()
    assert stock(main_item(capped)) == 2


def test_the_donor_withdraws_from_the_page(capped, place, web):
    item = main_item(capped)
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=item.pk, quantity=2)
    client = web(place.resident.user)
    assert 'value="withdraw"' in client.get(page_url(capped)).content.decode()

    response = client.post(page_action_url(donation), {"action": "withdraw"})

    assert response.status_code == 302
    assert not Donation.objects.exists()
    assert stock(item) == 0


def test_the_buys_leader_removes_a_donation_from_the_page(capped, place, web):
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=main_item(capped).pk, quantity=2)
    client = web(place.leader.user)
    assert 'value="withdraw"' in client.get(page_url(capped)).content.decode()
    assert client.post(page_action_url(donation), {"action": "withdraw"}).status_code == 302
    assert not Donation.objects.exists()
    assert stock(main_item(capped)) == 0


def test_after_the_close_the_page_offers_neither_a_donation_form_nor_a_withdraw_button(closed, place, web):
    Donation.objects.create(
        buy=closed.buy, item=closed.extra, quantity=1, amount=Decimal("20.00"), donor=place.resident.user
    )
    page = web(place.resident.user).get(page_url(closed.buy)).content.decode()
    assert 'value="withdraw"' not in page
    assert 'name="quantity"' not in page


def test_a_neighbour_has_no_withdraw_button_and_is_refused_on_the_page(capped, place, web):
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=main_item(capped).pk, quantity=2)
    client = web(place.neighbour.user)
    assert 'value="withdraw"' not in client.get(page_url(capped)).content.decode()
    client.post(page_action_url(donation), {"action": "withdraw"})
    assert Donation.objects.filter(pk=donation.pk).exists()
    assert stock(main_item(capped)) == 2


# --- item 6: who received a donation -------------------------------------------------------------------------


@pytest.fixture
def assigned(capped, place):
    """A donation given to a household on the committee's vulnerable list (room 909, seen by nobody else)."""
    vulnerable = HouseholdFactory(community=place.community, building=place.building, room="909", is_vulnerable=True)
    donation = donation_add(actor=place.resident.user, buy=capped, item_id=main_item(capped).pk, quantity=1)
    donation_assign(actor=place.leader.user, donation=donation, recipient_id=vulnerable.pk)
    return donation, vulnerable


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("resident", False),
        ("neighbour", False),
        ("data_volunteer", False),
        ("receiving_volunteer", False),
        ("building_leader", False),
        ("other_leader", False),
        ("leader", True),
        ("committee", True),
    ],
)
def test_only_the_leader_and_the_committee_see_donation_recipients_in_the_api(capped, place, api, assigned, who, sees):
    donation, vulnerable = assigned
    rows = api(getattr(place, who).user).get(donations_url(capped)).json()
    assert [row["id"] for row in rows] == [donation.pk]
    assert rows[0]["recipient"] == (vulnerable.label if sees else None)
    assert vulnerable.label not in str(rows) or sees


@pytest.mark.parametrize(
    ("who", "sees"), [("resident", False), ("data_volunteer", False), ("leader", True), ("committee", True)]
)
def test_only_the_leader_and_the_committee_see_donation_recipients_on_the_page(capped, place, web, assigned, who, sees):
    _donation, vulnerable = assigned
    page = web(getattr(place, who).user).get(page_url(capped))
    assert page.status_code == 200
    assert (vulnerable.label in page.content.decode()) is sees


def test_the_donors_own_answer_does_not_name_the_recipient(capped, place, api, assigned):
    donation, _vulnerable = assigned
    Donation.objects.filter(pk=donation.pk).update(state=DonationState.PLEDGED)
    rows = api(place.resident.user).get(donations_url(capped)).json()
    assert rows == [
        {
            "id": donation.pk,
            "item_id": main_item(capped).pk,
            "quantity": 1,
            "amount": "59.00",
            "recipient": None,
            "state": "pledged",
            "mine": True,
        }
    ]
