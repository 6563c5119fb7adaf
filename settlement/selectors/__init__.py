"""Settlement reads, by concept (buys, money, changes, distribution, donations). Callers use
`from settlement import selectors` and `selectors.<name>`."""

from settlement.selectors.buys import buy_get, can_hand_over, entry_get, identity
from settlement.selectors.changes import after_sale_list, price_change_list, price_change_open_list
from settlement.selectors.distribution import (
    PickScope,
    distribution_progress_list,
    gate_queue_list,
    ordered_per_item_get,
    pick_list_get,
    pick_scope_get,
    pickup_get,
    pickup_preview_get,
)
from settlement.selectors.donations import can_see_donation_recipients, donation_list
from settlement.selectors.money import (
    MONEY_FIELD,
    REFUNDED,
    UNPAID_HOURS_MAX,
    EntryMoney,
    entry_money_list,
    money_of,
    my_entry_get,
    reconciliation_get,
    reconciliation_row_list,
    refund_list,
)

__all__ = [
    "EntryMoney",
    "MONEY_FIELD",
    "PickScope",
    "REFUNDED",
    "UNPAID_HOURS_MAX",
    "after_sale_list",
    "can_hand_over",
    "can_see_donation_recipients",
    "distribution_progress_list",
    "donation_list",
    "entry_money_list",
    "entry_get",
    "gate_queue_list",
    "buy_get",
    "identity",
    "money_of",
    "my_entry_get",
    "price_change_open_list",
    "ordered_per_item_get",
    "pick_list_get",
    "pick_scope_get",
    "pickup_get",
    "pickup_preview_get",
    "price_change_list",
    "reconciliation_get",
    "reconciliation_row_list",
    "refund_list",
]
