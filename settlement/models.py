"""Settlement of a closed buy: payments, credits, refunds, price changes, arrivals,
pickup codes, after-sales reports and donations.

The money of one entry:
    owed     = Entry.amount (0 once the entry is withdrawn/released) + sum(Adjustment.amount)
               (Entry.amount counts ordered quantities; adjustments bring it to what is handed over)
    paid     = Payment.paid (confirmed transfers only)
    refunded = sum(Refund.amount)
A settled entry has paid - refunded == owed. Services keep it so by creating a
refund for any excess (paid - refunded > owed) while holding the entry's
Payment row lock.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Household
from groupbuy.models import MONEY, BuyItem, Entry, EntryLine, GroupBuy, Offer

ZERO = Decimal("0")


def money(value: Decimal | int | str) -> Decimal:
    """An amount in yuan, rounded to the fen."""
    return Decimal(value).quantize(Decimal("0.01"))


def normalize_code(raw: str) -> str:
    """A pickup code as typed or scanned (any case, spaces, dashes) in its stored form."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


class PaymentMethod(models.TextChoices):
    WECHAT = "wechat", _("WeChat transfer")
    ALIPAY = "alipay", _("Alipay transfer")
    CASH = "cash", _("cash")
    OTHER = "other", _("other")


class PaymentState(models.TextChoices):
    UNPAID = "unpaid", _("unpaid")
    MARKED = "marked", _("marked paid, awaiting confirmation")
    CONFIRMED = "confirmed", _("confirmed")


class Payment(models.Model):
    """The payment account of one entry. `marked_amount` is what the resident says they sent
    and nobody has confirmed yet; `paid` is the confirmed total (initial transfer plus top-ups)."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="payment")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="payments")
    state = models.CharField(max_length=10, choices=PaymentState.choices, default=PaymentState.UNPAID)
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices, blank=True)
    provider = models.CharField(max_length=20, default="manual")
    reference = models.CharField(_("transfer note"), max_length=100, blank=True)
    marked_amount = models.DecimalField(default=ZERO, **MONEY)
    paid = models.DecimalField(default=ZERO, **MONEY)
    screenshot = models.CharField(max_length=255, blank=True)  # private storage path
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(paid__gte=0), name="payment_paid_nonnegative"),
            models.CheckConstraint(condition=Q(marked_amount__gte=0), name="payment_marked_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"payment of entry {self.entry_id}"


class AdjustmentReason(models.TextChoices):
    PACKS = "packs", _("whole packs: cut or tolerance filled at close")
    SHORTAGE = "shortage", _("shortage")
    AFTER_SALES = "after_sales", _("after-sales")


class Adjustment(models.Model):
    """A change of what an entry owes beyond Entry.amount (which counts ordered quantities): negative for
    shortages, after-sales refunds and pack cuts, positive for a filled pack tolerance. Append-only."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="adjustments")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="adjustments")
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=12, choices=AdjustmentReason.choices)
    source_key = models.CharField(max_length=80, unique=True)  # makes each credit happen once
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.reason} {self.amount}"


class RefundReason(models.TextChoices):
    FAILED = "failed", _("buy failed or cancelled")
    WITHDRAWN = "withdrawn", _("withdrawn")
    PRICE_CHANGE = "price_change", _("price change refused")
    SHORTAGE = "shortage", _("shortage")
    AFTER_SALES = "after_sales", _("after-sales")
    OVERPAYMENT = "overpayment", _("overpayment")


class RefundState(models.TextChoices):
    DUE = "due", _("due")
    PAID_BACK = "paid_back", _("paid back")
    CONFIRMED = "confirmed", _("received")


class Refund(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="refunds")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=12, choices=RefundReason.choices)
    note = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=RefundState.choices, default=RefundState.DUE)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    paid_back_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount} ({self.reason})"


class ChangeDefault(models.TextChoices):
    WITHDRAW = "withdraw", _("withdraw those who do not answer")
    ACCEPT_IF_CHEAPER = "accept_if_cheaper", _("accept for those who do not answer only if cheaper")


class ChangeStatus(models.TextChoices):
    OPEN = "open", _("waiting for answers")
    RESOLVED = "resolved", _("resolved")


