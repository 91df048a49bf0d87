from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneConfig(AppConfig):
    """Phone (call-centre webhook, call records) and SMS (providers, inbound, receipts)."""

    name = "bihuan.channels.phone"
    label = "bihuan_phone"
    verbose_name = _("Phone and SMS")
