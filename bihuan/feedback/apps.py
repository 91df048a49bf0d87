from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "bihuan.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # Register the consumer, the due-work kinds and the ticket page's feedback panel.
        from bihuan.feedback import handlers, panels  # noqa: F401
