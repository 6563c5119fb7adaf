"""The city generator (bench/city.py) at a tiny scale: what it makes holds the invariants make bench checks."""

import pytest
from django.db import connection

from bench import data
from bench.city import Scale, fill
from groupbuy.models import BuyStatus, Entry, GroupBuy, PurchaseOrder

TINY = Scale(communities=3, households=60, closed=4, open_buys=2, entries=900)


def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SKIPPED LOUDLY: the city generator is PostgreSQL SQL (set DATABASE_URL)")


def _one(sql: str) -> int:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_generated_city_holds_the_buy_invariants():
    _needs_postgresql()
    with connection.cursor() as cur:
        fill(cur, TINY)

    buys = list(GroupBuy.objects.values_list("id", flat=True))
    assert len(buys) == 3 * (4 + 2)
    assert GroupBuy.objects.filter(status=BuyStatus.OPEN).count() == 3 * 2
    assert data.check_buys(buys) == []  # counters = entries, dense numbers, none after close, one order each
    assert PurchaseOrder.objects.count() == GroupBuy.objects.filter(closed_at__isnull=False).count() == 3 * 4
    assert Entry.objects.filter(status="withdrawn").exists()
    # Foreign keys were not checked during the load: every reference lands in the buy's own compound.
    assert not _one(
        """SELECT count(*) FROM groupbuy_entry e JOIN groupbuy_groupbuy b ON b.id = e.buy_id
        LEFT JOIN accounts_household h ON h.id = e.household_id
        LEFT JOIN accounts_membership m ON m.user_id = e.placed_by_id AND m.household_id = h.id
        WHERE h.community_id IS DISTINCT FROM b.community_id OR m.id IS NULL"""
    )
    assert not _one(
        """SELECT count(*) FROM groupbuy_groupbuy b JOIN accounts_membership m ON m.user_id = b.leader_id
        WHERE m.community_id <> b.community_id OR NOT m.is_team_leader"""
    )
    # The indexes dropped for the load are back, and new rows get ids past the generated ones.
    assert _one("SELECT count(*) FROM pg_indexes WHERE indexname = 'groupbuy_entry_household_id_5ecfbb84'") == 1
    next_entry_id = _one("SELECT nextval(pg_get_serial_sequence('groupbuy_entry', 'id'))")
    assert Entry.objects.order_by("-id").first().id < next_entry_id


def test_households_per_compound_must_be_prime_to_the_stride():
    with pytest.raises(ValueError, match="multiple of 7"):
        Scale(households=70)
