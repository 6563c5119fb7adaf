"""Journeys (a) and (b) of issue 15 in Debian's Chromium at 390×844, photographed in zh-hans and en: from the
WeChat group's link to a sign-up, and from 我的订单 to the pickup code. Journey (c), the leader sharing, is in
test_journey_share.py. Taps and typed fields are counted by the step helpers (tests/browser/steps_*.py) and
written to test-artifacts/journeys.json, so the closing note quotes measured figures."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse

from accounts.factories import HouseholdFactory
from compliance.models import Filing
from core import sms
from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, GroupBuy, ShareLink
from settlement import selectors as money
from settlement.models import PickupCode
from settlement.services.distribution import pickup_codes_issue
from settlement.services.payee import payee_set
from tests.browser.helpers import any_day_policy, arrival_window
from tests.browser.steps_hub import pickup_code_shown
from tests.browser.steps_pay import pay_with_qr
from tests.browser.steps_phone import login_by_phone
from tests.browser.steps_signup import signup_with_stepper
from tests.settlement.conftest import ClosedBuy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = Path(settings.BASE_DIR) / "test-artifacts" / "journeys.json"
PAYEE_QR = "wxp://f2f0journey-payee"


def _record(journey: str, figures: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    measured = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    measured[journey] = figures
    REPORT.write_text(json.dumps(measured, ensure_ascii=False, indent=2))


@pytest.fixture(autouse=True)
def _outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _shared_buy(place):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第7团",
        moq=Decimal("10"),
        drop_point="北门快递架",
    )
    signup(buy, place.neighbour, 2)  # someone is on the list already
    link = ShareLink.objects.get(buy=buy, revoked_at__isnull=True)
    return buy, main_item(buy), reverse("share:preview", args=[link.token])


def _tap_go(browser) -> None:
    """The preview's big 我要接龙 button (the quantity box beside it keeps its default of 1)."""
    with browser.page.expect_navigation():
        browser.page.locator("#signup button").click()


def test_a_an_anonymous_visitor_opens_the_share_link_logs_in_by_phone_code_and_signs_up(place, browse):
    buy, item, preview = _shared_buy(place)
    me = browse()

    # The link from the WeChat group: the preview, with nothing about who signed up.
    me.visit(preview)
    html = me.page.content()
    assert "蔬菜套餐 第7团" in html
    assert "北门快递架" in html
    for member in (place.neighbour, place.resident):
        assert member.user.display_name not in html
        assert member.user.phone not in html
        assert member.user.phone[3:] not in html  # nor the national number
        assert f"{place.building.label}-{member.household.room}" not in html
    me.screenshots("journey-a-1-preview")

    taps = fields = 0
    _tap_go(me)
    taps += 1
    assert me.page.url.startswith(me.base + reverse("accounts:login"))

    # Log in with the phone number and the code the SMS backend received (no password, no username).
    phone = place.resident.user.phone
    used = login_by_phone(me, phone[3:])  # typed as people type it: the 11 digits
    taps += used["taps"]
    fields += used["fields"]
    sent = [m for m in sms.outbox if m.purpose == "login_code"]
    assert [m.phone for m in sent] == [phone]

    # Straight back to the buy's sign-up, the quantity chosen on the preview kept in the stepper.
    assert me.page.url.split("#")[0].split("?")[0] == me.base + reverse("groupbuy:buy_detail", args=[buy.pk])
    assert me.page.input_value(f"#signup-form input[name=q_{item.pk}]") == "1"
    signed = signup_with_stepper(me, buy, quantity=1)
    taps += signed["taps"]
    fields += signed["fields"]
    entry = Entry.objects.get(buy=buy, household=place.resident.household)
    assert signed["number"] == entry.seq == 2
    me.screenshots("journey-a-2-signed-up")
    _record("a_anonymous_to_signed_up", {"taps": taps, "typed_fields": fields})
    assert (taps, fields) == (4, 2)  # 我要接龙, 获取验证码, 登录, 我要接龙 · ¥59; the phone and the code


def test_a_a_resident_already_logged_in_signs_up_from_the_share_link_in_at_most_three_taps(place, browse):
    buy, item, preview = _shared_buy(place)
    me = browse(place.resident.user)
    me.visit(preview)
    _tap_go(me)
    signed = signup_with_stepper(me, buy, quantity=1)
    taps = 1 + signed["taps"]
    assert Entry.objects.get(buy=buy, household=place.resident.household).seq == signed["number"]
    _record("a_logged_in_from_share_link", {"taps": taps, "typed_fields": signed["fields"]})
    assert taps <= 3
    assert signed["fields"] == 0


