"""Settlement exports: the reconciliation sheet and per-building pick lists (CSV / XLSX).

Built on groupbuy.exports.Table so both formats agree and typed text is formula-safe.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from groupbuy.exports import Table
from groupbuy.models import GroupBuy
from settlement.models import PaymentMethod, PaymentState, PickupState


def reconciliation_table(*, data: dict) -> Table:
    buy: GroupBuy = data["buy"]
    states = dict(PaymentState.choices)
    methods = dict(PaymentMethod.choices)
    rows = []
    for row in data["rows"]:
        entry = row["entry"]
        rows.append(
            [
                entry.seq,
                entry.household.label,
                entry.display_name,
                entry.get_status_display(),
                row["owed"],
                row["pending"],
                row["paid"],
                row["refunded"],
                row["due"],
                str(states.get(row["state"], row["state"])),
                str(methods.get(row["method"], "")),
                timezone.localtime(row["marked_at"]).strftime("%Y-%m-%d %H:%M") if row["marked_at"] else "",
            ]
        )
    totals = data["totals"]
    return Table(
        filename=f"reconciliation-{buy.pk}",
        title=buy.title,
        preamble=[[_("Buy"), buy.title], [_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M")]],
        header=[
            _("No."),
            _("Household"),
            _("Name"),
            _("Sign-up"),
            _("Owed (yuan)"),
            _("Marked, unconfirmed"),
            _("Confirmed paid"),
            _("Refunded"),
            _("Still due"),
            _("Payment"),
            _("Method"),
            _("Marked at"),
        ],
        rows=rows,
        footer=[
            [],
            [
                _("Totals"),
                "",
                "",
                "",
                totals.get("expected", 0),
                totals.get("marked", 0),
                totals.get("confirmed", 0),
                totals.get("refunded", 0),
                totals.get("outstanding", 0),
            ],
        ],
    )


def pick_list_table(*, buy: GroupBuy, groups: list[dict]) -> Table:
    rows = []
    states = dict(PickupState.choices)
    for group in groups:
        for household in group["households"]:
            entry = household["entry"]
            pickup = household["pickup"]
            items = "; ".join(f"{line['title']} x{line['quantity']}" for line in household["lines"])
            rows.append(
                [
                    group["building"].label,
                    entry.household.label,
                    household["name"],
                    entry.seq,
                    items,
                    household["note"],
                    str(states[pickup.state]) if pickup else "",
                ]
            )
        for donation in group["donations"]:
            rows.append(
                [
                    group["building"].label,
                    donation.recipient.label,
                    _("donated, free"),
                    "",
                    f"{donation.item.offer.title} x{donation.quantity}",
                    "",
                    donation.get_state_display(),
                ]
            )
    return Table(
        filename=f"pick-list-{buy.pk}",
        title=buy.title,
        preamble=[[_("Buy"), buy.title], [_("Delivery date"), str(buy.delivery_date)]],
        header=[_("Building"), _("Household"), _("Name"), _("No."), _("Items"), _("Note"), _("Handed over")],
        rows=rows,
    )
