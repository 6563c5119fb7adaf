from django.db.models import Sum

from groupbuy.demo import seed_groupbuy_demo
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
