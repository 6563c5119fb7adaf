"""The payee a buy's residents pay: the leader's name and 收款码 (payment QR) image, as their default or for one buy.

The image goes through the same pipeline as transfer screenshots (settlement/uploads.py, services/photos.py):
accepted in the request as a pending raw file, re-encoded by a task after commit, never served while pending.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groupbuy.models import GroupBuy
from settlement import exceptions as errors
from settlement.models import PayeeAccount
from settlement.permissions import require_buy_leader
from settlement.services.photos import photo_prefix, photo_recorded
from settlement.uploads import stored_photos

PAYEE_NAME_MAX = PayeeAccount._meta.get_field("name").max_length or 60


def payee_set(*, actor: User, buy: GroupBuy | None = None, name: str, qr_image: Any = None) -> PayeeAccount:
    """Set the payee name and (optionally a new) 收款码 image: for `buy` (only that buy's leader) or, without a buy,
    the actor's own default. A first payee needs an image; later the name alone may change. Nothing is stored when
    the name or the image is refused, and a replaced image is deleted once the new one is committed."""
    if buy is not None:
        require_buy_leader(actor, buy)
    name = " ".join((name or "").split())
    if not name:
        raise errors.payee_name_required(field="name")
    if len(name) > PAYEE_NAME_MAX:
        raise errors.payee_name_required(field="name", max_length=PAYEE_NAME_MAX)
    lookup = {"owner": actor, "buy": None} if buy is None else {"buy": buy}
    if not qr_image and not PayeeAccount.objects.filter(**lookup).exclude(qr_image="").exists():
        raise errors.payee_qr_required(field="qr_image")

    shots = [qr_image] if qr_image else []
    with stored_photos(shots, user_id=actor.pk, prefix=photo_prefix("payee")) as names:
        with transaction.atomic():
            # One row per default / per buy (unique constraints): created if missing (a concurrent create is
            # re-read by get_or_create), then locked, so the image it replaces is read once and deleted once.
            account, _created = PayeeAccount.objects.get_or_create(**lookup, defaults={"name": name, "owner": actor})
            replaced = PayeeAccount.objects.select_for_update().values_list("qr_image", flat=True).get(pk=account.pk)
            fields: dict[str, Any] = {"name": name, "owner": actor, "updated_at": timezone.now()}
            if names:
                fields["qr_image"] = names[0]
            PayeeAccount.objects.filter(pk=account.pk).update(**fields)
            if names:
                photo_recorded(kind="payee", pk=account.pk, replaced=replaced)
            account.refresh_from_db()
            return account
