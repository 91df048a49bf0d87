from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "bihuan.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from bihuan.tickets import handlers  # noqa: F401  (registers event handlers)
