"""The SMS provider interface: login codes and the few notices that need action leave through here.

A backend is a class with one method, ``send(message) -> str`` (the provider's message id), named by the
``SMS_BACKEND`` setting. Shipped backends, none of which reaches a network:

- ``core.sms.ConsoleBackend``: prints each message to standard output (the demo, ``make run``);
- ``core.sms.LogBackend``: writes each message to the ``jielong.sms`` logger;
- ``core.sms.LocmemBackend``: keeps messages in ``core.sms.outbox`` (tests, like Django's ``mail.outbox``).

A real gateway (Aliyun, Tencent Cloud SMS, Twilio...) is a class with the same method, reading its credentials
from settings, named in ``SMS_BACKEND``; it raises ``SmsSendError`` when the provider refuses, so callers can
retry. Nothing here knows who the recipient is or why: callers decide, and keep their own record of what was sent.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("jielong.sms")


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # E.164, e.g. +8613812345678
    text: str
    purpose: str  # "login_code", "notice:buy_formed", ... (for logs and provider templates)
    key: str = ""  # the caller's idempotency key, passed to providers that deduplicate
    sent_at: object = field(default_factory=timezone.now, compare=False)


class SmsSendError(Exception):
    """The provider refused or could not be reached; the caller may retry later."""


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> str: ...


class ConsoleBackend:
    def send(self, message: SmsMessage) -> str:
        sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()
        return uuid.uuid4().hex


class LogBackend:
    def send(self, message: SmsMessage) -> str:
        logger.info("SMS to %s (%s): %s", message.phone, message.purpose, message.text)
        return uuid.uuid4().hex


outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocmemBackend:
    def send(self, message: SmsMessage) -> str:
        with _outbox_lock:
            outbox.append(message)
        return uuid.uuid4().hex


def get_backend() -> SmsBackend:
    path = getattr(settings, "SMS_BACKEND", "core.sms.ConsoleBackend")
    return import_string(path)()


def send_sms(phone: str, text: str, *, purpose: str, key: str = "") -> str:
    """Send one message through the configured backend; returns the provider's id, raises SmsSendError."""
    return get_backend().send(SmsMessage(phone=phone, text=text, purpose=purpose, key=key))
