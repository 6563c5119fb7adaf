"""Sign-ups (接龙): join, change, withdraw.

Concurrency design (PostgreSQL, READ COMMITTED):

* Every path first takes the GroupBuy row lock with a conditional statement
  that also checks "status is open/formed and the deadline has not passed".
  A sign-up does it with the UPDATE that bumps `last_seq` and the counters;
  change/withdraw with SELECT ... FOR UPDATE. The close and fail
  compare-and-swaps UPDATE the same row, so a sign-up and a close serialize
  on it: a sign-up that got the lock first is committed before the close
  reads the entries (it is in the frozen list); one that comes after sees the
  new status and is refused.
* Then items are updated in primary-key order, each with a conditional UPDATE
  (`total_quantity <= cap - q`), so the cap can never be oversold; the
  CheckConstraint on BuyItem is the last line of defence.
* One live entry per household and the idempotency key are unique
  constraints: a duplicate rolls the whole transaction back.
* The sign-up that reaches the MOQ forms the buy in the same transaction
  (compare-and-swap open -> formed on the DB's own counters). A change or
  withdrawal that drops a formed buy below the MOQ before the deadline moves
  it back to open (formed means "total >= MOQ right now"); the notice
  "buy_formed" is still sent only once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Household, HouseholdMember, User
from accounts.permissions import (
    may_order_for,
    membership_for,
    proxy_scope,
    require_entry_owner,
    require_order_for,
)
from core import ratelimit
from core.errors import ApplicationError
from groupbuy import exceptions as err
from groupbuy.models import (
    SIGNUP_STATES,
    BuyStatus,
    Entry,
    EntryLine,
    EntryStatus,
    GroupBuy,
    MoqKind,
    max_length_of,
    version_next,
)
from groupbuy.services.forming import buy_form_if_reached, buy_unform_if_below, pool_apply_delta, pool_form_if_reached
from groupbuy.services.locks import (
    PoolChanged,
    buy_signup_state,
    entry_lock_active,
    pool_lock,
    pool_then_buy_lock_taking_signups,
    signup_refusal_from,
)
from groupbuy.services.signup_input import (
    Line,
    entry_replayed,
    household_limit_check,
    lines_priced,
    lines_totals,
    live_entry_id,
    quantities_parse,
    request_digest,
    tolerances_parse,
)
from groupbuy.services.signup_sql import entry_insert, lines_insert
from groupbuy.services.stock import items_apply_deltas
from settlement.services.hooks import entry_refund_if_paid

T = TypeVar("T")

# A longer key is refused (coded invalid, field idempotency_key) on the page and the API alike, never cut.
MAX_KEY_LENGTH = max_length_of(Entry, "idempotency_key")
# Sign-up attempts (own or by proxy) per person per minute, counted by the API and the pages before
# signup_create: a script cannot flood a buy; a volunteer typing a paper list stays well under it.
SIGNUP_LIMIT = 30
SIGNUP_WINDOW = 60


def _authorize_for_household(actor: User, buy: GroupBuy, household: Household | None) -> None:
    membership = membership_for(actor, buy.community_id)
    if household is None:
        raise err.no_household()
    if membership is None or household.community_id != buy.community_id:
        raise err.wrong_community()
    if may_order_for(actor, buy, household):
        return
    # Nobody else to order for at all: the plain refusal; someone else's building: say so (issue 13 item 5).
    if membership.household_id == household.pk or not proxy_scope(actor, buy):
        raise err.forbidden()
    require_order_for(actor, buy, household)


def _display_name(actor: User, household: Household, placed_for: HouseholdMember | None) -> str:
    if placed_for is not None:
        return placed_for.name
    membership = membership_for(actor, household.community_id)
    if membership is not None and membership.household_id == household.pk:
        return actor.display_name or actor.username
    member = household.members.order_by("pk").values_list("name", flat=True).first()
    return member or ""


def _constraint_name(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def signup_throttle(*, actor: User) -> None:
    """Count one sign-up attempt by `actor` (atomic Redis limiter); RateLimited (429) over the limit."""
    ratelimit.check("signup", str(actor.pk), limit=SIGNUP_LIMIT, window=SIGNUP_WINDOW)


def signup_create(
    *,
    actor: User,
    buy: GroupBuy,
    household: Household,
    quantities: dict[int, int],
    idempotency_key: str = "",
    placed_for: HouseholdMember | None = None,
    note: str = "",
    tolerances: dict[int, int] | None = None,
) -> Entry:
    """Join `buy` for `household` (own household, or another one by proxy). Returns the new entry,
    or the existing one when `idempotency_key` was already used for this household with the same request (a
    repeat); the same key with a different request is refused (idempotency_mismatch, 409).
    `tolerances` ({item id: units}) is "I'd take up to N more if it fills a pack" for pack-size offers."""
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > MAX_KEY_LENGTH:
        raise err.invalid_field("idempotency_key")
    _authorize_for_household(actor, buy, household)
    if placed_for is not None and placed_for.household_id != household.pk:
        raise err.invalid_member()
    note = (note or "").strip()
    max_note = max_length_of(Entry, "note")
    if max_note is not None and len(note) > max_note:
        raise err.invalid_field("note")

    parsed_quantities = quantities_parse(quantities)
    lines = lines_priced(buy, parsed_quantities)
    lines = {pk: line for pk, line in lines.items() if line.quantity > 0}
    extra = tolerances_parse(buy, tolerances, parsed_quantities)
    units, main_units, amount = lines_totals(lines)
    household_limit_check(buy, units)
    display_name = _display_name(actor, household, placed_for)
    digest = request_digest(household, placed_for, lines, extra, note) if idempotency_key else ""

    # A repeated request (same idempotency key) is answered with the entry it made. The key is looked up
    # only when the attempt fails (unique index, closed buy, cap reached), not before every sign-up: the
    # attempt rolls back whole, so trying first changes nothing.
    try:
        return _retry_if_pool_changed(
            lambda: _create(
                buy, household, actor, placed_for, display_name, note, (idempotency_key, digest), lines, extra
            )
        )
    except IntegrityError as exc:
        existing = entry_replayed(buy, household, idempotency_key, digest)
        if existing is not None:
            return existing
        if _constraint_name(exc) == "entry_one_live_per_household":
            raise err.already_signed_up(live_entry_id(buy, household)) from exc
        raise
    except ApplicationError as exc:
        existing = entry_replayed(buy, household, idempotency_key, digest)
        if existing is not None:
            return existing
        # A household already in the list is told so, not that the item ran out (the cap UPDATE runs before the
        # entry row whose unique index would have said it). Read only on this refusal path.
        if exc.code == "over_cap":
            live_id = live_entry_id(buy, household)
            if live_id is not None:
                raise err.already_signed_up(live_id) from exc
        raise


def _retry_if_pool_changed(work: Callable[[], T]) -> T:
    """Run `work` (one transaction); if the buy joined or left a pool between reading its membership and
    taking its lock, run it again (the next attempt locks the right pool first)."""
    for _attempt in range(4):
        try:
            return work()
        except PoolChanged:
            continue
    return work()


@dataclass(frozen=True)
class _Counted:
    seq: int  # the 接龙 number this entry gets
    status: str  # the buy's status after the UPDATE
    reached: bool  # the buy's own counters are at or past its MOQ


def _count_new_entry(buy: GroupBuy, pool_id: int | None, now: Any, units: int, main_units: int, amount: Decimal):
    """One statement: take the buy's row lock, check it is open, before its deadline and still in the pool the
    caller locked (`current_pool`), add the entry to the counters, and return the new number, the status and
    whether the MOQ is reached (UPDATE ... RETURNING; PostgreSQL re-checks the WHERE on the row it waited for).
    None when no row matched. Raw SQL because the ORM's update() cannot return columns; it is plain SQL that
    SQLite (3.35+, the demo) runs too."""
    qn = connection.ops.quote_name
    pool_match = f"{qn('current_pool_id')} IS NULL" if pool_id is None else f"{qn('current_pool_id')} = %s"
    sql = (
        f"UPDATE {qn(GroupBuy._meta.db_table)} SET last_seq = last_seq + 1, entry_count = entry_count + 1, "
        "version = version + 1, "
        "total_units = total_units + %s, main_units = main_units + %s, total_amount = total_amount + %s "
        f"WHERE id = %s AND status IN ({', '.join(['%s'] * len(SIGNUP_STATES))}) AND deadline > %s AND {pool_match} "
        "RETURNING last_seq, status, CASE WHEN moq_kind = %s THEN main_units >= moq ELSE total_amount >= moq END"
    )
    params: list[Any] = [units, main_units, connection.ops.adapt_decimalfield_value(amount), buy.pk]
    params += [str(state) for state in SIGNUP_STATES]
    params.append(connection.ops.adapt_datetimefield_value(now))
    params += [] if pool_id is None else [pool_id]
    params.append(str(MoqKind.UNITS))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else _Counted(seq=row[0], status=row[1], reached=bool(row[2]))


def _lock_pool_then_count(
    buy: GroupBuy, now: Any, units: int, main_units: int, amount: Decimal
) -> tuple[int | None, _Counted]:
    """Lock the buy's pool (if any), then count the entry on the buy (which takes its row lock). Returns the
    locked pool id and what the UPDATE returned."""
    pool_id = buy.current_pool_id  # as the caller read it; the UPDATE checks it on the locked row
    if pool_id is not None:
        pool_lock(pool_id=pool_id)
    counted = _count_new_entry(buy, pool_id, now, units, main_units, amount)
    if counted is None:
        state = buy_signup_state(buy.pk)
        if state is not None and state["current_pool_id"] != pool_id:
            buy.current_pool_id = state["current_pool_id"]  # joined or left a pool meanwhile: retry with it
            raise PoolChanged
        raise signup_refusal_from(state)
    return pool_id, counted


def _after_counts_changed(buy: GroupBuy, pool_id: int | None, main_units: int, amount: Decimal, now: Any) -> None:
    """Form (or un-form) the buy — or, for a pooled buy, add the change to the pool and form the whole pool."""
    if pool_id is None:
        # Only a decrease can take a formed buy below its MOQ.
        if not buy_form_if_reached(buy) and (main_units < 0 or amount < 0):
            buy_unform_if_below(buy, now)
        return
    pool_apply_delta(pool_id=pool_id, main_units=main_units, amount=amount)
    if main_units > 0 or amount > 0:
        pool_form_if_reached(pool_id=pool_id)


def _create(
    buy: GroupBuy,
    household: Household,
    actor: User,
    placed_for: HouseholdMember | None,
    display_name: str,
    note: str,
    idempotency: tuple[str, str],
    lines: dict[int, Line],
    extra: dict[int, int],
) -> Entry:
    idempotency_key, idempotency_digest = idempotency
    units, main_units, amount = lines_totals(lines)
    with transaction.atomic():
        now = timezone.now()
        pool_id, counted = _lock_pool_then_count(buy, now, units, main_units, amount)
        items_apply_deltas(deltas={pk: line.quantity for pk, line in lines.items()})
        entry = entry_insert(
            buy_id=buy.pk,
            household_id=household.pk,
            seq=counted.seq,
            placed_by_id=actor.pk,
            placed_for_id=placed_for.pk if placed_for is not None else None,
            display_name=display_name[:60],
            note=note,
            units=units,
            amount=amount,
            idempotency_key=idempotency_key,
            idempotency_digest=idempotency_digest,
            now=now,
        )
        entry.written_lines = lines_insert(
            entry_id=entry.pk, lines=[(pk, line.quantity, extra.get(pk, 0)) for pk, line in sorted(lines.items())]
        )
        status_now = counted.status
        if pool_id is not None:  # the pool's total decides, and may form every member buy
            _after_counts_changed(buy, pool_id, main_units, amount, now)
            status_now = GroupBuy.objects.values_list("status", flat=True).get(pk=buy.pk)
        elif counted.status == BuyStatus.OPEN and counted.reached and buy_form_if_reached(buy):
            status_now = BuyStatus.FORMED
    # What the answer needs is in hand: the buy as this sign-up left it and the lines just written.
    buy.status = status_now
    entry.buy = buy
    entry.household = household
    return entry


def signup_change(
    *, actor: User, entry: Entry, quantities: dict[int, int], tolerances: dict[int, int] | None = None
) -> Entry:
    """Set the entry's quantities (absolute; 0 removes a line). To leave the list, withdraw instead.
    `tolerances` ({item id: units}), when given, replaces the lines' tolerances (items not mentioned keep theirs)."""
    buy = entry.buy
    require_entry_owner(actor, entry)
    parsed = quantities_parse(quantities, allow_all_zero=True)
    lines = lines_priced(buy, parsed)
    if tolerances:
        current_q = dict(EntryLine.objects.filter(entry_id=entry.pk).values_list("item_id", "quantity"))
        extra = tolerances_parse(buy, tolerances, {**current_q, **parsed})
    else:
        extra = {}
    _retry_if_pool_changed(lambda: _change(buy, entry, lines, extra))
    entry.refresh_from_db()
    entry_refund_if_paid(entry_id=entry.pk)
    return entry


