"""Enqueue Celery tasks only after the surrounding transaction commits.

A rolled-back transaction never enqueues anything, and a worker never sees a
row that does not exist yet. If the broker is down at that moment the request
still succeeds: the state is in the database, and the beat sweeps repair any
work whose enqueue was lost.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import InterfaceError, transaction
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# The retry policy of every task that acts on rows (``@shared_task(**TASK_RETRY)``): retried only for transient
# database and broker errors, acknowledged late and given back when the worker dies, so a close or a send is never
# lost; each task's service is idempotent (compare-and-swap on its row), so a redelivery does nothing twice.
TASK_RETRY: dict[str, Any] = {
    "autoretry_for": (DatabaseOperationalError, InterfaceError, OperationalError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def _send_by_name(name: str, args: tuple, kwargs: dict) -> None:
    try:
        # A signature of a registered task goes through Task.apply_async, so eager mode and retries still apply.
        current_app.signature(name).apply_async(args=args, kwargs=kwargs)
    except OperationalError:
        logger.warning("broker unavailable: %s%r not enqueued; the sweep will repair it", name, args)


def enqueue_task_on_commit(name: str, *args: Any, **kwargs: Any) -> None:
    """Enqueue the task registered as ``name`` after commit, by name, so services never import the tasks module
    (tasks import services; nothing imports tasks)."""
    transaction.on_commit(lambda: _send_by_name(name, args, kwargs), robust=True)
