from django.db.models import Sum

from accounts.management.demo.buys import seed_groupbuy_demo
from groupbuy.models import BuyStatus, Entry, EntryLine, GroupBuy, Offer, Supplier


def test_demo_seed_makes_open_buys_with_signups_and_is_idempotent(place):
    residents = [place.resident, place.neighbour, place.building_leader.user, place.data_volunteer]
    seed_groupbuy_demo(place.community, [place.leader, place.other_leader.user], residents)

    assert Supplier.objects.filter(community=place.community).count() == 3
    assert Offer.objects.count() == 4
    buys = GroupBuy.objects.filter(community=place.community)
    assert buys.count() == 3
    assert set(buys.values_list("status", flat=True)) <= {BuyStatus.OPEN, BuyStatus.FORMED}
    assert Entry.objects.filter(buy__in=buys).count() >= 4
    for buy in buys:
        lines = EntryLine.objects.filter(entry__buy=buy).aggregate(s=Sum("quantity"))["s"] or 0
        assert buy.total_units == lines

    counts = (GroupBuy.objects.count(), Entry.objects.count(), Offer.objects.count())
    seed_groupbuy_demo(place.community, [place.leader], residents)
    assert (GroupBuy.objects.count(), Entry.objects.count(), Offer.objects.count()) == counts


def test_demo_pool_of_three_compounds_forms_once_and_a_box_is_3_short(place, other_place):
    from accounts.factories import CommunityFactory, HouseholdFactory, MembershipFactory
    from groupbuy.models import Pool, PoolStatus
    from groupbuy.selectors.packs import pack_status_list

    third = CommunityFactory(name="C")
    third_leader = MembershipFactory(community=third, is_team_leader=True)

    def households(community, count, prefix):
        return [
            MembershipFactory(community=community, household=HouseholdFactory(community=community, room=f"{prefix}{n}"))
            for n in range(count)
        ]

    main_people = households(place.community, 50, "M")
    neighbours = [
        (other_place.community, [other_place.leader], households(other_place.community, 6, "B")),
        (third, [third_leader], households(third, 6, "C")),
    ]
    seed_groupbuy_demo(place.community, [place.leader], main_people, neighbours)

    pool = Pool.objects.get()
    assert pool.status == PoolStatus.FORMED
    assert pool.main_units == 50 + 6 * 4 + 6 * 5
    members = list(GroupBuy.objects.filter(pool_memberships__pool=pool).order_by("pk"))
    assert [b.community_id for b in members] == [place.community.pk, other_place.community.pk, third.pk]
    assert {b.status for b in members} == {BuyStatus.FORMED}
    assert all(b.main_units < 100 for b in members)  # none could reach the MOQ alone
    assert len({b.formed_at for b in members}) == 1
    box = GroupBuy.objects.get(title="散装青菜 按斤拼箱")
    assert [p.missing for p in pack_status_list(buy=box)] == [3]

    counts = (GroupBuy.objects.count(), Entry.objects.count(), Pool.objects.count())
    seed_groupbuy_demo(place.community, [place.leader], main_people, neighbours)
    assert (GroupBuy.objects.count(), Entry.objects.count(), Pool.objects.count()) == counts
