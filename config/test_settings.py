"""Settings for the test command: real PostgreSQL and Redis, never SQLite.

Defaults point at the servers this project's machines run on loopback;
DATABASE_URL / REDIS_URL override them.
"""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jielong")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("MEDIA_ROOT", "/tmp/jielong-test-media")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES  # noqa: E402

if not DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    raise ImproperlyConfigured("Tests need PostgreSQL (row locks do nothing on SQLite); set DATABASE_URL.")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Unit tests run tasks in-process; the worker tests (marker `worker`) start a
# real Celery worker on Redis and switch this off.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
ALLOWED_HOSTS = ["*"]
# The suite asserts the English source strings; the product default (zh-hans, config/settings.py) and both
# catalogues are checked by tests/test_translations.py. (Browsers that send Accept-Language still get theirs.)
LANGUAGE_CODE = "en"
# Fixtures across the suite answer price changes within minutes (races, sweeps); the minimum window has its own
# tests (tests/settlement/test_trust_price_changes.py), which set the production default back.
PRICE_CHANGE_MIN_ANSWER_HOURS = 0
# SMS are kept in core.sms.outbox (read by the tests and the browser journeys), never printed or sent.
SMS_BACKEND = "core.sms.LocmemBackend"
