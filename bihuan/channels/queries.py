"""Read paths of the channels app, scoped by the viewer."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.channels.models import EmailAttachment
from bihuan.core.errors import NotFound
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
