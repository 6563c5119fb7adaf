"""Shared pieces of the group-buy models: money columns and field lengths."""

from __future__ import annotations

from django.db import models

MONEY = {"max_digits": 12, "decimal_places": 2}


def max_length_of(model: type[models.Model], name: str) -> int:
    """The max_length of a text field, so serializers and services check the length the column holds."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length
