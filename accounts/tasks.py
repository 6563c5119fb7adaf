"""Celery tasks for accounts: thin, ids only, idempotent (each SMS is claimed by a conditional UPDATE).

Services enqueue these by name (core.enqueue.enqueue_task_on_commit); apps.py imports this module so the eager
mode (tests, the demo) finds them. Retried only for transient database errors: a gateway refusal is not raised
(the row goes back to due and the sweep retries it a minute later).
"""

from __future__ import annotations

from celery import shared_task

from accounts.notifications import notification_sms_send_each, notification_sms_sweep
from core.enqueue import TASK_RETRY


@shared_task(**TASK_RETRY)
def sms_notices_send(notification_ids: list[int]) -> int:
    return notification_sms_send_each(notification_ids=notification_ids)


# The beat runs this every minute: no retries (the next run does the work); overlapping runs are harmless.
@shared_task
def sms_notices_sweep() -> dict[str, int]:
    return notification_sms_sweep()
