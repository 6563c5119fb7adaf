"""Issue 13 item 5: who reads which pick list (DESIGN "Who may do what to whom").

- the buy's leader and data volunteers: the whole buy, names, care notes and donated portions;
- a building leader: their own building only, in full; another building is refused;
- a receiving volunteer: every building (they hand out), but only the room, a masked name and the items:
  no care notes and no donated portions (those would tell who is on the vulnerable list);
- a procurement volunteer, a resident: nothing.
Checked through the API, the page, the XLSX and the A4 print."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.factories import BuildingFactory, HouseholdFactory, MembershipFactory, UserFactory
from groupbuy.models import Entry
from settlement.models import Donation
from tests.settlement.conftest import ClosedBuy, make_residents

pytestmark = pytest.mark.django_db

CARE_NOTE = "独居，放门口"


class World:
    """A closed buy: the resident and the neighbour in building 12 (the resident's entry carries a care note),
    李0 in building 3, and a donated portion given to 李0's household (on the vulnerable list)."""

    def __init__(self, place):
        self.place = place
        self.far = make_residents(place, 1)[0]
        self.closed = ClosedBuy(place, extra_signups=[(self.far, 1)])
        self.buy = self.closed.buy
        Entry.objects.filter(pk=self.closed.resident_entry.pk).update(note=CARE_NOTE)
        self.donation = Donation.objects.create(
            buy=self.buy,
            item=self.closed.main,
            quantity=1,
            amount=Decimal("59.00"),
            donor=place.leader.user,
            recipient=self.far.household,
        )


@pytest.fixture
def world(place):
    return World(place)


@pytest.fixture
def procurement(place):
    household = HouseholdFactory(community=place.community, building=place.building, room="603")
    user = UserFactory(username="A-procure", display_name="王采购")
    return MembershipFactory(user=user, household=household, community=place.community, volunteer_group="procurement")


def api_pick_list(api, user, buy, **query):
    return api(user).get(reverse("api-settlement-pick-list", args=[buy.pk]), query)


def summary(groups):
    """{building: [(household, name, note)]} and the donated portions' households."""
    rows = {g["building"]: [(h["household"], h["name"], h["note"]) for h in g["households"]] for g in groups}
    donated = [d["household"] for g in groups for d in g["donations"]]
    return rows, donated


FULL = {
    "12": [("12-301", "王resident", CARE_NOTE), ("12-302", "王neighbour", "")],
    "3": [("3-1000", "李0", "")],
}


@pytest.mark.parametrize("role", ["leader", "data_volunteer"])
def test_leader_and_data_volunteers_read_the_whole_pick_list(world, place, api, role):
    response = api_pick_list(api, getattr(place, role).user, world.buy)
    assert response.status_code == 200
    assert summary(response.json()) == (FULL, ["3-1000"])


def test_building_leader_reads_only_their_own_building(world, place, api):
    response = api_pick_list(api, place.building_leader.user, world.buy)
    assert summary(response.json()) == ({"12": FULL["12"]}, [])


def test_building_leader_asking_for_another_building_is_refused(world, place, api):
    response = api_pick_list(api, place.building_leader.user, world.buy, building=place.other_building.pk)
    assert (response.status_code, response.json()["code"]) == (403, "not_your_building")


def test_receiving_volunteer_reads_every_building_without_names_notes_or_donations(world, place, api):
    response = api_pick_list(api, place.receiving_volunteer.user, world.buy)
    assert summary(response.json()) == (
        {"12": [("12-301", "王**", ""), ("12-302", "王**", "")], "3": [("3-1000", "李**", "")]},
        [],
    )
    # The items to hand out are all there.
    assert [line["quantity"] for g in response.json() for h in g["households"] for line in h["lines"]] == [1, 3, 1, 7]


def test_receiving_volunteer_who_leads_a_building_reads_that_building_in_full(world, place, api):
    place.receiving_volunteer.is_building_leader = True
    place.receiving_volunteer.led_building = place.other_building
    place.receiving_volunteer.save()
    response = api_pick_list(api, place.receiving_volunteer.user, world.buy)
    assert summary(response.json()) == (
        {"12": [("12-301", "王**", ""), ("12-302", "王**", "")], "3": FULL["3"]},
        ["3-1000"],
    )


@pytest.mark.parametrize("who", ["procurement", "resident", "committee"])
def test_pick_list_is_refused_to_those_who_do_not_hand_out(world, place, api, procurement, who):
    user = procurement.user if who == "procurement" else getattr(place, who).user
    response = api_pick_list(api, user, world.buy)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


# --- page, XLSX, A4 --------------------------------------------------------------------------------------------------


def page(web, user, buy, name="settlement:pick_list", **query):
    return web(user).get(reverse(name, args=[buy.pk]), query)


def test_pick_list_page_xlsx_and_print_of_a_receiving_volunteer_hide_names_and_care_notes(world, place, web):
    user = place.receiving_volunteer.user
    for response in (page(web, user, world.buy), page(web, user, world.buy, "printables:pick_list")):
        text = response.content.decode()
        assert response.status_code == 200
        assert "3-1000" not in text
        assert "1000" in text
        assert CARE_NOTE not in text
        assert "王resident" not in text
        assert "donated, free" not in text
        assert "免费" not in text
    xlsx = page(web, user, world.buy, format="xlsx")
    cells = [str(c) for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    assert CARE_NOTE not in cells
    assert "王resident" not in cells
    assert "王**" in cells


def test_pick_list_page_xlsx_and_print_of_the_leader_show_names_and_care_notes(world, place, web):
    user = place.leader.user
    assert CARE_NOTE in page(web, user, world.buy).content.decode()
    assert CARE_NOTE in page(web, user, world.buy, "printables:pick_list").content.decode()
    xlsx = page(web, user, world.buy, format="xlsx")
    cells = [c for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    assert CARE_NOTE in cells
    assert "王resident" in cells


def test_building_leader_page_and_print_of_another_building_are_refused(world, place, web):
    user = place.building_leader.user
    for name in ("settlement:pick_list", "printables:pick_list"):
        response = page(web, user, world.buy, name, building=place.other_building.pk)
        assert response.status_code == 403
        assert "李0" not in response.content.decode()
    xlsx = page(web, user, world.buy, building=place.other_building.pk, format="xlsx")
    assert xlsx.status_code == 403


def test_building_leader_print_of_all_buildings_is_their_building(world, place, web):
    text = page(web, place.building_leader.user, world.buy, "printables:pick_list", building="all").content.decode()
    assert CARE_NOTE in text
    assert "1000" not in text


def test_procurement_volunteer_gets_no_pick_list_page(world, place, web, procurement):
    for name in ("settlement:pick_list", "printables:pick_list"):
        assert page(web, procurement.user, world.buy, name).status_code == 403


def test_pick_list_page_filters_a_building_whose_id_is_above_2160(place, web):
    """The page's ?building= used to go through an hours parser clamped to 0..2160, so any building whose id was
    above 2160 showed as building 2160 (nothing, or another building's list)."""
    tower = BuildingFactory(pk=5000, community=place.community, label="88")
    far = make_residents(place, 1, building=tower)[0]
    buy = ClosedBuy(place, extra_signups=[(far, 1)]).buy
    text = page(web, place.leader.user, buy, building=tower.pk).content.decode()
    assert "Building 88" in text
    assert "Building 12" not in text
