"""Demo group buys: suppliers, offers, open buys with some sign-ups, and a pool across compounds.

Everything goes through the real services, so counters, numbering and forming
are exactly what a live system would have. Idempotent: a second call finds the
demo suppliers and does nothing.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Community, Membership, User
from core.errors import ApplicationError
from groupbuy.models import BuyKind, GroupBuy, Supplier
from groupbuy.services.buys import group_buy_open
from groupbuy.services.catalog import offer_create, supplier_create
from groupbuy.services.pools import pool_create, pool_join, pool_offer
from groupbuy.services.signup import signup_create
from settlement.services.payee import payee_set
from settlement.services.photos import settlement_photo_process

logger = logging.getLogger(__name__)

DEMO_SUPPLIER = "江桥批发市场 蔬菜档"


def _membership(person: Any, community: Community) -> Membership | None:
    if isinstance(person, Membership):
        return person
    if isinstance(person, User):
        return Membership.objects.filter(user=person, community=community, is_active=True).first()
    return None


def _demo_payee(leader: User) -> None:
    """The leader's default 收款码: a QR of a fake WeChat pay link (it pays nobody), through the real service and
    re-encoded now, so the demo's payment page shows it without a worker running."""
    buf = io.BytesIO()
    segno.make(f"wxp://demo-payee-{leader.pk}", error="m").save(buf, kind="png", scale=8, border=4)
    picture = SimpleUploadedFile("payee-qr.png", buf.getvalue(), content_type="image/png")
    account = payee_set(actor=leader, name=leader.display_name or leader.username, qr_image=picture)
    settlement_photo_process(kind="payee", pk=account.pk)  # idempotent: the task enqueued after commit finds it done


def _offers(leader: User, community: Community) -> dict[str, Any]:
    veg = supplier_create(
        actor=leader,
        community=community,
        name=DEMO_SUPPLIER,
        contact_name="张经理",
        phone="13900000001",
        categories="蔬菜,鸡蛋",
        is_supply_guaranteed=True,
    )
    dairy = supplier_create(actor=leader, community=community, name="光明乳业 社区团购", categories="牛奶")
    grain = supplier_create(actor=leader, community=community, name="爱心粮油", categories="粮油")
    return {
        "veg": offer_create(
            actor=leader,
            supplier=veg,
            title="蔬菜套餐 A（8 种，约 10 斤）",
            unit="份",
            unit_price="59",
            supplier_cost="50",
            description="土豆、洋葱、胡萝卜、青菜、番茄、黄瓜、茄子、卷心菜",
            category="蔬菜",
        ),
        "eggs": offer_create(
            actor=leader, supplier=veg, title="鲜鸡蛋 30 枚", unit="盒", unit_price="36", supplier_cost="32"
        ),
        "milk": offer_create(
            actor=leader,
            supplier=dairy,
            title="鲜牛奶 1L",
            unit="瓶",
            unit_price="9.5",
            supplier_cost="8",
            pack_size=12,
            category="牛奶",
        ),
        "rice": offer_create(
            actor=leader, supplier=grain, title="东北大米 10 斤", unit="袋", unit_price="45", supplier_cost="45"
        ),
    }


def seed_groupbuy_demo(
    community: Community,
    leaders: Iterable[Any],
    residents: Iterable[Any],
    neighbours: Iterable[tuple[Community, Iterable[Any], Iterable[Any]]] = (),
) -> None:
    """Create demo suppliers, offers and open buys led by `leaders` (team-leader Memberships or Users of
    `community`), with sign-ups from `residents` (Memberships or Users with a household). Idempotent.
    With `neighbours` ((community, leaders, residents) of small compounds nearby), also a tofu pool with an
    MOQ of 100 that none of them reaches alone, and a 10-斤-box offer 3 斤 short of the next box."""
    leaders, residents = list(leaders), list(residents)
    _seed_core(community, leaders, residents)
    neighbours = list(neighbours)
    if neighbours:
        seed_pool_demo(community, leaders, residents, neighbours)


