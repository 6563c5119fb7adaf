"""Photos attached to settlement records (transfer screenshots, price-change evidence, after-sales photos).

In the request only core.uploads.accept_image_upload runs (the per-person allowance, cheap checks, the
raw file stored under incoming/); the record holds that pending name and is never served until a task,
enqueued after commit, re-encodes it (metadata incl. GPS stripped) — see services/photos.py.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from core import uploads


@contextmanager
def stored_photos(uploads_in: list[Any], *, user_id: int, prefix: str):
    """Accept the photos (pending, not decoded); if the block raises, delete them so nothing is left behind."""
    names: list[str] = []
    try:
        for upload in uploads_in:
            names.append(uploads.accept_image_upload(upload, user_id=user_id, prefix=prefix))
        yield names
    except BaseException:
        uploads.delete_private(*names)
        raise
