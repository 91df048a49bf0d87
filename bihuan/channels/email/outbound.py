"""Building and sending our outbound mail over SMTP (Django's mail backend).

A reply carries the ticket number in the subject (``[#1234]``), our signed Message-ID, and
``In-Reply-To`` / ``References`` naming the customer's latest mail and the thread before it,
so that whichever header the customer's client keeps, the answer threads back to its ticket.
Files the agent attached to the reply go as MIME parts after the text and HTML
(``multipart/mixed`` around ``multipart/alternative``), non-ASCII names per RFC 2231.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.html import escape, linebreaks

from bihuan.channels.choices import MailPurpose
from bihuan.channels.models import MessageFile, OutboundEmail

TIMEOUT_SECONDS = 30


def outbound_sender() -> str:
    """The From address of our mail; empty when outbound email is not configured."""
    return str(getattr(settings, "BIHUAN_MAIL_FROM", "") or "")


def render_html(text: str) -> str:
    """The HTML part: the same text, escaped, paragraphs kept (never the agent's raw HTML)."""
    return (
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
        f"{linebreaks(escape(text))}</body></html>"
    )


def build_message(outbound: OutboundEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": outbound.message_id}
    if outbound.purpose == MailPurpose.ACKNOWLEDGEMENT:
        # Not a person's reply (RFC 3834): the customer's autoresponder stays silent.
        headers["Auto-Submitted"] = "auto-replied"
    elif outbound.purpose == MailPurpose.NOTIFICATION:
        headers["Auto-Submitted"] = "auto-generated"
    if outbound.in_reply_to:
        headers["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        headers["References"] = outbound.references
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        from_email=outbound_sender(),
        to=[outbound.to_address],
        headers=headers,
        connection=get_connection(timeout=TIMEOUT_SECONDS),
    )
    if outbound.body_html:
        message.attach_alternative(outbound.body_html, "text/html")
    if outbound.ticket_message_id is not None and outbound.purpose == MailPurpose.REPLY:
        files = MessageFile.objects.filter(ticket_message_id=outbound.ticket_message_id)
        for attached in files.order_by("id"):
            with attached.file.open("rb") as handle:
                message.attach(attached.filename, handle.read(), attached.content_type)
    return message


def send(outbound: OutboundEmail) -> None:
    """Hand the message to the SMTP server; raises when it is not accepted."""
    build_message(outbound).send(fail_silently=False)
