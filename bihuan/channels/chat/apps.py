from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """The chat widget channel: visitors on a company's site talking to agents in real time."""

    name = "bihuan.channels.chat"
    label = "bihuan_chat"
    verbose_name = _("Chat")
