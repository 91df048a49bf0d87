"""Read paths of the channels app, scoped by the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.channels.choices import InboundStatus
from bihuan.channels.email.html import sanitize_html
from bihuan.channels.email.parsing import parse_email
from bihuan.channels.models import EmailAttachment, InboundEmail, MessageFile, OutboundEmail
from bihuan.core.errors import NotFound
from bihuan.core.pagination import Page, paginate
from bihuan.tickets.models import Ticket
from bihuan.tickets.permissions import ticket_scope


def get_attachment(viewer: User, attachment_id: int) -> EmailAttachment:
    """An inbound attachment the viewer may download: one of a ticket they see.

    Attachments of mail held without a ticket are for supervisors and admins only.
    """
    attachment = (
        EmailAttachment.objects.select_related("inbound")
        .filter(pk=attachment_id, is_stored=True)
        .first()
    )
    if attachment is None:
        raise NotFound(_("Attachment not found."))
    ticket_id = attachment.inbound.ticket_id
    if ticket_id is None:
        allowed = viewer.is_active and viewer.sees_everything
    else:
        allowed = Ticket.objects.filter(Q(pk=ticket_id) & ticket_scope(viewer)).exists()
    if not allowed:
        raise NotFound(_("Attachment not found."))
    return attachment


def _inbound_scope(viewer: User) -> Q:
    """Inbound mail the viewer may read: on tickets they see; without a ticket, supervisors."""
    visible = Ticket.objects.filter(ticket_scope(viewer)).values("pk")
    scope = Q(ticket_id__in=visible)
    if viewer.is_active and viewer.sees_everything:
        scope |= Q(ticket__isnull=True)
    return scope


def list_held_mail(viewer: User, *, cursor: str | None = None) -> Page[InboundEmail]:
    """Mail held for an agent's decision (unknown or unverified sender), newest first."""
    held = InboundEmail.objects.filter(_inbound_scope(viewer), status=InboundStatus.HELD)
    return paginate(
        held.select_related("ticket", "mailbox").defer("text", "html"),
        order_field="id",
        descending=True,
        limit=int(getattr(settings, "BIHUAN_PAGE_SIZE", 25)),
        cursor=cursor,
    )


def get_inbound(viewer: User, inbound_id: int) -> InboundEmail:
    found = (
        InboundEmail.objects.filter(_inbound_scope(viewer), pk=inbound_id)
        .select_related("ticket", "mailbox", "released_by")
        .prefetch_related("attachments")
        .first()
    )
    if found is None:
        raise NotFound(_("Message not found."))
    return found


def remote_images_html(inbound: InboundEmail) -> str:
    """The message's HTML with its remote images, for an agent who asked to load them."""
    with inbound.raw.open("rb") as handle:
        parsed = parse_email(handle.read())
    inline = {
        a.content_id: reverse("channels:attachment", args=[a.pk])
        for a in inbound.attachments.all()
        if a.content_id and a.is_stored
    }
    return sanitize_html(parsed.html, inline_images=inline, allow_remote_images=True)


def delivery_states(message_ids: list[int]) -> dict[int, OutboundEmail]:
    """The outbound delivery of each ticket message that was sent by email (one query)."""
    rows = OutboundEmail.objects.filter(ticket_message_id__in=message_ids).only(
        "ticket_message_id", "status", "last_error", "to_address", "sent_at", "failed_at"
    )
    return {row.ticket_message_id: row for row in rows if row.ticket_message_id is not None}


def get_message_file(viewer: User, file_id: int) -> MessageFile:
    """A file the viewer may download: one on a message of a ticket they see, or one of their
    own drafts (a draft is nobody else's business until it is sent)."""
    found = MessageFile.objects.filter(pk=file_id).first()
    if found is None:
        raise NotFound(_("File not found."))
    if found.is_draft and found.uploaded_by_id != viewer.pk:
        raise NotFound(_("File not found."))
    if not Ticket.objects.filter(Q(pk=found.ticket_id) & ticket_scope(viewer)).exists():
        raise NotFound(_("File not found."))
    return found


def list_reply_drafts(viewer: User, ticket: Ticket) -> list[MessageFile]:
    """The viewer's files waiting for their next email reply on ``ticket``."""
    return list(
        MessageFile.objects.filter(
            ticket=ticket, uploaded_by=viewer, ticket_message__isnull=True
        ).order_by("id")
    )


@dataclass(frozen=True)
class FileLink:
    """One file shown on a timeline message, with where to download it."""

    filename: str
    size: int
    url: str
    is_stored: bool = True


def message_files(message_ids: list[int]) -> dict[int, list[FileLink]]:
    """The files of each ticket message: sent with a reply or the web form, or received with
    an email (two queries for a whole timeline page)."""
    found: dict[int, list[FileLink]] = {}
    sent = MessageFile.objects.filter(ticket_message_id__in=message_ids).order_by("id")
    for row in sent.only("ticket_message_id", "filename", "size"):
        if row.ticket_message_id is not None:
            found.setdefault(row.ticket_message_id, []).append(
                FileLink(row.filename, row.size, reverse("channels:file", args=[row.pk]))
            )
    received = (
        EmailAttachment.objects.filter(inbound__ticket_message_id__in=message_ids, is_inline=False)
        .values_list("pk", "inbound__ticket_message_id", "filename", "size", "is_stored")
        .order_by("id")
    )
    for pk, message_id, filename, size, is_stored in received:
        found.setdefault(message_id, []).append(
            FileLink(filename, size, reverse("channels:attachment", args=[pk]), is_stored)
        )
    return found
