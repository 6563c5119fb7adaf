"""Django's ModelBackend, with the signed-in user read by one plain SELECT (core.rows) on every request.

`django.contrib.auth.get_user` asks the backend that logged the person in for their user on each request; Django's
reads it through the ORM, whose compiler costs several times the primary-key look-up (docs/PERFORMANCE.md, issue
17). Logging in, passwords and permissions are Django's own. Sessions name the backend that logged them in, so
a session made under `django.contrib.auth.backends.ModelBackend` (before this backend) is logged out once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends
from django.db import connection

from accounts.models import User
from core import rows


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        qn = connection.ops.quote_name
        sql = f"SELECT {rows.columns(User, 'u')} FROM {qn(User._meta.db_table)} u WHERE u.{qn('id')} = %s"
        row = rows.fetch_one(sql, [user_id])  # already the primary key's type (`auth._get_user_session_key`)
        user = None if row is None else rows.instance(User, row)
        return user if user is not None and self.user_can_authenticate(user) else None
