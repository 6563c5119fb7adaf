"""What each statement the sign-up used to send costs, alone: Python CPU per call, best of three loops.

Run after `bench/profile_signup.py` (signup path), on the database it leaves (`jielong_profile`, or
PROFILE_DB_NAME). It times the statements session 2 removed from the sign-up next to what replaced
them, so docs/PERFORMANCE.md can say what each change gave. Reads only; nothing is written but the
limiter's own counters (Redis db PROFILE_REDIS_DB).

Usage: .venv/bin/python bench/statement_costs.py [--calls 1500]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402


def best_ms(fn: Callable[[], object], calls: int) -> float:
    fn()
    runs = []
    for _ in range(3):
        t = time.process_time()
        for _ in range(calls):
            fn()
        runs.append((time.process_time() - t) / calls * 1000)
    return min(runs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=1500)
    args = p.parse_args(argv)
    env = stack.bench_env(0)
    env["DATABASE_URL"] = (
        f"postgres://postgres@{stack.HOST}:5432/{os.environ.get('PROFILE_DB_NAME', 'jielong_profile')}"
    )
    env["REDIS_URL"] = f"redis://{stack.HOST}:6379/{os.environ.get('PROFILE_REDIS_DB', '10')}"
    os.environ.update(env)
    import django

    django.setup()
    from django.core.cache import cache

    from accounts.models import Membership, User
    from core import ratelimit
    from groupbuy.models import BuyStatus, Entry, GroupBuy, moq_reached_q
    from groupbuy.selectors.pools import active_pool_id_subquery, pool_id_get_for_buy

    entry = Entry.objects.order_by("-pk").first()
    if entry is None:
        raise SystemExit("no entries: run bench/profile_signup.py first")
    buy = GroupBuy.objects.get(pk=entry.buy_id)
    user = User.objects.get(pk=entry.placed_by_id)

    def entry_reread() -> object:
        found = Entry.objects.select_related("buy", "household__building").filter(pk=entry.pk).first()
        return list(found.lines.all())

    def old_limiter() -> object:
        cache.add("rl:costs:old", 0, timeout=61)
        return cache.incr("rl:costs:old")

    cases: list[tuple[str, Callable[[], object]]] = [
        ("entry re-read (entry+buy+household+building) + its lines", entry_reread),
        ("idempotency pre-read", lambda: Entry.objects.filter(buy_id=buy.pk, idempotency_key="none").first()),
        (
            "number read-back after the UPDATE",
            lambda: GroupBuy.objects.values_list("last_seq", flat=True).get(pk=buy.pk),
        ),
        ("pool membership read, twice", lambda: (pool_id_get_for_buy(buy.pk), pool_id_get_for_buy(buy.pk))),
        (
            "forming compare-and-swap that matches no row",
            lambda: GroupBuy.objects.filter(moq_reached_q(), pk=buy.pk, status=BuyStatus.FAILED).update(
                status=BuyStatus.FORMED
            ),
        ),
        (
            "buy joined to community + leader, with the pool subquery (before)",
            lambda: (
                GroupBuy.objects.select_related("community", "leader")
                .annotate(pool_id=active_pool_id_subquery())
                .filter(pk=buy.pk)
                .first()
            ),
        ),
        ("buy row alone (buy_get_for_signup, after)", lambda: GroupBuy.objects.filter(pk=buy.pk).first()),
        (
            "membership + household + building + led building (before)",
            lambda: (
                Membership.objects.select_related("household__building", "led_building")
                .filter(user=user, community_id=buy.community_id, is_active=True)
                .first()
            ),
        ),
        (
            "membership + household + building (after)",
            lambda: (
                Membership.objects.select_related("household__building")
                .filter(user=user, community_id=buy.community_id, is_active=True)
                .first()
            ),
        ),
        ("limiter: cache.add + cache.incr, 3 round trips (before)", old_limiter),
        (
            "limiter: MULTI SET NX EX + INCR, 1 round trip (after)",
            lambda: ratelimit.hit("costs", "new", limit=10**9, window=60),
        ),
    ]
    cases += _write_cases(entry, buy)
    cases += _read_cases(buy, user)
    print("| statement | Python CPU ms per call |\n|---|---|")
    for name, fn in cases:
        print(f"| {name} | {best_ms(fn, args.calls):.2f} |")
    return 0


def _read_cases(buy, user) -> list[tuple[str, Callable[[], object]]]:
    """Session 3: the sign-up's reads through the ORM (before) and as plain SQL (core.rows, after)."""
    from knox.models import AuthToken

    from accounts.authentication import tokens_with_users
    from accounts.permissions import membership_for
    from groupbuy.selectors import buy_get_for_signup

    key = AuthToken.objects.filter(user=user).values_list("token_key", flat=True).first() or ""

    def fresh_membership_read() -> object:
        user.__dict__.pop("_membership_cache", None)
        return membership_for(user, buy.community_id)

    def fresh_user_buy_read() -> object:
        user.__dict__.pop("_membership_cache", None)
        return buy_get_for_signup(user=user, buy_id=buy.pk)

    return [
        (
            "token + user, ORM select_related (before)",
            lambda: list(AuthToken.objects.filter(token_key=key).select_related("user")),
        ),
        ("token + user, plain SQL (after)", lambda: tokens_with_users(key)),
        ("membership + household + building, plain SQL (after)", fresh_membership_read),
        ("buy row + membership in one plain SELECT (buy_get_for_signup, after)", fresh_user_buy_read),
    ]


def _write_cases(entry, buy) -> list[tuple[str, Callable[[], object]]]:
    """Session 3: the sign-up's three writes through the ORM (before) and as plain SQL (signup_sql, after). Each
    call runs in a savepoint that is rolled back, so nothing stays; both sides pay the same savepoint."""
    from django.db import transaction
    from django.db.models import F, Q
    from django.utils import timezone

    from groupbuy.models import BuyItem, Entry, EntryLine
    from groupbuy.services import signup_sql

    item_id = entry.lines.values_list("item_id", flat=True).first()
    seq = 10**8

    def rolled_back(fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            with transaction.atomic():
                fn()
                transaction.set_rollback(True)
            return None

        return run

    fields = {
        "buy_id": buy.pk,
        "household_id": entry.household_id,
        "placed_by_id": entry.placed_by_id,
        "placed_for_id": None,
        "display_name": "x",
        "note": "",
        "units": 1,
        "amount": entry.amount,
        "idempotency_key": "costs",
        "idempotency_digest": "",
    }

    def orm_writes() -> None:
        BuyItem.objects.filter(pk=item_id).filter(Q(cap__isnull=True) | Q(total_quantity__lte=F("cap") - 1)).update(
            total_quantity=F("total_quantity") + 1
        )
        made = Entry.objects.create(seq=seq, **fields)
        EntryLine.objects.bulk_create([EntryLine(entry=made, item_id=item_id, quantity=1, tolerance=0)])

    def sql_writes() -> None:
        signup_sql.item_quantity_add(item_id=item_id, delta=1)
        made = signup_sql.entry_insert(seq=seq, now=timezone.now(), **fields)
        signup_sql.lines_insert(entry_id=made.pk, lines=[(item_id, 1, 0)])

    Entry.objects.filter(buy_id=buy.pk, household_id=entry.household_id).update(status="withdrawn")
    return [
        ("savepoint + rollback alone (in both of the next two)", rolled_back(lambda: None)),
        ("item UPDATE + entry INSERT + line INSERT, ORM (before)", rolled_back(orm_writes)),
        ("the same three as plain SQL, signup_sql (after)", rolled_back(sql_writes)),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
