"""Data for the browser journeys: real services for what happens off-screen (other residents joining, the
close that a worker would run), and small valid files to upload."""

from __future__ import annotations

import io
from datetime import time, timedelta

from django.utils import timezone
from PIL import Image


def jpeg(colour=(40, 140, 60), size=(320, 240)) -> dict:
    """A Playwright file payload: a small real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


PDF = {
    "name": "doc.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
}


def any_day_policy(community):
    """Deliveries any day and hour with no lead time, so the journeys do not depend on when they run."""
    from compliance.models import DeliveryPolicy

    return DeliveryPolicy.objects.create(
        community=community, weekdays="0123456", lead_hours=0, gate_opens=time(0, 0), gate_closes=time(23, 59, 59)
    )


def arrival_window() -> tuple:
    """Arrival soon from the real clock, within one local day, and starting within the hour the slip is valid
    before its window. Late in the evening (local time) the window starts in a minute and ends at midnight."""
    now = timezone.now()
    start = timezone.localtime(now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=30)
    if timezone.localtime(now).date() != end.date():
        start = timezone.localtime(now + timedelta(minutes=2)).replace(second=0, microsecond=0)
        end = min(start + timedelta(minutes=30), start.replace(hour=23, minute=59))
    return start, end, timezone.localtime(now - timedelta(hours=1))


def close_buy(buy) -> None:
    """What the worker does at the deadline (Celery is eager in tests; the sweep calls this same service)."""
    from groupbuy.services.buys import group_buy_close

    group_buy_close(buy_id=buy.pk)
    buy.refresh_from_db()


def progress_width(browser) -> float:
    """The filled part of the MOQ progress bar, in percent of the bar."""
    return browser.page.evaluate(
        """() => { const bar = document.querySelector('.progress');
                   const fill = bar.querySelector('span');
                   return Math.round(fill.getBoundingClientRect().width / bar.getBoundingClientRect().width * 100); }"""
    )


def qr_decoded(locator) -> str:
    """What a QR code shown on the page reads as: a screenshot of the element decoded by zbarimg (Debian
    zbar-tools, installed by `make test`)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qr.png"
        locator.screenshot(path=str(path))
        result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=False)
    return result.stdout.strip()
