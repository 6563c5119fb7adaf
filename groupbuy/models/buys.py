"""Group buys (团): kinds, states, the counters the sign-up updates, and the items of a buy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from groupbuy.models.catalog import Offer
from groupbuy.models.common import MONEY


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


def version_next() -> Any:
    """The expression that moves `GroupBuy.version`: pass it in the UPDATE that changes what a buy's pages show
    (`.update(..., version=version_next())`), so the change and the new version commit together."""
    return F("version") + 1


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
    # Moves with every write that changes what the buy's pages show (list, counters, status, items, pool), in the
    # same UPDATE as the write (`version_next()`): the rendered 接龙 list is cached and the page's ETag made under it.
    version = models.BigIntegerField(default=0, db_default=0, editable=False)

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
            # The sweep's lost-"formed"-notice check reads buys formed in the last two days: by formed_at, not
            # every buy ever formed (issue 17: sweeps cost O(due rows)).
            models.Index(fields=["formed_at"], condition=Q(formed_at__isnull=False), name="buy_formed_at"),
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
