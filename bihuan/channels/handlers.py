"""The email channel on the background engine: sending replies, polling mailboxes.

- A consumer of ``ticket.message_added`` queues the mail of each reply sent by email (in its
  own transaction, once per message), which schedules a delivery as due work.
- ``channels.email_notifications``: notifications of mentions, SLA warnings, breaches and
  escalations repeated by email to the users who turned that on (in the reaction's
  transaction, once per notification).
- ``channels.deliver_email``: one SMTP delivery, retried by the engine with backoff; the last
  attempt marks the delivery failed with the reason.
- ``channels.poll_mailbox``: one poll of one IMAP mailbox, which schedules the next one
  (at once when the mailbox had more than one batch waiting).
- ``channels.schedule_polls``: every minute, makes sure every active polled mailbox has its
  next poll scheduled (a new mailbox, one re-activated, one whose item was parked).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from bihuan.channels import services
from bihuan.channels.adapters import adapter_for
from bihuan.channels.email import imap
from bihuan.channels.models import Mailbox
from bihuan.core.consumers import consumer
from bihuan.core.due_work import due_work, every, schedule
from bihuan.core.models import DueItem, Event, WorkState
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message

POLL_KIND = "channels.poll_mailbox"
ERROR_POLL_SECONDS = 300


@consumer(
    "channels.queue_email_replies",
    verbs=("ticket.message_added",),
    accepts=lambda event: event.data.get("kind") == MessageKind.REPLY,
)
def queue_email_replies(events: Sequence[Event]) -> None:
    ids = [e.data["message"] for e in events if isinstance(e.data.get("message"), int)]
    for message in Message.objects.filter(pk__in=ids).order_by("pk"):
        services.queue_email_reply(message)


def _notifies(event: Event) -> bool:
    # Of the new messages, only internal notes that mention colleagues notify anyone.
    return event.verb != "ticket.message_added" or bool(event.data.get("mentions"))


@consumer(
    "channels.email_notifications",
    verbs=services.NOTIFICATION_EMAIL_VERBS,
    accepts=_notifies,
)
def email_notifications(events: Sequence[Event]) -> None:
    services.email_notifications(events)


@due_work(services.DELIVERY_KIND, atomic=False, max_attempts=services.MAX_DELIVERY_ATTEMPTS)
def deliver_email(item: DueItem) -> None:
    adapter_for(Channel.EMAIL).send(_id(item.key), attempt=item.attempts)


def poll_key(mailbox: Mailbox) -> str:
    return f"bihuan_channels.mailbox:{mailbox.pk}"


@due_work(POLL_KIND, atomic=False, lease=timedelta(minutes=15))
def poll_mailbox(item: DueItem) -> None:
    mailbox = Mailbox.objects.filter(pk=_id(item.key), is_active=True).exclude(imap_host="").first()
    if mailbox is None:
        return  # removed or switched off: no next poll
    try:
        report = imap.poll_mailbox(mailbox)
    except imap.MailboxError:
        # Recorded on the mailbox for the admin; try again later, never park a mailbox.
        delay = max(mailbox.poll_seconds, ERROR_POLL_SECONDS)
    else:
        delay = 0 if report.has_more else mailbox.poll_seconds
    schedule(POLL_KIND, key=item.key, due_at=timezone.now() + timedelta(seconds=delay))


@due_work("channels.schedule_polls", repeat=every(timedelta(minutes=1)))
def schedule_polls(item: DueItem) -> None:
    mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
    pending = set(
        DueItem.objects.filter(kind=POLL_KIND, state=WorkState.PENDING).values_list(
            "key", flat=True
        )
    )
    now = timezone.now()
    for mailbox in mailboxes:
        if poll_key(mailbox) not in pending:
            schedule(POLL_KIND, key=poll_key(mailbox), due_at=now)


def _id(key: str) -> int:
    return int(key.rsplit(":", 1)[-1])
