"""Bench data and invariant checks, through the ORM and the real services (imported after django.setup()).

One community at demo scale: `residents` households, each with one resident who has
an API token (knox); a leader; one supplier and offer; buys made directly as open rows (the
opening service's own validation is not what is measured), and entries that a page
must show made with the real signup_create.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection, transaction
from django.utils import timezone
from knox import crypto
from knox.models import AuthToken
from knox.settings import CONSTANTS

from accounts.models import Building, Community, Household, HouseholdMember, Membership, Notification, User
from core.sessions import SessionStore
from groupbuy.models import BuyItem, BuyStatus, Entry, EntryLine, GroupBuy, MoqKind, Offer, PurchaseOrder, Supplier
from groupbuy.services.signup import signup_create

ROOMS_PER_BUILDING = 200
FAR = datetime.timedelta(days=7)
UNIT_PRICE = Decimal("25.00")


@dataclass
class Resident:
    user_id: int
    household_id: int
    token: str


@dataclass
class World:
    community_id: int
    leader_id: int
    offer_id: int
    residents: list[Resident]
    sessions: list[str] = field(default_factory=list)  # session keys of the first residents, for pages


@dataclass
class Buy:
    id: int
    item_id: int


def build_world(*, residents: int) -> World:
    with transaction.atomic():
        community = Community.objects.create(name="基准花园 Bench Garden", district="bench")
        buildings = Building.objects.bulk_create(
            [
                Building(community=community, label=str(b + 1), sort_key=b + 1)
                for b in range((residents + ROOMS_PER_BUILDING) // ROOMS_PER_BUILDING)
            ]
        )
        households = Household.objects.bulk_create(
            [
                Household(
                    community=community,
                    building=buildings[i // ROOMS_PER_BUILDING],
                    room=f"{(i % ROOMS_PER_BUILDING) // 4 + 1}{i % 4 + 1:02d}",
                )
                for i in range(residents + 1)
            ]
        )
        unusable = "!bench-no-password"
        users = User.objects.bulk_create(
            [User(username=f"bench{i:05d}", display_name=f"居民{i}", password=unusable) for i in range(residents + 1)]
        )
        leader, users, leader_household, households = users[-1], users[:-1], households[-1], households[:-1]
        Membership.objects.bulk_create(
            [Membership(user=u, community=community, household=h) for u, h in zip(users, households, strict=True)]
            + [Membership(user=leader, community=community, household=leader_household, is_team_leader=True)]
        )
        HouseholdMember.objects.bulk_create(
            [HouseholdMember(household=h, name=u.display_name, user=u) for u, h in zip(users, households, strict=True)]
        )
        # Knox keeps a hash only: make the tokens in clear here, store their digests, hand the clear ones out.
        tokens = [crypto.create_token_string() for _ in users]
        AuthToken.objects.bulk_create(
            [
                AuthToken(digest=crypto.hash_token(t), token_key=t[: CONSTANTS.TOKEN_KEY_LENGTH], user=u, expiry=None)
                for u, t in zip(users, tokens, strict=True)
            ]
        )
        supplier = Supplier.objects.create(community=community, name="基准供应商", created_by=leader)
        offer = Offer.objects.create(
            supplier=supplier, title="蔬菜套餐", unit="份", unit_price=UNIT_PRICE, supplier_cost=Decimal("20.00")
        )
    return World(
        community_id=community.pk,
        leader_id=leader.pk,
        offer_id=offer.pk,
        residents=[
            Resident(user_id=u.pk, household_id=h.pk, token=t)
            for u, h, t in zip(users, households, tokens, strict=True)
        ],
    )


def make_sessions(world: World, count: int) -> None:
    """Logged-in sessions for the first `count` residents (what a browser would hold after login)."""
    users = User.objects.in_bulk([r.user_id for r in world.residents[:count]])
    for r in world.residents[:count]:
        store = SessionStore()
        store[SESSION_KEY] = str(r.user_id)
        store[BACKEND_SESSION_KEY] = "accounts.backends.ModelBackend"
        store[HASH_SESSION_KEY] = users[r.user_id].get_session_auth_hash()
        store.create()
        world.sessions.append(store.session_key)


def make_buys(
    world: World,
    count: int,
    *,
    title: str,
    cap: int | None = None,
    moq: int = 1_000_000,
    deadline: datetime.datetime | None = None,
    household_limit: int | None = None,
) -> list[Buy]:
    """`count` open buys with one main item each. A large MOQ by default, so the run measures
    sign-ups, not the forming notice (the hot buys use a reachable one)."""
    now = timezone.now()
    with transaction.atomic():
        buys = GroupBuy.objects.bulk_create(
            [
                GroupBuy(
                    community_id=world.community_id,
                    leader_id=world.leader_id,
                    title=f"{title} {n + 1}" if count > 1 else title,
                    status=BuyStatus.OPEN,
                    moq_kind=MoqKind.UNITS,
                    moq=Decimal(moq),
                    household_limit=household_limit,
                    deadline=deadline or now + FAR,
                    delivery_date=timezone.localdate() + FAR + datetime.timedelta(days=1),
                    opened_at=now,
                    drop_point="3号门",
                )
                for n in range(count)
            ]
        )
        items = BuyItem.objects.bulk_create(
            [
                BuyItem(
                    buy=b,
                    offer_id=world.offer_id,
                    is_main=True,
                    unit_price=UNIT_PRICE,
                    supplier_cost=Decimal("20.00"),
                    cap=cap,
                )
                for b in buys
            ]
        )
    return [Buy(id=b.pk, item_id=i.pk) for b, i in zip(buys, items, strict=True)]


def fill_entries(world: World, buy: Buy, residents: list[Resident]) -> None:
    """Sign residents up through the real service (counters and numbers as in production)."""
    users = User.objects.in_bulk([r.user_id for r in residents])
    households = Household.objects.select_related("building").in_bulk([r.household_id for r in residents])
    row = GroupBuy.objects.get(pk=buy.id)
    for r in residents:
        signup_create(
            actor=users[r.user_id], buy=row, household=households[r.household_id], quantities={buy.item_id: 1}
        )


def analyze() -> None:
    """Planner statistics for the rows just made, as autovacuum gives a database that has been running: without
    them PostgreSQL guesses, and the token + user join was planned as a hash join over a sequential scan of every
    user (8,000 rows read per sign-up: 4-5 ms of database CPU that no running deployment pays)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def floor_buy(world: World) -> Buy:
    return make_buys(world, 1, title="floor")[0]


