from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "bihuan.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # Register the consumers, the due-work kinds and the ticket page's complaint panel.
        from bihuan.automation import handlers, panels  # noqa: F401
