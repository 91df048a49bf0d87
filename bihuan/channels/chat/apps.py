from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """The chat widget channel: visitors on a company's site talking to agents in real time."""

    name = "bihuan.channels.chat"
    label = "bihuan_chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        # Imported to register: event verbs, the consumers (chat replies out, waiting chats
        # assigned) and the periodic run of the queue.
        from bihuan.channels.adapters import register_adapter
        from bihuan.channels.chat import events, handlers, tasks  # noqa: F401
        from bihuan.channels.chat.adapter import ChatAdapter
        from bihuan.tickets.choices import Channel
        from bihuan.tickets.queries import SENDING_CHANNELS

        register_adapter(ChatAdapter())
        SENDING_CHANNELS.add(Channel.CHAT)  # the reply composer says chat replies are sent
