"""Marking one's own notifications read."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Notification, User


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one notice (or all when no id) of `user` as read; returns how many changed. Others' notices are
    simply not matched, so nothing is revealed about them."""
    notices = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        notices = notices.filter(pk=notification_id)
    return notices.update(read_at=timezone.now())
