from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """Inbound and outbound channels. The label is not ``channels``: that is Django Channels'."""

    name = "bihuan.channels"
    label = "bihuan_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        # Imported to register: consumers and due work; delivery states on the ticket page.
        from bihuan.channels import handlers, panels  # noqa: F401
        from bihuan.channels.email.outbound import outbound_sender
        from bihuan.tickets.choices import Channel
        from bihuan.tickets.queries import SENDING_CHANNELS

        if outbound_sender():  # the reply composer then says that email replies are sent
            SENDING_CHANNELS.add(Channel.EMAIL)
