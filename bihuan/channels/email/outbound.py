"""Building and sending our outbound mail over SMTP (Django's mail backend).

A reply carries the ticket number in the subject (``[#1234]``), our signed Message-ID, and
``In-Reply-To`` / ``References`` naming the customer's latest mail and the thread before it,
so that whichever header the customer's client keeps, the answer threads back to its ticket.
Files the agent attached to the reply go as MIME parts after the text and HTML
(``multipart/mixed`` around ``multipart/alternative``), non-ASCII names per RFC 2231.

``compose_email_reply`` decides what a reply by email will be — recipient, subject, threading
headers, the signature and the quoted history under the agent's text — both for the mail the
reply queues and for the composer's preview, so that the two never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext

from bihuan.accounts.models import User
from bihuan.channels.choices import InboundStatus, MailPurpose
from bihuan.channels.models import InboundEmail, MessageFile, OutboundEmail
from bihuan.customers.choices import IdentityKind
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets.choices import MessageKind
from bihuan.tickets.models import Message, Ticket

TIMEOUT_SECONDS = 30
# A ticket number tag in a subject ("[#1234]"), taken out before ours is put in front.
TICKET_TAG = re.compile(r"\s*\[#\d{1,18}\]\s*")
QUOTE_MAX_CHARS = 5_000  # of the quoted message: the customer has the rest in their own mail


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


# --- What a reply by email will be ----------------------------------------------------------


@dataclass(frozen=True)
class EmailReply:
    """A reply by email as it will go out, except the agent's own text."""

    to_address: str  # empty: the customer has no email address
    subject: str
    in_reply_to: str
    references: str
    signature: str  # "-- \nName", or empty for a reply without an author
    quoted: str  # "On … wrote:" and the customer's last message, or empty

    def text(self, body: str) -> str:
        """The plain-text part: the agent's text, the signature, the quoted history."""
        return "\n\n".join(part for part in (body, self.signature, self.quoted) if part)


def customer_email_address(ticket: Ticket) -> str:
    """The address mail about ``ticket`` goes to: its customer's primary email, else their
    first one; empty without one (a held stranger's address is never a customer identity)."""
    identities = CustomerIdentity.objects.filter(
        customer_id=ticket.customer_id, kind=IdentityKind.EMAIL
    ).order_by("-is_primary", "id")
    return identities.values_list("value", flat=True).first() or ""


def reply_subject(ticket: Ticket) -> str:
    subject = TICKET_TAG.sub(" ", ticket.subject).strip()
    return f"[#{ticket.pk}] {subject}"[:998]


def thread_message_ids(ticket: Ticket) -> list[str]:
    """Message-IDs of the ticket's conversation, oldest first (for References)."""
    inbound = InboundEmail.objects.filter(
        ticket=ticket, status=InboundStatus.ON_TICKET
    ).values_list("created_at", "message_id")
    outbound = OutboundEmail.objects.filter(ticket=ticket).values_list("created_at", "message_id")
    ordered = sorted([*inbound, *outbound])
    return [message_id for _at, message_id in ordered if message_id]


def compose_email_reply(
    ticket: Ticket, *, author: User | None, before_message_id: int | None = None
) -> EmailReply:
    """What a reply by email on ``ticket`` carries besides its text (four queries).

    The signature is the author's name; the quoted history is the customer's own last
    message on the ticket (before ``before_message_id``, the reply being sent; for a preview,
    the latest), under an "On …, … wrote:" line — only words the customer wrote themselves,
    never a note or another person's message. Written in the installation's language and time
    zone, so that the composer's preview shows exactly what the mail will say.
    """
    thread = thread_message_ids(ticket)
    name = (author.display_name or author.username) if author is not None else ""
    quoted_messages = Message.objects.filter(
        ticket_id=ticket.pk, kind=MessageKind.CUSTOMER, customer_id=ticket.customer_id
    )
    if before_message_id is not None:
        quoted_messages = quoted_messages.filter(pk__lt=before_message_id)
    last = quoted_messages.select_related("customer").order_by("-created_at", "-id").first()
    with translation.override(settings.LANGUAGE_CODE):
        quoted = _quote(last) if last is not None else ""
    return EmailReply(
        to_address=customer_email_address(ticket),
        subject=reply_subject(ticket),
        in_reply_to=thread[-1] if thread else "",
        references=" ".join(thread[-20:]),
        signature=f"-- \n{name}" if name else "",
        quoted=quoted,
    )


def _quote(message: Message) -> str:
    when = timezone.localtime(message.created_at, timezone.get_default_timezone())
    who = message.customer.name if message.customer is not None else ""
    body = message.body.strip()
    if len(body) > QUOTE_MAX_CHARS:
        body = body[:QUOTE_MAX_CHARS].rstrip() + " …"
    header = gettext("On %(date)s, %(name)s wrote:") % {
        "date": when.strftime("%Y-%m-%d %H:%M"),
        "name": who or gettext("the customer"),
    }
    lines = [f"> {line}".rstrip() for line in body.splitlines()]
    return "\n".join([header, *lines])
