from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """WeCom customer service, WeChat Official Account, Feishu/Lark and DingTalk."""

    name = "bihuan.channels.messaging"
    label = "bihuan_messaging"
    verbose_name = _("Messaging platforms")

    def ready(self) -> None:
        # Imported to register: the consumer and due work, the ticket page's delivery notes;
        # the adapters of the four channels.
        from bihuan.channels.adapters import register_adapter
        from bihuan.channels.messaging import handlers, panels  # noqa: F401
        from bihuan.channels.messaging.adapters import ADAPTERS
        from bihuan.tickets.queries import SENDING_CHANNELS

        for adapter in ADAPTERS:
            register_adapter(adapter)
            # The reply composer says that replies on these channels are sent to the customer.
            SENDING_CHANNELS.add(adapter.channel)
