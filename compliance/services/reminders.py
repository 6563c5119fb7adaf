"""The beat sweep that reminds leaders and the committee of filings still unapproved a day before arrival."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.notifications import notification_send
from compliance.models import Filing, FilingStatus
from compliance.notifications import filing_link
from compliance.selectors import committee_user_id_list

REMIND_BEFORE = timedelta(days=1)


def filings_remind_unapproved(*, now: datetime | None = None) -> int:
    """Notify once per filing revision (dedupe key); safe to run any number of times. Returns filings reminded."""
    now = now or timezone.now()
    due = list(
        Filing.objects.filter(
            status=FilingStatus.SUBMITTED, arrival_start__gt=now, arrival_start__lte=now + REMIND_BEFORE
        )
        .select_related("buy")
        .order_by("community_id", "arrival_start")
    )
    committees: dict[int, set[int]] = defaultdict(set)
    for filing in due:
        if filing.community_id not in committees:
            committees[filing.community_id] = committee_user_id_list(community_id=filing.community_id)
        notification_send(
            user_ids={filing.buy.leader_id} | committees[filing.community_id],
            kind="filing_reminder",
            dedupe_key=f"filing:{filing.pk}:rev{filing.revision}:reminder",
            params={
                "title": filing.buy.title,
                "arrival": timezone.localtime(filing.arrival_start).strftime("%m-%d %H:%M"),
            },
            link=filing_link(filing.pk),
            community_id=filing.community_id,
        )
    return len(due)
