"""What the channels app adds to the ticket page: the delivery state of email replies, the
files of each message, and the file input of the reply composer (``_reply_files.html``).

Registered with the tickets app's one-way hook (``bihuan.tickets.panels``): tickets never
imports channels.
"""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from bihuan.channels.choices import DeliveryStatus
from bihuan.channels.queries import FileLink, delivery_states, message_files
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Message
from bihuan.tickets.panels import register_message_notes

_BADGE = {
    DeliveryStatus.QUEUED: "text-bg-secondary",
    DeliveryStatus.SENT: "text-bg-success",
    DeliveryStatus.FAILED: "text-bg-danger",
}


def delivery_notes(messages: list[Message]) -> dict[int, SafeString]:
    """The delivery state of each email reply among ``messages`` (one query for them all).

    A reply whose mail is not queued yet (its reaction has not run) shows nothing rather
    than a state it does not have.
    """
    ids = [m.pk for m in messages if m.kind == MessageKind.REPLY and m.channel == Channel.EMAIL]
    if not ids:
        return {}
    notes: dict[int, SafeString] = {}
    for message_id, outbound in delivery_states(ids).items():
        status = DeliveryStatus(outbound.status)
        if status == DeliveryStatus.FAILED:
            label = _("Failed: %(reason)s") % {"reason": outbound.last_error or "—"}
        else:
            label = str(status.label)
        notes[message_id] = format_html(
            '<span class="badge {} delivery-state" data-testid="delivery-state"'
            ' data-delivery="{}" title="{}">{}</span>',
            _BADGE[status],
            status.value,
            _("Email delivery"),  # not the address: the page masks customers' contacts
            label,
        )
    return notes


def file_notes(messages: list[Message]) -> dict[int, SafeString]:
    """The files of each message (downloads), whatever channel brought or took them."""
    notes: dict[int, SafeString] = {}
    for message_id, links in message_files([m.pk for m in messages]).items():
        items = format_html_join(
            ", ",
            '{} <span class="text-muted-2">({})</span>',
            ((_file_link(link), filesizeformat(link.size)) for link in links),
        )
        # Words, not an emoji: offline machines often lack an emoji font.
        notes[message_id] = format_html(
            '<span class="message-files small text-truncate" data-testid="message-files">'
            '<span class="text-muted-2">{}</span> {}</span>',
            _("Attachments:"),
            items,
        )
    return notes


def _file_link(link: FileLink) -> SafeString:
    if not link.is_stored:  # over the size limit: listed, not kept
        return format_html("{}", link.filename)
    return format_html('<a href="{}" data-testid="message-file">{}</a>', link.url, link.filename)


register_message_notes("email_delivery", delivery_notes)
register_message_notes("files", file_notes)
