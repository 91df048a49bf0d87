from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "bihuan.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        # Register the due-work kinds (review deadlines) and the consumers (automatic answers).
        from bihuan.knowledge import handlers, tasks  # noqa: F401
