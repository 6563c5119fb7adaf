"""Notices read as sentences in both languages (issue 16, item 7): every registered kind renders from its
parameters without falling back to its raw kind, a stored code reads as its label, and the Chinese catalogue
keeps each message's placeholders (a lost one would make the notice fall back to its code in Chinese)."""

from __future__ import annotations

import string
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import Notification
from accounts.notifications import LABELS, MESSAGES, render

from .test_audit_words import full_delivery

LANGUAGES = ["en", "zh-hans"]


def placeholders(message) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(str(message)) if name}


def sample(kind: str) -> tuple[dict, list[str]]:
    """Parameters for every placeholder of `kind` (a stored code where it has labels) and what must show."""
    params, shown = {}, []
    with translation.override("en"):
        names = placeholders(MESSAGES[kind])
    for i, name in enumerate(sorted(names)):
        choices = LABELS.get(kind, {}).get(name)
        if choices:
            code = next(iter(choices))
            params[name] = [code] if kind == "buy_changed" else code
            shown.append(choices[code])  # lazy: read in the language of the check
        else:
            params[name] = f"«{i}»"  # not a word that could be a code
            shown.append(params[name])
    return params, shown


def test_every_app_registered_its_notices():
    # One kind of each app, so a missing import in an AppConfig.ready would fail here rather than read as codes.
    assert {"join_requested", "buy_closed", "pickup_ready", "filing_rejected", "generic"} <= set(MESSAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_notice_kind_reads_as_a_sentence(kind, language):
    params, shown = sample(kind)
    if kind == "generic":
        params, shown = {"text": "«0»"}, ["«0»"]
    notice = Notification(kind=kind, params=params)
    with translation.override(language):
        text = render(notice)
    assert text != kind
    assert "{" not in text
    assert "}" not in text
    with translation.override(language):
        for value in shown:
            assert str(value) in text, (kind, language, text)
        for name, choices in LABELS.get(kind, {}).items():  # a stored code shows as its label, not as itself
            code = params[name][0] if isinstance(params[name], list) else params[name]
            assert code not in text.replace(str(choices[code]), "")


def test_the_chinese_catalogue_keeps_every_notice_placeholder():
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid: entry.msgstr for entry in catalogue if entry.msgstr and not entry.obsolete}
    with translation.override("en"):
        msgids = {kind: str(message) for kind, message in MESSAGES.items()}
    broken = {
        kind: translated[msgid]
        for kind, msgid in msgids.items()
        if msgid in translated and placeholders(translated[msgid]) != placeholders(msgid)
    }
    assert broken == {}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notices_a_real_delivery_sends_read_as_sentences(place, django_capture_on_commit_callbacks, language):
    full_delivery(place, django_capture_on_commit_callbacks)
    notices = list(Notification.objects.all())
    assert {"filing_submitted", "filing_rejected", "filing_approved", "delivery_on_hold", "goods_released"} <= {
        n.kind for n in notices
    }
    with translation.override(language):
        for notice in notices:
            text = render(notice)
            assert text != notice.kind
            assert "{" not in text
            assert notice.params.get("title", "") in text
