"""Behind PgBouncer in transaction mode (docs/OPERATIONS.md, "District and city deployment") a server-side
cursor would outlive the transaction that holds its server connection: DB_DISABLE_SERVER_SIDE_CURSORS turns
them off (Django then fetches .iterator() results client-side in chunks)."""

import pytest

from tests.config.test_settings_deploy import production_env, run_python

PRINT = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS'))"
)


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("true", "True"), ("false", "False")])
def test_server_side_cursors_follow_the_environment(value, expected):
    overrides = {} if value is None else {"DB_DISABLE_SERVER_SIDE_CURSORS": value}

    result = run_python(["-c", PRINT], **production_env(**overrides))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
