"""Settlement tasks: take ids, call one service, safe to run twice."""

from celery import shared_task

from settlement.services.payments import payment_reminders_send
from settlement.services.photos import settlement_photo_process, settlement_photos_requeue
from settlement.services.price_changes import price_change_resolve, price_changes_sweep


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


@shared_task(name="settlement.process_photo", acks_late=True, reject_on_worker_lost=True)
def process_photo(kind: str, pk: int) -> bool:
    """Re-encode a pending settlement photo (compare-and-swap: safe to run twice)."""
    return settlement_photo_process(kind=kind, pk=pk)


@shared_task(name="settlement.requeue_photos")
def requeue_photos() -> int:
    """Beat: re-send processing for photos whose enqueue was lost (broker down at upload)."""
    return settlement_photos_requeue()
