from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "bihuan.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from bihuan.triage import handlers  # noqa: F401  (registers event handlers)
