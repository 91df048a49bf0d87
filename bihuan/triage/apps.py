from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "bihuan.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        # Register the event consumers and the periodic jobs (due-work kinds).
        from bihuan.triage import handlers, order_numbers, tasks  # noqa: F401