# --- invariants -------------------------------------------------------------------------------


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def check_buys(buy_ids: list[int]) -> list[str]:
    """SUM(entries) == counters <= cap; numbers dense and unique; no entry after close; closed once.
    Returns the problems found (empty: the invariants hold)."""
    b, i, e, line, po = (
        GroupBuy._meta.db_table,
        BuyItem._meta.db_table,
        Entry._meta.db_table,
        EntryLine._meta.db_table,
        PurchaseOrder._meta.db_table,
    )
    problems: list[str] = []
    for row in _rows(
        f"""
        SELECT b.id, b.entry_count, b.total_units, b.total_amount, b.last_seq,
               coalesce(a.n_active, 0), coalesce(a.units, 0), coalesce(a.amount, 0), coalesce(a.n_all, 0),
               coalesce(a.max_seq, 0)
        FROM {b} b LEFT JOIN (
            SELECT buy_id,
                   count(*) FILTER (WHERE status = 'active') AS n_active,
                   sum(units) FILTER (WHERE status = 'active') AS units,
                   sum(amount) FILTER (WHERE status = 'active') AS amount,
                   count(*) AS n_all, max(seq) AS max_seq
            FROM {e} WHERE buy_id = ANY(%s) GROUP BY buy_id
        ) a ON a.buy_id = b.id
        WHERE b.id = ANY(%s)
          AND (b.entry_count <> coalesce(a.n_active, 0) OR b.total_units <> coalesce(a.units, 0)
               OR b.total_amount <> coalesce(a.amount, 0) OR b.last_seq <> coalesce(a.n_all, 0)
               OR b.last_seq <> coalesce(a.max_seq, 0))
        """,
        [buy_ids, buy_ids],
    ):
        problems.append(f"buy {row[0]}: counters {row[1:5]} != entries {row[5:]}")
    for row in _rows(
        f"""
        SELECT i.id, i.cap, i.total_quantity, coalesce(s.q, 0)
        FROM {i} i LEFT JOIN (
            SELECT l.item_id, sum(l.quantity) AS q FROM {line} l JOIN {e} e ON e.id = l.entry_id
            WHERE e.status = 'active' AND e.buy_id = ANY(%s) GROUP BY l.item_id
        ) s ON s.item_id = i.id
        WHERE i.buy_id = ANY(%s)
          AND (i.total_quantity <> coalesce(s.q, 0) OR (i.cap IS NOT NULL AND coalesce(s.q, 0) > i.cap))
        """,
        [buy_ids, buy_ids],
    ):
        problems.append(f"item {row[0]}: cap {row[1]} counter {row[2]} lines {row[3]}")
    for row in _rows(
        f"""
        SELECT e.id, e.units, coalesce(s.q, 0) FROM {e} e
        LEFT JOIN (SELECT entry_id, sum(quantity) AS q FROM {line} GROUP BY entry_id) s ON s.entry_id = e.id
        WHERE e.buy_id = ANY(%s) AND e.units <> coalesce(s.q, 0)
        """,
        [buy_ids],
    ):
        problems.append(f"entry {row[0]}: units {row[1]} != lines {row[2]}")
    for row in _rows(
        f"""
        SELECT b.id, b.status,
               (SELECT count(*) FROM {e} e WHERE e.buy_id = b.id AND e.created_at > b.closed_at),
               (SELECT count(*) FROM {po} p WHERE p.buy_id = b.id)
        FROM {b} b WHERE b.id = ANY(%s) AND b.closed_at IS NOT NULL
        """,
        [buy_ids],
    ):
        if row[2]:
            problems.append(f"buy {row[0]}: {row[2]} entries created after close")
        if row[3] != 1:
            problems.append(f"buy {row[0]}: {row[3]} purchase orders (closed once means exactly 1)")
    return problems