def _seed_core(community: Community, leaders: list[Any], residents: list[Any]) -> None:
    if Supplier.objects.filter(community=community, name=DEMO_SUPPLIER).exists():
        return
    leader_users = [m.user for m in (_membership(p, community) for p in leaders) if m is not None]
    if not leader_users:
        logger.warning("seed_groupbuy_demo: no leaders in %s; nothing seeded", community)
        return
    people = [m for m in (_membership(p, community) for p in residents) if m is not None and m.household_id]
    lead = leader_users[0]
    second = leader_users[1] if len(leader_users) > 1 else lead
    offers = _offers(lead, community)
    for leader in dict.fromkeys([lead, second]):
        _demo_payee(leader)
    now = timezone.now()
    today = timezone.localdate()

    def open_buy(leader: User, **kwargs: Any) -> GroupBuy:
        args = {
            "actor": leader,
            "community": community,
            "moq_kind": "units",
            "distribution_mode": "building",
            "drop_point": "小区北门",
            "deadline": now + datetime.timedelta(days=1),
            "delivery_date": today + datetime.timedelta(days=2),
            # The demo shows a duplicate on the leaders' board on purpose.
            "confirm_duplicate": True,
        }
        args.update(kwargs)
        return group_buy_open(**args)

    veg = open_buy(
        lead,
        title="周三蔬菜套餐团",
        kind=BuyKind.FAIR,
        items=[{"offer_id": offers["veg"].pk, "cap": 200}, {"offer_id": offers["eggs"].pk, "cap": 100}],
        moq=30,
        household_limit=4,
        description="满 30 份成团，周五送到小区北门。",
    )
    milk = open_buy(
        second,
        title="鲜牛奶保供团",
        kind=BuyKind.SUPPLY,
        items=[{"offer_id": offers["milk"].pk, "cap": 120}],
        moq=24,
        household_limit=6,
        deadline=now + datetime.timedelta(hours=10),
    )
    rice = open_buy(
        lead,
        title="公益大米团（按成本价）",
        kind=BuyKind.CHARITY,
        items=[{"offer_id": offers["rice"].pk}],
        moq_kind="amount",
        moq=Decimal("450"),
        household_limit=2,
        deadline=now + datetime.timedelta(days=2),
        delivery_date=today + datetime.timedelta(days=3),
        distribution_mode="door",
    )

    veg_items = list(veg.items.order_by("position"))
    milk_item = milk.items.get()
    rice_item = rice.items.get()
    for n, member in enumerate(people):
        plans = [(veg, {veg_items[0].pk: 1 + n % 3, **({veg_items[1].pk: 1} if n % 2 else {})})]
        if n % 2 == 0:
            plans.append((milk, {milk_item.pk: 2 + n % 4}))
        if n % 3 == 0:
            plans.append((rice, {rice_item.pk: 1}))
        for buy, quantities in plans:
            try:
                signup_create(
                    actor=member.user,
                    buy=buy,
                    household=member.household,
                    quantities=quantities,
                    idempotency_key=f"demo-{buy.pk}-{member.household_id}",
                )
            except ApplicationError as exc:  # e.g. a resident without sign-up rights: skip them
                logger.info("seed_groupbuy_demo: %s skipped for %s (%s)", buy, member, exc.code)


POOL_SUPPLIER = "老王豆制品（三小区拼团）"


def _people(community: Community, leaders: Iterable[Any], residents: Iterable[Any]) -> tuple[User | None, list]:
    leader_users = [m.user for m in (_membership(p, community) for p in leaders) if m is not None]
    people = [m for m in (_membership(p, community) for p in residents) if m is not None and m.household_id]
    return (leader_users[0] if leader_users else None), people


