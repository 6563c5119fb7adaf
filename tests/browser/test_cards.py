"""Staff lists as cards on a phone (issue 16, item 2): at 390×844 every row of a `table.cards` is a card inside the
screen, each cell labelled, and the row's action (确认, 拨打, 编辑, 通过...) is a visible button at least 44 px tall.
Each page is shown with at least five rows; the browse fixture also checks contrast, tap targets and 200 % text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.services.households import household_member_add, household_set_vulnerable
from accounts.services.invites import invite_codes_issue
from accounts.services.joining import join_request_create
from groupbuy.factories import GroupBuyFactory, main_item, signup
from settlement.models import Payment, PaymentState
from settlement.services.donations import donation_add
from settlement.services.payments import payment_confirm, payment_mark
from tests.settlement.conftest import ClosedBuy, make_residents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
ROWS = 6

# For each body row of the table: is it laid out as a card (block), its box, the label its first labelled cell
# shows (the ::before content), and the boxes of the row's actions that match `action`.
CARDS_JS = """
([table, action]) => [...document.querySelectorAll(`${table} tbody tr`)].map((tr) => {
  const box = tr.getBoundingClientRect();
  const labelled = tr.querySelector("td[data-label]:not([data-label=''])");
  const actions = action ? [...tr.querySelectorAll(action)].map((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, width: r.width, height: r.height,
             shown: getComputedStyle(el).visibility === "visible" && r.width > 0 && r.height > 0 };
  }) : [];
  return {
    display: getComputedStyle(tr).display,
    left: box.left,
    right: box.right,
    label: labelled ? getComputedStyle(labelled, "::before").content : null,
    dataLabel: labelled ? labelled.getAttribute("data-label") : null,
    actions,
  };
})
"""


def assert_cards(browser, table: str, *, rows: int, action: str | None = None) -> list[dict]:
    """`rows` cards in `table`, each within the phone's width, labelled, with its `action` visible and >= 44 px."""
    cards = browser.page.evaluate(CARDS_JS, [table, action])
    assert len(cards) == rows
    for card in cards:
        assert card["display"] == "block", card
        assert card["left"] >= 0
        assert card["right"] <= PHONE_WIDTH
        assert card["label"] == f'"{card["dataLabel"]}"', card
        if action:
            assert card["actions"], f"row without its action: {card}"
            for button in card["actions"]:
                assert button["shown"], button
                assert button["height"] >= 44, button
                assert button["left"] >= 0
                assert button["right"] <= PHONE_WIDTH
    return cards


def test_dashboard_contacts_are_cards_with_a_call_button(place, browse):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜套餐 第3团 Vegetables box")
    people = [place.resident, place.neighbour, *make_residents(place, ROWS - 2)]
    for quantity, member in enumerate(people, start=1):
        signup(buy, member, quantity)
    leader = browse(place.leader.user)
    leader.visit(reverse("groupbuy:dashboard", args=[buy.pk]))

    assert_cards(leader, "table[data-list=contacts]", rows=ROWS, action="td.actions a[href^='tel:']")
    call = leader.page.locator("table[data-list=contacts] tbody tr").first.locator("td.actions a")
    phone = place.resident.user.phone
    # Dialled as stored (E.164), shown as the 11 digits people read here.
    assert call.get_attribute("href") == f"tel:{phone}"
    assert call.locator(".tel").inner_text() == phone.removeprefix("+86")
    assert_cards(leader, "section.card table.cards:not([data-list])", rows=1)  # the purchase order preview
    leader.screenshots("cards-dashboard")


def paid_closed_buy(place, *, overpay: Decimal = Decimal("0")) -> ClosedBuy:
    """A closed buy of six households, each of which marked its payment (`overpay` above what it owes)."""
    closed = ClosedBuy(place, extra_signups=[(m, 2) for m in make_residents(place, ROWS - 2)])
    for entry in closed.buy.entries.select_related("buy", "placed_by").order_by("seq"):
        payment_mark(actor=entry.placed_by, entry=entry, amount=str(entry.amount + overpay), method="wechat")
    return closed


def test_reconcile_rows_are_cards_and_confirm_is_one_tap(place, browse):
    closed = paid_closed_buy(place)
    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))

    assert_cards(leader, "table.cards", rows=ROWS, action="td.actions button")
    leader.screenshots("cards-reconcile")

    # The 确认 of a card confirms that household's payment.
    first = closed.resident_entry
    with leader.page.expect_navigation():
        leader.page.locator(f"#e{first.pk} td.actions button.btn-primary").click()
    leader.check()
    assert Payment.objects.get(entry=first).state == PaymentState.CONFIRMED
    assert Payment.objects.filter(buy=closed.buy, state=PaymentState.MARKED).count() == ROWS - 1