def entries_in(buy_ids: list[int]) -> int:
    return Entry.objects.filter(buy_id__in=buy_ids).count()


def oversell(buy: Buy) -> int:
    """Units signed beyond the cap, counted from the entry lines themselves (not the counter)."""
    item = BuyItem.objects.get(pk=buy.item_id)
    signed = sum(
        EntryLine.objects.filter(item_id=buy.item_id, entry__status="active").values_list("quantity", flat=True)
    )
    return max(0, signed - (item.cap or signed)) + max(0, item.total_quantity - (item.cap or item.total_quantity))


def check_floor(buy: Buy, accepted: int) -> list[str]:
    """The floor's counter equals its rows (read in one statement: one snapshot), and covers every 201."""
    (seq, notes), *_ = _rows(
        f"SELECT last_seq, (SELECT count(*) FROM {Notification._meta.db_table} WHERE kind = 'bench_floor') "
        f"FROM {GroupBuy._meta.db_table} WHERE id = %s",
        [buy.id],
    )
    if seq != notes:
        return [f"floor: counter {seq} != rows {notes}"]
    if accepted > seq:
        return [f"floor: {accepted} answered 201 but only {seq} rows"]
    return []


def retire(buys: list[Buy]) -> None:
    """Take a scenario's buys off the residents' list (as if delivered) so the page scenario sees the
    few dozen buys a compound has at once, not the 1,000 of the spread scenario."""
    GroupBuy.objects.filter(pk__in=[b.id for b in buys]).update(status=BuyStatus.COMPLETED, ended_at=timezone.now())