def _change(buy: GroupBuy, entry: Entry, lines: dict[int, Line], extra: dict[int, int]) -> None:
    with transaction.atomic():
        now = timezone.now()
        pool_id = pool_then_buy_lock_taking_signups(buy.pk, now)
        locked = entry_lock_active(entry.pk)
        current = {line.item_id: line for line in locked.lines.select_related("item")}
        # Lines not mentioned keep their quantity.
        final: dict[int, int] = {pk: line.quantity for pk, line in current.items()}
        final.update({pk: line.quantity for pk, line in lines.items()})
        final = {pk: q for pk, q in final.items() if q > 0}
        if not final:
            raise err.invalid_quantity({"hint": "withdraw"})
        if any(t and pk not in final for pk, t in extra.items()):
            raise err.invalid_tolerance()
        final_lines = lines_priced(buy, final)
        units, main_units, amount = lines_totals(final_lines)
        household_limit_check(buy, units)
        old_main = sum(line.quantity for line in current.values() if line.item.is_main)
        deltas = {pk: final.get(pk, 0) - (current[pk].quantity if pk in current else 0) for pk in {*final, *current}}
        GroupBuy.objects.filter(pk=buy.pk).update(
            total_units=F("total_units") + (units - locked.units),
            main_units=F("main_units") + (main_units - old_main),
            total_amount=F("total_amount") + (amount - locked.amount),
            version=version_next(),
        )
        items_apply_deltas(deltas=deltas)
        for pk, q in final.items():
            if pk in current:
                tolerance = extra.get(pk, current[pk].tolerance)
                if current[pk].quantity != q or current[pk].tolerance != tolerance:
                    EntryLine.objects.filter(pk=current[pk].pk).update(quantity=q, tolerance=tolerance)
            else:
                EntryLine.objects.create(entry_id=locked.pk, item_id=pk, quantity=q, tolerance=extra.get(pk, 0))
        EntryLine.objects.filter(entry_id=locked.pk).exclude(item_id__in=list(final)).delete()
        Entry.objects.filter(pk=locked.pk).update(units=units, amount=amount, updated_at=now)
        _after_counts_changed(buy, pool_id, main_units - old_main, amount - locked.amount, now)