def _sign(buy: GroupBuy, member: Membership, quantities: dict[int, int], **kwargs: Any) -> None:
    try:
        signup_create(
            actor=member.user,
            buy=buy,
            household=member.household,
            quantities=quantities,
            idempotency_key=f"demo-{buy.pk}-{member.household_id}",
            **kwargs,
        )
    except ApplicationError as exc:
        logger.info("seed_pool_demo: %s skipped for %s (%s)", buy, member, exc.code)


def seed_pool_demo(
    community: Community,
    leaders: Iterable[Any],
    residents: Iterable[Any],
    neighbours: Iterable[tuple[Community, Iterable[Any], Iterable[Any]]],
) -> None:
    """Three compounds pool a tofu order (MOQ 100 boxes; ~50 + 24 + 30 sign up): it forms once, every member
    buy together, each with its own gate, filing and distribution. Plus a 10-斤 box offer with 17 斤 signed
    up: "3 斤 more fills the next box". Idempotent (keyed on the pool supplier's name)."""
    if Supplier.objects.filter(community=community, name=POOL_SUPPLIER).exists():
        return
    lead, people = _people(community, leaders, residents)
    if lead is None:
        logger.warning("seed_pool_demo: no leader in %s; nothing seeded", community)
        return
    now = timezone.now()
    today = timezone.localdate()
    supplier = supplier_create(
        actor=lead, community=community, name=POOL_SUPPLIER, categories="豆制品,蔬菜", is_supply_guaranteed=True
    )
    tofu = offer_create(
        actor=lead,
        supplier=supplier,
        title="豆腐套餐（老豆腐、豆干、腐竹）",
        unit="份",
        unit_price="59",
        supplier_cost="52",
        category="豆制品",
        description="起送 100 份：一个小区凑不齐，三个小区一起拼。",
    )
    greens = offer_create(
        actor=lead,
        supplier=supplier,
        title="散装青菜（按斤，10 斤一箱发货）",
        unit="斤",
        unit_price="4",
        supplier_cost="3.2",
        pack_size=10,
        category="蔬菜",
    )
    common = {
        "kind": BuyKind.FAIR,
        "moq_kind": "units",
        "distribution_mode": "building",
        "deadline": now + datetime.timedelta(days=1),
        "delivery_date": today + datetime.timedelta(days=2),
        "confirm_duplicate": True,
    }
    host = group_buy_open(
        actor=lead,
        community=community,
        title="豆腐套餐 三小区拼团",
        items=[{"offer_id": tofu.pk}],
        moq=100,
        drop_point=f"{community.name} 北门",
        description="供应商起送 100 份，和梅园、竹园一起拼团；各小区自己报备、自己分发。",
        **common,
    )
    pool = pool_create(actor=lead, buy=host)
    members: list[tuple[GroupBuy, list[Membership], int]] = [(host, people, 1)]
    for n, (neighbour, n_leaders, n_residents) in enumerate(neighbours):
        n_lead, n_people = _people(neighbour, n_leaders, n_residents)
        if n_lead is None:
            continue
        pool_offer(actor=lead, pool=pool, community=neighbour)
        buy = pool_join(actor=n_lead, pool=pool, community=neighbour, drop_point=f"{neighbour.name} 东门")
        members.append((buy, n_people, 4 + n))
    for buy, members_people, quantity in members:
        item_id = buy.items.values_list("pk", flat=True).get()
        for member in members_people:
            _sign(buy, member, {item_id: quantity})

    box = group_buy_open(
        actor=lead,
        community=community,
        title="散装青菜 按斤拼箱",
        items=[{"offer_id": greens.pk}],
        moq=10,
        drop_point=f"{community.name} 北门",
        description="按斤报名，供应商整箱（10 斤）发货；可填“凑箱可多要几斤”。",
        **common,
    )
    box_item = box.items.get()
    for member, (quantity, tolerance) in zip(people, [(7, 0), (6, 0), (4, 0)], strict=False):
        _sign(box, member, {box_item.pk: quantity}, tolerances={box_item.pk: tolerance})
