"""Geometry of the server-rendered charts (groupbuy/charts.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.factories import HouseholdFactory, MembershipFactory, UserFactory
from groupbuy import charts
from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import Entry, GroupBuy, MoqKind
from groupbuy.services.signup import signup_withdraw


def points(chart) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in p.split(",")) for p in chart.points.split()]


def at(buy, entry, minutes) -> None:
    Entry.objects.filter(pk=entry.pk).update(created_at=buy.opened_at + datetime.timedelta(minutes=minutes))


@pytest.fixture
def buy(place):
    opened = timezone.now() - datetime.timedelta(hours=2)
    return GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"), opened_at=opened)


def test_progress_steps_up_at_each_sign_up_and_ends_at_the_total(place, buy):
    at(buy, signup(buy, place.resident, 3), 30)
    at(buy, signup(buy, place.neighbour, 4), 90)
    buy.refresh_from_db()
    chart = charts.signup_progress(buy=buy)
    xy = points(chart)
    assert (chart.current, chart.moq, chart.entries, chart.percent) == (Decimal("7"), Decimal("10"), 2, 70)
    assert [x for x, _ in xy] == sorted(x for x, _ in xy)  # time only moves right
    ys = [y for _, y in xy]
    assert ys == sorted(ys, reverse=True)  # the total never drops (SVG y grows downwards)
    assert xy[0] == (charts.LEFT, chart.axis_y)
    assert xy[-1][0] == charts.WIDTH - charts.RIGHT  # drawn up to now
    # Heights are proportional: 7 units reach 70% of the way to the dashed 10-unit minimum.
    assert (chart.axis_y - xy[-1][1]) == pytest.approx((chart.axis_y - chart.moq_y) * 0.7, abs=0.2)
    # The first step is a quarter of the way along (30 of ~120 minutes).
    assert xy[1][0] == pytest.approx(charts.LEFT + (charts.WIDTH - charts.LEFT - charts.RIGHT) / 4, abs=2)
    assert len(chart.marks) == 2


def test_withdrawn_entries_are_not_counted(place, buy):
    entry = signup(buy, place.resident, 3)
    signup(buy, place.neighbour, 2)
    signup_withdraw(actor=place.resident.user, entry=entry)
    buy.refresh_from_db()
    chart = charts.signup_progress(buy=buy)
    assert (chart.current, chart.entries) == (Decimal("2"), 1)


def test_a_buy_counted_in_yuan_draws_amounts(place):
    buy = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq_kind=MoqKind.AMOUNT, moq=Decimal("500")
    )
    signup(buy, place.resident, 2)  # 2 x 59.00
    chart = charts.signup_progress(buy=buy)
    assert (chart.counts_units, chart.current, chart.moq) == (False, Decimal("118.00"), Decimal("500"))


def test_a_long_list_is_sampled_but_keeps_its_last_total(place, buy, django_assert_num_queries):
    GroupBuy.objects.filter(pk=buy.pk).update(moq=Decimal("1000"))
    buy.refresh_from_db()
    for n in range(charts.MAX_STEPS + 40):
        household = HouseholdFactory(community=place.community, building=place.building, room=str(2000 + n))
        member = MembershipFactory(user=UserFactory(), household=household, community=place.community)
        at(buy, signup(buy, member, 1), n % 100 + 1)
    buy.refresh_from_db()
    with django_assert_num_queries(1):
        chart = charts.signup_progress(buy=buy)
    assert chart.current == charts.MAX_STEPS + 40
    assert len(points(chart)) <= 2 * (charts.MAX_STEPS + 1) + 2
    assert chart.marks == []
    top = min(y for _, y in points(chart))
    assert points(chart)[-1][1] == top


def test_no_sign_ups_draws_a_flat_line(place, buy):
    chart = charts.signup_progress(buy=buy)
    assert chart.current == 0
    assert {y for _, y in points(chart)} == {chart.axis_y}


def test_distribution_bars_are_proportional_to_households_handed_over():
    rows = [
        {"building_id": 1, "building": "3", "total": 4, "handed": 1},
        {"building_id": 2, "building": "12", "total": 2, "handed": 2},
        {"building_id": 3, "building": "15", "total": 0, "handed": 0},
    ]
    chart = charts.distribution_bars(buy=None, rows=rows)
    assert [(b.building, b.width, b.percent) for b in chart.bars] == [
        ("3", chart.bar_w / 4, 25),
        ("12", chart.bar_w, 100),
        ("15", 0.0, 0),
    ]
    assert (chart.handed, chart.total) == (3, 6)
    assert [b.y for b in chart.bars] == [4, 4 + charts.BAR_ROW, 4 + 2 * charts.BAR_ROW]
    assert chart.height == 8 + 3 * charts.BAR_ROW
