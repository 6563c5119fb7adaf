"""Issue 15, item 7: the notices that need action also go by SMS — once per notice, after commit, by Celery,
repaired by the beat's SMS sweep — to people with a phone who keep SMS on.

The lost enqueue is simulated as elsewhere (tests/groupbuy/test_trust_lost_notices.py): in a plain django_db
test the on-commit callbacks never run unless captured; the broker refusing the message is simulated at the
task's apply_async (kombu's OperationalError, which core.enqueue swallows and logs). The real Redis outage is
tests/reliability/test_redis_outage.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from celery import current_app
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from accounts import tasks
from accounts.factories import UserFactory
from accounts.models import Notification, SmsState
from accounts.notifications import (
    SMS_KINDS,
    SMS_MAX_TRIES,
    notification_send,
    notification_sms_send_each,
    notification_sms_sweep,
)
from core import sms
from core.sms import SmsSendError

pytestmark = pytest.mark.django_db

LOCMEM = "core.sms.LocmemBackend"
REFUSING = "tests.accounts.test_sms_notices.RefusingBackend"


class RefusingBackend:
    """A gateway that refuses every message (what a real one does when the provider is down)."""

    def send(self, message):
        raise SmsSendError("provider unavailable")


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.SMS_BACKEND = LOCMEM
    settings.SITE_URL = "https://jielong.example.org"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def formed(user_ids, *, buy_id=7, title="Tomatoes"):
    return notification_send(
        user_ids=user_ids,
        kind="buy_formed",
        dedupe_key=f"buy:{buy_id}:buy_formed",
        params={"title": title, "buy_id": buy_id},
        link=f"/buys/{buy_id}/",
    )


def state_of(user):
    return Notification.objects.get(user=user).sms_state


def sms_due_ago(delta):
    Notification.objects.filter(sms_state=SmsState.DUE).update(sms_due_at=timezone.now() - delta)


def test_the_kinds_that_need_action_are_the_sms_kinds():
    assert {"buy_formed", "buy_failed", "price_change_proposed", "pickup_ready", "refund_paid_back"} <= SMS_KINDS
    # Not by SMS: what needs no action, and the release (each household hears its pickup code instead).
    assert not SMS_KINDS & {"buy_closed", "goods_released", "payment_reminder", "join_requested", "generic"}


def test_an_sms_kind_notice_sends_one_sms_after_commit(django_capture_on_commit_callbacks, outbox):
    user = UserFactory(phone="+8613800000001", preferred_language="zh-hans")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        formed([user.pk])
    assert outbox == []  # nothing leaves before the commit
    assert state_of(user) == SmsState.DUE
    for callback in callbacks:
        callback()
    assert [(m.phone, m.purpose) for m in outbox] == [("+8613800000001", "notice:buy_formed")]
    notice = Notification.objects.get(user=user)
    assert outbox[0].key == f"notice:{notice.pk}"
    assert outbox[0].text == "【接龙】“Tomatoes”已达到起送量，成团了。 https://jielong.example.org/buys/7/"
    assert (notice.sms_state, notice.sms_tries) == (SmsState.SENT, 1)
    assert notice.sms_sent_at is not None


def test_the_sms_reads_in_each_recipients_language(settings, django_capture_on_commit_callbacks, outbox):
    settings.LANGUAGE_CODE = "zh-hans"  # the product's default (the test settings use English)
    chinese = UserFactory(preferred_language="zh-hans")
    english = UserFactory(preferred_language="en")
    unset = UserFactory(preferred_language="")  # the site's language, Chinese
    with django_capture_on_commit_callbacks(execute=True):
        formed([chinese.pk, english.pk, unset.pk])
    texts = {m.phone: m.text for m in outbox}
    assert texts[english.phone] == (
        "【接龙】“Tomatoes” reached its minimum order (成团). https://jielong.example.org/buys/7/"
    )
    assert (
        texts[chinese.phone]
        == texts[unset.phone]
        == "【接龙】“Tomatoes”已达到起送量，成团了。 https://jielong.example.org/buys/7/"
    )


def test_the_same_event_twice_sends_one_sms(django_capture_on_commit_callbacks, outbox):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        formed([user.pk])
    with django_capture_on_commit_callbacks(execute=True) as second:
        formed([user.pk])
    assert second == []  # the repeat inserted nothing and enqueued nothing
    assert len(outbox) == 1
    assert Notification.objects.filter(user=user).count() == 1


def test_the_task_run_twice_sends_one_sms(outbox):
    user = UserFactory()
    formed([user.pk])  # the on-commit task is not run here: the task is called as a worker would, twice
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert tasks.sms_notices_send(ids) == 1
    assert tasks.sms_notices_send(ids) == 0
    assert notification_sms_sweep() == {"requeued": 0, "due": 0, "sent": 0}
    assert len(outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_and_sweep_send_one_sms(outbox):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL (row locks); set DATABASE_URL to a PostgreSQL database")
    users = [UserFactory() for _ in range(5)]
    formed([u.pk for u in users])
    sms_due_ago(timedelta(minutes=2))  # the sweep sees them too
    ids = list(Notification.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(4)
    errors = []

    def run(work):
        try:
            barrier.wait(timeout=10)
            work()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(lambda: notification_sms_send_each(notification_ids=ids),))]
    workers += [threading.Thread(target=run, args=(lambda: tasks.sms_notices_send(ids),)) for _ in range(2)]
    workers.append(threading.Thread(target=run, args=(notification_sms_sweep,)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert sorted(m.phone for m in outbox) == sorted(u.phone for u in users)
    assert set(Notification.objects.values_list("sms_state", "sms_tries")) == {(SmsState.SENT, 1)}


def test_a_person_who_turned_sms_off_gets_none(django_capture_on_commit_callbacks, outbox):
    quiet = UserFactory(sms_notices=False)
    other = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        formed([quiet.pk, other.pk])
    assert [m.phone for m in outbox] == [other.phone]
    assert state_of(quiet) == SmsState.NONE
    assert Notification.objects.filter(user=quiet).exists()  # the in-app notice is always there


def test_turning_sms_off_after_the_notice_was_written_stops_its_sms(outbox):
    user = UserFactory()
    formed([user.pk])
    user.sms_notices = False
    user.save(update_fields=["sms_notices"])
    assert notification_sms_send_each(notification_ids=Notification.objects.values_list("pk", flat=True)) == 0
    assert outbox == []
    assert state_of(user) == SmsState.NONE


def test_a_person_without_a_phone_gets_none(django_capture_on_commit_callbacks, outbox):
    user = UserFactory(phone="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        formed([user.pk])
    assert callbacks == []  # nobody to text: no task either
    assert outbox == []
    assert state_of(user) == SmsState.NONE


def test_a_phone_nobody_proved_by_a_code_gets_none(django_capture_on_commit_callbacks, outbox):
    """A number typed by someone else (the admin, an import) may be a stranger's: a pickup code never goes there."""
    user = UserFactory(phone_verified=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        formed([user.pk])
    assert callbacks == []
    assert outbox == []
    assert state_of(user) == SmsState.NONE


def test_a_notice_of_another_kind_sends_none(django_capture_on_commit_callbacks, outbox):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_send(user_ids=[user.pk], kind="buy_closed", dedupe_key="buy:7:buy_closed", params={"title": "T"})
    assert callbacks == []
    assert outbox == []
    assert state_of(user) == SmsState.NONE
    assert notification_sms_sweep()["due"] == 0


def test_a_refused_sms_stays_due_and_the_sweep_sends_it_later_once(
    settings, django_capture_on_commit_callbacks, outbox
):
    user = UserFactory()
    settings.SMS_BACKEND = REFUSING
    with django_capture_on_commit_callbacks(execute=True):
        formed([user.pk])
    notice = Notification.objects.get(user=user)
    assert (notice.sms_state, notice.sms_tries) == (SmsState.DUE, 1)
    assert notification_sms_sweep()["sent"] == 0  # not a minute yet: the sweep leaves it
    settings.SMS_BACKEND = LOCMEM
    sms_due_ago(timedelta(minutes=2))
    assert notification_sms_sweep() == {"requeued": 0, "due": 1, "sent": 1}
    assert notification_sms_sweep() == {"requeued": 0, "due": 0, "sent": 0}
    assert [m.phone for m in outbox] == [user.phone]
    notice.refresh_from_db()
    assert (notice.sms_state, notice.sms_tries) == (SmsState.SENT, 2)


def test_an_sms_refused_every_time_is_given_up_after_the_last_try(settings, outbox):
    user = UserFactory()
    settings.SMS_BACKEND = REFUSING
    formed([user.pk])
    for _try in range(SMS_MAX_TRIES):
        sms_due_ago(timedelta(minutes=2))
        notification_sms_sweep()
    notice = Notification.objects.get(user=user)
    assert (notice.sms_state, notice.sms_tries) == (SmsState.FAILED, SMS_MAX_TRIES)
    settings.SMS_BACKEND = LOCMEM
    sms_due_ago(timedelta(minutes=2))
    assert notification_sms_sweep()["sent"] == 0
    assert outbox == []


def test_a_claim_whose_worker_died_is_sent_by_the_sweep(outbox):
    user = UserFactory()
    formed([user.pk])
    # A worker claimed it and died before sending: still "sending" long after.
    Notification.objects.update(sms_state=SmsState.SENDING, sms_tries=1, sms_due_at=timezone.now() - timedelta(hours=1))
    assert notification_sms_sweep() == {"requeued": 1, "due": 1, "sent": 1}
    assert [m.phone for m in outbox] == [user.phone]
    # A recent claim is left to its worker.
    Notification.objects.update(sms_state=SmsState.SENDING, sms_due_at=timezone.now())
    assert notification_sms_sweep() == {"requeued": 0, "due": 0, "sent": 0}


def test_a_broker_outage_at_commit_is_repaired_by_the_sweep(monkeypatch, django_capture_on_commit_callbacks, outbox):
    user = UserFactory()
    task_class = type(current_app.tasks["accounts.tasks.sms_notices_send"])

    def broker_down(self, *args, **kwargs):
        raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(task_class, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        formed([user.pk])  # the sender never sees the outage (core.enqueue logs it)
    assert len(callbacks) == 1
    assert outbox == []
    assert state_of(user) == SmsState.DUE
    monkeypatch.undo()
    sms_due_ago(timedelta(seconds=61))
    assert tasks.sms_notices_sweep() == {"requeued": 0, "due": 1, "sent": 1}
    assert tasks.sms_notices_sweep()["sent"] == 0
    assert [m.phone for m in outbox] == [user.phone]


def test_the_sweep_reads_the_partial_index():
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    user = UserFactory()
    Notification.objects.bulk_create(
        Notification(user=user, kind="generic", dedupe_key=f"k{i}", params={"text": "x"}) for i in range(2000)
    )
    formed([user.pk])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_notification")
    due = Notification.objects.filter(sms_state=SmsState.DUE, sms_due_at__lte=timezone.now()).order_by("sms_due_at")
    assert "notification_sms_pending" in due.explain()
