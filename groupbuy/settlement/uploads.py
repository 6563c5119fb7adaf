"""Photos attached to settlement records (transfer screenshots, price-change evidence, after-sales photos).

Validated and re-encoded (metadata incl. GPS stripped) through config.uploads before any
row is written; the caller removes the stored file again if its transaction fails.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from config import uploads


def store_photo(upload: Any, *, prefix: str) -> str:
    """Validate, re-encode and store one photo privately; returns its storage name."""
    uploads.validate_image_upload(upload)
    upload.seek(0)
    processed = uploads.process_image(upload.read())
    image_name, thumbnail_name = uploads.save_processed_image(processed, prefix)
    uploads.delete_private(thumbnail_name)
    return image_name


@contextmanager
def stored_photos(uploads_in: list[Any], *, prefix: str):
    """Store the photos; if the block raises, delete them so nothing is left behind."""
    names: list[str] = []
    try:
        for upload in uploads_in:
            names.append(store_photo(upload, prefix=prefix))
        yield names
    except BaseException:
        uploads.delete_private(*names)
        raise
