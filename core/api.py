"""The API kit: one way to validate a request body with a serializer."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def valid(serializer_class: type[serializers.BaseSerializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """The serializer's validated data as a plain dict; invalid input raises DRF's ValidationError,
    which `core.errors.api_exception_handler` answers as ``{"code": "invalid", ..., "detail": {field: [...]}}``
    with status 400. `kwargs` go to the serializer (e.g. ``context={...}``)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
