from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupbuyConfig(AppConfig):
    name = "groupbuy"
    verbose_name = _("Group buys")

    def ready(self) -> None:
        # Register the group-buy notification kinds so notices render in every process (web, worker).
        from groupbuy import notifications  # noqa: F401
