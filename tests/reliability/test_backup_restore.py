"""Issue 8, test 18: the documented backup and restore path (docs/OPERATIONS.md) keeps what matters.

pg_dump (custom format) of a database holding buys, entries, payments, refunds and audit chains;
pg_restore into a new, empty database (--no-owner --exit-on-error --single-transaction); then, on the
restored database, in a separate process: every audit chain verifies, `migrate --check` is clean, the
audit rows are still append-only, and every entry's money is the same as before and balances
(paid - refunded == owed).
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from compliance.services.audit import audit_append
from settlement.models import ChangeDefault, PriceChange, Refund
from settlement.services.payments import payment_confirm, payment_mark, refund_confirm, refund_mark_paid_back
from settlement.services.price_changes import price_change_propose, price_changes_sweep
from tests.reliability.conftest import _dsn
from tests.reliability.restore_check import snapshot
from tests.settlement.conftest import ClosedBuy
from tests.worker import BASE_DIR, _database_url

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def settled_buy_with_a_refund(place):
    closed = ClosedBuy(place)
    for membership, entry, amount in (
        (place.resident, closed.resident_entry, "197"),
        (place.neighbour, closed.neighbour_entry, "413"),
    ):
        payment_mark(actor=membership.user, entry=entry, amount=amount, method="wechat")
        payment_confirm(actor=place.data_volunteer.user, entry=entry)
    change = price_change_propose(
        actor=place.leader.user,
        buy=closed.buy,
        item_id=closed.extra.pk,
        new_price="25.00",
        reason="dearer now",
        deadline=timezone.now() + datetime.timedelta(hours=1),
        default_action=ChangeDefault.WITHDRAW,
    )
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))
    assert price_changes_sweep() == 1  # the resident did not answer: the extra item is dropped, 20.00 refunded
    refund = Refund.objects.get()
    refund_mark_paid_back(actor=place.leader.user, refund=refund)
    refund_confirm(actor=place.data_volunteer.user, refund=refund)
    return closed


def _admin_connection():
    params = {**_dsn(), "dbname": "postgres"}
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


@pytest.fixture
def restored_database():
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def _pg_env() -> dict[str, str]:
    d = _dsn()
    return {
        **os.environ,
        "PGHOST": d["host"],
        "PGPORT": str(d["port"]),
        "PGUSER": d["user"],
        "PGPASSWORD": d["password"],
    }


def _run(command, env, **kwargs):
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # noqa: S603
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


def test_dump_and_restore_keeps_audit_chains_valid_and_money_balanced(place, other_place, tmp_path, restored_database):
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the backup test needs {missing} on PATH (Debian: apt-get install postgresql-client)")
    closed = settled_buy_with_a_refund(place)
    for n in range(5):
        audit_append(community_id=place.community.pk, kind="filing_submitted", actor=place.leader.user, data={"n": n})
    audit_append(community_id=other_place.community.pk, kind="suspension_set", actor=other_place.committee.user)
    before = snapshot()
    assert before["unbalanced"] == []
    assert all(chain["ok"] for chain in before["chains"].values())
    assert before["money"][str(closed.neighbour_entry.pk)] == {"owed": "413.00", "paid": "413.00", "refunded": "0"}
    assert Decimal(before["totals"]["refunded"]) == Decimal("20.00")

    dump = tmp_path / "jielong.dump"
    env = _pg_env()
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", connection.settings_dict["NAME"]], env)
    _run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "-d", restored_database, str(dump)],
        env,
    )

    restored_url = _database_url({**connection.settings_dict, "NAME": restored_database})
    app_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "DATABASE_URL": restored_url}
    after = json.loads(_run([sys.executable, "-m", "tests.reliability.restore_check"], app_env, cwd=BASE_DIR))
    assert after == before
    out = _run([sys.executable, "manage.py", "verify_audit"], app_env, cwd=BASE_DIR)
    assert f"community {place.community.pk}: OK, 5 records" in out
    assert f"community {other_place.community.pk}: OK, 1 records" in out
    _run([sys.executable, "manage.py", "migrate", "--check"], app_env, cwd=BASE_DIR)

    # The append-only trigger came back with the data: history still cannot be rewritten.
    conn = psycopg2.connect(**{**_dsn(), "dbname": restored_database})
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.Error):
            cur.execute(
                "UPDATE compliance_auditevent SET kind = 'forged' WHERE community_id = %s", [place.community.pk]
            )
    finally:
        conn.rollback()
        conn.close()
