from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    label = "settlement"
    verbose_name = _("Settlement")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the notice kinds, and the tasks in this process too: services enqueue them by name
        # (core.enqueue), and the eager mode (tests, the demo) needs the task object registered to run it.
        from settlement import (
            notifications,  # noqa: F401
            tasks,  # noqa: F401
        )
