"""The messaging platforms on the background engine.

- consumer ``messaging.queue_replies`` of ``ticket.message_added``: an agent's reply written
  on a platform channel is queued once, in its own transaction;
- due work ``messaging.deliver_reply``: one send through the platform's API, retried with the
  engine's back-off (rate limits included), failed with the reason after the last attempt;
- due work ``messaging.sync_wecom``: WeCom's ``kf/sync_msg`` pull after a callback event;
- due work ``messaging.fetch_profiles``: the senders' profiles a platform did not give when
  their messages arrived, asked again with the engine's back-off.
"""

from __future__ import annotations

from collections.abc import Sequence

from bihuan.channels.adapters import adapter_for
from bihuan.channels.messaging import services
from bihuan.channels.messaging.choices import Platform
from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work
from bihuan.core.models import DueItem, Event
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message


@consumer(
    "messaging.queue_replies",
    verbs=("ticket.message_added",),
    accepts=lambda event: event.data.get("kind") == MessageKind.REPLY,
)
def queue_replies(events: Sequence[Event]) -> None:
    ids = [e.data["message"] for e in events if isinstance(e.data.get("message"), int)]
    for message in Message.objects.filter(pk__in=ids, channel__in=Platform.values).order_by("pk"):
        services.queue_platform_reply(message)


@due_work(services.DELIVERY_KIND, atomic=False, max_attempts=services.MAX_DELIVERY_ATTEMPTS)
def deliver_reply(item: DueItem) -> None:
    # Every platform channel's adapter sends the same way (services.deliver_platform_reply).
    adapter_for(Platform.WECOM).send(_id(item.key), attempt=item.attempts)


@due_work(services.SYNC_KIND, atomic=False)
def sync_wecom(item: DueItem) -> None:
    services.sync_wecom(_id(item.key), token=str(item.data.get("token", "")))


def _id(key: str) -> int:
    return int(key.rsplit(":", 1)[-1])


@due_work(services.PROFILE_KIND, atomic=False, max_attempts=services.MAX_PROFILE_ATTEMPTS)
def fetch_profiles(item: DueItem) -> None:
    services.fetch_missing_profiles(_id(item.key))
