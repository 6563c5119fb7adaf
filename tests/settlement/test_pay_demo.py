"""The demo's leaders have a default 收款码, ready to show on the payment page without a worker."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from accounts.management.demo.buys import seed_groupbuy_demo
from core.uploads import is_pending
from settlement import selectors
from settlement.models import PayeeAccount

pytestmark = pytest.mark.django_db


def test_demo_leaders_get_a_default_payee_qr_that_scans(place):
    seed_groupbuy_demo(place.community, [place.leader, place.other_leader.user], [place.resident])
    accounts = list(PayeeAccount.objects.order_by("pk"))
    assert [(a.owner_id, a.buy_id) for a in accounts] == [
        (place.leader.user.pk, None),
        (place.other_leader.user.pk, None),
    ]
    for account in accounts:
        assert selectors.payee_qr_ready(account)
        assert not is_pending(account.qr_image)
        with default_storage.open(account.qr_image, "rb") as fp, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(account.qr_image).name
            path.write_bytes(fp.read())
            decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True)
        assert decoded.stdout.strip() == f"wxp://demo-payee-{account.owner_id}"
