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


def without_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()
    return url


def main() -> int:
    db = os.environ.get("DATABASE_URL", DEFAULT_DB)
    redis = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    if not db.startswith(("postgres://", "postgresql://")):
        sys.stderr.write("Tests need PostgreSQL: DATABASE_URL must be a postgres:// URL.\n")
        return 2
    servers = (("PostgreSQL", db, 5432, "DATABASE_URL"), ("Redis", redis, 6379, "REDIS_URL"))
    missing = [(name, url, variable) for name, url, port, variable in servers if not reachable(url, port)]
    if missing:
        where = " and ".join(f"{name} at {without_password(url)}" for name, url, _ in missing)
        variables = " / ".join(variable for _, _, variable in missing)
        them = "them" if len(missing) > 1 else "it"
        sys.stderr.write(f"Tests need {where}, which cannot be reached: start {them} or set {variables}.\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
