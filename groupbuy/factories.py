"""factory_boy factories for group buys.

`GroupBuyFactory(community=..., leader=...)` makes an OPEN buy (deadline
tomorrow, MOQ 10 units) with one main item; pass `item__cap=20`,
`item__offer__unit_price=...` to shape it, or add items with
`BuyItemFactory(buy=buy)`. Entries must change the counters, so make them
with `signup(...)` below (it calls the real service), not with a factory.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.factories import CommunityFactory, UserFactory
from accounts.models import Notification
from groupbuy.models import (
    BuyItem,
    BuyKind,
    BuyStatus,
    Entry,
    EntryLine,
    GroupBuy,
    MoqKind,
    Offer,
    PurchaseOrder,
    Supplier,
)
from groupbuy.services.share import share_link_make
from groupbuy.services.signup import signup_create


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"供应商{n}")
    contact_name = "张经理"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    categories = "蔬菜,肉"
    community = factory.SubFactory(CommunityFactory)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    supplier = factory.SubFactory(SupplierFactory)
    title = factory.Sequence(lambda n: f"蔬菜套餐{n}")
    description = "土豆、洋葱、青菜"
    category = "蔬菜"
    unit = "份"
    unit_price = Decimal("59.00")
    supplier_cost = Decimal("50.00")
    pack_size = 1


class GroupBuyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupBuy
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityFactory)
    leader = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"第{n}团 蔬菜")
    kind = BuyKind.FAIR
    status = BuyStatus.OPEN
    moq_kind = MoqKind.UNITS
    moq = Decimal("10")
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    delivery_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=2))
    opened_at = factory.LazyFunction(timezone.now)
    item = factory.RelatedFactory(
        "groupbuy.factories.BuyItemFactory",
        factory_related_name="buy",
        is_main=True,
    )

    @factory.post_generation
    def share_link(self, create, extracted, **kwargs):
        # As buy_create does: every buy has its live share link from the start (False: make a buy without one).
        if create and extracted is not False:
            share_link_make(buy_id=self.pk, actor=None)


class BuyItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuyItem

    buy = factory.SubFactory(GroupBuyFactory, item=None)
    offer = factory.SubFactory(OfferFactory, supplier__community=factory.SelfAttribute("...buy.community"))
    is_main = False
    unit_price = factory.SelfAttribute("offer.unit_price")
    supplier_cost = factory.SelfAttribute("offer.supplier_cost")
    cap = None
    position = factory.Sequence(lambda n: n)


def main_item(buy: GroupBuy) -> BuyItem:
    return buy.items.get(is_main=True)


def signup(buy: GroupBuy, membership, quantity: int = 1, *, item: BuyItem | None = None, **kwargs):
    """Sign `membership`'s household up through the real service (counters stay right)."""
    item = item or main_item(buy)
    return signup_create(
        actor=membership.user,
        buy=buy,
        household=membership.household,
        quantities={item.pk: quantity},
        **kwargs,
    )


def buy_state(buy: GroupBuy) -> dict:
    """Everything a sign-up can touch, for "a refused action changed nothing" assertions."""
    return {
        "buy": GroupBuy.objects.filter(pk=buy.pk)
        .values(
            "status", "total_units", "main_units", "total_amount", "entry_count", "last_seq", "formed_at", "closed_at"
        )
        .get(),
        "items": list(BuyItem.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "total_quantity")),
        "entries": list(
            Entry.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "status", "units", "amount")
        ),
        "lines": list(EntryLine.objects.filter(entry__buy_id=buy.pk).order_by("pk").values_list("pk", "quantity")),
        "orders": PurchaseOrder.objects.filter(buy_id=buy.pk).count(),
        "notifications": Notification.objects.count(),
    }
