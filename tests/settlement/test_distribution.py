import threading

import pytest
from django.db import connection

from accounts.models import Notification
from core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from groupbuy.models import BuyStatus, EntryLine, GroupBuy
from settlement.models import HandoverLine, PickupCode, PickupState
from settlement.selectors import distribution_progress_list, pick_list_get
from settlement.services.distribution import CODE_ALPHABET, pickup_codes_issue, pickup_hand_over
from tests.settlement.conftest import ClosedBuy, make_residents
from tests.settlement.helpers import settlement_state


def released(closed):
    pickup_codes_issue(actor=closed.place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    pickup_codes_issue(actor=closed.place.leader.user, buy=closed.buy)
    return closed.refresh()


@pytest.mark.django_db
def test_codes_are_issued_once_per_entry_and_start_distribution(closed, place):
    assert pickup_codes_issue(actor=place.leader.user, buy=closed.buy) == 2
    assert pickup_codes_issue(actor=place.leader.user, buy=closed.buy) == 0
    codes = list(PickupCode.objects.values_list("code", flat=True))
    assert len(set(codes)) == 2
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    # Announced only once the goods are released (tests/settlement/test_trust_notices.py).
    assert not Notification.objects.filter(kind="pickup_ready").exists()
    closed.set_status(BuyStatus.RELEASED)
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.DISTRIBUTING
    assert Notification.objects.filter(kind="pickup_ready").count() == 2


@pytest.mark.django_db
def test_hand_over_once_only(closed, place):
    released(closed)
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    pickup = pickup_hand_over(actor=place.building_leader.user, buy=closed.buy, code=code.lower())
    assert pickup.state == PickupState.HANDED_OVER
    assert pickup.handed_over_by == place.building_leader.user
    before = settlement_state(closed.buy)
    with pytest.raises(Conflict) as exc:
        pickup_hand_over(actor=place.receiving_volunteer.user, buy=closed.buy, code=code)
    assert exc.value.code == "pickup_code_used"
    assert settlement_state(closed.buy) == before


@pytest.mark.django_db
def test_partial_hand_over_is_recorded(closed, place):
    released(closed)
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    main_line = EntryLine.objects.get(entry=closed.resident_entry, item=closed.main)
    pickup = pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=code, handed={main_line.pk: 2})
    assert pickup.state == PickupState.PARTIAL
    assert dict(HandoverLine.objects.values_list("line_id", "handed"))[main_line.pk] == 2


@pytest.mark.django_db
def test_code_from_another_buy_is_refused(make_closed, place):
    first = released(make_closed())
    people = make_residents(place, 2)
    second = ClosedBuy(place, extra_signups=[(people[0], 1)])
    code = PickupCode.objects.get(entry=first.resident_entry).code
    before = settlement_state(second.buy)
    second.set_status(BuyStatus.RELEASED)
    with pytest.raises(Conflict) as exc:
        pickup_hand_over(actor=place.leader.user, buy=second.buy, code=code)
    assert exc.value.code == "pickup_code_wrong_buy"
    assert PickupCode.objects.get(code=code).state == PickupState.ISSUED
    assert settlement_state(second.buy)["pickups"] == before["pickups"]


@pytest.mark.django_db
def test_unknown_code_and_bad_quantities_are_refused(closed, place):
    released(closed)
    with pytest.raises(NotFound) as exc:
        pickup_hand_over(actor=place.leader.user, buy=closed.buy, code="ZZZZ2222")
    assert exc.value.code == "pickup_code_unknown"
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    line = EntryLine.objects.get(entry=closed.resident_entry, item=closed.main)
    for handed, code_expected in [({line.pk: 4}, "over_entitled"), ({999999: 1}, "item_not_in_entry")]:
        with pytest.raises(ValidationFailed) as exc:
            pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=code, handed=handed)
        assert exc.value.code == code_expected
    assert PickupCode.objects.get(code=code).state == PickupState.ISSUED


@pytest.mark.django_db
def test_hand_over_before_release_and_by_residents_is_refused(closed, place):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    with pytest.raises(Conflict) as exc:
        pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=code)
    assert exc.value.code == "not_released"
    closed.set_status(BuyStatus.RELEASED)
    with pytest.raises(PermissionRefused):
        pickup_hand_over(actor=place.neighbour.user, buy=closed.buy, code=code)
    assert PickupCode.objects.get(code=code).state == PickupState.ISSUED


@pytest.mark.django_db
def test_building_leader_hands_over_only_in_their_building(closed, place):
    people = make_residents(place, 1)  # in the other building
    closed = ClosedBuy(place, extra_signups=[(people[0], 1)])
    released(closed)
    code = PickupCode.objects.get(entry__household=people[0].household).code
    with pytest.raises(PermissionRefused) as exc:
        pickup_hand_over(actor=place.building_leader.user, buy=closed.buy, code=code)
    assert exc.value.code == "not_your_building"


@pytest.mark.django_db
def test_pick_list_and_progress_per_building(closed, place):
    people = make_residents(place, 2)
    closed = ClosedBuy(place, extra_signups=[(people[0], 1), (people[1], 2)])
    released(closed)
    pickup_hand_over(
        actor=place.leader.user, buy=closed.buy, code=PickupCode.objects.get(entry=closed.resident_entry).code
    )
    groups = pick_list_get(user=place.leader.user, buy=closed.buy)
    assert [g["building"].label for g in groups] == ["3", "12"]
    assert [h["entry"].household.room for h in groups[1]["households"]] == ["301", "302"]
    progress = {row["building"]: (row["handed"], row["total"]) for row in distribution_progress_list(buy=closed.buy)}
    assert progress == {"3": (0, 2), "12": (1, 2)}


@pytest.mark.django_db(transaction=True)
def test_pickup_code_is_single_use_under_a_race(place):
    closed = released(ClosedBuy(place))
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    staff = [place.leader.user, place.building_leader.user, place.receiving_volunteer.user, place.data_volunteer.user]
    barrier = threading.Barrier(len(staff))
    outcomes = []

    def attempt(user):
        try:
            barrier.wait()
            pickup_hand_over(actor=user, buy=GroupBuy.objects.get(pk=closed.buy.pk), code=code)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["pickup_code_used"] * 3
    assert HandoverLine.objects.filter(pickup__code=code).count() == 2


@pytest.mark.django_db
def test_buy_completes_when_the_last_household_got_its_goods(closed, place):
    released(closed)
    codes = list(PickupCode.objects.filter(buy=closed.buy).order_by("pk").values_list("code", flat=True))
    assert len(codes) == 2
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=codes[0])
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.DISTRIBUTING
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=codes[1])
    buy = GroupBuy.objects.get(pk=closed.buy.pk)
    assert buy.status == BuyStatus.COMPLETED
    assert buy.ended_at is not None
