from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and communities")

    def ready(self) -> None:
        # Register this app's notification kinds in every process (web, worker), so notices always render; and
        # the SMS notice tasks, in this process too: services enqueue them by name (core.enqueue).
        from accounts import (
            notifications,  # noqa: F401
            tasks,  # noqa: F401
        )
