"""Where money moves. No real payment provider is called: residents transfer by WeChat/Alipay
or hand over cash, and a data volunteer or the leader confirms. A provider that can confirm by
itself (a payment API with callbacks) implements the same interface later."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PaymentRequest:
    entry_id: int
    amount: Decimal
    payee_hint: str


@dataclass(frozen=True)
class ProviderResult:
    confirmed: bool  # True only if the provider itself verified the money arrived
    reference: str = ""
    instructions: str = ""


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def start_payment(self, request: PaymentRequest) -> ProviderResult:
        """Begin collecting `request.amount`; returns instructions for the payer."""

    @abstractmethod
    def start_refund(self, *, entry_id: int, amount: Decimal) -> ProviderResult:
        """Begin paying `amount` back."""

    @property
    @abstractmethod
    def needs_human_confirmation(self) -> bool:
        """Whether a person must confirm payments (manual transfers) instead of the provider."""


class ManualTransferProvider(PaymentProvider):
    """WeChat/Alipay transfers to the leader and cash: a human confirms every payment and refund."""

    name = "manual"

    def start_payment(self, request: PaymentRequest) -> ProviderResult:
        return ProviderResult(
            confirmed=False,
            instructions=str(_("Transfer the amount to the leader and mark it paid here.")),
        )

    def start_refund(self, *, entry_id: int, amount: Decimal) -> ProviderResult:
        return ProviderResult(confirmed=False, instructions=str(_("Pay the amount back and mark it paid back.")))

    @property
    def needs_human_confirmation(self) -> bool:
        return True


def get_provider(name: str = "manual") -> PaymentProvider:
    providers: dict[str, PaymentProvider] = {"manual": ManualTransferProvider()}
    return providers[name]
