import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry
from groupbuy.services.buys import group_buy_close
from settlement.models import Payment, PaymentState, PickupCode, PickupState
from settlement.services.distribution import pickup_codes_issue
from settlement.services.payments import payment_mark
from tests.settlement.conftest import make_residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_buy(place):
    """A closed buy with 200 entries, a third marked paid, a third confirmed."""
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"))
    item = main_item(buy)
    people = make_residents(place, 200)
    for person in people:
        signup(buy, person, 1 + person.pk % 3)
    assert group_buy_close(buy_id=buy.pk)
    entries = list(Entry.objects.filter(buy=buy).order_by("seq"))
    payments = []
    for i, entry in enumerate(entries):
        state = [PaymentState.UNPAID, PaymentState.MARKED, PaymentState.CONFIRMED][i % 3]
        payments.append(
            Payment(
                entry=entry,
                buy=buy,
                state=state,
                method="wechat",
                marked_amount=entry.amount if state == PaymentState.MARKED else 0,
                paid=entry.amount if state == PaymentState.CONFIRMED else 0,
            )
        )
    Payment.objects.bulk_create(payments)
    buy.refresh_from_db()
    return buy, item, entries


def test_reconciliation_page_with_200_entries_has_a_fixed_query_count(
    big_buy, place, web, django_assert_max_num_queries
):
    buy, _item, entries = big_buy
    client = web(place.data_volunteer.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("settlement:reconcile", kwargs={"pk": buy.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<tr id="e') == 200
    total = sum((e.amount for e in entries), Decimal("0"))
    assert f"<b>¥{total}</b>" in body  # money shows as ¥ with two decimals
    # The same 200 rows export as CSV and XLSX.
    csv = client.get(reverse("settlement:reconcile", kwargs={"pk": buy.pk}) + "?format=csv")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").count("\n") > 200
    xlsx = client.get(reverse("settlement:reconcile", kwargs={"pk": buy.pk}) + "?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row >= 200


def test_reconciliation_is_refused_to_residents_and_other_leaders(closed, place, web):
    for who in (place.resident, place.other_leader):
        response = web(who.user).get(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))
        assert response.status_code == 403


def test_one_tap_confirm(closed, place, web):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197", method="wechat")
    client = web(place.data_volunteer.user)
    response = client.post(
        reverse("settlement:confirm", kwargs={"entry_pk": closed.resident_entry.pk}), {"amount": "197.00"}
    )
    assert response.status_code == 302
    assert Payment.objects.get(entry=closed.resident_entry).state == PaymentState.CONFIRMED


def test_hub_shows_the_participant_their_money_and_pay_form(closed, place, web):
    response = web(place.resident.user).get(reverse("settlement:hub", kwargs={"pk": closed.buy.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "197.00" in body
    pay_url = reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk})
    assert f'href="{pay_url}"' in body  # the pay form is on its own page, one tap away
    assert f'action="{pay_url}"' in web(place.resident.user).get(pay_url).content.decode()


def test_bad_payment_on_the_page_keeps_what_was_typed(closed, place, web):
    response = web(place.resident.user).post(
        reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk}),
        {"amount": "12.345", "method": "wechat", "reference": "my note"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-code="invalid_amount"' in body
    assert 'value="12.345"' in body
    assert 'value="my note"' in body
    assert not Payment.objects.exists()


def test_resident_pays_through_the_page_with_a_screenshot(closed, place, web, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "green").save(buf, "PNG")
    client = web(place.resident.user)
    with django_capture_on_commit_callbacks(execute=True):  # the re-encoding task runs after commit
        response = client.post(
            reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk}),
            {"amount": "197", "method": "alipay", "screenshot": SimpleUploadedFile("s.png", buf.getvalue())},
        )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.state == PaymentState.MARKED
    assert payment.screenshot
    shot = web(place.data_volunteer.user).get(reverse("settlement:file", kwargs={"kind": "payment", "pk": payment.pk}))
    assert shot.status_code == 200
    assert (
        web(place.neighbour.user)
        .get(reverse("settlement:file", kwargs={"kind": "payment", "pk": payment.pk}))
        .status_code
        == 403
    )


def test_pickup_code_and_qr_on_the_hub(closed, place, web):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    body = web(place.resident.user).get(reverse("settlement:hub", kwargs={"pk": closed.buy.pk})).content.decode()
    assert code in body
    assert "<svg" in body


def test_handover_page_marks_once(closed, place, web):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    code = PickupCode.objects.get(entry=closed.resident_entry).code
    client = web(place.building_leader.user)
    url = reverse("settlement:handover", kwargs={"pk": closed.buy.pk})
    preview = client.post(url, {"action": "lookup", "code": code})
    assert "12-301" in preview.content.decode()
    assert client.post(url, {"code": code}).status_code == 302
    again = client.post(url, {"code": code})
    assert again.status_code == 409
    assert 'data-code="pickup_code_used"' in again.content.decode()
    assert PickupCode.objects.get(code=code).state == PickupState.HANDED_OVER


def test_distribution_pages_render_with_fixed_queries(big_buy, place, web, django_assert_max_num_queries):
    buy, _item, _entries = big_buy
    pickup_codes_issue(actor=place.leader.user, buy=buy)
    client = web(place.leader.user)
    for name, query in [("distribution", ""), ("pick_list", ""), ("pick_list", "?view=route"), ("queue", "")]:
        with django_assert_max_num_queries(12):
            response = client.get(reverse(f"settlement:{name}", kwargs={"pk": buy.pk}) + query)
        assert response.status_code == 200, name
    xlsx = client.get(reverse("settlement:pick_list", kwargs={"pk": buy.pk}) + "?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row >= 200


@pytest.mark.parametrize(
    "name", ["hub", "refunds", "after_sales", "donations", "price_change_new", "arrivals", "distribution"]
)
def test_leader_pages_render(closed, place, web, name):
    response = web(place.leader.user).get(reverse(f"settlement:{name}", kwargs={"pk": closed.buy.pk}))
    assert response.status_code == 200


def test_pages_of_another_community_are_not_found(closed, other_place, web):
    response = web(other_place.leader.user).get(reverse("settlement:hub", kwargs={"pk": closed.buy.pk}))
    assert response.status_code == 404


def test_hub_query_count_does_not_grow_with_history(closed, place, web, django_assert_max_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from settlement.services.after_sales import after_sales_report
    from settlement.services.price_changes import price_change_propose, price_change_respond

    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    for item, price in ((closed.main, "60"), (closed.extra, "21")):
        change = price_change_propose(
            actor=place.leader.user,
            buy=closed.buy,
            item_id=item.pk,
            new_price=price,
            reason="up",
            deadline=timezone.now() + timedelta(hours=1),
        )
        price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    for i in range(3):
        after_sales_report(actor=place.neighbour.user, entry=closed.neighbour_entry, kind="missing", description=f"{i}")
    client = web(place.resident.user)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("settlement:hub", kwargs={"pk": closed.buy.pk}))
    assert response.status_code == 200


def test_building_leader_pick_list_starts_with_their_building(closed, place, web):
    people = make_residents(place, 1)  # a household in the other building
    from tests.settlement.conftest import ClosedBuy

    closed = ClosedBuy(place, extra_signups=[(people[0], 1)])
    body = web(place.building_leader.user).get(reverse("settlement:pick_list", kwargs={"pk": closed.buy.pk}))
    text = body.content.decode()
    assert "王resident" in text
    assert people[0].user.display_name not in text
    everyone = web(place.leader.user).get(reverse("settlement:pick_list", kwargs={"pk": closed.buy.pk}))
    assert people[0].user.display_name in everyone.content.decode()
