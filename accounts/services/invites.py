"""Household invite codes: issued by committee staff, redeemed once by a resident.

The code exists in clear only on the printed sheet: the database keeps an
HMAC-SHA256 keyed with SECRET_KEY (rotating the key voids unused codes, which
is the safe direction). Redemption is one conditional UPDATE on
`used_at IS NULL`, so two phones racing with one code give exactly one account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import exceptions as err
from accounts.models import Household, HouseholdMember, InviteCode, Membership, User
from accounts.permissions import Action, require
from accounts.services.users import user_register, user_validate
from core import ratelimit
from core.errors import RateLimited

# No I, L, O, 0, 1: codes are read off paper and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12 ~ 2**59: with the throttle below, guessing is hopeless
MAX_VALID_DAYS = 90
MAX_PER_ISSUE = 600  # one sheet prints in seconds; a whole compound is done building by building

# Only failed look-ups count (a code that matches nothing: what guessing produces), each an atomic Redis
# INCR; a used or expired code is a real one and costs nothing. Past a limit, the client address (the real
# one, accounts.utils.client_ip) or the code's first four characters are locked until the window ends.
# Households behind one building NAT typing their right codes never use up each other's attempts; 100
# failures per address per window still make guessing a 12-character code (31**12) hopeless, and 5 per
# prefix stop anyone completing a half-read code from any number of addresses.
IP_LIMIT = 100
PREFIX_LIMIT = 5
LOCKOUT_SECONDS = 15 * 60


@dataclass(frozen=True)
class IssuedInvite:
    invite: InviteCode
    household: Household
    code: str  # in clear: exists only in this object, for the printed sheet

    @property
    def display_code(self) -> str:
        return format_code(self.code)


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_code(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"invite:" + code.encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def invite_codes_issue(
    *,
    actor: User,
    community_id: int,
    building_ids: list[int] | None = None,
    household_ids: list[int] | None = None,
    valid_days: int = 14,
    only_without_account: bool = False,
) -> list[IssuedInvite]:
    """One new code per selected household of the community (by building or by household)."""
    require(actor, Action.ISSUE_INVITES, community_id)
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise err.invite_bad_validity(max_days=MAX_VALID_DAYS)
    if not building_ids and not household_ids:
        raise err.invite_nothing_selected()
    households = Household.objects.filter(community_id=community_id).select_related("building")
    if household_ids:
        households = households.filter(pk__in=household_ids)
        if households.count() != len(set(household_ids)):
            raise err.household_not_found()
    if building_ids:
        households = households.filter(building_id__in=building_ids)
        if not households.exists():
            raise err.no_households()
    if only_without_account:
        households = households.exclude(memberships__is_active=True)
    chosen = list(households.order_by("building__sort_key", "building__label", "room"))
    if len(chosen) > MAX_PER_ISSUE:
        raise err.invite_too_many()
    expires_at = timezone.now() + timedelta(days=valid_days)
    issued = []
    for household in chosen:
        code = _new_code()
        invite = InviteCode(
            community_id=community_id,
            household=household,
            code_hash=hash_code(code),
            created_by=actor,
            expires_at=expires_at,
        )
        issued.append(IssuedInvite(invite=invite, household=household, code=code))
    InviteCode.objects.bulk_create([i.invite for i in issued], batch_size=500)
    return issued


def _refuse_if_locked(code: str, client_ip: str) -> None:
    if ratelimit.exceeded(
        "invite-ip", client_ip or "unknown", limit=IP_LIMIT, window=LOCKOUT_SECONDS
    ) or ratelimit.exceeded("invite-prefix", code[:4], limit=PREFIX_LIMIT, window=LOCKOUT_SECONDS):
        raise RateLimited(detail={"retry_after_seconds": LOCKOUT_SECONDS})


def _count_failure(code: str, client_ip: str) -> None:
    ratelimit.hit("invite-ip", client_ip or "unknown", limit=IP_LIMIT, window=LOCKOUT_SECONDS)
    ratelimit.hit("invite-prefix", code[:4], limit=PREFIX_LIMIT, window=LOCKOUT_SECONDS)


def _refusal(invite: InviteCode, now: datetime) -> Exception | None:
    if invite.used_at is not None:
        return err.invite_used()
    if invite.expires_at <= now:
        return err.invite_expired()
    return None


def invite_check(*, code: str, client_ip: str) -> InviteCode:
    """Look a code up without using it (the phone page shows the household first). Throttled like redeeming."""
    code = normalize_code(code)
    _refuse_if_locked(code, client_ip)
    invite = None
    if len(code) == CODE_LENGTH:
        invite = (
            InviteCode.objects.select_related("household__building", "community")
            .filter(code_hash=hash_code(code))
            .first()
        )
    if invite is None:
        _count_failure(code, client_ip)
        raise err.invite_invalid()
    refusal = _refusal(invite, timezone.now())
    if refusal is not None:
        raise refusal
    return invite


def invite_redeem(
    *,
    code: str,
    client_ip: str,
    user: User | None = None,
    username: str = "",
    password: str = "",
    display_name: str = "",
    claim_member_id: int | None = None,
) -> Membership:
    """Use a code: a new account (or the logged-in `user`) becomes a resident of the code's household.

    Wrong, used or expired codes raise a coded error and change nothing.
    """
    if user is None:
        # Field mistakes are not guesses: check them before the attempt is counted.
        user_validate(username=username, password=password, display_name=display_name)
    invite = invite_check(code=code, client_ip=client_ip)
    now = timezone.now()
    with transaction.atomic():
        # The row lock of this UPDATE serialises racing redemptions; the loser sees used_at set.
        taken = InviteCode.objects.filter(pk=invite.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not taken:
            invite.refresh_from_db()
            raise _refusal(invite, now) or err.invite_used()
        if user is None:
            user = user_register(username=username, password=password, display_name=display_name)
        membership = resident_make(user=user, community_id=invite.community_id, household=invite.household)
        member_attach(user=user, household=invite.household, claim_member_id=claim_member_id)
        InviteCode.objects.filter(pk=invite.pk).update(used_by=user)
    return membership


def resident_make(*, user: User, community_id: int, household: Household) -> Membership:
    """Create or complete the user's membership as a resident of `household` (caller holds a transaction)."""
    membership = Membership.objects.select_for_update().filter(user=user, community_id=community_id).first()
    if membership is None:
        return Membership.objects.create(user=user, community_id=community_id, household=household, is_resident=True)
    if membership.is_active and membership.household_id and membership.household_id != household.pk:
        raise err.already_member()
    if membership.is_active and membership.household_id == household.pk and membership.is_resident:
        raise err.already_member()
    membership.household = household
    membership.is_resident = True
    membership.is_active = True
    membership.save(update_fields=["household", "is_resident", "is_active"])
    return membership


def member_attach(*, user: User, household: Household, claim_member_id: int | None) -> None:
    """Link the person row: claim one made earlier by a leader (keeps its history), or add one."""
    if claim_member_id is not None:
        if HouseholdMember.objects.filter(user=user).exists():
            raise err.member_already_linked()
        claimed = HouseholdMember.objects.filter(pk=claim_member_id, household=household, user__isnull=True).update(
            user=user
        )
        if not claimed:
            raise err.member_not_claimable()
        member_phone_bind(user=user)
        return
    # A person row is one-to-one with an account: someone joining a second community keeps their first one.
    if not HouseholdMember.objects.filter(user=user).exists():
        HouseholdMember.objects.create(household=household, name=user.display_name or user.username, user=user)
    member_phone_bind(user=user)


def member_phone_bind(*, user: User) -> None:
    """The person row of `user` gets their phone, once it is verified (typed back from an SMS code): the
    leaders' household lists then reach the person who actually holds it."""
    if user.phone and user.phone_verified:
        HouseholdMember.objects.filter(user=user).exclude(phone=user.phone).update(phone=user.phone)
