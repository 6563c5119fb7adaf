"""`{% load phones %}<a href="tel:{{ phone }}">{{ phone|phone_display }}</a>`: a stored (E.164) phone dialled as
stored and shown as people here read it (a mainland mobile as its 11 digits). Which phones a viewer may see is
the selectors' business; this only formats one it is given."""

from django import template

from accounts.phone import phone_display as _display

register = template.Library()


@register.filter
def phone_display(value) -> str:
    return _display(str(value)) if value else ""
