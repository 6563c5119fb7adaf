"""The home page opens on the next thing to do for each role the person holds (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import Suspension
from groupbuy.factories import GroupBuyFactory
from groupbuy.models import BuyStatus
from groupbuy.selectors.homes import buy_next_action, leader_home_buy_list
from tests.compliance.conftest import filing_kwargs, live_times, make_ordered_buy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


def home(web, member):
    response = web(member.user).get(reverse("home"))
    assert response.status_code == 200
    return response


def submit_filing(place, *, title="Vegetable box round 3"):
    from compliance.services.filings import filing_submit

    buy = make_ordered_buy(place)
    buy.__class__.objects.filter(pk=buy.pk).update(title=title)
    buy.refresh_from_db()
    return filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs(now=None, **live_times()))


@pytest.fixture
def live_policy(place):
    from datetime import time

    from compliance.models import DeliveryPolicy

    return DeliveryPolicy.objects.create(
        community=place.community, weekdays="0123456", lead_hours=0, gate_opens=time(0, 0), gate_closes=time(23, 59, 59)
    )


# --- the leader ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "waits"),
    [
        (BuyStatus.DRAFT, "publish", True),
        (BuyStatus.OPEN, "watch", False),
        (BuyStatus.FORMED, "close", True),
        (BuyStatus.CLOSED, "order", True),
        (BuyStatus.ORDERED, "file", True),
        (BuyStatus.FILED, "await_review", False),
        (BuyStatus.APPROVED, "receive", False),
        (BuyStatus.ON_HOLD, "receive", False),
        (BuyStatus.ARRIVED, "receive", False),
        (BuyStatus.DISINFECTED, "receive", False),
        (BuyStatus.RELEASED, "hand_out", True),
        (BuyStatus.DISTRIBUTING, "hand_out", True),
        (BuyStatus.COMPLETED, None, None),
        (BuyStatus.FAILED, None, None),
        (BuyStatus.CANCELLED, None, None),
    ],
)
def test_next_action_follows_the_buy_status(status, action, waits):
    buy = GroupBuyFactory.build(status=status)
    assert buy_next_action(buy) == ((action, waits) if action else None)


def test_every_status_has_a_next_action_or_is_over():
    over = {BuyStatus.COMPLETED, BuyStatus.FAILED, BuyStatus.CANCELLED}
    for status in BuyStatus:
        assert (buy_next_action(GroupBuyFactory.build(status=status)) is None) == (status in over)


def test_leader_home_lists_own_buys_in_progress_waiting_ones_first(place):
    today = timezone.localdate()
    open_soon = GroupBuyFactory(
        community=place.community, leader=place.leader.user, status=BuyStatus.OPEN, delivery_date=today
    )
    to_close = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        status=BuyStatus.FORMED,
        delivery_date=today + timedelta(days=3),
    )
    GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.COMPLETED)
    GroupBuyFactory(community=place.community, leader=place.other_leader.user, status=BuyStatus.FORMED)

    rows = leader_home_buy_list(user=place.leader.user, community_id=place.community.pk)

    assert [(r.buy.pk, r.action) for r in rows] == [(to_close.pk, "close"), (open_soon.pk, "watch")]


def test_leader_home_links_each_buy_to_its_next_step(place, web):
    formed = GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.FORMED)
    ordered = make_ordered_buy(place)
    released = GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.RELEASED)

    html = home(web, place.leader).content.decode()

    assert f'href="{reverse("groupbuy:dashboard", args=[formed.pk])}">Close the list' in html
    assert f'href="{reverse("compliance:buy_delivery", args=[ordered.pk])}">File the delivery' in html
    assert f'href="{reverse("settlement:handover", args=[released.pk])}">Hand out' in html
    assert reverse("groupbuy:buy_create") in html


def test_a_resident_sees_no_leader_block(place, web):
    GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.FORMED, title="Leeks")
    html = home(web, place.resident).content.decode()
    assert "Buys you lead" not in html
    assert "Close the list" not in html


# --- the committee -------------------------------------------------------------------------------------------


def test_committee_home_counts_pending_filings_and_links_the_oldest(place, web, live_policy):
    filing = submit_filing(place)
    now = timezone.now()
    Suspension.objects.create(
        community=place.community,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        reason="Lockdown of building 12",
        created_by=place.committee.user,
    )

    response = home(web, place.committee)

    html = response.content.decode()
    assert "1 filing waiting" in html
    assert f'href="{reverse("compliance:filing_detail", args=[filing.pk])}">Vegetable box round 3' in html
    assert "1 in force or announced" in html
    assert "Lockdown of building 12" in html
    # The committee block comes before the rest of the page when something waits.
    assert html.index("Filings to review") < html.index("Invite codes")


def test_committee_home_with_nothing_pending_says_so(place, web):
    html = home(web, place.committee).content.decode()
    assert "0 filings waiting" in html
    assert "None in force." in html


def test_committee_home_shows_only_its_own_community(place, other_place, web, live_policy):
    submit_filing(place, title="Our carrots")
    html = home(web, other_place.committee).content.decode()
    assert "Our carrots" not in html
    assert "0 filings waiting" in html


# --- the gate guard ------------------------------------------------------------------------------------------


def test_guard_home_opens_on_the_code_box_posting_to_the_gate_check(place, web):
    html = home(web, place.gate_guard).content.decode()
    assert f'action="{reverse("compliance:gate")}"' in html
    assert f'name="c" value="{place.community.pk}"' in html
    assert 'name="code"' in html
    assert "data-scan hidden" in html  # shown by scan.js only where the browser can scan
    assert html.index("Gate check") < html.index("Notices</a></li>")


def test_the_home_code_box_verifies_through_the_gate_check(place, web, live_policy):
    from compliance.services.review import filing_approve

    filing = submit_filing(place)
    filing_approve(actor=place.committee.user, filing=filing)
    code = filing.slip.code

    client = web(place.gate_guard.user)
    response = client.post(reverse("compliance:gate"), {"c": place.community.pk, "code": code.lower()})

    assert response.status_code == 200
    assert response.context["result"].result == "valid"


def test_no_code_box_for_people_who_do_not_guard_the_gate(place, web):
    for member in (place.resident, place.leader, place.committee):
        assert 'name="code"' not in home(web, member).content.decode()


# --- the resident --------------------------------------------------------------------------------------------


def test_resident_home_lists_open_buys_and_my_orders(place, web):
    open_buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="Eggs")
    GroupBuyFactory(community=place.community, leader=place.leader.user, title="Old rice", status=BuyStatus.CLOSED)
    other = GroupBuyFactory(title="Elsewhere")

    html = home(web, place.resident).content.decode()

    assert f'href="{reverse("groupbuy:buy_detail", args=[open_buy.pk])}">Eggs' in html
    assert "Old rice" not in html
    assert other.title not in html
    assert f'href="{reverse("groupbuy:my_entries")}"' in html


def test_resident_home_without_open_buys_says_so(place, web):
    assert "No group buys open right now." in home(web, place.resident).content.decode()


def test_home_needs_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302


# --- query counts --------------------------------------------------------------------------------------------


def many_buys(place, n=8):
    for i in range(n):
        GroupBuyFactory(community=place.community, leader=place.leader.user, title=f"Open {i}")
        GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.FORMED)


@pytest.mark.parametrize(
    ("role", "queries"),
    # session, user, memberships, the membership's roles, unread notices, then each block: the resident's open
    # buys (2), the leader's buys (1, plus the resident block: leaders live here too), the committee's queue (2)
    # and suspensions (1); the guard's box reads nothing.
    [("resident", 7), ("leader", 8), ("committee", 8), ("gate_guard", 5)],
)
def test_home_query_count_does_not_grow_with_buys_or_filings(
    place, web, live_policy, role, queries, django_assert_max_num_queries
):
    client = web(getattr(place, role).user)
    client.get(reverse("home"))  # warm the session
    many_buys(place)
    submit_filing(place)
    with django_assert_max_num_queries(queries):
        client.get(reverse("home"))


def test_a_leader_sees_their_buys_before_the_open_buys_list(place, web):
    GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.OPEN, title="Leeks")
    html = home(web, place.leader).content.decode()
    assert html.index("Buys you lead") < html.index("Open group buys")


def test_a_leader_with_nothing_in_progress_sees_open_buys_first(place, web):
    GroupBuyFactory(community=place.community, leader=place.other_leader.user, status=BuyStatus.OPEN, title="Leeks")
    html = home(web, place.leader).content.decode()
    assert html.index("Open group buys") < html.index("Buys you lead")
    assert "No buy in progress." in html
