"""Issue 16, item 6: the hand-out table (核销). An order is found by its pickup code, 接龙 number, room or a phone's
last four digits among this buy's entries; a partial pick-up and the rest later are two records; the code is
handed over, and the buy completed, only when nothing is left to come."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from groupbuy.models import BuyStatus, EntryLine, GroupBuy
from settlement.models import Handover, HandoverLine, PickupCode, PickupState
from settlement.selectors import (
    distribution_progress_list,
    handout_find,
    handout_order_get,
    handout_query_is_code,
    pick_list_get,
)
from settlement.services.distribution import pickup_codes_issue, pickup_hand_over
from settlement.services.payments import payment_confirm, payment_mark
from tests.settlement.conftest import ClosedBuy, make_residents
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def released(closed):
    pickup_codes_issue(actor=closed.place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    pickup_codes_issue(actor=closed.place.leader.user, buy=closed.buy)
    return closed.refresh()


def lines_of(entry):
    return {line.item_id: line for line in EntryLine.objects.filter(entry=entry)}


def url(closed, query=""):
    return reverse("settlement:handover", kwargs={"pk": closed.buy.pk}) + query


# --- the service: partial, then the rest ------------------------------------------------------------------------


def test_a_partial_pick_up_then_the_rest_makes_two_records_and_completes_only_at_the_end(closed, place):
    released(closed)
    entry = closed.resident_entry  # 3 main + 1 extra
    main, extra = lines_of(entry)[closed.main.pk], lines_of(entry)[closed.extra.pk]
    volunteer, leader = place.receiving_volunteer.user, place.leader.user
    pickup_hand_over(actor=leader, buy=closed.buy, entry_id=closed.neighbour_entry.pk)

    first = pickup_hand_over(
        actor=volunteer, buy=closed.buy, entry_id=entry.pk, handed={main.pk: 2, extra.pk: 0}, note="rest tomorrow"
    )

    assert first.state == PickupState.PARTIAL
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.DISTRIBUTING  # someone still has goods to come
    order = handout_order_get(user=volunteer, buy=closed.buy, entry_id=entry.pk)
    assert [(row["gets"], row["given"], row["to_come"]) for row in order["lines"]] == [(3, 2, 1), (1, 0, 1)]

    second = pickup_hand_over(actor=leader, buy=closed.buy, entry_id=entry.pk)  # lines left out: the rest in full

    assert second.state == PickupState.HANDED_OVER
    visits = list(Handover.objects.filter(pickup=second).order_by("pk"))
    assert [(v.by, v.note) for v in visits] == [(volunteer, "rest tomorrow"), (leader, "")]
    assert [sorted(visit.lines.values_list("line_id", "expected", "handed")) for visit in visits] == [
        sorted([(main.pk, 3, 2), (extra.pk, 1, 0)]),
        sorted([(main.pk, 1, 1), (extra.pk, 1, 1)]),
    ]
    records = handout_order_get(user=volunteer, buy=closed.buy, entry_id=entry.pk)["records"]
    assert [[(hl.line_id, hl.handed) for hl in record.lines.all()] for record in records] == [
        [(main.pk, 2)],
        sorted([(main.pk, 1), (extra.pk, 1)]),
    ]
    buy = GroupBuy.objects.get(pk=closed.buy.pk)
    assert buy.status == BuyStatus.COMPLETED


def test_handing_out_more_than_is_still_to_come_is_refused_and_changes_nothing(closed, place):
    released(closed)
    entry = closed.resident_entry
    main = lines_of(entry)[closed.main.pk]
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=entry.pk, handed={main.pk: 2})
    before = settlement_state(closed.buy)

    with pytest.raises(ValidationFailed) as exc:
        pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=entry.pk, handed={main.pk: 2})

    assert exc.value.code == "over_entitled"
    assert exc.value.detail["still_to_come"] == 1
    assert settlement_state(closed.buy) == before


@pytest.mark.parametrize("handed", [{"main": 0, "extra": 0}, {"main": "x"}, {"main": -1}])
def test_a_hand_over_of_nothing_or_of_nonsense_is_refused(closed, place, handed):
    released(closed)
    lines = lines_of(closed.resident_entry)
    ids = {"main": lines[closed.main.pk].pk, "extra": lines[closed.extra.pk].pk}
    before = settlement_state(closed.buy)

    with pytest.raises(ValidationFailed) as exc:
        pickup_hand_over(
            actor=place.leader.user,
            buy=closed.buy,
            entry_id=closed.resident_entry.pk,
            handed={ids[name]: qty for name, qty in handed.items()},
        )

    assert exc.value.code in {"nothing_handed", "invalid_quantity"}
    assert settlement_state(closed.buy) == before


def test_once_everything_went_another_hand_over_is_refused(closed, place):
    released(closed)
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=closed.resident_entry.pk)
    before = settlement_state(closed.buy)
    with pytest.raises(Conflict) as exc:
        pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=closed.resident_entry.pk)
    assert exc.value.code == "pickup_code_used"
    assert settlement_state(closed.buy) == before


def test_who_may_hand_out_by_number_is_the_code_rule(place, make_closed):
    (elsewhere,) = make_residents(place, 1)  # building 3; the building leader leads building 12
    closed = released(make_closed(extra_signups=[(elsewhere, 1)]))
    other = closed.buy.entries.get(household=elsewhere.household)
    before = settlement_state(closed.buy)
    for actor, entry, code in [
        (place.resident.user, closed.neighbour_entry, None),  # a resident hands out nothing
        (place.committee.user, closed.neighbour_entry, None),
        (place.building_leader.user, other, "not_your_building"),  # another building's household
    ]:
        with pytest.raises(PermissionRefused) as exc:
            pickup_hand_over(actor=actor, buy=closed.buy, entry_id=entry.pk)
        if code:
            assert exc.value.code == code
    assert settlement_state(closed.buy) == before
    # The building leader hands out in their own building; a receiving volunteer anywhere.
    pickup_hand_over(actor=place.building_leader.user, buy=closed.buy, entry_id=closed.resident_entry.pk)
    pickup_hand_over(actor=place.receiving_volunteer.user, buy=closed.buy, entry_id=other.pk)


def test_an_order_of_another_buy_or_without_a_code_is_not_handed_out(place, make_closed):
    first = released(make_closed())
    second = make_closed()  # closed, codes not issued yet
    GroupBuy.objects.filter(pk=second.buy.pk).update(status=BuyStatus.RELEASED)
    second.refresh()
    with pytest.raises(NotFound) as exc:
        pickup_hand_over(actor=place.leader.user, buy=second.buy, entry_id=first.resident_entry.pk)
    assert exc.value.code == "handout_no_match"
    with pytest.raises(Conflict) as exc:
        pickup_hand_over(actor=place.leader.user, buy=second.buy, entry_id=second.resident_entry.pk)
    assert exc.value.code == "pickup_not_issued"
    assert not Handover.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_volunteers_handing_out_the_rest_at_once_never_give_more_than_it_gets(place):
    closed = released(ClosedBuy(place))
    entry = closed.resident_entry
    main = lines_of(entry)[closed.main.pk]
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=entry.pk, handed={main.pk: 1})
    staff = [place.building_leader.user, place.receiving_volunteer.user, place.data_volunteer.user]
    barrier = threading.Barrier(len(staff))
    outcomes = []

    def attempt(user):
        try:
            barrier.wait()
            pickup_hand_over(
                actor=user, buy=GroupBuy.objects.get(pk=closed.buy.pk), entry_id=entry.pk, handed={main.pk: 2}
            )
            outcomes.append("ok")
        except (Conflict, ValidationFailed) as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"over_entitled", "pickup_code_used"}
    assert sum(HandoverLine.objects.filter(line=main).values_list("handed", flat=True)) == 3


# --- finding an order -------------------------------------------------------------------------------------------


def test_an_order_is_found_by_its_number_room_or_a_phones_last_four_digits(closed, place):
    released(closed)
    place.neighbour.user.phone = "+8613800005678"
    place.neighbour.user.save()
    leader = place.leader.user

    def found(query):
        return [entry.pk for entry in handout_find(user=leader, buy=closed.buy, query=query)]

    resident, neighbour = closed.resident_entry.pk, closed.neighbour_entry.pk
    assert found("1") == found("#1") == found("１") == [resident]  # 接龙 number, as typed on a Chinese keyboard
    assert found("12-301") == found("12#301") == found("12栋301") == found("301") == [resident]
    assert found("5678") == [neighbour]
    assert found("9999") == found("3-301") == found("王") == []


def test_several_matches_are_listed_and_other_buys_are_not_searched(place, make_closed):
    people = make_residents(place, 2)
    for person, phone in zip(people, ["+8613900001111", "+8613700001111"], strict=True):
        person.user.phone = phone
        person.user.save()
    closed = released(make_closed(extra_signups=[(people[0], 1), (people[1], 1)]))
    other = make_closed()  # the same households in another buy
    leader = place.leader.user

    matches = handout_find(user=leader, buy=closed.buy, query="1111")

    assert [entry.household for entry in matches] == [people[0].household, people[1].household]
    assert {entry.buy_id for entry in handout_find(user=leader, buy=closed.buy, query="301")} == {closed.buy.pk}
    assert other.resident_entry.pk not in [e.pk for e in handout_find(user=leader, buy=closed.buy, query="1")]


def test_a_building_leader_finds_only_their_buildings_orders_and_a_resident_nothing(place, make_closed):
    (elsewhere,) = make_residents(place, 1)
    closed = released(make_closed(extra_signups=[(elsewhere, 1)]))
    other = closed.buy.entries.get(household=elsewhere.household)
    assert handout_find(user=place.building_leader.user, buy=closed.buy, query=str(other.seq)) == []
    assert handout_find(user=place.receiving_volunteer.user, buy=closed.buy, query=str(other.seq)) == [other]
    with pytest.raises(PermissionRefused):
        handout_find(user=place.resident.user, buy=closed.buy, query="1")


@pytest.mark.parametrize(
    ("query", "is_code"), [("ABCD2345", True), ("abcd-2345", True), ("12-301", False), ("12345678", False)]
)
def test_what_reads_as_a_pickup_code(query, is_code):
    assert handout_query_is_code(query) is is_code


def test_the_order_shows_what_is_owed_and_when_paid(closed, place):
    released(closed)
    leader = place.leader.user
    order = handout_order_get(user=leader, buy=closed.buy, entry_id=closed.resident_entry.pk)
    assert (order["pay"]["stage"], str(order["pay"]["still_owed"])) == ("to_pay", "197.00")
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197.00", method="wechat")
    payment_confirm(actor=leader, entry=closed.resident_entry)
    order = handout_order_get(user=leader, buy=closed.buy, entry_id=closed.resident_entry.pk)
    assert (order["pay"]["stage"], str(order["pay"]["still_owed"])) == ("confirmed", "0.00")


# --- the page ---------------------------------------------------------------------------------------------------


def test_the_page_finds_by_number_hands_out_part_then_the_rest(closed, place, web):
    released(closed)
    client = web(place.receiving_volunteer.user)
    entry = closed.resident_entry
    main, extra = lines_of(entry)[closed.main.pk], lines_of(entry)[closed.extra.pk]

    found = client.post(url(closed), {"action": "lookup", "code": "1"})
    body = found.content.decode()
    assert found.status_code == 200
    assert 'id="handout-order"' in body
    assert 'data-pay="to_pay"' in body
    assert "197" in body  # still owed

    handed = client.post(url(closed), {"entry": entry.pk, f"line_{main.pk}": "1", f"line_{extra.pk}": "1"})
    assert handed.status_code == 302
    assert handed["Location"] == url(closed, f"?order={entry.pk}")
    page = client.get(handed["Location"]).content.decode()
    assert page.count("data-record") == 1
    assert "data-still-to-come" in page
    assert 'max="2" value="2"' in page  # 2 of the 3 main still to come; extra all received
    assert PickupCode.objects.get(entry=entry).state == PickupState.PARTIAL

    refused = client.post(url(closed), {"entry": entry.pk, f"line_{main.pk}": "3"})
    assert refused.status_code == 400
    assert 'data-code="over_entitled"' in refused.content.decode()

    rest = client.post(url(closed), {"entry": entry.pk})
    assert rest.status_code == 302
    page = client.get(rest["Location"]).content.decode()
    assert page.count("data-record") == 2
    assert "data-all-received" in page
    assert PickupCode.objects.get(entry=entry).state == PickupState.HANDED_OVER


def test_several_matches_on_the_page_are_a_list_to_choose_from(closed, place, web):
    released(closed)
    client = web(place.leader.user)
    # Two households whose phones end alike.
    place.resident.user.phone, place.neighbour.user.phone = "+8613800002468", "+8613900002468"
    place.resident.user.save()
    place.neighbour.user.save()

    response = client.post(url(closed), {"action": "lookup", "code": "2468"})

    body = response.content.decode()
    assert 'id="handout-matches"' in body
    assert f'data-entry="{closed.resident_entry.pk}"' in body
    assert f'data-entry="{closed.neighbour_entry.pk}"' in body
    assert 'id="handout-order"' not in body
    chosen = client.post(url(closed), {"action": "open", "entry": closed.neighbour_entry.pk})
    assert 'id="handout-order"' in chosen.content.decode()
    assert "12-302" in chosen.content.decode()


def test_no_match_is_a_coded_404_and_a_resident_is_refused(closed, place, web):
    released(closed)
    response = web(place.leader.user).post(url(closed), {"action": "lookup", "code": "77"})
    assert response.status_code == 404
    assert 'data-code="handout_no_match"' in response.content.decode()
    client = web(place.resident.user)
    before = settlement_state(closed.buy)
    for data in (
        {"action": "lookup", "code": "1"},
        {"action": "open", "entry": closed.neighbour_entry.pk},
        {"entry": closed.neighbour_entry.pk},
    ):
        refused = client.post(url(closed), data)
        assert refused.status_code == 403
        assert "12-302" not in refused.content.decode()
    assert client.get(url(closed, f"?order={closed.neighbour_entry.pk}")).status_code == 403
    assert settlement_state(closed.buy) == before


def test_the_order_page_reads_in_a_fixed_number_of_queries(place, make_closed, web, django_assert_max_num_queries):
    people = make_residents(place, 8)
    closed = released(make_closed(extra_signups=[(p, 1) for p in people]))
    client = web(place.leader.user)
    entry = closed.resident_entry
    main = lines_of(entry)[closed.main.pk]
    for _ in range(3):  # the first visit takes the extra item in full; three main, one at a time
        pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=entry.pk, handed={main.pk: 1})
    with django_assert_max_num_queries(16):
        response = client.get(url(closed, f"?order={entry.pk}"))
    assert response.status_code == 200
    assert response.content.decode().count("data-record") == 3


def test_progress_counts_a_household_with_goods_still_to_come_as_waiting(closed, place):
    released(closed)
    main = lines_of(closed.resident_entry)[closed.main.pk]
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=closed.resident_entry.pk, handed={main.pk: 1})
    assert [(row["handed"], row["total"]) for row in distribution_progress_list(buy=closed.buy)] == [(0, 2)]
    assert [g["handed"] for g in pick_list_get(user=place.leader.user, buy=closed.buy)] == [0]
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, entry_id=closed.resident_entry.pk)
    assert [(row["handed"], row["total"]) for row in distribution_progress_list(buy=closed.buy)] == [(1, 2)]
