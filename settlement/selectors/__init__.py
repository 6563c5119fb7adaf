"""Settlement reads, by concept (buys, money, changes, distribution, donations). Callers use
`from settlement import selectors` and `selectors.<name>`."""

from settlement.selectors.buys import can_hand_over, entry_get, get_buy, identity
from settlement.selectors.changes import after_sales_for, open_price_changes_for_entry, price_changes
from settlement.selectors.distribution import (
    PickScope,
    distribution_progress,
    gate_queue,
    ordered_per_item,
    pick_list,
    pick_list_scope,
    pickup_for,
    pickup_preview,
)
from settlement.selectors.donations import can_see_donation_recipients, donations
from settlement.selectors.money import (
    MONEY_FIELD,
    REFUNDED,
    UNPAID_HOURS_MAX,
    EntryMoney,
    entries_with_money,
    money_of,
    my_entry,
    reconciliation,
    reconciliation_rows,
    refunds_for,
)

__all__ = [
    "EntryMoney",
    "MONEY_FIELD",
    "PickScope",
    "REFUNDED",
    "UNPAID_HOURS_MAX",
    "after_sales_for",
    "can_hand_over",
    "can_see_donation_recipients",
    "distribution_progress",
    "donations",
    "entries_with_money",
    "entry_get",
    "gate_queue",
    "get_buy",
    "identity",
    "money_of",
    "my_entry",
    "open_price_changes_for_entry",
    "ordered_per_item",
    "pick_list",
    "pick_list_scope",
    "pickup_for",
    "pickup_preview",
    "price_changes",
    "reconciliation",
    "reconciliation_rows",
    "refunds_for",
]
