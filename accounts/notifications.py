"""In-app notifications: sent by services, rendered in the reader's language.

Each app registers its message templates here by `kind`; a notification row
stores only the kind and the parameters, so the same notice reads in Chinese
or English depending on who looks at it and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Notification

# kind -> message with {named} placeholders. Apps add their kinds with register().
MESSAGES: dict[str, Any] = {
    "generic": _("{text}"),
}


# kind -> {param: {stored code: label}}: params stored as a code (e.g. a refund reason) or a list of codes read
# as their labels, translated when the notice is read.
LABELS: dict[str, dict[str, Mapping[str, Any]]] = {}


def register(kind: str, message: Any, *, labels: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    MESSAGES[kind] = message
    if labels:
        LABELS[kind] = dict(labels)


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
    for user_ids, dedupe_key, params in notices:
        for uid in set(user_ids):
            rows.setdefault(
                (uid, dedupe_key),
                Notification(
                    user_id=uid,
                    kind=kind,
                    params=params,
                    link=link,
                    dedupe_key=dedupe_key,
                    community_id=community_id,
                ),
            )
    # Sorted: concurrent senders insert in the same order, so they cannot deadlock on the unique index.
    ordered = [rows[key] for key in sorted(rows)]
    Notification.objects.bulk_create(ordered, ignore_conflicts=True, batch_size=500)
    return len(ordered)
