"""The Celery app. The beat schedule lives here, in one place.

Broker: Redis when REDIS_URL is set; otherwise Kombu's filesystem transport,
which needs no server, so `make run` still has a worker and beat.
Every scheduled entry below must be idempotent: two beat processes (or a
redelivered message) must not do anything twice.
"""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jielong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Seconds between deadline sweeps: a buy closes at most this long after its deadline.
SWEEP_INTERVAL_SECONDS = 5.0

app.conf.beat_schedule = {
    # Add entries as "<app>.<what>": {"task": "<dotted task name>", "schedule": seconds}.
    # Price changes (补差价) whose answer deadline passed: apply the leader's default to non-answers.
    "settlement.price_changes": {
        "task": "settlement.sweep_price_changes",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "groupbuy.sweep": {
        "task": "groupbuy.tasks.sweep_group_buys",
        "schedule": SWEEP_INTERVAL_SECONDS,
        # A sweep still queued when the next one is due is useless: drop it.
        "options": {"expires": SWEEP_INTERVAL_SECONDS},
    },
    # Filings still unapproved a day before arrival: remind leader and committee (deduplicated notices).
    "compliance.filing_reminders": {
        "task": "compliance.tasks.remind_unapproved_filings",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    # Settlement photos (transfer screenshots, evidence, after-sales) whose processing enqueue was lost.
    "settlement.photo_repair": {
        "task": "settlement.requeue_photos",
        "schedule": 120.0,
        "options": {"expires": 120},
    },
    # Disinfection photos whose processing enqueue was lost: enqueue again.
    "compliance.evidence_repair": {
        "task": "compliance.tasks.repair_pending_evidence",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    # Notices' SMS still due a minute after they were written (enqueue lost, gateway refused): send them.
    "accounts.sms_notices": {
        "task": "accounts.tasks.sms_notices_sweep",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Suspensions that ran out without being lifted: release (or re-hold) the deliveries they held.
    "compliance.suspension_expiry": {
        "task": "compliance.tasks.expire_suspensions",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
}


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