def test_a_a_newcomer_signs_up_by_phone_joins_by_invite_code_and_lands_on_the_sign_up(place, browse):
    from accounts.services.invites import invite_codes_issue

    buy, item, preview = _shared_buy(place)
    household = HouseholdFactory(community=place.community, building=place.building, room="808")
    code = invite_codes_issue(actor=place.committee.user, community_id=place.community.pk, household_ids=[household.pk])
    me = browse()
    me.visit(preview)
    _tap_go(me)
    used = login_by_phone(me, "13912345678", name="赵阿姨")
    assert used == {"taps": 3, "fields": 3}  # phone, name, code
    # Not a member yet: the join page, with the way back to the buy kept.
    assert me.page.url.startswith(me.base + reverse("accounts:join_start"))
    with me.page.expect_navigation():
        me.page.locator(f"a[href^='{reverse('accounts:redeem')}']").first.click()
    me.page.fill("#id_code", code[0].code)
    me.submit("form[method=post][action*='/join/code/']")
    if me.page.locator("form[method=post][action*='/join/code/']").count():  # confirm the household shown
        me.submit("form[method=post][action*='/join/code/']")
    assert me.page.url.split("#")[0].split("?")[0] == me.base + reverse("groupbuy:buy_detail", args=[buy.pk])
    signed = signup_with_stepper(me, buy, quantity=1)
    entry = Entry.objects.get(buy=buy, household=household)
    assert entry.seq == signed["number"]
    assert household.members.get().phone == "+8613912345678"  # redeeming bound the verified phone
    me.screenshots("journey-a-3-newcomer")


def _payee_picture() -> SimpleUploadedFile:
    buf = io.BytesIO()
    segno.make(PAYEE_QR, error="m").save(buf, kind="png", scale=8, border=4)
    return SimpleUploadedFile("qr.png", buf.getvalue(), content_type="image/png")


def _release(place, buy: GroupBuy) -> None:
    """The delivery chain through its services: filed, approved, arrived, disinfected, released 30 minutes later."""
    from compliance.services.delivery import arrival_record, delivery_release, disinfection_finish, evidence_add
    from compliance.services.filings import filing_submit
    from compliance.services.review import filing_approve
    from tests.compliance.conftest import documents, jpeg_upload

    any_day_policy(place.community)
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.ORDERED)
    start, end, sampled = arrival_window()
    filing = filing_submit(
        actor=place.leader.user,
        buy=GroupBuy.objects.get(pk=buy.pk),
        arrival_start=start,
        arrival_end=end,
        vehicle_plate="沪A 12345",
        driver_name="李师傅",
        test_sampled_at=sampled,
        documents=documents(),
        gate="North gate",
    )
    filing_approve(actor=place.committee.user, filing=filing)
    volunteer = place.receiving_volunteer.user
    arrival_record(actor=volunteer, filing=filing)
    evidence_add(actor=volunteer, filing=filing, upload=jpeg_upload("box.jpg"))
    disinfection_finish(actor=volunteer, filing=filing)
    Filing.objects.filter(pk=filing.pk).update(disinfected_at=F("disinfected_at") - timedelta(minutes=31))
    delivery_release(actor=volunteer, filing=Filing.objects.get(pk=filing.pk))


def test_b_my_orders_pay_with_the_payee_qr_leader_confirms_goods_released_pickup_code_and_one_sms(place, browse):
    closed = ClosedBuy(place)
    entry = closed.resident_entry
    payee_set(actor=place.leader.user, name="王团长", qr_image=_payee_picture())
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)  # printed on labels before the goods arrive

    me = browse(place.resident.user)
    me.visit(reverse("groupbuy:my_entries"))
    me.screenshots("journey-b-1-my-orders")
    paid = pay_with_qr(me, entry)
    assert paid["qr"] == PAYEE_QR
    assert paid["qr_width"] >= 240
    summary = money.payment_summary_of(money.my_entry_get(user=place.resident.user, buy=closed.buy))
    assert (summary["stage"], summary["awaiting"], summary["still_owed"]) == ("awaiting", entry.amount, Decimal("0"))
    me.screenshots("journey-b-2-awaiting")

    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))
    leader.submit(f"tr#e{entry.pk} form")
    summary = money.payment_summary_of(money.my_entry_get(user=place.resident.user, buy=closed.buy))
    assert (summary["stage"], summary["confirmed"], summary["still_owed"]) == ("confirmed", entry.amount, Decimal("0"))

    # Before the release the card shows no code; the release announces it, by SMS once.
    me.visit(reverse("groupbuy:my_entries"))
    assert pickup_code_shown(me, entry) == ""
    _release(place, closed.buy)
    _release_sms = [m for m in sms.outbox if m.purpose == "notice:pickup_ready"]
    code = PickupCode.objects.get(entry=entry).code
    mine = [m for m in _release_sms if m.phone == place.resident.user.phone]
    assert len(mine) == 1
    assert code in mine[0].text

    me.visit(reverse("groupbuy:my_entries"))
    assert pickup_code_shown(me, entry) == code
    me.screenshots("journey-b-3-pickup-code")
    # A second run of the sweep sends nothing more.
    from accounts.notifications import notification_sms_sweep

    notification_sms_sweep()
    assert len([m for m in sms.outbox if m.purpose == "notice:pickup_ready" and m.phone == mine[0].phone]) == 1
    _record("b_pay_and_pickup", {"pay_taps": paid["taps"], "pay_typed_fields": paid["fields"]})
