"""Issue 15, item 5: 我的订单 (/buys/mine/) is the resident's hub: tabs by state, payment with its button, the
pickup code and QR once released, after-sales, notices that lead to the card, in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.factories import HouseholdMemberFactory
from accounts.models import Notification
from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import BuyStatus, Entry
from groupbuy.services.signup import signup_withdraw
from settlement.models import PickupCode, Refund
from settlement.selectors.orders import Tab, order_hub_get
from settlement.services.after_sales import after_sales_report, after_sales_resolve
from settlement.services.distribution import pickup_codes_issue, pickup_hand_over
from settlement.services.payments import (
    payment_confirm,
    payment_mark,
    payment_reminders_send,
    refund_confirm,
    refund_mark_paid_back,
)
from settlement.services.shortages import arrivals_record

pytestmark = pytest.mark.django_db

MINE = "/buys/mine/"


def hub(user, **kwargs):
    return order_hub_get(user=user, **kwargs)


def tab_of(user, entry) -> str:
    return next(c.tab for c in hub(user, entry_id=entry.pk).cards if c.entry.pk == entry.pk)


def page(web, user, query: str = "") -> str:
    response = web(user).get(MINE + query)
    assert response.status_code == 200
    return response.content.decode()


def card_html(html: str, entry) -> str:
    """The HTML of one card (from its anchor to the end of its <article>)."""
    start = html.index(f'id="entry-{entry.pk}"')
    return html[start : html.index("</article>", start)]


def release(closed):
    pickup_codes_issue(actor=closed.place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    pickup_codes_issue(actor=closed.place.leader.user, buy=closed.buy)
    return closed.refresh()


def pay(closed, entry, who, amount):
    payment_mark(actor=who.user, entry=entry, amount=amount, method="wechat")
    payment_confirm(actor=closed.place.leader.user, entry=entry)


# --- tabs by state ------------------------------------------------------------------------------------------------


def test_an_entry_moves_through_the_tabs_as_it_is_paid_released_picked_up_and_reported(closed, place):
    resident, entry = place.resident, closed.resident_entry  # 3 × 59 + 1 × 20 = 197
    assert tab_of(resident.user, entry) == Tab.PAY
    assert hub(resident.user).counts == {Tab.PAY: 1, Tab.RECEIVE: 0, Tab.DONE: 0, Tab.AFTER: 0}

    payment_mark(actor=resident.user, entry=entry, amount="197", method="wechat")
    card = hub(resident.user).cards[0]
    assert (card.tab, card.pay["stage"], card.pay["awaiting"], card.must_pay) == (
        Tab.RECEIVE,
        "awaiting",
        Decimal("197.00"),
        False,
    )
    payment_confirm(actor=place.leader.user, entry=entry)
    card = hub(resident.user).cards[0]
    assert (card.tab, card.pay["stage"], card.delivery, card.pickup) == (Tab.RECEIVE, "confirmed", "closed", None)

    release(closed)
    card = hub(resident.user).cards[0]
    assert (card.tab, card.delivery) == (Tab.RECEIVE, "released")
    assert card.pickup == PickupCode.objects.get(entry=entry)

    pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=card.pickup.code)
    card = hub(resident.user).cards[0]
    assert (card.tab, card.delivery, card.pickup, card.can_report) == (Tab.DONE, "picked_up", None, True)

    report = after_sales_report(
        actor=resident.user, entry=entry, kind="damaged", description="two eggs broken", item_id=closed.extra.pk
    )
    assert tab_of(resident.user, entry) == Tab.AFTER
    after_sales_resolve(actor=place.leader.user, report=report, resolution="refund", refund_amount="5.00")
    assert tab_of(resident.user, entry) == Tab.AFTER  # the refund is still to come
    refund = Refund.objects.get(entry=entry)
    refund_mark_paid_back(actor=place.data_volunteer.user, refund=refund)
    refund_confirm(actor=resident.user, refund=refund)
    assert tab_of(resident.user, entry) == Tab.DONE


def test_a_part_picked_up_stays_to_receive_with_its_code_until_the_rest_is_handed_out(closed, place):
    entry = closed.resident_entry  # 3 of the main item and 1 extra
    pay(closed, entry, place.resident, "197")
    release(closed)
    code = PickupCode.objects.get(entry=entry).code
    main_line = entry.lines.get(item=closed.main)
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=code, handed={main_line.pk: 1})
    card = hub(place.resident.user).cards[0]
    assert (card.tab, card.delivery) == (Tab.RECEIVE, "picked_up_in_part")  # more is to come
    assert card.pickup is not None
    assert card.pickup.code == code  # shown again for the rest
    pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=code)
    card = hub(place.resident.user).cards[0]
    assert (card.tab, card.delivery, card.pickup) == (Tab.DONE, "picked_up", None)


def test_a_withdrawn_entry_is_done_and_an_open_one_is_to_pay(place, web):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    gone = signup(buy, place.resident, 1)
    signup_withdraw(actor=place.resident.user, entry=gone)
    live = signup(GroupBuyFactory(community=place.community, leader=place.leader.user), place.resident, 2)
    assert tab_of(place.resident.user, gone) == Tab.DONE
    assert tab_of(place.resident.user, live) == Tab.PAY
    assert hub(place.resident.user).tab == Tab.PAY  # the first non-empty of pay, receive
    html = page(web, place.resident.user, "?tab=done")
    assert 'data-delivery="withdrawn"' in card_html(html, gone)
    assert f'id="entry-{live.pk}"' not in html


def test_the_default_tab_is_the_first_non_empty_of_pay_then_receive(closed, place, web):
    pay(closed, closed.resident_entry, place.resident, "197")
    assert hub(place.resident.user).tab == Tab.RECEIVE
    html = page(web, place.resident.user)
    assert '<a href="?tab=receive" data-tab="receive" aria-current="page">' in html
    assert f'id="entry-{closed.resident_entry.pk}"' in html


@pytest.mark.parametrize("query", ["?tab=nonsense", "?tab=", "?entry=abc", "?entry=999999&tab=done", "?buy=x"])
def test_odd_tab_parameters_fall_back_without_error(closed, place, web, query):
    html = page(web, place.resident.user, query)
    assert 'aria-current="page"' in html


def test_each_tab_shows_its_count(make_closed, place, web):
    paid, unpaid = make_closed(), make_closed()
    pay(paid, paid.resident_entry, place.resident, "197")
    html = page(web, place.resident.user, "?tab=receive")
    for key, count in ((Tab.PAY, 1), (Tab.RECEIVE, 1), (Tab.DONE, 0), (Tab.AFTER, 0)):
        assert f'data-tab="{key}"' in html
        tab_link = html[html.index(f'data-tab="{key}"') :]
        assert tab_link[: tab_link.index("</a>")].endswith(f'<span class="n">{count}</span>')
    assert f'id="entry-{paid.resident_entry.pk}"' in html
    assert f'id="entry-{unpaid.resident_entry.pk}"' not in html


# --- the pay button -----------------------------------------------------------------------------------------------


def test_the_pay_button_shows_only_while_something_is_owed(closed, place, web):
    entry = closed.resident_entry
    pay_url = reverse("settlement:pay", args=[entry.pk])
    card = card_html(page(web, place.resident.user, "?tab=pay"), entry)
    assert f'href="{pay_url}"' in card
    assert "¥197.00" in card
    assert 'data-pay="to_pay"' in card

    payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    card = card_html(page(web, place.resident.user, f"?entry={entry.pk}"), entry)
    assert f'href="{pay_url}"' not in card
    assert 'data-pay="awaiting"' in card

    payment_confirm(actor=place.leader.user, entry=entry)
    card = card_html(page(web, place.resident.user, f"?entry={entry.pk}"), entry)
    assert f'href="{pay_url}"' not in card
    assert 'data-pay="confirmed"' in card


def test_a_partial_payment_keeps_the_card_to_pay_with_what_is_left(closed, place, web):
    entry = closed.resident_entry
    pay(closed, entry, place.resident, "100")
    card = card_html(page(web, place.resident.user), entry)
    assert tab_of(place.resident.user, entry) == Tab.PAY
    assert f'href="{reverse("settlement:pay", args=[entry.pk])}"' in card
    assert "¥97.00" in card


# --- the pickup code ----------------------------------------------------------------------------------------------


def test_the_pickup_code_and_qr_show_only_once_the_goods_are_released(closed, place, web):
    entry = closed.resident_entry
    pay(closed, entry, place.resident, "197")
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)  # issued at the close, to print labels
    code = PickupCode.objects.get(entry=entry).code
    html = page(web, place.resident.user, f"?entry={entry.pk}")
    assert code not in html
    assert "<svg" not in card_html(html, entry)

    closed.set_status(BuyStatus.RELEASED)
    card = card_html(page(web, place.resident.user, f"?entry={entry.pk}"), entry)
    assert f"data-pickup-code>{code}</p>" in card
    assert "<svg" in card

    pickup_hand_over(actor=place.leader.user, buy=closed.buy, code=code)
    html = page(web, place.resident.user, f"?entry={entry.pk}")
    assert code not in html
    assert 'data-delivery="picked_up"' in card_html(html, entry)


# --- who sees what ------------------------------------------------------------------------------------------------


def test_another_households_entry_and_pickup_code_never_show(closed, place, other_place, web):
    release(closed)
    theirs = closed.neighbour_entry
    their_code = PickupCode.objects.get(entry=theirs).code
    for query in ("", "?tab=pay", "?tab=receive", "?tab=done", "?tab=after", f"?entry={theirs.pk}"):
        html = page(web, place.resident.user, query)
        assert f'id="entry-{theirs.pk}"' not in html
        assert their_code not in html
    html = page(web, other_place.resident.user, f"?entry={closed.resident_entry.pk}&buy={closed.buy.pk}")
    assert "No orders yet." in html
    assert PickupCode.objects.get(entry=closed.resident_entry).code not in html
    assert closed.buy.title not in html


def test_an_entry_placed_for_a_neighbour_shows_to_whoever_placed_it(place, web):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    grandma = HouseholdMemberFactory(household=place.neighbour.household, name="张奶奶")
    from groupbuy.factories import main_item
    from groupbuy.services.signup import signup_create

    entry = signup_create(
        actor=place.building_leader.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
        placed_for=grandma,
    )
    card = card_html(page(web, place.building_leader.user), entry)
    assert "placed by you for this household" in card
    assert f'id="entry-{entry.pk}"' in page(web, place.neighbour.user)
    assert f'id="entry-{entry.pk}"' not in page(web, place.resident.user)


def test_the_page_needs_a_login(client):
    response = client.get(MINE)
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- notices lead to the card -------------------------------------------------------------------------------------


def link_of(kind: str, user) -> str:
    return Notification.objects.filter(kind=kind, user=user).values_list("link", flat=True).get()


def test_notices_about_one_households_entry_link_to_its_card(closed, place, web):
    entry, resident = closed.resident_entry, place.resident.user
    payment_reminders_send(buy_id=closed.buy.pk)
    assert link_of("payment_reminder", resident) == f"{MINE}?tab=pay&entry={entry.pk}#entry-{entry.pk}"

    pay(closed, entry, place.resident, "197")
    arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 2, closed.extra.pk: 1})
    assert link_of("shortage_recorded", resident) == f"{MINE}?tab=receive&entry={entry.pk}#entry-{entry.pk}"
    assert link_of("refund_due", resident) == f"{MINE}?tab=after&entry={entry.pk}#entry-{entry.pk}"

    release(closed)
    assert link_of("pickup_ready", resident) == f"{MINE}?tab=receive&buy={closed.buy.pk}#buy-{closed.buy.pk}"

    report = after_sales_report(actor=resident, entry=entry, kind="missing", description="no tofu")
    after_sales_resolve(actor=place.leader.user, report=report, resolution="replacement")
    link = link_of("after_sales_resolved", resident)
    assert link == f"{MINE}?tab=after&entry={entry.pk}#entry-{entry.pk}"


def test_a_notice_link_opens_the_tab_holding_the_card_even_after_it_moved(closed, place, web):
    entry = closed.resident_entry
    payment_reminders_send(buy_id=closed.buy.pk)
    link = link_of("payment_reminder", place.resident.user)
    pay(closed, entry, place.resident, "197")  # paid since: the card is now in 待收货
    path = link.split("#")[0]
    html = page(web, place.resident.user, path.removeprefix(MINE))
    assert '<a href="?tab=receive" data-tab="receive" aria-current="page">' in html
    assert f'id="entry-{entry.pk}"' in html

    release(closed)
    link = link_of("pickup_ready", place.resident.user)
    html = page(web, place.resident.user, link.split("#")[0].removeprefix(MINE))
    anchor = link.split("#")[1]
    assert f'id="{anchor}"' in card_html(html, entry)
    assert PickupCode.objects.get(entry=entry).code in card_html(html, entry)


# --- queries ------------------------------------------------------------------------------------------------------


def entries_in_every_state(place, count: int) -> None:
    """`count` entries of the resident in as many buys, each kind of card among them (to pay, awaiting, paid and
    released with a code, reported)."""
    for i in range(count):
        buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
        entry = signup(buy, place.resident, 1)
        if i % 4 == 1:
            payment_mark(actor=place.resident.user, entry=entry, amount=str(entry.amount), method="wechat")
        if i % 4 == 2:
            PickupCode.objects.create(entry=entry, buy=buy, code=f"HUB{i:05d}")
            type(buy).objects.filter(pk=buy.pk).update(status=BuyStatus.RELEASED)
        if i % 4 == 3:
            type(buy).objects.filter(pk=buy.pk).update(status=BuyStatus.COMPLETED)
            after_sales_report(
                actor=place.resident.user, entry=Entry.objects.get(pk=entry.pk), kind="missing", description="x"
            )


HUB_QUERIES = 9  # session, user, membership (nav); entries: households, entries, lines; money, refunds, reports


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("tab", ["pay", "receive", "done", "after"])
def test_the_hub_reads_as_many_queries_for_1_or_20_entries(place, web, django_assert_num_queries, count, tab):
    entries_in_every_state(place, count)
    client = web(place.resident.user)
    client.get(MINE)  # the session and language settle
    with django_assert_num_queries(HUB_QUERIES):
        response = client.get(f"{MINE}?tab={tab}")
    assert response.status_code == 200


# --- the API reads the same cards ---------------------------------------------------------------------------------


def test_the_api_gives_the_pages_cards_with_the_same_numbers(closed, place, api, web):
    entry = closed.resident_entry
    pay(closed, entry, place.resident, "197")
    release(closed)
    body = api(place.resident.user).get(reverse("api-settlement-orders")).json()
    assert body["tab"] == Tab.RECEIVE
    assert body["counts"] == {"pay": 0, "receive": 1, "done": 0, "after": 0}
    (card,) = body["cards"]
    code = PickupCode.objects.get(entry=entry).code
    assert (card["entry_id"], card["seq"], card["tab"], card["pickup_code"], card["delivery"]) == (
        entry.pk,
        entry.seq,
        "receive",
        code,
        "released",
    )
    assert (card["pay"]["stage"], card["pay"]["confirmed"], card["must_pay"]) == ("confirmed", "197.00", False)
    assert sorted((line["item_id"], line["quantity"]) for line in card["lines"]) == sorted(
        [(closed.main.pk, 3), (closed.extra.pk, 1)]
    )
    assert f'id="entry-{entry.pk}"' in page(web, place.resident.user)


def test_the_api_never_gives_another_households_card_or_code(closed, place, api):
    release(closed)
    theirs = closed.neighbour_entry
    client = api(place.resident.user)
    for query in ({}, {"entry": theirs.pk}, {"buy": closed.buy.pk, "tab": "pay"}, {"tab": "receive"}):
        body = client.get(reverse("api-settlement-orders"), query).json()
        assert theirs.pk not in [card["entry_id"] for card in body["cards"]]
        assert PickupCode.objects.get(entry=theirs).code not in str(body)
    assert api().get(reverse("api-settlement-orders")).status_code in (401, 403)
