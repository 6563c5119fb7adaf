"""The gate check: only the server's answer for a code counts, never a picture of a slip."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, User
from accounts.permissions import Action, require
from compliance.models import FilingLine, FilingStatus, Slip
from compliance.services.audit import audit_append
from core import ratelimit
from groupbuy.models import BuyStatus

# A guard types a code at most this often per minute (brute-forcing 2**40 codes is hopeless anyway).
VERIFY_LIMIT_PER_MINUTE = 30

RESULT_LABELS = {
    "valid": _("Valid — let the vehicle in"),
    "invalid": _("Invalid — no such slip for this community"),
    "expired": _("Expired — the arrival window has passed"),
    "not_yet_valid": _("Not yet valid — too early for the arrival window"),
    "on_hold": _("On hold — deliveries are suspended"),
    "already_used": _("Already used — these goods have arrived; do not let another vehicle in"),
}
# Past approval: the slip was consumed when the goods arrived.
USED_BUY_STATES = (BuyStatus.ARRIVED, BuyStatus.DISINFECTED, BuyStatus.RELEASED)


@dataclass
class GateResult:
    result: str
    code: str
    slip: Slip | None = None
    lines: list[FilingLine] = field(default_factory=list)

    @property
    def label(self) -> Any:
        return RESULT_LABELS[self.result]

    @property
    def ok(self) -> bool:
        return self.result == "valid"


def normalise_code(raw: str) -> str:
    code = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    # People read 0/O and 1/I alike; the alphabet has neither, so map them to nothing valid.
    return code[:16]


def slip_verify(*, actor: User, community: Community, code: str, now: datetime | None = None) -> GateResult:
    """Check a code at this community's gate; every check is recorded in the audit trail."""
    require(actor, Action.VERIFY_SLIP, community)
    ratelimit.check("slip_verify", str(actor.pk), limit=VERIFY_LIMIT_PER_MINUTE, window=60)
    now = now or timezone.now()
    code = normalise_code(code)
    slip = Slip.objects.select_related("filing__buy").filter(code=code, community=community).first() if code else None
    if slip is None:
        result = "invalid"
    elif slip.consumed_at is not None or slip.filing.buy.status in USED_BUY_STATES:
        result = "already_used"
    elif slip.filing.status == FilingStatus.ON_HOLD or slip.filing.buy.status == BuyStatus.ON_HOLD:
        # Past its window a held delivery is not coming on this slip at all (its leader must re-file): say so,
        # rather than pointing at a suspension that may be over.
        result = "expired" if now > slip.valid_until else "on_hold"
    elif slip.filing.status not in (FilingStatus.APPROVED,):
        result = "invalid"
    elif now > slip.valid_until:
        result = "expired"
    elif now < slip.valid_from:
        result = "not_yet_valid"
    else:
        result = "valid"
    lines = list(slip.filing.lines.all()) if slip is not None else []
    with transaction.atomic():
        audit_append(
            community_id=community.pk,
            kind="slip_verified" if result == "valid" else "slip_refused",
            actor=actor,
            subject=f"filing:{slip.filing_id}" if slip else "",
            data={
                "result": result,
                "slip": slip.pk if slip else None,
                # The code itself is a bearer secret: keep only a digest of what was typed.
                "code_digest": hashlib.sha256(code.encode()).hexdigest()[:16],
            },
            now=now,
        )
    return GateResult(result=result, code=code, slip=slip, lines=lines)
