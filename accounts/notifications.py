"""In-app notifications: sent by services, rendered in the reader's language.

Each app registers its message templates here by `kind`; a notification row
stores only the kind and the parameters, so the same notice reads in Chinese
or English depending on who looks at it and when.

The few kinds that need action are registered with ``sms=True``: their notices also go by SMS (core.sms) to
each addressee who has a phone and keeps SMS on (User.sms_notices). The row is marked due in the INSERT that
creates it, the task ``accounts.tasks.sms_notices_send`` is enqueued on commit, each row is claimed by one
conditional UPDATE (so a repeated or concurrent task sends nothing twice), and the beat's SMS sweep sends what
stayed due (broker down at commit, gateway refusal) — once per notice, like the notice itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Notification, SmsState, User
from core.enqueue import enqueue_task_on_commit
from core.sms import SmsSendError, send_sms

logger = logging.getLogger(__name__)

# kind -> message with {named} placeholders. Apps add their kinds with register().
MESSAGES: dict[str, Any] = {
    "generic": _("{text}"),
}


# kind -> {param: {stored code: label}}: params stored as a code (e.g. a refund reason) or a list of codes read
# as their labels, translated when the notice is read.
LABELS: dict[str, dict[str, Mapping[str, Any]]] = {}

# The kinds that also go by SMS (registered with sms=True): the few that need the resident to act.
SMS_KINDS: set[str] = set()
# A due SMS the on-commit task did not send (broker down, gateway refused) is sent by the sweep after this long.
SMS_SWEEP_AFTER = timedelta(minutes=1)
# A claimed SMS still "sending" after this long: its worker died mid-send; it is due again (the provider gets the
# same key, notice:<id>, so one that deduplicates drops a repeat).
SMS_STALE_SENDING = timedelta(minutes=10)
# Tries (about a minute apart, by the sweep) before a notice's SMS is given up as failed.
SMS_MAX_TRIES = 5
# How many due SMS one sweep sends at most (the next sweep takes the rest).
SMS_SWEEP_BATCH = 200
SMS_TASK = "accounts.tasks.sms_notices_send"


def register(
    kind: str, message: Any, *, labels: Mapping[str, Mapping[str, Any]] | None = None, sms: bool = False
) -> None:
    """Register `kind`'s message; `sms=True` sends its notices by SMS too (only for notices that need action)."""
    MESSAGES[kind] = message
    if labels:
        LABELS[kind] = dict(labels)
    if sms:
        SMS_KINDS.add(kind)
    else:
        SMS_KINDS.discard(kind)


# The accounts app's own kinds (join requests, roles). Every app registers its kinds in its notifications module,
# imported from its AppConfig.ready, so notices render in every process (web, worker).
register("join_requested", _("{name} asks to join as a resident of {label}."))
register("join_approved", _("Welcome! You are now a resident of {label} in {community}."))
register("join_rejected", _("Your request to join {community} as {label} was not approved. {reason}"))
register("roles_changed", _("Your roles in {community} were updated."))


def render(notification: Notification) -> str:
    template = MESSAGES.get(notification.kind, MESSAGES["generic"])
    params = dict(notification.params)
    for name, choices in LABELS.get(notification.kind, {}).items():
        value = params.get(name)
        if isinstance(value, str) and value in choices:
            params[name] = str(choices[value])
        elif isinstance(value, list):  # several codes, e.g. the fields a leader changed
            params[name] = ", ".join(str(choices.get(v, v)) if isinstance(v, str) else str(v) for v in value)
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(notification.params.get("text", notification.kind))


def notification_send(
    *,
    user_ids: Iterable[int],
    kind: str,
    dedupe_key: str,
    params: dict[str, Any] | None = None,
    link: str = "",
    community_id: int | None = None,
) -> int:
    """Create one notice per user; a repeat with the same dedupe_key adds nothing.

    Returns the number of users addressed (not the number newly created).
    """
    return notification_send_each(
        kind=kind,
        notices=[(user_ids, dedupe_key, params or {})],
        link=link,
        community_id=community_id,
    )


def notification_send_each(
    *,
    kind: str,
    notices: Iterable[tuple[Iterable[int], str, dict[str, Any]]],
    link: str = "",
    community_id: int | None = None,
) -> int:
    """Several notices of one kind whose keys and parameters differ (e.g. each household's own pickup code),
    written with one INSERT: `notices` holds (user ids, dedupe_key, params). A repeat of a key adds nothing.

    Returns the number of (user, key) pairs addressed (not the number newly created).
    """
    rows: dict[tuple[int, str], Notification] = {}
    notices = [(set(user_ids), dedupe_key, params) for user_ids, dedupe_key, params in notices]
    sms_user_ids = _sms_recipients(kind, {uid for user_ids, _key, _params in notices for uid in user_ids})
    now = timezone.now()
    for user_ids, dedupe_key, params in notices:
        for uid in user_ids:
            rows.setdefault(
                (uid, dedupe_key),
                Notification(
                    user_id=uid,
                    kind=kind,
                    params=params,
                    link=link,
                    dedupe_key=dedupe_key,
                    community_id=community_id,
                    # Due in the same INSERT: a notice and its SMS exist together or not at all.
                    sms_state=SmsState.DUE if uid in sms_user_ids else SmsState.NONE,
                    sms_due_at=now if uid in sms_user_ids else None,
                ),
            )
    # Sorted: concurrent senders insert in the same order, so they cannot deadlock on the unique index.
    ordered = [rows[key] for key in sorted(rows)]
    Notification.objects.bulk_create(ordered, ignore_conflicts=True, batch_size=500)
    if sms_user_ids:
        # A repeat of a key inserted nothing (ignore_conflicts sets no ids): find the rows still due, which are
        # this call's new ones (or an earlier call's not yet sent: claiming makes sending them again harmless).
        due_ids = list(
            Notification.objects.filter(
                user_id__in=sms_user_ids,
                dedupe_key__in={key for _uids, key, _params in notices},
                kind=kind,
                sms_state=SmsState.DUE,
            ).values_list("pk", flat=True)
        )
        if due_ids:
            enqueue_task_on_commit(SMS_TASK, sorted(due_ids))
    return len(ordered)


