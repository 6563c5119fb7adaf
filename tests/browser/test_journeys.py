"""The four journeys of issue 9 in a real phone-sized Chromium. Each page visited is checked for contrast and
200%-text reflow, every request must stay on the live server, and the last step is photographed in Chinese
and English. Selectors use form actions and field names, not button text, so translations cannot break them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.urls import reverse

from accounts.factories import HouseholdFactory
from accounts.models import HouseholdMember, Membership
from compliance.models import Filing
from groupbuy.factories import GroupBuyFactory, OfferFactory, SupplierFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, GroupBuy, OfferPhoto, PhotoStatus
from settlement.models import Payment, PaymentState, PickupCode, PickupState
from tests.browser.helpers import PDF, any_day_policy, arrival_window, close_buy, jpeg, progress_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _buy(place, **kwargs):
    values = {"community": place.community, "leader": place.leader.user, "title": "蔬菜套餐 第3团", "moq": Decimal("5")}
    values.update(kwargs)
    buy = GroupBuyFactory(**values)
    item = main_item(buy)
    item.offer.title = "蔬菜套餐"
    item.offer.save(update_fields=["title"])
    return buy, item


def test_resident_redeems_an_invite_joins_pays_and_shows_a_pickup_code(place, browse):
    from accounts.services.invites import invite_codes_issue
    from settlement.services.distribution import pickup_codes_issue

    household = HouseholdFactory(community=place.community, building=place.building, room="303")
    code = invite_codes_issue(actor=place.committee.user, community_id=place.community.pk, household_ids=[household.pk])
    buy, item = _buy(place, household_limit=4)
    me = browse()

    # The QR on the committee's paper opens the redeem page with the code after "#" (never sent to the server):
    # the page moves it into the code box, and "Continue" posts it and shows the household.
    me.visit(reverse("accounts:redeem") + f"#code={code[0].code}")
    assert me.page.input_value("#id_code") == code[0].code
    me.submit("form[method=post][action$='/join/code/']")
    assert "12-303" in me.text()
    me.page.fill("#id_display_name", "刘阿姨")
    me.page.fill("#id_username", "liu303")
    me.page.fill("#id_password", "a long pass phrase 303")
    me.page.fill("#id_password2", "a long pass phrase 303")
    me.submit("form[method=post][action$='/join/code/']")
    membership = Membership.objects.get(user__username="liu303")
    assert (membership.household_id, membership.is_resident) == (household.pk, True)
    assert "12-303" in me.success_message()

    # Too many is refused with a message, and what was typed stays; then join with 2 and change to 3.
    me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    assert progress_width(me) == 0
    me.page.fill(f"#signup-form input[name=q_{item.pk}]", "5")
    me.page.fill("#signup-form [name=note]", "请放门口")
    me.submit("#signup-form .signup-bar")
    assert me.page.locator("#signup-form [role=alert]").get_attribute("data-code") == "over_household_limit"
    assert me.page.input_value(f"#signup-form input[name=q_{item.pk}]") == "5"
    assert me.page.input_value("#signup-form [name=note]") == "请放门口"
    assert not Entry.objects.filter(buy=buy).exists()
    me.page.fill(f"#signup-form input[name=q_{item.pk}]", "2")
    me.submit("#signup-form .signup-bar")
    assert "#1" in me.success_message()
    entry = Entry.objects.get(buy=buy, household=household)
    assert entry.units == 2
    me.page.fill(f"#change-form input[name=q_{item.pk}]", "3")
    me.submit("#change-form .form-actions")
    entry.refresh_from_db()
    assert entry.units == 3
    assert me.page.input_value(f"#change-form input[name=q_{item.pk}]") == "3"
    assert progress_width(me) == 60

    # A neighbour's sign-up forms the buy; the worker closes it at the deadline.
    signup(buy, place.neighbour, 2)
    me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    assert progress_width(me) == 100
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    close_buy(buy)
    assert buy.status == BuyStatus.CLOSED
    me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    assert me.page.locator("#change-form").count() == 0

    # Pay: the settlement page's pay button leads to the payment page; the amount owed is filled in; say how, and send.
    me.visit(reverse("settlement:hub", args=[buy.pk]))
    with me.page.expect_navigation():
        me.page.locator(f"a[href='{reverse('settlement:pay', args=[entry.pk])}']").click()
    me.check()
    assert me.page.input_value("form[action*='/pay/'] input[name=amount]") == str(entry.amount)
    me.page.select_option("form[action*='/pay/'] select[name=method]", "wechat")
    me.submit("form[action*='/pay/']")
    payment = Payment.objects.get(entry=entry)
    assert (payment.state, payment.marked_amount, payment.method) == (PaymentState.MARKED, entry.amount, "wechat")

    # The leader issues pickup codes; the resident shows theirs.
    pickup_codes_issue(actor=place.leader.user, buy=buy)
    me.visit(reverse("settlement:hub", args=[buy.pk]))
    pickup = PickupCode.objects.get(entry=entry)
    assert me.page.inner_text(".code") == pickup.code
    assert me.page.locator(".qr svg").count() == 1
    paths = me.screenshots("resident")
    assert all(p.stat().st_size > 5000 for p in paths)
    assert "Your pickup code" in me.text()


def test_leader_opens_a_buy_with_a_photo_closes_it_downloads_the_order_and_files_the_delivery(place, browse):
    any_day_policy(place.community)
    offer = OfferFactory(
        supplier=SupplierFactory(community=place.community), title="土豆 5斤", unit_price=Decimal("25")
    )
    leader = browse(place.leader.user)

    # A photo for the offer (processed in-process: Celery is eager in tests).
    leader.visit(reverse("groupbuy:offer_detail", args=[offer.pk]))
    leader.page.set_input_files("input[name=upload]", jpeg())
    leader.submit("form[enctype='multipart/form-data']")
    assert OfferPhoto.objects.get(offer=offer).status == PhotoStatus.READY

    # Open the buy from the offer.
    leader.visit(reverse("groupbuy:buy_create") + f"?community={place.community.pk}&offer={offer.pk}")
    assert leader.page.is_checked(f"input[name=offers][value='{offer.pk}']")
    leader.page.fill("#id_title", "土豆团")
    leader.page.fill("#id_moq", "5")
    from django.utils import timezone

    deadline = timezone.localtime() + timedelta(days=1)
    leader.page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    leader.page.fill("#id_delivery_date", (deadline.date() + timedelta(days=1)).isoformat())
    leader.page.fill("#id_drop_point", "南门")
    leader.submit("#buy-form")
    buy = GroupBuy.objects.get(title="土豆团")
    assert buy.status == BuyStatus.OPEN
    assert leader.page.url.endswith(reverse("groupbuy:dashboard", args=[buy.pk]))
    assert progress_width(leader) == 0

    # The public page shows the photo; the bar moves as residents join.
    leader.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    assert leader.page.locator("article img").evaluate("img => img.naturalWidth") > 0
    signup(buy, place.resident, 2)
    leader.visit(reverse("groupbuy:dashboard", args=[buy.pk]))
    assert progress_width(leader) == 40
    signup(buy, place.neighbour, 3)
    leader.visit(reverse("groupbuy:dashboard", args=[buy.pk]))
    assert progress_width(leader) == 100
    assert leader.page.locator("svg[role=img] circle").count() == 2  # the chart: one step per sign-up

    # Close now, download the purchase order, mark it ordered.
    leader.submit("form[action$='/close/']")
    leader.submit("#confirm form")  # closing early cannot be undone: it asks first
    buy.refresh_from_db()
    assert buy.status == BuyStatus.CLOSED
    with leader.page.expect_download() as download:
        leader.page.click("a[href$='/export/order.csv']")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert any("土豆 5斤" in row and "5" in row for row in rows), rows
    leader.submit("form[action$='/ordered/']")
    buy.refresh_from_db()
    assert buy.status == BuyStatus.ORDERED

    # File the delivery with the committee.
    start, end, sampled = arrival_window()
    leader.visit(reverse("compliance:filing_create", args=[buy.pk]))
    leader.page.fill("#id_arrival_date", start.date().isoformat())
    leader.page.fill("#id_arrival_from", start.strftime("%H:%M"))
    leader.page.fill("#id_arrival_until", end.strftime("%H:%M"))
    leader.page.fill("#id_vehicle_plate", "沪A 12345")
    leader.page.fill("#id_driver_name", "李师傅")
    leader.page.fill("#id_test_sampled_at", sampled.strftime("%Y-%m-%dT%H:%M"))
    leader.page.set_input_files("#id_qualification", PDF)
    leader.page.set_input_files("#id_vehicle_pass", jpeg())
    leader.page.set_input_files("#id_test_report", PDF)
    leader.submit("form[enctype='multipart/form-data']")
    filing = Filing.objects.get(buy=buy)
    assert (filing.status, filing.gate, filing.vehicle_plate) == ("submitted", "南门", "沪A12345")
    assert leader.page.url.endswith(reverse("compliance:filing_detail", args=[filing.pk]))
    leader.screenshots("leader")


def test_committee_approves_the_gate_verifies_and_volunteers_release_after_30_minutes(place, browse):
    from compliance.services.filings import filing_submit
    from tests.compliance.conftest import documents, make_ordered_buy

    any_day_policy(place.community)
    buy = make_ordered_buy(place)
    start, end, sampled = arrival_window()
    filing = filing_submit(
        actor=place.leader.user,
        buy=buy,
        arrival_start=start,
        arrival_end=end,
        vehicle_plate="沪A 12345",
        driver_name="李师傅",
        test_sampled_at=sampled,
        documents=documents(),
        gate="North gate",
    )
    detail = reverse("compliance:filing_detail", args=[filing.pk])

    committee = browse(place.committee.user)
    committee.visit(detail)
    committee.submit("form[action$='/approve/']")
    filing.refresh_from_db()
    assert filing.status == "approved"
    slip_code = filing.slip.display_code
    assert slip_code in committee.text()

    guard = browse(place.gate_guard.user)
    guard.visit(reverse("compliance:gate"))
    guard.page.fill("#id_code", slip_code.lower())  # typed as read, in any case
    guard.submit("form.card")
    assert guard.page.locator(".verdict-valid").count() == 1

    volunteer = browse(place.receiving_volunteer.user)
    volunteer.visit(detail)
    volunteer.submit("form[action$='/arrival/']")
    volunteer.page.set_input_files("form[action$='/evidence/'] input[type=file]", jpeg((200, 200, 255)))
    volunteer.submit("form[action$='/evidence/']")
    assert volunteer.page.locator("img[src*='/files/evidence/']").count() == 1
    volunteer.submit("form[action$='/disinfected/']")
    buy.refresh_from_db()
    assert buy.status == BuyStatus.DISINFECTED
    volunteer.submit("form[action$='/release/']")
    volunteer.submit("#confirm form")  # too early: refused, nothing changes
    buy.refresh_from_db()
    assert buy.status == BuyStatus.DISINFECTED
    assert volunteer.page.locator(".msg-error, .error").count() >= 1

    # Half an hour passes (moved in the database, not waited for).
    Filing.objects.filter(pk=filing.pk).update(disinfected_at=F("disinfected_at") - timedelta(minutes=31))
    volunteer.visit(detail)
    volunteer.submit("form[action$='/release/']")
    volunteer.submit("#confirm form")
    buy.refresh_from_db()
    assert buy.status == BuyStatus.RELEASED
    assert Filing.objects.get(pk=filing.pk).released_at is not None
    volunteer.screenshots("compliance")


def test_building_leader_orders_for_an_elderly_neighbour_and_hands_out_with_pickup_codes(place, browse):
    from settlement.services.distribution import pickup_codes_issue

    grandma_home = HouseholdFactory(community=place.community, building=place.building, room="305")
    grandma = HouseholdMember.objects.create(household=grandma_home, name="张奶奶", phone="")
    buy, item = _buy(place, moq=Decimal("3"))
    bleader = browse(place.building_leader.user)

    # A paper sheet for the lobby first: neighbours without phones write their room and quantity on it.
    bleader.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    with bleader.page.expect_navigation():
        bleader.page.click(f"a[href$='{reverse('printables:signup_sheet', args=[buy.pk])}']")
    bleader.check()
    assert bleader.page.locator("section.sheet").count() == 1  # their own building
    assert bleader.page.locator("td.blank").count() > 10

    bleader.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    with bleader.page.expect_navigation():
        bleader.page.click(f"a[href$='{reverse('groupbuy:proxy_signup', args=[buy.pk])}']")
    bleader.check()
    bleader.page.fill("#id_label", "12-305")
    bleader.submit("form[method=get]")
    bleader.page.select_option("select[name=placed_for]", str(grandma.pk))
    bleader.page.fill(f"form[method=post].form input[name=q_{item.pk}]", "2")
    bleader.submit("form[method=post].form")
    entry = Entry.objects.get(buy=buy, household=grandma_home)
    assert (entry.placed_by_id, entry.placed_for_id, entry.units) == (place.building_leader.user.pk, grandma.pk, 2)
    assert "12-305 张**" in bleader.text()

    # A resident joins too; the buy closes, the goods come in (journey 3), codes are issued.
    signup(buy, place.resident, 1)
    close_buy(buy)
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.RELEASED)
    pickup_codes_issue(actor=place.leader.user, buy=buy)

    bleader.visit(reverse("settlement:pick_list", args=[buy.pk]))
    text = bleader.text()
    assert "305" in text
    assert "301" in text
    for household in (grandma_home, place.resident.household):
        code = PickupCode.objects.get(entry__buy=buy, entry__household=household).code
        bleader.visit(reverse("settlement:handover", args=[buy.pk]))
        bleader.page.fill("#lookup", code.lower())
        bleader.submit("#lookup-form")
        bleader.submit("#handover-form")
        assert PickupCode.objects.get(code=code).state == PickupState.HANDED_OVER
    bleader.visit(reverse("settlement:distribution", args=[buy.pk]))
    assert "2 / 2" in bleader.text()
    bleader.screenshots("building-leader")
