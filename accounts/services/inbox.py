"""Marking one's own notifications read; choosing whether notices that need action also come by SMS."""

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


def user_sms_notices_set(*, user: User, enabled: bool) -> User:
    """`user` turns their own notices by SMS on or off (nobody sets it for someone else: the caller passes the
    signed-in user). Off also stops SMS already due (the sender reads the setting again before sending)."""
    User.objects.filter(pk=user.pk).update(sms_notices=enabled)
    user.sms_notices = enabled
    return user
