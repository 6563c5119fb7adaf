"""The audit trail reads as sentences in both languages (issue 16, item 7): every kind the code records has a
sentence (found by reading the code, so a new kind without one fails here), the records a real delivery makes
read without a missing value, the page shows them as cards with the code kept small, and the CSV keeps codes."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import time, timedelta
from html import unescape
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags

from compliance.audit_text import CHAIN_PROBLEMS, SENTENCES, WITHOUT_SUBJECT, audit_sentence, subject_html
from compliance.models import AuditEvent, AuditHead, Filing
from compliance.selectors import audit_line_list
from compliance.services.audit import audit_append
from compliance.services.delivery import arrival_record, delivery_release, disinfection_finish, evidence_add
from compliance.services.filings import filing_goods_changed, filing_resubmit
from compliance.services.gate import slip_verify
from compliance.services.policy import policy_update, suspension_create, suspension_lift, suspensions_expire
from compliance.services.review import filing_approve, filing_reject
from groupbuy.models import PurchaseOrderLine

from .conftest import ARRIVAL_END, ARRIVAL_START, NOW, SAMPLED, filing_kwargs, jpeg_upload, make_ordered_buy

pytestmark = pytest.mark.django_db

APPS = ["accounts", "compliance", "core", "groupbuy", "settlement"]


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _kind_values(expr: ast.expr) -> tuple[set[str], set[str]]:
    """The literal kinds an expression can be, and the names it passes through (a caller's parameter)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}, set()
    if isinstance(expr, ast.IfExp):
        a, b = _kind_values(expr.body), _kind_values(expr.orelse)
        return a[0] | b[0], a[1] | b[1]
    if isinstance(expr, ast.Name):
        return set(), {expr.id}
    raise AssertionError(f"an audit kind must be a literal (or a parameter passed one): {ast.unparse(expr)}")


def audited_kinds() -> set[str]:
    """Every kind any code path passes to audit_append: literals at the call, or, where the call passes a
    parameter on (filing_rejection_record's `kind`), the literals its callers pass, at any depth."""
    calls: list[tuple[ast.Call, str]] = []  # (call, enclosing function)
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    calls.extend((node, function.name) for node in ast.walk(function) if isinstance(node, ast.Call))
    kinds: set[str] = set()
    wanted, seen = {"audit_append"}, set()
    while wanted:
        target = wanted.pop()
        seen.add(target)
        for call, enclosing in calls:
            if _called(call) != target:
                continue
            for keyword in call.keywords:
                if keyword.arg == "kind":
                    literals, passed = _kind_values(keyword.value)
                    kinds |= literals
                    if passed and enclosing not in seen:
                        wanted.add(enclosing)
    return kinds


def test_every_kind_the_code_records_has_a_sentence():
    kinds = audited_kinds()
    # The reader found the kinds behind a conditional and behind a parameter passed on.
    assert {"slip_verified", "slip_refused", "filing_rejected", "filing_goods_changed", "policy_changed"} <= kinds
    assert sorted(kinds - set(SENTENCES)) == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_sentence_and_chain_problem_translates_and_formats(language):
    with translation.override(language):
        for message in [*SENTENCES.values(), *WITHOUT_SUBJECT.values(), *CHAIN_PROBLEMS.values()]:
            text = str(message)
            assert text.strip()
            for name in re.findall(r"\{(\w*)\}", text):
                assert name, f"positional placeholder in {text!r}"


def _names(text: str) -> list[str]:
    return sorted(re.findall(r"\{(\w+)\}", text))


def test_the_chinese_catalogue_keeps_every_sentence_placeholder():
    """A translated sentence that lost or renamed a placeholder would read "—" (or as its code) in Chinese."""
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid: entry.msgstr for entry in catalogue if entry.msgstr and not entry.obsolete}
    with translation.override("en"):
        msgids = [str(message) for message in [*SENTENCES.values(), *WITHOUT_SUBJECT.values()]]
    assert {m: translated[m] for m in msgids if m in translated and _names(translated[m]) != _names(m)} == {}


