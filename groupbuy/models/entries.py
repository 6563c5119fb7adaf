"""Sign-ups (接龙): numbered entries, their lines, and the purchase order built at the close."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Household, HouseholdMember
from groupbuy.models.buys import BuyItem, GroupBuy
from groupbuy.models.common import MONEY


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
