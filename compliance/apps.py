from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        # Register the notice kinds, and the tasks in this process too: services enqueue them by name
        # (core.enqueue), and the eager mode (tests, the demo) needs the task object registered to run it.
        from compliance import (
            notifications,  # noqa: F401
            tasks,  # noqa: F401
        )
