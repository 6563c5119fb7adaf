"""The database session store, with the session row read by one plain SELECT (core.rows).

Every page a signed-in person opens loads their session first; Django's store reads it through the ORM, whose
compiler costs several times the indexed look-up itself (docs/PERFORMANCE.md, issue 17). Only that read is
replaced: saving, creating, deleting, the session table and the decoding are Django's own. Sessions live in the
default database (no router here). Pinned Django 5.2: re-check `_get_session_from_db` when upgrading.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from core import rows


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        """The live session row for this key, else None and no key (what Django's store does)."""
        model = self.model
        qn = connection.ops.quote_name
        sql = (
            f"SELECT {rows.columns(model, 's')} FROM {qn(model._meta.db_table)} s "
            f"WHERE s.{qn('session_key')} = %s AND s.{qn('expire_date')} > %s"
        )
        key = self.session_key  # None when absent or not a valid key (SessionBase checks it)
        now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM sends it (SQLite: UTC text)
        row = rows.fetch_one(sql, [key, now]) if key else None
        found = None if row is None else rows.instance(model, row)
        if found is None:
            self._session_key = None
        return found