def signup_withdraw(*, actor: User, entry: Entry) -> Entry:
    """Leave the list before the deadline. The number is not reused; the household may join again.
    In a formed pool, a withdrawal that would take the pool below its MOQ is refused (pool_minimum_needed)."""
    buy = entry.buy
    require_entry_owner(actor, entry)
    _retry_if_pool_changed(lambda: _withdraw(buy, entry))
    entry.refresh_from_db()
    entry_refund_if_paid(entry_id=entry.pk)
    return entry


def _withdraw(buy: GroupBuy, entry: Entry) -> None:
    with transaction.atomic():
        now = timezone.now()
        pool_id = pool_then_buy_lock_taking_signups(buy.pk, now)
        locked = entry_lock_active(entry.pk)
        current = list(locked.lines.select_related("item"))
        main_units = sum(line.quantity for line in current if line.item.is_main)
        GroupBuy.objects.filter(pk=buy.pk).update(
            entry_count=F("entry_count") - 1,
            total_units=F("total_units") - locked.units,
            main_units=F("main_units") - main_units,
            total_amount=F("total_amount") - locked.amount,
            version=version_next(),
        )
        items_apply_deltas(deltas={line.item_id: -line.quantity for line in current})
        Entry.objects.filter(pk=locked.pk).update(status=EntryStatus.WITHDRAWN, updated_at=now)
        if pool_id is None:
            buy_unform_if_below(buy, now)
        else:
            pool_apply_delta(pool_id=pool_id, main_units=-main_units, amount=-locked.amount)
