from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneConfig(AppConfig):
    """Phone (call-centre webhook, call records) and SMS (providers, inbound, receipts)."""

    name = "bihuan.channels.phone"
    label = "bihuan_phone"
    verbose_name = _("Phone and SMS")

    def ready(self) -> None:
        # Imported to register: event verbs, the consumer and due work, the page panels.
        from bihuan.channels.adapters import register_adapter
        from bihuan.channels.phone import events, handlers, panels  # noqa: F401
        from bihuan.channels.phone.adapter import SmsAdapter
        from bihuan.channels.phone.services import sms_replies_on
        from bihuan.tickets.choices import Channel
        from bihuan.tickets.queries import SENDING_CHANNELS

        register_adapter(SmsAdapter())
        if sms_replies_on():  # the reply composer then says that SMS replies are sent
            SENDING_CHANNELS.add(Channel.SMS)
