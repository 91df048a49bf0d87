from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    """Live updates: the agent workspace over WebSocket (Django Channels), fed by the event log."""

    name = "bihuan.live"
    label = "live"
    verbose_name = _("Live updates")

    def ready(self) -> None:
        from bihuan.live.publishing import connect_signals  # models are loaded only now

        connect_signals()
