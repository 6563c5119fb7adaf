"""The SMS provider interface (core/sms.py): the backend named by SMS_BACKEND receives each message."""

import logging

import pytest

from core import sms


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_the_test_backend_keeps_each_message_in_the_outbox():
    sms.send_sms("+8613800000001", "code 123456", purpose="login_code", key="k1")
    assert [(m.phone, m.text, m.purpose, m.key) for m in sms.outbox] == [
        ("+8613800000001", "code 123456", "login_code", "k1")
    ]


def test_the_console_backend_prints(settings, capsys):
    settings.SMS_BACKEND = "core.sms.ConsoleBackend"
    sms.send_sms("+8613800000002", "hello", purpose="notice:test")
    assert "[SMS to +8613800000002] hello" in capsys.readouterr().out
    assert sms.outbox == []


def test_the_log_backend_logs(settings, caplog):
    settings.SMS_BACKEND = "core.sms.LogBackend"
    with caplog.at_level(logging.INFO, logger="jielong.sms"):
        sms.send_sms("+8613800000003", "hi", purpose="notice:test")
    assert "SMS to +8613800000003 (notice:test): hi" in caplog.text
