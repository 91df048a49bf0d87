"""Background work: replies by SMS are queued by a consumer of ``ticket.message_added`` and
delivered as due work (``phone.deliver_sms``, retried with the engine's backoff, then failed
with the reason). (A missed call's call-back has its own purpose: the tickets app schedules
a solved ticket's 24-hour follow-up beside it.)"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.channels.adapters import adapter_for
from bihuan.channels.phone import services
from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work
from bihuan.core.models import DueItem, Event
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message


@consumer(
    "phone.queue_sms_replies",
    verbs=("ticket.message_added",),
    accepts=lambda event: event.data.get("kind") == MessageKind.REPLY,
)
def queue_sms_replies(events: Sequence[Event]) -> None:
    ids = [e.data["message"] for e in events if isinstance(e.data.get("message"), int)]
    for message in Message.objects.filter(pk__in=ids, channel=Channel.SMS).order_by("pk"):
        services.queue_sms_reply(message)


@due_work(services.DELIVERY_KIND, atomic=False, max_attempts=services.MAX_DELIVERY_ATTEMPTS)
def deliver_sms(item: DueItem) -> None:
    adapter_for(Channel.SMS).send(int(item.key.rsplit(":", 1)[-1]), attempt=item.attempts)
