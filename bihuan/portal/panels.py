"""What the portal adds to the staff's ticket page: the files a customer attached from the
portal, under their message (one query per timeline page)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from bihuan.portal.queries import files_of_messages
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message


def portal_file_notes(messages: list[Message]) -> dict[int, SafeString]:
    ids = [m.pk for m in messages if m.kind == MessageKind.CUSTOMER]
    notes: dict[int, SafeString] = {}
    for message_id, files in files_of_messages(ids).items():
        links = format_html_join(
            " · ",
            '<a href="{}" data-testid="portal-file">{}</a>',
            (
                (
                    reverse(
                        "portal:staff_file",
                        kwargs={"number": f.ticket_id, "file_id": f.pk},
                    ),
                    f.name,
                )
                for f in files
            ),
        )
        notes[message_id] = format_html(
            '<div class="small text-muted">{} {}</div>', _("Files from the portal:"), links
        )
    return notes
