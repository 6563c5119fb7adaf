"""The one read-only admin: records that change only through services are looked at, not edited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Put before ``admin.ModelAdmin`` (or an inline): no add, change or delete in the admin.

    Money, audit and filing records change only through their services (which check, lock and
    log); an operator in the admin may look. Set ``allow_delete = True`` where deleting a row
    by hand is allowed (it is only for rows nothing else refers to)."""

    allow_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.allow_delete:
            return super().has_delete_permission(request, obj)  # type: ignore[misc]
        return False
