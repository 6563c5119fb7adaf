from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and communities")

    def ready(self) -> None:
        # Register this app's notification kinds in every process (web, worker), not only where the
        # services happen to be imported, so notices always render with their message.
        from accounts.services import joining, roles  # noqa: F401
