"""Suppliers, offers, group buys (团), sign-ups (接龙) and purchase orders.

Counters on GroupBuy / BuyItem are only ever changed by conditional UPDATEs in
services (never read-modify-save), and the CheckConstraints below are the last
line of defence against oversell.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Household, HouseholdMember

MONEY = {"max_digits": 12, "decimal_places": 2}


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=120)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    categories = models.CharField(_("categories"), max_length=200, blank=True, help_text=_("comma-separated"))
    is_supply_guaranteed = models.BooleanField(_("on the supply-guarantee list (保供企业)"), default=False)
    # The community whose leaders registered the supplier; offers can be used in pools across communities.
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="suppliers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """What a supplier sells (套餐/商品): a unit, a price to residents and a cost from the supplier."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="offers")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=10, default="份", help_text=_("e.g. 份, 斤, 箱"))
    unit_price = models.DecimalField(_("price to residents"), **MONEY)
    supplier_cost = models.DecimalField(_("supplier cost"), **MONEY)
    # The supplier ships whole packs of this many units (e.g. 10-斤 boxes); 1 = no packs.
    pack_size = models.PositiveIntegerField(_("pack size"), default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["supplier_id", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="offer_price_nonnegative"),
            models.CheckConstraint(condition=Q(supplier_cost__gte=0), name="offer_cost_nonnegative"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="offer_pack_size_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class PhotoStatus(models.TextChoices):
    PENDING = "pending", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class OfferPhoto(models.Model):
    """A product photo. The upload is validated in the request and re-encoded
    (EXIF stripped, thumbnail made) by a Celery task after commit."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="photos")
    status = models.CharField(max_length=10, choices=PhotoStatus.choices, default=PhotoStatus.PENDING)
    source = models.FileField(upload_to="incoming/", blank=True)  # raw upload, removed once processed
    image = models.FileField(upload_to="offers/", blank=True)
    thumbnail = models.FileField(upload_to="offers/", blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When processing was last requested; the sweep re-enqueues pending photos whose task was lost.
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of offer {self.offer_id}"


class BuyKind(models.TextChoices):
    SUPPLY = "supply", _("supply-guarantee (保供团)")
    FAIR = "fair", _("fair-price (平价团)")
    CHARITY = "charity", _("charity (公益团)")
    PERSONAL = "personal", _("personal need (个人需求团)")


class BuyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open for sign-up")
    FORMED = "formed", _("formed (成团)")
    CLOSED = "closed", _("closed, list frozen")
    ORDERED = "ordered", _("ordered from supplier")
    FILED = "filed", _("delivery filed")
    APPROVED = "approved", _("delivery approved")
    ON_HOLD = "on_hold", _("on hold (deliveries suspended)")
    ARRIVED = "arrived", _("arrived at the gate")
    DISINFECTED = "disinfected", _("disinfected")
    RELEASED = "released", _("released into the compound")
    DISTRIBUTING = "distributing", _("being distributed")
    COMPLETED = "completed", _("completed")
    FAILED = "failed", _("failed (流团)")
    CANCELLED = "cancelled", _("cancelled")


# States in which residents may still sign up, change or withdraw (before the deadline).
SIGNUP_STATES = (BuyStatus.OPEN, BuyStatus.FORMED)


class MoqKind(models.TextChoices):
    UNITS = "units", _("units of the main item")
    AMOUNT = "amount", _("total amount (yuan)")


class DistributionMode(models.TextChoices):
    DOOR = "door", _("door to door by volunteers")
    BUILDING = "building", _("via building leaders")
    GATE = "gate", _("pickup at the gate in turn")


class AllocationRule(models.TextChoices):
    FCFS = "fcfs", _("first come, first served (接龙 order)")
    FAIR_SHARE = "fair_share", _("fair share")


class GroupBuy(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="group_buys")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_buys")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=BuyKind.choices, default=BuyKind.FAIR)
    status = models.CharField(_("status"), max_length=15, choices=BuyStatus.choices, default=BuyStatus.DRAFT)
    moq_kind = models.CharField(_("minimum counted in"), max_length=10, choices=MoqKind.choices, default=MoqKind.UNITS)
    moq = models.DecimalField(_("minimum order (起送量)"), max_digits=12, decimal_places=2)
    household_limit = models.PositiveIntegerField(_("limit per household"), null=True, blank=True)
    deadline = models.DateTimeField(_("order deadline (截单)"))
    delivery_date = models.DateField(_("planned delivery date"))
    distribution_mode = models.CharField(
        _("distribution"), max_length=10, choices=DistributionMode.choices, default=DistributionMode.BUILDING
    )
    allocation_rule = models.CharField(
        _("if short"), max_length=12, choices=AllocationRule.choices, default=AllocationRule.FCFS
    )
    close_when_formed = models.BooleanField(_("close as soon as the minimum is reached"), default=False)
    drop_point = models.CharField(_("drop point"), max_length=120, blank=True)

    # Counters, changed only by conditional UPDATEs in groupbuy.services.
    total_units = models.IntegerField(default=0)  # units of all items across live entries
    main_units = models.IntegerField(default=0)  # units of the main item (what a units MOQ counts)
    total_amount = models.DecimalField(default=Decimal("0"), **MONEY)
    entry_count = models.IntegerField(default=0)  # live entries
    last_seq = models.IntegerField(default=0)  # last 接龙 number handed out; never reused
    # The pool this buy is an active member of: a copy of its active PoolMember row, written only by
    # groupbuy.services.pools while holding this buy's row lock, so the sign-up UPDATE can check it on the
    # very row it locks (no second read after the lock).
    current_pool = models.ForeignKey(
        "Pool", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    formed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # completed, failed or cancelled
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)

    # Not fields: what groupbuy.selectors.buy_display_get attaches for the pages and the API.
    kind_label: str | Promise  # a lazily translated choice label
    status_label: str | Promise
    item_list: list[BuyItem]
    main_item: BuyItem | None
    photo_id: int | None
    progress: Any  # selectors.Progress
    signup_open: bool
    seconds_left: int

    class Meta:
        verbose_name = _("group buy")
        verbose_name_plural = _("group buys")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "deadline"]),
            models.Index(fields=["status", "deadline"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_units__gte=0), name="buy_units_nonnegative"),
            models.CheckConstraint(condition=Q(main_units__gte=0), name="buy_main_units_nonnegative"),
            models.CheckConstraint(condition=Q(last_seq__gte=0), name="buy_last_seq_nonnegative"),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="buy_amount_nonnegative"),
            models.CheckConstraint(condition=Q(entry_count__gte=0), name="buy_entries_nonnegative"),
            models.CheckConstraint(condition=Q(moq__gt=0), name="buy_moq_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def moq_progress(self) -> Decimal:
        """How far the buy is toward its MOQ, in the MOQ's own measure (units of the main item, or yuan)."""
        return Decimal(self.main_units) if self.moq_kind == MoqKind.UNITS else self.total_amount

    @property
    def moq_percent(self) -> int:
        """Progress toward the MOQ for a progress bar, 0..100."""
        if not self.moq:
            return 100
        return min(100, int(self.moq_progress * 100 / self.moq))

    @property
    def is_signup_open(self) -> bool:
        return self.status in SIGNUP_STATES and self.deadline > timezone.now()


def max_length_of(model: type[models.Model], name: str) -> int:
    """The max_length of a text field, so serializers and services check the length the column holds."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length


def moq_reached_q() -> Q:
    """The database condition "this buy has reached its MOQ" (used inside compare-and-swap UPDATEs)."""
    return Q(moq_kind=MoqKind.UNITS, main_units__gte=F("moq")) | Q(moq_kind=MoqKind.AMOUNT, total_amount__gte=F("moq"))


class BuyItem(models.Model):
    """One offer inside a buy, with prices frozen at opening and its own counter and cap."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="items")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="buy_items")
    is_main = models.BooleanField(default=False)  # MOQ in units counts this item
    unit_price = models.DecimalField(**MONEY)
    supplier_cost = models.DecimalField(**MONEY)
    cap = models.PositiveIntegerField(_("stock cap"), null=True, blank=True)
    total_quantity = models.IntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    # Not fields: set by groupbuy.selectors.buy_display_get.
    markup: Decimal
    markup_percent: int | None

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["buy", "offer"], name="buyitem_unique_offer"),
            models.CheckConstraint(condition=Q(total_quantity__gte=0), name="buyitem_quantity_nonnegative"),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(total_quantity__lte=F("cap")), name="buyitem_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buy_id}:{self.offer_id}"


class EntryStatus(models.TextChoices):
    ACTIVE = "active", _("signed up")
    WITHDRAWN = "withdrawn", _("withdrawn")
    RELEASED = "released", _("released (buy failed or cancelled)")


class Entry(models.Model):
    """One household's line in the 接龙 list. Numbered in signing order; numbers are never reused."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="entries")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.ACTIVE)
    # Who placed the entry (a building leader or volunteer for an elderly neighbour) and for whom.
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="placed_entries")
    placed_for = models.ForeignKey(HouseholdMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    display_name = models.CharField(max_length=60, blank=True)  # shown masked in public
    note = models.CharField(_("note"), max_length=200, blank=True)
    units = models.IntegerField(default=0)
    amount = models.DecimalField(default=Decimal("0"), **MONEY)
    idempotency_key = models.CharField(max_length=64, blank=True)
    # SHA-256 of the request that made the entry (household, member, lines, tolerances, note): a replay of the key
    # with another body is refused instead of answered with this entry. Blank for entries made without a key.
    idempotency_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not fields: set by the sign-up service on a new entry (the lines it wrote, for the API reply), and by
    # groupbuy.selectors.entry_list_mine (whose entry it is, how it is shown).
    written_lines: list[EntryLine]
    is_proxy: bool
    identity: str

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["buy_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["buy", "seq"], name="entry_unique_seq"),
            models.UniqueConstraint(
                fields=["buy", "household"], condition=Q(status="active"), name="entry_one_live_per_household"
            ),
            models.UniqueConstraint(
                fields=["buy", "idempotency_key"], condition=~Q(idempotency_key=""), name="entry_idempotency"
            ),
            models.CheckConstraint(condition=Q(units__gte=0), name="entry_units_nonnegative"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="entry_amount_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq}"


class EntryLine(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(BuyItem, on_delete=models.PROTECT, related_name="lines")
    quantity = models.PositiveIntegerField()
    # "I'd take up to N more if it fills a pack" (pack-size offers).
    tolerance = models.PositiveIntegerField(default=0)
    allocated = models.PositiveIntegerField(null=True, blank=True)  # set at close / on shortage

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "item"], name="entryline_unique_item"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="entryline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} x{self.quantity}"


class PurchaseOrder(models.Model):
    """What to order from the supplier, computed once at close (one per buy)."""

    buy = models.OneToOneField(GroupBuy, on_delete=models.CASCADE, related_name="purchase_order")
    created_at = models.DateTimeField(auto_now_add=True)
    total_cost = models.DecimalField(default=Decimal("0"), **MONEY)
    total_amount = models.DecimalField(default=Decimal("0"), **MONEY)

    def __str__(self) -> str:
        return f"PO for buy {self.buy_id}"


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(BuyItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()  # units to order
    packs = models.PositiveIntegerField(default=0)  # whole packs, for pack-size offers
    unit_cost = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "item"], name="poline_unique_item")]

    def __str__(self) -> str:
        return f"{self.item_id} x{self.quantity}"


class PoolStatus(models.TextChoices):
    OPEN = "open", _("collecting")
    FORMED = "formed", _("formed (成团)")
    FAILED = "failed", _("failed (流团)")
    CANCELLED = "cancelled", _("cancelled")


class Pool(models.Model):
    """Threshold pooling across compounds (区区合作): member buys of several communities for the same offers.
    The supplier's MOQ applies to the pool's total; every member buy forms (or fails) together.

    The counters are the sum of the member buys' counters, changed only by conditional UPDATEs taken under the
    pool's row lock (lock order: the pool row, then member buys in primary-key order). Once formed, the total
    never drops below the MOQ (a withdrawal that would is refused), so `formed` stays true."""

    host_buy = models.OneToOneField(GroupBuy, on_delete=models.CASCADE, related_name="hosted_pool")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=PoolStatus.choices, default=PoolStatus.OPEN)
    moq_kind = models.CharField(max_length=10, choices=MoqKind.choices, default=MoqKind.UNITS)
    moq = models.DecimalField(_("minimum order (起送量)"), max_digits=12, decimal_places=2)
    deadline = models.DateTimeField(_("pool deadline"))
    main_units = models.IntegerField(default=0)
    total_amount = models.DecimalField(default=Decimal("0"), **MONEY)
    member_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    formed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pool")
        verbose_name_plural = _("pools")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(condition=Q(main_units__gte=0), name="pool_units_nonnegative"),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="pool_amount_nonnegative"),
            models.CheckConstraint(condition=Q(member_count__gte=0), name="pool_members_nonnegative"),
            models.CheckConstraint(condition=Q(moq__gt=0), name="pool_moq_positive"),
            # Last line of defence for "a formed pool is never below its MOQ".
            models.CheckConstraint(
                condition=~Q(status="formed")
                | Q(moq_kind=MoqKind.UNITS, main_units__gte=F("moq"))
                | Q(moq_kind=MoqKind.AMOUNT, total_amount__gte=F("moq")),
                name="pool_formed_at_moq",
            ),
        ]

    def __str__(self) -> str:
        return f"pool {self.pk}"

    @property
    def moq_progress(self) -> Decimal:
        return Decimal(self.main_units) if self.moq_kind == MoqKind.UNITS else self.total_amount

    @property
    def moq_percent(self) -> int:
        return min(100, int(self.moq_progress * 100 / self.moq)) if self.moq else 100


class PoolMemberStatus(models.TextChoices):
    ACTIVE = "active", _("in the pool")
    LEFT = "left", _("left the pool")


class PoolMember(models.Model):
    """One community's buy in a pool (its residents, its deadline, its gate, its filing and distribution)."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="members")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="pool_memberships")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # 帮卖: the host buy's leader shared it into another community where they are also a leader.
    is_helper = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=PoolMemberStatus.choices, default=PoolMemberStatus.ACTIVE)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pool_id", "buy_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "community"], condition=Q(status="active"), name="poolmember_one_per_community"
            ),
            models.UniqueConstraint(fields=["buy"], condition=Q(status="active"), name="poolmember_one_pool_per_buy"),
        ]

    def __str__(self) -> str:
        return f"buy {self.buy_id} in pool {self.pool_id}"


class PoolInvitation(models.Model):
    """The pool's host offered it to the leaders of a neighbouring community."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="invitations")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="pool_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["pool", "community"], name="poolinvitation_unique")]

    def __str__(self) -> str:
        return f"pool {self.pool_id} offered to {self.community_id}"


class DuplicateReason(models.TextChoices):
    SAME_OFFER = "same_offer", _("same product")
    SAME_SUPPLIER_CATEGORY = "same_supplier_category", _("same supplier and category")


class DuplicateBuyNotice(models.Model):
    """A leader opened a buy although another one for the same product was running (split demand).
    Recorded so other leaders see it on the board."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="duplicate_notices")
    other_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=24, choices=DuplicateReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["buy", "other_buy"], name="duplicatenotice_unique")]

    def __str__(self) -> str:
        return f"buy {self.buy_id} duplicates {self.other_buy_id}"