def _sms_recipients(kind: str, user_ids: set[int]) -> set[int]:
    """Of `user_ids`, who gets `kind` by SMS too: an SMS kind, a verified phone, SMS not turned off (one query)."""
    if kind not in SMS_KINDS or not user_ids:
        return set()
    # The query form of User.reachable_by_sms.
    reachable = User.objects.filter(pk__in=user_ids, sms_notices=True, phone_verified=True).exclude(phone="")
    return set(reachable.values_list("pk", flat=True))


# --- the SMS copy ---------------------------------------------------------------------------------------------


def site_url(link: str) -> str:
    """The absolute address of a notice's link (settings.SITE_URL + a site path), for text read outside the site."""
    if not link or link.startswith(("http://", "https://")):
        return link
    return settings.SITE_URL.rstrip("/") + "/" + link.lstrip("/")


def sms_text(notification: Notification, *, language: str = "") -> str:
    """The SMS of a notice, in `language` (the recipient's; default the site's): the signature, the notice's
    text, and the absolute link to where it can be acted on."""
    with translation.override(language or settings.LANGUAGE_CODE):
        text = render(notification)
    link = site_url(notification.link)
    return f"【接龙】{text}" + (f" {link}" if link else "")


def notification_sms_send(*, notification_id: int) -> bool:
    """Send the SMS of one due notice, once: the row is claimed (due -> sending) by a conditional UPDATE, so a
    task run twice or concurrently with the sweep sends it once. A gateway refusal (SmsSendError) puts it back
    to due for the sweep, or to failed after SMS_MAX_TRIES. Returns whether an SMS was sent."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, sms_state=SmsState.DUE).update(
        sms_state=SmsState.SENDING, sms_due_at=now, sms_tries=F("sms_tries") + 1
    )
    if not claimed:
        return False
    notice = Notification.objects.select_related("user").get(pk=notification_id)
    user = notice.user
    claim = Notification.objects.filter(pk=notice.pk, sms_state=SmsState.SENDING)
    if not user.reachable_by_sms or not user.sms_notices:
        # Turned off (or the phone removed) after the notice was written: the in-app notice is enough.
        claim.update(sms_state=SmsState.NONE, sms_due_at=None)
        return False
    try:
        send_sms(
            user.phone,
            sms_text(notice, language=user.preferred_language),
            purpose=f"notice:{notice.kind}",
            key=f"notice:{notice.pk}",
        )
    except SmsSendError:
        gave_up = notice.sms_tries >= SMS_MAX_TRIES
        logger.warning("SMS of notice %s refused (try %s of %s)", notice.pk, notice.sms_tries, SMS_MAX_TRIES)
        claim.update(
            sms_state=SmsState.FAILED if gave_up else SmsState.DUE,
            sms_due_at=None if gave_up else timezone.now(),
        )
        return False
    claim.update(sms_state=SmsState.SENT, sms_sent_at=timezone.now())
    return True


def notification_sms_send_each(*, notification_ids: Iterable[int]) -> int:
    """The on-commit task's work: send each of these notices' SMS that is still due. Returns how many were sent."""
    return sum(notification_sms_send(notification_id=pk) for pk in sorted(set(notification_ids)))


def notification_sms_sweep(*, batch: int = SMS_SWEEP_BATCH) -> dict[str, int]:
    """The beat's repair: SMS due for longer than SMS_SWEEP_AFTER (their task was lost, or the gateway refused)
    are sent now, and a claim older than SMS_STALE_SENDING (its worker died) is due again. Both queries read the
    partial index on pending rows. Safe to run twice or beside the tasks (each send claims its row)."""
    now = timezone.now()
    stale = Notification.objects.filter(sms_state=SmsState.SENDING, sms_due_at__lte=now - SMS_STALE_SENDING)
    stale.filter(sms_tries__gte=SMS_MAX_TRIES).update(sms_state=SmsState.FAILED, sms_due_at=None)
    requeued = stale.update(sms_state=SmsState.DUE)
    due_ids = list(
        Notification.objects.filter(sms_state=SmsState.DUE, sms_due_at__lte=now - SMS_SWEEP_AFTER)
        .order_by("sms_due_at")
        .values_list("pk", flat=True)[:batch]
    )
    return {"requeued": requeued, "due": len(due_ids), "sent": notification_sms_send_each(notification_ids=due_ids)}
