"""Leaders' coordination reads: duplicate buys, the board's neighbours, leader reputation from records."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import Filing
from core.errors import ApplicationError
from groupbuy import selectors
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, OfferFactory, main_item, signup
from groupbuy.models import BuyStatus, GroupBuy
from groupbuy.services.buys import group_buy_cancel
from groupbuy.services.pools import pool_create, pool_join, pool_offer
from settlement.models import AfterSalesReport

pytestmark = pytest.mark.django_db


def test_duplicates_are_same_offer_or_same_supplier_and_category_within_a_week(place, other_place):
    first = GroupBuyFactory(community=place.community, leader=place.leader.user)
    offer = main_item(first).offer
    sibling = OfferFactory(supplier=offer.supplier, category=offer.category)
    other_category = OfferFactory(supplier=offer.supplier, category="肉")
    found = selectors.duplicate_buys(community_id=place.community.pk, offer_ids=[offer.pk])
    assert [(d.buy, d.reason) for d in found] == [(first, "same_offer")]
    found = selectors.duplicate_buys(community_id=place.community.pk, offer_ids=[sibling.pk])
    assert [(d.buy, d.reason) for d in found] == [(first, "same_supplier_category")]
    assert selectors.duplicate_buys(community_id=place.community.pk, offer_ids=[other_category.pk]) == []
    # Another community's buys never count; a failed buy does not either; one formed 8 days ago neither.
    assert selectors.duplicate_buys(community_id=other_place.community.pk, offer_ids=[offer.pk]) == []
    GroupBuy.objects.filter(pk=first.pk).update(status=BuyStatus.FAILED)
    assert selectors.duplicate_buys(community_id=place.community.pk, offer_ids=[offer.pk]) == []
    GroupBuy.objects.filter(pk=first.pk).update(
        status=BuyStatus.CLOSED, formed_at=timezone.now() - datetime.timedelta(days=8)
    )
    assert selectors.duplicate_buys(community_id=place.community.pk, offer_ids=[offer.pk]) == []
    GroupBuy.objects.filter(pk=first.pk).update(formed_at=timezone.now() - datetime.timedelta(days=2))
    assert len(selectors.duplicate_buys(community_id=place.community.pk, offer_ids=[offer.pk])) == 1


def test_neighbours_are_the_communities_one_pools_with(place, other_place):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user)
    assert selectors.community_neighbour_id_list(community_id=place.community.pk) == set()
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    assert selectors.community_neighbour_id_list(community_id=place.community.pk) == {other_place.community.pk}
    assert selectors.community_neighbour_id_list(community_id=other_place.community.pk) == {place.community.pk}


def test_reputation_is_computed_from_buys_filings_after_sales_and_prices(place):
    leader = place.leader.user
    done = GroupBuyFactory(community=place.community, leader=leader, status=BuyStatus.COMPLETED)
    late = GroupBuyFactory(community=place.community, leader=leader, status=BuyStatus.COMPLETED)
    GroupBuyFactory(community=place.community, leader=leader, status=BuyStatus.FAILED)
    running = GroupBuyFactory(community=place.community, leader=leader)
    BuyItemFactory(buy=running, unit_price=Decimal("11.00"), supplier_cost=Decimal("10.00"))
    start = timezone.now().replace(hour=9)
    for buy, arrived in ((done, start), (late, start + datetime.timedelta(days=1))):
        Filing.objects.create(
            community=place.community,
            buy=buy,
            submitted_by=leader,
            gate="北门",
            arrival_start=start,
            arrival_end=start + datetime.timedelta(hours=2),
            vehicle_plate="沪A12345",
            driver_name="李师傅",
            test_sampled_at=start,
            submitted_at=start,
            arrived_at=arrived,
        )
    entry = signup(running, place.resident, 1)
    AfterSalesReport.objects.create(
        entry=entry, buy=running, kind="missing", description="少一盒", reported_by=place.resident.user
    )
    AfterSalesReport.objects.create(
        entry=entry, buy=running, kind="damaged", description="破了", reported_by=place.resident.user, state="resolved"
    )

    rep = selectors.leader_reputation_get(leader_id=leader.pk)

    assert (rep.completed, rep.failed, rep.cancelled, rep.running) == (2, 1, 0, 1)
    assert (rep.deliveries_filed, rep.deliveries_on_date, rep.on_date_share) == (2, 1, 50)
    assert (rep.after_sales_opened, rep.after_sales_resolved) == (2, 1)
    # Items: four at 59 over 50 (18%) and one at 11 over 10 (10%).
    assert rep.average_markup == Decimal("16.4")


def test_the_host_cannot_cancel_while_other_communities_are_in_the_pool(place, other_place):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user)
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, drop_point="东门")

    with pytest.raises(ApplicationError) as info:
        group_buy_cancel(actor=place.leader.user, buy=host, reason="没货")
    assert info.value.code == "pool_host_cannot_leave"
    assert GroupBuy.objects.get(pk=host.pk).status == BuyStatus.OPEN
    # A member may cancel before forming: it leaves the pool first.
    group_buy_cancel(actor=other_place.leader.user, buy=member, reason="小区封控")
    pool.refresh_from_db()
    assert (pool.member_count, GroupBuy.objects.get(pk=member.pk).status) == (1, BuyStatus.CANCELLED)


def test_buy_page_panel_shows_the_pool_and_the_next_box_from_loaded_items(
    place, other_place, django_assert_num_queries
):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("30"), item=None)
    item = BuyItemFactory(buy=host, is_main=True, offer__pack_size=10, offer__unit="斤")
    signup(host, place.resident, 7, tolerances={item.pk: 2})
    pool = pool_create(actor=place.leader.user, buy=host)
    buy = selectors.buy_get(user=place.resident.user, buy_id=host.pk)
    buy.pool_id = pool.pk  # as annotated by the buy selector
    with django_assert_num_queries(2):
        panel = selectors.buy_panel_get(buy=buy)
    assert panel.pool == pool
    assert [(p.firm, p.tolerance, p.missing) for p in panel.packs] == [(7, 2, 1)]
    plain = GroupBuyFactory(community=place.community, leader=place.leader.user)
    plain = selectors.buy_get(user=place.resident.user, buy_id=plain.pk)
    plain.pool_id = None
    with django_assert_num_queries(0):
        assert selectors.buy_panel_get(buy=plain) == selectors.BuyPagePanel(pool=None, packs=[])
