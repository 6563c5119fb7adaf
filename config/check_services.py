"""Stop at once, in one sentence, when the test servers are not reachable.

Used by `make test` before pytest: the tests never fall back to SQLite.
"""

import os
import socket
import sys
from urllib.parse import urlparse

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/jielong"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    db = os.environ.get("DATABASE_URL", DEFAULT_DB)
    redis = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    if not db.startswith(("postgres://", "postgresql://")):
        sys.stderr.write("Tests need PostgreSQL: DATABASE_URL must be a postgres:// URL.\n")
        return 2
    servers = (("PostgreSQL", db, 5432), ("Redis", redis, 6379))
    missing = [name for name, url, port in servers if not reachable(url, port)]
    if missing:
        sys.stderr.write(
            f"Tests need {' and '.join(missing)} running (PostgreSQL at {db}, Redis at {redis}); "
            "start them or set DATABASE_URL / REDIS_URL.\n"
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
