"""Settlement notice kinds (messages rendered in the reader's language)."""

from django.utils.translation import gettext_lazy as _

from accounts.notifications import register
from settlement.models import RefundReason, Resolution, ResponseChoice

register("payment_reminder", _("“{title}”: please pay {amount} yuan for your order."))
register(
    "price_change_proposed",
    _("“{title}”: {item} now costs {new_price} yuan instead of {old_price}. Please accept or withdraw by {deadline}."),
    sms=True,
)
register(
    "price_change_resolved",
    _("“{title}”: the price change for {item} is settled: {choice}."),
    labels={"choice": dict(ResponseChoice.choices)},
)
register(
    "refund_due",
    _("“{title}”: a refund of {amount} yuan is due to you ({reason})."),
    labels={"reason": dict(RefundReason.choices)},
)
register(
    "refund_paid_back",
    _("“{title}”: your refund of {amount} yuan was sent back. Please confirm when it arrives."),
    sms=True,
)
register("shortage_recorded", _("“{title}”: {item} arrived short; you get {allocated} of {ordered}."))
register(
    "after_sales_resolved",
    _("“{title}”: your report was resolved: {resolution}."),
    labels={"resolution": dict(Resolution.choices)},
)
register("pickup_ready", _("“{title}”: your goods are ready. Your pickup code is {code}."), sms=True)
