from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "bihuan.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # Register the event consumer, the due-work kinds and the ticket page's SLA panel.
        from bihuan.sla import handlers, panels  # noqa: F401
