from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupbuyConfig(AppConfig):
    name = "groupbuy"
    verbose_name = _("Group buys")

    def ready(self) -> None:
        # Register the group-buy notification kinds so notices render in every process (web, worker).
        # Register the tasks in this process too: services enqueue them by name (core.enqueue), and the eager
        # mode (tests, the demo) needs the task object registered to run it in-process.
        from groupbuy import (
            notifications,  # noqa: F401
            tasks,  # noqa: F401
        )
