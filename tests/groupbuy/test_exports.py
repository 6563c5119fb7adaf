"""Exports: the sign-up list and the purchase order as CSV and XLSX, for the buy's leader and data
volunteers only; what people typed can never become a spreadsheet formula."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from groupbuy.factories import BuyItemFactory, GroupBuyFactory, OfferFactory, main_item, signup
from groupbuy.models import Entry
from groupbuy.services.buys import group_buy_close_now
from groupbuy.services.signup import signup_create


@pytest.fixture
def buy(place):
    buy = GroupBuyFactory(
        community=place.community, leader=place.leader.user, title="蔬菜团", moq=Decimal("3"), drop_point="南门"
    )
    BuyItemFactory(
        buy=buy,
        offer=OfferFactory(supplier=main_item(buy).offer.supplier, title="鸡蛋", unit="盒", pack_size=6),
        unit_price=Decimal("20.00"),
        supplier_cost=Decimal("16.00"),
    )
    return buy


def url(buy, what, fmt):
    return reverse("groupbuy:export", args=[buy.pk, what, fmt])


def csv_rows(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_signup_list_csv_has_contacts_quantities_and_totals(place, web, buy):
    eggs = buy.items.get(is_main=False)
    signup(buy, place.resident, 2)
    signup_create(
        actor=place.neighbour.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1, eggs.pk: 3},
    )
    response = web(place.leader.user).get(url(buy, "signups", "csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="buy-{buy.pk}-signups.csv"'
    rows = csv_rows(response)
    header = rows[3]
    assert header[:5] == ["No.", "Household", "Name", "Phone", "Placed by"]
    # English headings name a known unit in English as well (issue 16, item 7); the unit itself stays as typed.
    assert header[5:7] == [f"{main_item(buy).offer.title} (份, portions)", "鸡蛋 (盒, boxes)"]
    assert rows[4][:9] == [
        "1",
        "12-301",
        "王resident",
        place.resident.user.phone.removeprefix("+86"),
        "",
        "2",
        "0",
        "2",
        "118.00",
    ]
    assert rows[5][:9] == [
        "2",
        "12-302",
        "王neighbour",
        place.neighbour.user.phone.removeprefix("+86"),
        "",
        "1",
        "3",
        "4",
        "119.00",
    ]
    assert rows[6][0] == "Total"
    assert rows[6][5:9] == ["3", "3", "6", "237.00"]


def test_signup_list_xlsx_matches(place, web, buy):
    signup(buy, place.resident, 2)
    response = web(place.data_volunteer.user).get(url(buy, "signups", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = xlsx_rows(response)
    assert rows[0][:2] == ["Group buy", "蔬菜团"]
    assert rows[4][:9] == [1, "12-301", "王resident", place.resident.user.phone.removeprefix("+86"), None, 2, 0, 2, 118]


def test_purchase_order_csv_and_xlsx_after_close(place, web, buy):
    eggs = buy.items.get(is_main=False)
    signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={main_item(buy).pk: 3, eggs.pk: 8},
        tolerances={eggs.pk: 4},
    )
    group_buy_close_now(actor=place.leader.user, buy=buy)
    client = web(place.leader.user)
    rows = csv_rows(client.get(url(buy, "order", "csv")))
    preamble = {r[0]: r[1] for r in rows[:5]}
    assert preamble["Delivery date"] == buy.delivery_date.isoformat()
    assert preamble["Drop point"] == "南门"
    assert preamble["Status"] == "final"
    assert rows[6] == ["Offer", "Unit", "Quantity", "Packs", "Unit cost (yuan)", "Cost (yuan)"]
    body = {r[0]: r[1:] for r in rows[7:]}
    assert body[main_item(buy).offer.title] == ["份 (portion)", "3", "", "50.00", "150.00"]
    assert body["鸡蛋"][:3] == ["盒 (box)", "12", "2"]  # 8 boxes + up to 4 more to fill packs of 6 -> 2 packs
    assert body["Total"][-1] == str(sum(Decimal(v[-1]) for k, v in body.items() if k != "Total"))

    xrows = xlsx_rows(client.get(url(buy, "order", "xlsx")))
    assert [r for r in xrows if r and r[0] == main_item(buy).offer.title][0][2] == 3


def test_typed_text_cannot_become_a_formula(place, web, buy):
    entry = signup(buy, place.resident, 1)
    Entry.objects.filter(pk=entry.pk).update(note='=HYPERLINK("http://evil")')
    client = web(place.leader.user)
    rows = csv_rows(client.get(url(buy, "signups", "csv")))
    assert rows[4][-2] == '\'=HYPERLINK("http://evil")'
    sheet = load_workbook(io.BytesIO(client.get(url(buy, "signups", "xlsx")).content)).active
    cell = [row for row in sheet.iter_rows() if row[0].value == 1][0][-2]
    assert cell.data_type == "s"
    assert cell.value.startswith("'=")


@pytest.mark.parametrize(("who", "code"), [("resident", "forbidden"), ("other_leader", "not_your_buy")])
@pytest.mark.parametrize(
    ("what", "fmt"), [("signups", "csv"), ("signups", "xlsx"), ("order", "csv"), ("order", "xlsx")]
)
def test_exports_are_for_the_leader_and_data_volunteers_only(place, web, buy, who, code, what, fmt):
    signup(buy, place.resident, 1)
    response = web(getattr(place, who).user).get(url(buy, what, fmt))
    assert response.status_code == 403
    assert f'data-code="{code}"' in response.content.decode()


def test_export_of_another_communitys_buy_is_refused(place, other_place, web):
    foreign = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    response = web(place.leader.user).get(url(foreign, "signups", "csv"))
    assert response.status_code == 403
