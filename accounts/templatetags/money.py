"""`{% load money %}{{ amount|money }}`: yuan as ¥ and two decimals (¥59.00, -¥3.20), the same in both languages."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{number_format(abs(amount), 2)}"
