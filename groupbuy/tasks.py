"""Celery tasks for group buys: thin, ids only, idempotent (each calls one CAS-guarded service).

Services enqueue these by name (core.enqueue.enqueue_task_on_commit), so this module imports the services
at the top and nothing imports it (apps.py registers it).

Retried only for transient errors (database connection lost, deadlock or
serialization failure, broker hiccups), with exponential backoff and a
maximum; anything else is a bug and fails loudly. Messages are acknowledged
after the task ran (acks_late), so a worker killed mid-task is redelivered;
the services make that repeat harmless.
"""

from __future__ import annotations

from celery import shared_task

from core.enqueue import TASK_RETRY
from groupbuy.services.buys import group_buy_close
from groupbuy.services.catalog import offer_photo_process
from groupbuy.services.lifecycle import group_buy_notify_formed
from groupbuy.services.sweep import group_buys_sweep


@shared_task(**TASK_RETRY)
def close_group_buy(buy_id: int) -> bool:
    return group_buy_close(buy_id=buy_id)


@shared_task(**TASK_RETRY)
def notify_buy_formed(buy_id: int) -> int:
    return group_buy_notify_formed(buy_id=buy_id)


@shared_task(**TASK_RETRY)
def process_offer_photo(photo_id: int) -> bool:
    return offer_photo_process(photo_id=photo_id)


# The beat runs this every SWEEP_INTERVAL_SECONDS: no retries (the next run does the work), and an
# overlapping or repeated run is harmless.
@shared_task
def sweep_group_buys() -> dict[str, int]:
    return group_buys_sweep()
