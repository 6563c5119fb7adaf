"""Who may act on a buy's money and hand-out: object-level checks on top of accounts.permissions (the role in
the community). Each raises a coded PermissionRefused; the `is_*` forms answer the same question as a bool."""

from __future__ import annotations

from accounts.models import Membership, User
from accounts.permissions import Action, is_buy_leader, membership_for, require, require_entry_owner

# The one rule for the leader of a buy and for the owner of an entry (groupbuy and compliance use them too).
from accounts.permissions import require_buy_leader as require_buy_leader
from core.errors import PermissionRefused
from groupbuy.models import Entry, GroupBuy
from settlement import exceptions as errors
from settlement.models import Payment, Refund, RefundReason

# The settlement name of accounts.permissions.require_entry_owner (call sites may switch to that name).
require_own_entry = require_entry_owner


def require_payment_staff(actor: User, buy: GroupBuy) -> Membership:
    """Data volunteers of the community, or the leader of this buy."""
    membership = require(actor, Action.CONFIRM_PAYMENT, buy.community_id)
    if membership.volunteer_group != "data" and not is_buy_leader(actor, buy):
        raise errors.not_payment_staff()
    return membership


def is_payment_staff(actor: User, buy: GroupBuy) -> bool:
    try:
        require_payment_staff(actor, buy)
    except PermissionRefused:
        return False
    return True


def is_own_entry(actor: User, entry: Entry) -> bool:
    """The two-person money checks' "own": the actor's household's entry or one they ever placed (even after
    their proxy role ended). Broader on purpose than accounts.permissions.is_entry_owner (who may act as the
    entry's owner), so nobody confirms money they are on the payer's side of."""
    if entry.placed_by_id == actor.pk:
        return True
    membership = membership_for(actor, entry.buy.community_id)
    return (
        membership is not None and membership.household_id is not None and membership.household_id == entry.household_id
    )


def require_payment_confirmer(actor: User, entry: Entry) -> Membership:
    """Payment staff (require_payment_staff), never for their own entry: nobody confirms their own payment.

    "Own" is the household's entry or one the actor placed for a neighbour (the payer's side of the money)."""
    membership = require_payment_staff(actor, entry.buy)
    if is_own_entry(actor, entry):
        raise errors.own_payment()
    return membership


def require_refund_settler(actor: User, refund: Refund) -> Membership:
    """Payment staff who may pay `refund` back: never to their own household (or an entry they placed), and for
    an overpayment never whoever confirmed the payment it returns, so money going out past what was owed is
    always seen by two people. (The payment keeps its last confirmer; a top-up confirmed later by someone
    else moves that check to them.)"""
    membership = require_payment_staff(actor, refund.buy)
    if is_own_entry(actor, refund.entry):
        raise errors.own_refund()
    if (
        refund.reason == RefundReason.OVERPAYMENT
        and Payment.objects.filter(entry_id=refund.entry_id, confirmed_by_id=actor.pk).exists()
    ):
        raise errors.second_person_required()
    return membership
