"""What must survive a backup and restore, computed the same way on both databases.

Run as `python -m tests.reliability.restore_check` (with DATABASE_URL pointing at a restored
database) it prints one JSON document; the backup test compares it with the original's.
"""

from __future__ import annotations

import json
from decimal import Decimal


def snapshot() -> dict:
    """Every audit chain verified, and every entry's money (owed, paid, refunded) with the balance check."""
    from compliance.services.audit import audit_chain_verify, audit_communities
    from groupbuy.models import GroupBuy
    from settlement.selectors import entry_money_list, money_of

    chains = {}
    for community_id in audit_communities():
        report = audit_chain_verify(community_id=community_id)
        chains[str(community_id)] = {"ok": report.ok, "checked": report.checked, "problems": report.problems}
    money = {}
    unbalanced = []
    for buy in GroupBuy.objects.order_by("pk"):
        for entry in entry_money_list(buy=buy):
            info = money_of(entry)
            money[str(entry.pk)] = {k: str(info[k]) for k in ("owed", "paid", "refunded")}
            if info["paid"] - info["refunded"] != info["owed"]:
                unbalanced.append(entry.pk)
    totals = {k: str(sum((Decimal(m[k]) for m in money.values()), Decimal("0"))) for k in ("owed", "paid", "refunded")}
    return {"chains": chains, "money": money, "totals": totals, "unbalanced": unbalanced}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(snapshot(), sort_keys=True))  # noqa: T201 - the output is the result
