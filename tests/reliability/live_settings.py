"""Settings for the processes the reliability tests start (gunicorn, Celery worker, beat).

The test settings run tasks in-process; a real web tier publishes them to the broker instead, so the
fault tests see what production does: enqueue after commit, a worker on Redis, and a web tier that
keeps serving when Redis is gone.
"""

import os

from config.test_settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = os.environ.get("LIVE_TASKS_EAGER", "false") == "true"
