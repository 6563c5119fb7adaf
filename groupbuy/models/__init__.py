"""Suppliers, offers, group buys (团), sign-ups (接龙) and purchase orders.

Counters on GroupBuy / BuyItem are only ever changed by conditional UPDATEs in
services (never read-modify-save), and the CheckConstraints below are the last
line of defence against oversell.
"""

from __future__ import annotations

from groupbuy.models.buys import (
    SIGNUP_STATES,
    AllocationRule,
    BuyItem,
    BuyKind,
    BuyStatus,
    DistributionMode,
    GroupBuy,
    MoqKind,
    moq_reached_q,
    version_next,
)
from groupbuy.models.catalog import Offer, OfferPhoto, PhotoStatus, Supplier
from groupbuy.models.common import MONEY, max_length_of
from groupbuy.models.entries import Entry, EntryLine, EntryStatus, PurchaseOrder, PurchaseOrderLine
from groupbuy.models.pools import (
    DuplicateBuyNotice,
    DuplicateReason,
    Pool,
    PoolInvitation,
    PoolMember,
    PoolMemberStatus,
    PoolStatus,
)
from groupbuy.models.share import ShareLink

__all__ = [
    "version_next",
    "MONEY",
    "max_length_of",
    "Offer",
    "OfferPhoto",
    "PhotoStatus",
    "Supplier",
    "AllocationRule",
    "BuyItem",
    "BuyKind",
    "BuyStatus",
    "DistributionMode",
    "GroupBuy",
    "MoqKind",
    "SIGNUP_STATES",
    "moq_reached_q",
    "Entry",
    "EntryLine",
    "EntryStatus",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "DuplicateBuyNotice",
    "DuplicateReason",
    "Pool",
    "PoolInvitation",
    "PoolMember",
    "PoolMemberStatus",
    "PoolStatus",
    "ShareLink",
]
