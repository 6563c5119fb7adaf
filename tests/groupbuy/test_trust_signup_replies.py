"""Issue 13 items 4 and 17: what a sign-up answers when the request repeats, or the household is already in.

Item 4: an `Idempotency-Key` replayed with a different body is refused (409 `idempotency_mismatch`), the same
body still replays the first entry. Item 17: a second sign-up by the same household on a full buy answers
`already_signed_up`, not `over_cap`. Run on PostgreSQL (the test command's database).
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from groupbuy import exceptions as err
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, buy_state, main_item, signup
from groupbuy.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def buy(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("3"))


def entries_url(buy):
    return reverse("api-buy-entries", kwargs={"pk": buy.pk})


def refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.content
    return response.json()


# --- item 4: idempotency keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    [
        lambda main, extra: {"quantities": {str(main): 3}},
        lambda main, extra: {"quantities": {str(main): 2, str(extra): 1}},
        lambda main, extra: {"quantities": {str(main): 2}, "note": "放门口"},
    ],
    ids=["other-quantity", "other-item", "other-note"],
)
def test_replaying_a_key_with_a_different_body_is_refused_and_changes_nothing(place, api, buy, second):
    extra = BuyItemFactory(buy=buy)
    client = api(place.resident.user)
    first = client.post(
        entries_url(buy), {"quantities": {str(main_item(buy).pk): 2}}, format="json", headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201, first.content
    before = buy_state(buy)
    body = second(main_item(buy).pk, extra.pk)

    again = client.post(entries_url(buy), body, format="json", headers={"Idempotency-Key": "k-1"})

    refused(again, 409, "idempotency_mismatch")
    assert buy_state(buy) == before


def test_replaying_a_key_with_the_same_body_returns_the_first_entry(place, api, buy):
    client = api(place.resident.user)
    payload = {"quantities": {str(main_item(buy).pk): 2}, "note": "  放门口 "}
    first = client.post(entries_url(buy), payload, format="json", headers={"Idempotency-Key": "k-2"})
    before = buy_state(buy)
    # The same request, written differently (key order, a quantity as a string, spaces around the note).
    again = client.post(
        entries_url(buy),
        {"note": "放门口", "quantities": {str(main_item(buy).pk): "2"}},
        format="json",
        headers={"Idempotency-Key": "k-2"},
    )
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert again.json()["id"] == first.json()["id"]
    assert buy_state(buy) == before


def test_a_key_longer_than_64_characters_is_refused_by_the_api(place, api, buy):
    before = buy_state(buy)
    response = api(place.resident.user).post(
        entries_url(buy),
        {"quantities": {str(main_item(buy).pk): 1}},
        format="json",
        headers={"Idempotency-Key": "k" * 65},
    )
    assert refused(response, 400, "invalid")["detail"] == {"field": "idempotency_key"}
    assert buy_state(buy) == before


def test_the_join_page_refuses_a_replayed_key_with_a_different_body(place, web, buy):
    client = web(place.resident.user)
    url = reverse("groupbuy:buy_join", kwargs={"pk": buy.pk})
    field = f"q_{main_item(buy).pk}"
    first = client.post(url, {field: "1", "idempotency_key": "page-key"})
    assert first.status_code == 302
    before = buy_state(buy)

    again = client.post(url, {field: "2", "idempotency_key": "page-key"})

    assert again.status_code == 409
    assert escape(str(err.idempotency_mismatch().message)) in again.content.decode()
    assert buy_state(buy) == before
    # The same form sent twice (a double tap) still lands on the first entry.
    assert client.post(url, {field: "1", "idempotency_key": "page-key"}).status_code == 302
    assert buy_state(buy) == before


# --- item 17: the household check wins over the cap ----------------------------------------------------------------


def test_a_second_signup_on_a_full_buy_answers_already_signed_up(place, api):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("3"), item__cap=3)
    first = signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)  # the item is now full
    before = buy_state(buy)

    response = api(place.resident.user).post(
        entries_url(buy), {"quantities": {str(main_item(buy).pk): 1}}, format="json"
    )

    body = refused(response, 409, "already_signed_up")
    assert body["detail"]["entry"] == first.pk
    assert buy_state(buy) == before
    assert Entry.objects.filter(buy=buy).count() == 2


def test_a_first_signup_on_a_full_buy_still_answers_over_cap(place, api):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("3"), item__cap=1)
    signup(buy, place.neighbour, 1)
    before = buy_state(buy)
    response = api(place.resident.user).post(
        entries_url(buy), {"quantities": {str(main_item(buy).pk): 1}}, format="json"
    )
    refused(response, 409, "over_cap")
    assert buy_state(buy) == before
