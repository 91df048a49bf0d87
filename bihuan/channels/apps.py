from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """Inbound and outbound channels. The label is not ``channels``: that is Django Channels'."""

    name = "bihuan.channels"
    label = "bihuan_channels"
    verbose_name = _("Channels")
