"""Compliance notices (registered once at import; see accounts.notifications)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.notifications import register

register(
    "filing_submitted",
    _("A delivery filing for “{title}” (arriving {arrival}) is waiting for review."),
)
register("filing_approved", _("The delivery of “{title}” was approved. Slip code: {code}."))
register("filing_rejected", _("The delivery filing of “{title}” was rejected: {reason}. Fix it and resubmit."))
register("delivery_on_hold", _("Deliveries are suspended ({reason}): the delivery of “{title}” is on hold."))
register("delivery_restored", _("The suspension is over: the delivery of “{title}” is approved again."))
register(
    "delivery_refile",
    _(
        "The suspension is over, but the arrival window of “{title}” has passed: the delivery stays on hold. "
        "Fix the filing with a new arrival time and resubmit."
    ),
)
register(
    "filing_reminder",
    _("The delivery filing of “{title}” (arriving {arrival}) is not approved yet."),
)
register("goods_released", _("The goods of “{title}” were disinfected and released into the compound."))


def filing_link(filing_id: int) -> str:
    return reverse("compliance:filing_detail", kwargs={"pk": filing_id})
