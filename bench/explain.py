"""EXPLAIN (ANALYZE, BUFFERS) of the hot paths' statements in a city run's database (issue 17).

After `bench/city.py run`, the city copy ($BENCH_DB_NAME_city) holds the measured compound beside
the other 999. This captures the statements of one sign-up (API, as the phone sends it), the buy
page (500 entries) and the buy list, as the measured compound's resident makes them, and writes
each statement with its plan to var/bench/explain-<path>.txt. Reads are run with ANALYZE; writes
are explained without running them, and the sign-up itself is rolled back.

Usage: .venv/bin/python bench/explain.py [--db NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stack import HOST, OUT, log  # noqa: E402

BENCH_COMMUNITY = "基准花园 Bench Garden"  # bench/data.py build_world


def explain_all(queries: list[str]) -> list[str]:
    from django.db import connection

    out = []
    with connection.cursor() as cur:
        for sql in queries:
            head = sql.lstrip().split(None, 1)[0].upper()
            if head in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET"):
                continue
            analyze = "ANALYZE, BUFFERS, " if head == "SELECT" else ""
            cur.execute(f"EXPLAIN ({analyze}COSTS OFF) {sql}")
            plan = "\n".join(r[0] for r in cur.fetchall())
            out.append(f"{sql}\n{plan}\n")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--db", default=os.environ.get("BENCH_DB_NAME", "jielong_bench") + "_city")
    args = p.parse_args(argv)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{args.db}",
            "DEBUG": "true",
            "ALLOWED_HOSTS": "*",
            "REDIS_URL": f"redis://{HOST}:6379/{os.environ.get('BENCH_REDIS_DB', '9')}",
        }
    )
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import Membership
    from groupbuy.models import Entry, GroupBuy

    page_buy = GroupBuy.objects.get(community__name=BENCH_COMMUNITY, title="蔬菜套餐 page")
    hot = GroupBuy.objects.get(community__name=BENCH_COMMUNITY, title="hot c=32")
    signed = set(Entry.objects.filter(buy=hot).values_list("household_id", flat=True))
    member = (
        Membership.objects.filter(community=page_buy.community, is_team_leader=False)
        .exclude(household_id__in=signed)
        .select_related("user")
        .first()
    )
    assert member is not None
    item = hot.items.get(is_main=True)
    OUT.mkdir(parents=True, exist_ok=True)
    web = Client()
    web.force_login(member.user)
    api = APIClient()
    api.force_authenticate(member.user)
    for name, call in (
        ("buy-list", lambda: web.get("/buys/")),
        ("buy-page", lambda: web.get(f"/buys/{page_buy.pk}/")),
        (
            "signup",
            lambda: api.post(
                f"/api/buys/{hot.pk}/entries/",
                {"quantities": {str(item.pk): 1}},
                format="json",
                HTTP_IDEMPOTENCY_KEY="explain-" + str(member.pk),
            ),
        ),
    ):
        # Each call in a transaction rolled back: the sign-up is not kept, and the first call warms the
        # per-process caches as a running worker has them.
        for warm in (True, False):
            with transaction.atomic():
                with CaptureQueriesContext(connection) as ctx:
                    status = call().status_code
                if not warm:
                    text = explain_all([q["sql"] for q in ctx.captured_queries])
                transaction.set_rollback(True)
        path = OUT / f"explain-{name}.txt"
        path.write_text(f"-- {name}: HTTP {status}, {len(ctx.captured_queries)} statements\n\n" + "\n".join(text))
        log(f"explain: {name} HTTP {status}, {len(ctx.captured_queries)} statements -> {path}")


if __name__ == "__main__":
    main()