def test_refunds_are_cards_with_mark_paid_back(place, browse):
    closed = paid_closed_buy(place, overpay=Decimal("1.00"))
    for entry in closed.buy.entries.select_related("buy").order_by("seq"):
        payment_confirm(actor=place.data_volunteer.user, entry=entry)
    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:refunds", kwargs={"pk": closed.buy.pk}))

    assert_cards(leader, "table.cards", rows=ROWS, action="td.actions button")


def test_members_are_cards_with_edit(place, browse):
    committee = browse(place.committee.user)
    committee.visit(reverse("accounts:members", args=[place.community.pk]))

    assert_cards(committee, "table.cards", rows=9, action="td.actions a.btn")  # the nine members of `place`


def test_invites_are_cards(place, browse):
    issued = invite_codes_issue(
        actor=place.committee.user, community_id=place.community.pk, building_ids=[place.building.pk]
    )
    assert len(issued) >= 5
    committee = browse(place.committee.user)
    committee.visit(reverse("accounts:invites", args=[place.community.pk]))

    assert_cards(committee, "table.cards", rows=len(issued))


def test_join_requests_are_cards_with_approve_and_reject(place, browse):
    for i in range(ROWS):
        user = UserFactory(username=f"newcomer{i}", display_name=f"赵{i}")
        join_request_create(
            user=user,
            community_id=place.community.pk,
            building_id=place.other_building.pk,
            room=f"{800 + i}",
            message="刚搬来，想参加团购 just moved in" if i % 2 else "",
        )
    committee = browse(place.committee.user)
    committee.visit(reverse("accounts:join_requests", args=[place.community.pk]))

    assert_cards(committee, "table.cards", rows=ROWS, action="td.actions button")
    # A request without a message shows no empty "留言" line.
    blank = committee.page.evaluate(
        "() => [...document.querySelectorAll('table.cards td')].filter((td) => !td.textContent.trim())"
        ".map((td) => getComputedStyle(td).display)"
    )
    assert blank == ["none"] * (ROWS // 2)
    committee.screenshots("cards-join-requests")


def test_people_added_by_staff_are_cards(place, browse):
    for i in range(ROWS):
        household_member_add(
            actor=place.committee.user,
            community_id=place.community.pk,
            building_id=place.other_building.pk,
            room=f"{900 + i}",
            name=f"孙奶奶{i}",
            note="请放门口 leave at the door" if i % 2 else "",
        )
    committee = browse(place.committee.user)
    committee.visit(reverse("accounts:household_members", args=[place.community.pk]))

    assert_cards(committee, "table.cards", rows=ROWS)


def test_donations_are_cards_with_their_actions(place, browse):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    household_set_vulnerable(actor=place.committee.user, household_id=place.neighbour.household_id, is_vulnerable=True)
    for donor in [place.resident, place.data_volunteer, *make_residents(place, ROWS - 2)]:
        donation_add(actor=donor.user, buy=buy, item_id=main_item(buy).pk, quantity=1)
    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:donations", kwargs={"pk": buy.pk}))

    # The leader may assign a household, take the payment and remove a pledge: every one of them a full-width button.
    assert_cards(leader, "table.cards", rows=ROWS, action="td.actions button, td.actions select")
    leader.screenshots("cards-donations")


def test_the_pick_list_is_cards_on_a_phone(place, browse):
    from settlement.services.distribution import pickup_codes_issue

    closed = ClosedBuy(place, extra_signups=[(m, 1) for m in make_residents(place, ROWS - 2)])
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:pick_list", kwargs={"pk": closed.buy.pk}))
    cards = leader.page.evaluate(CARDS_JS, ["table.cards", None])
    assert len(cards) == ROWS
    for card in cards:
        assert card["display"] == "block", card
        assert card["right"] <= PHONE_WIDTH
        assert card["label"] == f'"{card["dataLabel"]}"', card
    leader.screenshots("cards-pick-list")


ROW_DISPLAYS_JS = """
() => [...new Set([...document.querySelectorAll("table.cards tbody tr")].map((tr) => getComputedStyle(tr).display))]
"""


def test_cards_stay_a_table_on_wide_screens_and_in_print(place, browse):
    closed = paid_closed_buy(place)
    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))
    assert leader.page.evaluate(ROW_DISPLAYS_JS) == ["block"]

    leader.page.emulate_media(media="print")
    assert leader.page.evaluate(ROW_DISPLAYS_JS) == ["table-row"]
    leader.page.emulate_media(media="screen")
    leader.page.set_viewport_size({"width": 1024, "height": 768})
    assert leader.page.evaluate(ROW_DISPLAYS_JS) == ["table-row"]
    assert leader.page.locator("table.cards thead").is_visible()