class PriceChange(models.Model):
    """A leader's proposal (补差价) to change one item's price or substitute its offer after close."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="price_changes")
    item = models.ForeignKey(BuyItem, on_delete=models.CASCADE, related_name="price_changes")
    old_price = models.DecimalField(**MONEY)
    new_price = models.DecimalField(_("new price"), **MONEY)
    old_cost = models.DecimalField(**MONEY)
    new_cost = models.DecimalField(_("new supplier cost"), **MONEY)
    new_offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    evidence = models.CharField(max_length=255, blank=True)  # private storage path of the screenshot
    deadline = models.DateTimeField(_("answer by"))
    default_action = models.CharField(
        _("if no answer"), max_length=20, choices=ChangeDefault.choices, default=ChangeDefault.WITHDRAW
    )
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.OPEN)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            # The sweep rechecks filings of changes resolved in the last day: by resolved_at, not all resolved.
            models.Index(fields=["resolved_at"], condition=Q(status="resolved"), name="pricechange_resolved_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["item"], condition=Q(status="open"), name="pricechange_one_open_per_item"),
            models.CheckConstraint(condition=Q(new_price__gte=0), name="pricechange_price_nonnegative"),
            models.CheckConstraint(condition=Q(new_cost__gte=0), name="pricechange_cost_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.old_price} -> {self.new_price}"

    @property
    def is_cheaper(self) -> bool:
        return self.new_price <= self.old_price


class ResponseChoice(models.TextChoices):
    ACCEPT = "accept", _("accept")
    WITHDRAW = "withdraw", _("withdraw")


class PriceChangeResponse(models.Model):
    change = models.ForeignKey(PriceChange, on_delete=models.CASCADE, related_name="responses")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="price_responses")
    choice = models.CharField(max_length=10, choices=ResponseChoice.choices)
    quantity = models.PositiveIntegerField()
    amount_delta = models.DecimalField(**MONEY)  # change of what the entry owes
    by_default = models.BooleanField(default=False)  # decided by the deadline sweep
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["change", "entry"], name="pricechange_one_answer")]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.choice}"


class ItemArrival(models.Model):
    """What actually arrived of one item; recorded once, then allocation is final."""

    item = models.OneToOneField(BuyItem, on_delete=models.CASCADE, related_name="arrival")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="arrivals")
    ordered = models.PositiveIntegerField()
    arrived = models.PositiveIntegerField()
    rule = models.CharField(max_length=12)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.item_id}: {self.arrived}/{self.ordered}"


class PickupState(models.TextChoices):
    ISSUED = "issued", _("waiting")
    HANDED_OVER = "handed_over", _("handed over")
    PARTIAL = "partial", _("handed over in part")


class PickupCode(models.Model):
    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="pickup")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="pickup_codes")
    code = models.CharField(max_length=12, unique=True)
    state = models.CharField(max_length=12, choices=PickupState.choices, default=PickupState.ISSUED)
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    handed_over_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"pickup of entry {self.entry_id}"


class Handover(models.Model):
    """One visit at the hand-out table: who gave a household's goods out, when. A partial pick-up and the rest
    later are two hand-overs of one pickup code; their lines say what went each time."""

    pickup = models.ForeignKey(PickupCode, on_delete=models.CASCADE, related_name="handovers")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"hand-over {self.pk} of pickup {self.pickup_id}"


class HandoverLine(models.Model):
    """What of one line went in one hand-over: `expected` is what was still to come then, `handed` what went."""

    pickup = models.ForeignKey(PickupCode, on_delete=models.CASCADE, related_name="lines")
    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(EntryLine, on_delete=models.CASCADE, related_name="+")
    expected = models.PositiveIntegerField()
    handed = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["handover", "line"], name="handover_unique_line"),
            models.CheckConstraint(condition=Q(handed__lte=models.F("expected")), name="handover_within_expected"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.handed}/{self.expected}"


class ProblemKind(models.TextChoices):
    MISSING = "missing", _("missing")
    DAMAGED = "damaged", _("damaged")
    WRONG = "wrong", _("wrong item")


class ReportState(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class Resolution(models.TextChoices):
    REFUND = "refund", _("refund")
    REPLACEMENT = "replacement", _("replacement")
    REJECTED = "rejected", _("rejected")


class AfterSalesReport(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="after_sales")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="after_sales")
    item = models.ForeignKey(BuyItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("problem"), max_length=10, choices=ProblemKind.choices)
    description = models.CharField(_("what happened"), max_length=500)
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.OPEN)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField(_("note"), max_length=300, blank=True)
    refund_amount = models.DecimalField(null=True, blank=True, **MONEY)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} on entry {self.entry_id}"


class AfterSalesPhoto(models.Model):
    report = models.ForeignKey(AfterSalesReport, on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.path


class DonationState(models.TextChoices):
    PLEDGED = "pledged", _("pledged")
    PAID = "paid", _("paid")
    DELIVERED = "delivered", _("delivered")


class Donation(models.Model):
    """Portions paid by a leader or a resident for a household on the committee's vulnerable list."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="donations")
    item = models.ForeignKey(BuyItem, on_delete=models.PROTECT, related_name="donations")
    quantity = models.PositiveIntegerField(_("portions"))
    amount = models.DecimalField(**MONEY)
    donor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="donations")
    recipient = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="donations_received"
    )
    state = models.CharField(max_length=10, choices=DonationState.choices, default=DonationState.PLEDGED)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donation_quantity_positive")]

    def __str__(self) -> str:
        return f"donation of {self.quantity} x {self.item_id}"


class PayeeAccount(models.Model):
    """Where a leader takes transfers: the payee name and a 收款码 (WeChat/Alipay payment QR) image.

    `buy` empty: the owner's default, used for every buy they lead; set: that buy's own, which overrides the
    leader's default. The image is a private storage path, pending (never served) until re-encoded, as
    transfer screenshots are (services/photos.py)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payee_accounts")
    buy = models.ForeignKey(GroupBuy, null=True, blank=True, on_delete=models.CASCADE, related_name="payee_accounts")
    name = models.CharField(_("payee name"), max_length=60)
    qr_image = models.CharField(max_length=255, blank=True)  # private storage path
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(buy__isnull=True), name="payee_one_default_per_owner"
            ),
            models.UniqueConstraint(fields=["buy"], condition=Q(buy__isnull=False), name="payee_one_per_buy"),
        ]

    def __str__(self) -> str:
        return f"payee {self.name} ({'buy ' + str(self.buy_id) if self.buy_id else 'default'})"
