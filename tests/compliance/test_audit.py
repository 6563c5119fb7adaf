"""The audit trail: hash-chained, append-only, verified by a command and a page, exported as CSV."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from accounts.factories import CommunityFactory, UserFactory
from compliance.models import AppendOnlyError, AuditEvent, AuditHead
from compliance.services.audit import GENESIS_HASH, audit_append, audit_chain_verify

from .conftest import NOW


def _append(community, n, start=0):
    for i in range(n):
        audit_append(community_id=community.pk, kind="test", data={"i": start + i, "text": "消毒"}, now=NOW)


def _raw_update(sql, params):
    """Tamper as an attacker with database access would, bypassing the append-only trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_chain_links_each_record_to_the_previous_one(place):
    _append(place.community, 3)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    report = audit_chain_verify(community_id=place.community.pk)
    assert (report.ok, report.checked) == (True, 3)


@pytest.mark.django_db
def test_tampered_record_is_detected(place):
    _append(place.community, 4)
    target = AuditEvent.objects.get(seq=2)
    _raw_update("UPDATE compliance_auditevent SET data = %s WHERE id = %s", ['{"i": 99, "text": "消毒"}', target.pk])

    report = audit_chain_verify(community_id=place.community.pk)
    assert not report.ok
    assert {"seq": 2, "problem": "content_changed"} in report.problems


@pytest.mark.django_db
def test_rehashed_tampered_record_breaks_the_next_link(place):
    _append(place.community, 3)
    target = AuditEvent.objects.get(seq=2)
    target.data = {"i": 42}
    from compliance.services.audit import record_hash

    forged = record_hash(target)
    _raw_update("UPDATE compliance_auditevent SET data = %s, hash = %s WHERE id = %s", ['{"i": 42}', forged, target.pk])
    report = audit_chain_verify(community_id=place.community.pk)
    assert {"seq": 3, "problem": "broken_link"} in report.problems


@pytest.mark.django_db
def test_deleted_records_are_detected(place):
    _append(place.community, 3)
    _raw_update("DELETE FROM compliance_auditevent WHERE seq = %s AND community_id = %s", [3, place.community.pk])
    report = audit_chain_verify(community_id=place.community.pk)
    assert {"seq": 3, "problem": "tail_mismatch"} in report.problems
    _raw_update("DELETE FROM compliance_auditevent WHERE seq = %s AND community_id = %s", [1, place.community.pk])
    problems = audit_chain_verify(community_id=place.community.pk).problems
    assert any(p["problem"] == "missing_records" for p in problems)


@pytest.mark.django_db
def test_audit_rows_cannot_be_updated_or_deleted(place):
    _append(place.community, 1)
    event = AuditEvent.objects.get()
    event.kind = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(kind="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    # The database refuses too, whatever the code does.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE compliance_auditevent SET kind = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM compliance_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get().kind == "test"
    assert audit_chain_verify(community_id=place.community.pk).ok


@pytest.mark.django_db
def test_verify_audit_command_reports_and_fails_on_tampering(place, other_place, tmp_path, capsys):
    _append(place.community, 2)
    _append(other_place.community, 1)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"community {place.community.pk}: OK, 2 records" in out

    csv_path = tmp_path / "audit.csv"
    call_command("verify_audit", community=place.community.pk, csv=str(csv_path))
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("seq,created_at,kind")
    assert len(lines) == 3
    assert "消毒" in lines[1]

    _raw_update(
        "UPDATE compliance_auditevent SET kind = 'forged' WHERE seq = 1 AND community_id = %s",
        [other_place.community.pk],
    )
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert f"community {other_place.community.pk}: BROKEN" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_linear():
    community = CommunityFactory()
    actor = UserFactory()
    errors = []

    def worker(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_append(
                        community_id=community.pk,
                        kind="concurrent",
                        actor=actor,
                        data={"w": n, "i": i},
                        now=NOW + timedelta(seconds=i),
                    )
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    report = audit_chain_verify(community_id=community.pk)
    assert (report.ok, report.checked) == (True, 60)
    assert AuditHead.objects.get(community=community).seq == 60
