"""Settlement tasks: take ids, call one service, safe to run twice."""

from celery import shared_task

from groupbuy.settlement.services.payments import payment_reminders_send
from groupbuy.settlement.services.price_changes import price_change_resolve, price_changes_sweep


@shared_task(name="settlement.send_payment_reminders", acks_late=True, reject_on_worker_lost=True)
def send_payment_reminders(buy_id: int) -> int:
    return payment_reminders_send(buy_id=buy_id)


@shared_task(name="settlement.resolve_price_change", acks_late=True, reject_on_worker_lost=True)
def resolve_price_change(change_id: int) -> bool:
    return price_change_resolve(change_id=change_id)


@shared_task(name="settlement.sweep_price_changes")
def sweep_price_changes() -> int:
    """Beat: settle every price change whose answer deadline passed (unanswered -> the leader's default)."""
    return price_changes_sweep()
