"""The one rule for a buy's deadline and delivery date (group_buy_open and a pool member's fields).

A bottom module: imports only the app's error codes, so every service may use it."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groupbuy import exceptions as err


def is_future_instant(value: Any, *, now: datetime.datetime) -> bool:
    """The one test for a deadline: an aware datetime after `now` (a date, a naive time or None is not one).
    Settlement's answer deadline uses it with its own refusal."""
    return isinstance(value, datetime.datetime) and not timezone.is_naive(value) and value > now


def deadline_check(deadline: Any, *, now: datetime.datetime) -> datetime.datetime:
    """Return `deadline` if it is an aware datetime after `now`; otherwise refuse with invalid_deadline."""
    if not is_future_instant(deadline, now=now):
        raise err.invalid_deadline()
    return deadline


def delivery_date_check(delivery_date: Any, *, deadline: datetime.datetime) -> datetime.date:
    """Return `delivery_date` if it is a date (not a datetime) not before the deadline's local date.

    Precondition: `deadline` has passed `deadline_check` (aware)."""
    if (
        not isinstance(delivery_date, datetime.date)
        or isinstance(delivery_date, datetime.datetime)
        or delivery_date < timezone.localdate(deadline)
    ):
        raise err.invalid_deadline(_("The delivery date cannot be before the deadline."))
    return delivery_date