def full_delivery(place, django_capture_on_commit_callbacks):
    """A delivery through every step that writes to the audit trail, with the real services."""
    leader, committee, guard, receiver = (
        place.leader.user,
        place.committee.user,
        place.gate_guard.user,
        place.receiving_volunteer.user,
    )
    policy_update(
        actor=committee,
        community=place.community,
        weekdays=[0, 1, 2, 3, 4],
        lead_hours=12,
        gate_opens=time(7, 0),
        gate_closes=time(19, 0),
    )
    buy = make_ordered_buy(place)
    from compliance.services.filings import filing_submit

    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_submit(actor=leader, buy=buy, **filing_kwargs())
    filing_reject(actor=committee, filing=filing, reason="test report unreadable", now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        filing_resubmit(
            actor=leader,
            filing=filing,
            arrival_start=ARRIVAL_START,
            arrival_end=ARRIVAL_END,
            vehicle_plate="沪A12345",
            driver_name="李师傅",
            test_sampled_at=SAMPLED + timedelta(hours=1),
            documents={"test_report": jpeg_upload("new.jpg")},
            now=NOW + timedelta(hours=1),
        )
    slip = filing_approve(actor=committee, filing=filing, now=NOW + timedelta(hours=2))
    # A suspension holds the delivery, lifting it approves it again; a second one runs out on its own.
    suspension = suspension_create(
        actor=committee,
        community=place.community,
        starts_at=ARRIVAL_START - timedelta(hours=6),
        ends_at=ARRIVAL_START + timedelta(days=2),
        reason="positive case in building 7",
        now=NOW + timedelta(hours=2),
    )
    suspension_lift(actor=committee, suspension=suspension, now=NOW + timedelta(hours=3))
    suspension_create(
        actor=committee,
        community=place.community,
        starts_at=NOW + timedelta(days=5),
        ends_at=NOW + timedelta(days=6),
        reason="district-wide test day",
        now=NOW + timedelta(hours=3),
    )
    suspensions_expire(now=NOW + timedelta(days=7))
    slip_verify(actor=guard, community=place.community, code="NOSUCHCODE", now=ARRIVAL_START)
    slip_verify(actor=guard, community=place.community, code=slip.code, now=ARRIVAL_START - timedelta(days=1))
    slip_verify(actor=guard, community=place.community, code=slip.code, now=ARRIVAL_START)
    arrival_record(actor=receiver, filing=filing, receivers="小李", now=ARRIVAL_START)
    with django_capture_on_commit_callbacks(execute=True):
        evidence_add(actor=receiver, filing=filing, upload=jpeg_upload("p.jpg"), now=ARRIVAL_START)
    disinfection_finish(actor=receiver, filing=filing, finished_at=ARRIVAL_START, now=ARRIVAL_START)
    delivery_release(actor=receiver, filing=filing, now=ARRIVAL_START + timedelta(hours=1))
    # Another buy's filing whose goods change after filing goes back to its leader.
    other = make_ordered_buy(place)
    with django_capture_on_commit_callbacks(execute=True):
        filing_submit(actor=leader, buy=other, **filing_kwargs())
    PurchaseOrderLine.objects.filter(order__buy=other).update(quantity=5)
    assert filing_goods_changed(buy_id=other.pk, now=NOW)
    return Filing.objects.get(pk=filing.pk)


@pytest.fixture
def delivered(place, django_capture_on_commit_callbacks):
    return full_delivery(place, django_capture_on_commit_callbacks)


def line_texts(place) -> dict[int, str]:
    return {line.event.seq: unescape(strip_tags(str(line.text))) for line in audit_line_list(community=place.community)}


def test_a_whole_delivery_reads_as_sentences_with_every_value_filled(place, delivered):
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert kinds == set(SENTENCES), "the delivery above should record every kind there is"
    lines = audit_line_list(community=place.community)
    assert len(lines) == AuditEvent.objects.count()
    for line in lines:
        text = str(line.text)
        assert line.text is not None, line.event.kind
        assert "—" not in text, (line.event.kind, text)  # no value the data lacked
        assert "{" not in text, (line.event.kind, text)
        assert line.event.kind not in text
    by_kind = {line.event.kind: strip_tags(str(line.text)) for line in lines}
    title = delivered.buy.title
    assert by_kind["filing_submitted"] == (
        f"Filed filing #{delivered.pk} “{title}”: arriving 11-25 10:00–12:00 at North gate, vehicle 沪A12345."
    )
    assert by_kind["filing_rejected"] == f"Rejected filing #{delivered.pk} “{title}”: test report unreadable"
    assert (
        by_kind["slip_verified"]
        == f"Let a delivery in at the gate: the slip of filing #{delivered.pk} “{title}” is valid."
    )
    assert by_kind["policy_changed"] == (
        "Changed the delivery policy: delivery weekdays: Mon, Tue, Wed, Thu, Fri, Sat, Sun → Mon, Tue, Wed, Thu, Fri."
    )
    assert by_kind["suspension_lifted"].endswith(
        "Held deliveries: 1 approved again, 0 still on hold, 0 to be re-filed."
    )
    refused = [strip_tags(str(line.text)) for line in lines if line.event.kind == "slip_refused"]
    assert sorted(refused) == sorted(
        [
            "Refused a code at the gate: no such slip.",
            f"Refused the slip of filing #{delivered.pk} “{title}” at the gate: not yet valid.",
        ]
    )
    assert by_kind["evidence_added"] == f"Added a disinfection photo to filing #{delivered.pk} “{title}”."


def test_subjects_link_to_what_they_name(place, delivered):
    html = {line.event.kind: str(line.text) for line in audit_line_list(community=place.community)}
    assert f'href="{reverse("compliance:filing_detail", kwargs={"pk": delivered.pk})}"' in html["goods_released"]
    assert f'href="{reverse("compliance:policy", args=[place.community.pk])}"' in html["policy_changed"]
    assert f'href="{reverse("compliance:suspensions", args=[place.community.pk])}"' in html["suspension_placed"]


def test_typed_text_in_a_record_is_escaped(place):
    buy = make_ordered_buy(place)
    audit_append(
        community_id=place.community.pk,
        kind="filing_rejected",
        subject="filing:99",
        data={"reason": "<script>alert(1)</script>"},
        now=NOW,
    )
    event = AuditEvent.objects.get()
    with translation.override("en"):
        subject = subject_html(event.subject, community_id=place.community.pk, titles={99: f"<b>{buy.title}</b>"})
        text = str(audit_sentence(event, subject=subject))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "<b>" not in text
    assert "&lt;b&gt;" in text


def test_an_unknown_kind_or_an_older_record_still_reads(place):
    audit_append(community_id=place.community.pk, kind="test", data={"i": 1}, now=NOW)
    audit_append(
        community_id=place.community.pk,
        kind="policy_changed",
        subject=f"policy:{place.community.pk}",
        data={"before": {"retired_rule": 1, "lead_hours": 12}, "after": {"lead_hours": 6}},
        now=NOW,
    )
    audit_append(community_id=place.community.pk, kind="filing_approved", subject="filing:5", data={}, now=NOW)
    lines = {line.event.kind: line.text for line in audit_line_list(community=place.community)}
    assert lines["test"] is None  # the page shows its code alone
    assert strip_tags(str(lines["filing_approved"])) == "Approved filing #5; its slip is valid —."
    assert strip_tags(str(lines["policy_changed"])) == (
        "Changed the delivery policy: filing lead time (hours): 12 → 6; retired_rule: 1 → —."
    )


def test_the_audit_list_costs_two_queries(place, delivered, django_assert_num_queries):
    with django_assert_num_queries(2):
        audit_line_list(community=place.community)


def page_text(client, place, language) -> str:
    client.cookies["django_language"] = language
    response = client.get(reverse("compliance:audit", args=[place.community.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_audit_page_shows_sentences_and_keeps_each_code_small(place, delivered, web, language):
    body = page_text(web(place.committee.user), place, language)
    assert 'class="cards audit-log"' in body
    rows = re.findall(r'<tr id="audit-\d+">(.*?)</tr>', body, re.S)
    assert len(rows) == AuditEvent.objects.count()
    with translation.override(language):
        expected = line_texts(place)
    for row in rows:
        seq = int(re.search(r'data-label="#">(\d+)<', row).group(1))
        cells = re.findall(r'<td data-label="[^"]*">(.*?)</td>', row, re.S)
        assert len(cells) == 4
        what = cells[0]
        code = re.search(r'<code class="muted audit-code">(\w+)</code>', what).group(1)
        sentence = unescape(strip_tags(what.replace(f'<code class="muted audit-code">{code}</code>', ""))).strip()
        assert sentence == expected[seq]
        assert code not in sentence  # no raw "slip_refused" where words belong
        assert len(sentence) > 15
    # The system's own records (a suspension that ran out, goods changed) name no person.
    with translation.override(language):
        assert str(translation.gettext("System (automatic)")) in body


def test_the_page_reads_the_chain_check_in_words(place, web):
    audit_append(community_id=place.community.pk, kind="test", data={}, now=NOW)
    AuditHead.objects.filter(community_id=place.community.pk).update(seq=5)
    client = web(place.committee.user)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("compliance:audit", args=[place.community.pk]), {"verify": 1}).content.decode()
    assert "the newest records were removed" in body
    assert '<code class="muted">tail_mismatch</code>' in body


def test_the_csv_export_keeps_codes_and_data(place, delivered, web):
    client = web(place.committee.user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("compliance:audit_csv", args=[place.community.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["seq", "created_at", "kind"]
    kinds = {row[2] for row in rows[1:]}
    assert kinds == set(SENTENCES)
    assert {row[5] for row in rows[1:] if row[2] == "slip_verified"} == {f"filing:{delivered.pk}"}
    assert not any("Refused" in cell for row in rows for cell in row)
