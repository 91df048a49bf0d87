"""Channel use cases: ingest an inbound mail exactly once, quarantine what cannot be ingested.

``ingest_email`` is the one entry point for every way mail arrives (IMAP polling, the LMTP
receiver, ``bihuan mail ingest``, re-processing the quarantine). It never raises for a bad
message: a message is either stored (on a ticket, held for an agent, or recorded as automatic)
or its raw bytes are quarantined with the reason. It raises only when even the quarantine
cannot be written (the database is down), so the caller retries later and nothing is lost.

Order of writes: raw bytes and attachments go to storage first under content-addressed names
(a repeat overwrites nothing and leaves at most an orphan file), then one transaction writes
the ``InboundEmail`` row — whose unique ``dedupe_key`` claims the message — the ticket message,
the events and the mailbox's polling cursor.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, ngettext

from bihuan.accounts.models import User
from bihuan.channels.choices import (
    DeliveryStatus,
    HoldReason,
    InboundStatus,
    MailPurpose,
    ReleaseAction,
)
from bihuan.channels.email.html import has_remote_images, sanitize_html
from bihuan.channels.email.message_ids import make_message_id
from bihuan.channels.email.outbound import (
    TICKET_TAG,
    compose_email_reply,
    customer_email_address,
    outbound_sender,
    render_html,
    reply_subject,
)
from bihuan.channels.email.outbound import send as send_outbound
from bihuan.channels.email.parsing import ParsedEmail, is_daemon_address, parse_email
from bihuan.channels.email.threading import find_ticket, is_participant
from bihuan.channels.errors import RateLimited
from bihuan.channels.models import (
    EmailAttachment,
    InboundEmail,
    Mailbox,
    MessageFile,
    NotificationEmailPreference,
    OutboundEmail,
    QuarantinedEmail,
)
from bihuan.core import catalogue, due_work
from bihuan.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from bihuan.core.events import record_event
from bihuan.core.models import Event, Notification
from bihuan.customers.services import ContactDetails
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, MessageKind
from bihuan.tickets.models import Category, Message, Ticket
from bihuan.tickets.permissions import can_work_ticket

logger = logging.getLogger(__name__)

MAX_SUBJECT = 200
MAX_BODY = 100_000


@dataclass(frozen=True)
class MailCursor:
    """Where a polled message sits in its mailbox (advanced with the message's commit)."""

    mailbox: Mailbox
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class IngestResult:
    """What became of one message: the line ``bihuan mail ingest`` prints for it."""

    status: str  # an InboundStatus value, or "quarantined"
    ticket_number: int | None = None
    reason: str = ""
    inbound_id: int | None = None
    is_duplicate: bool = False

    @property
    def is_quarantined(self) -> bool:
        return self.status == "quarantined"

    def line(self) -> str:
        if self.is_quarantined:
            return f"quarantined: {self.reason}"
        prefix = str(self.ticket_number) if self.ticket_number is not None else ""
        if self.status == InboundStatus.ON_TICKET or self.status == InboundStatus.RELEASED:
            return prefix
        return f"{prefix} {self.status}: {self.reason}".strip()


def _max_message_bytes() -> int:
    return int(getattr(settings, "BIHUAN_MAIL_MAX_BYTES", 40 * 1024 * 1024))


def _max_attachment_bytes() -> int:
    return int(getattr(settings, "BIHUAN_MAIL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


def ingest_email(
    raw: bytes,
    *,
    mailbox: Mailbox | None = None,
    cursor: MailCursor | None = None,
) -> IngestResult:
    """Store one raw RFC 822 message exactly once, or quarantine it with the reason.

    The same message ingested again (the same Message-ID, or for mail without one the same
    content) returns the first result marked ``is_duplicate`` and changes nothing.
    """
    mailbox = cursor.mailbox if cursor is not None else mailbox
    if len(raw) > _max_message_bytes():
        return quarantine_email(
            raw,
            reason="too_large",
            detail=f"{len(raw)} bytes > {_max_message_bytes()}",
            mailbox=mailbox,
            cursor=cursor,
        )
    try:
        parsed = parse_email(raw)
    except Exception as exc:  # any parser failure: keep the bytes, not the crash
        logger.warning("quarantining an unparsable message", exc_info=True)
        return quarantine_email(
            raw,
            reason="parse_error",
            detail=f"{type(exc).__name__}: {exc}",
            mailbox=mailbox,
            cursor=cursor,
        )
    try:
        existing = _stored_result(parsed.dedupe_key)
        if existing is not None:
            _advance_cursor_now(cursor)
            return existing
        raw_name = _store_raw(raw)
        files = _store_attachments(parsed)
        return _store(parsed, raw, raw_name, files, mailbox=mailbox, cursor=cursor)
    except IntegrityError:
        # Another process stored the same message first (the unique dedupe key decided).
        existing = _stored_result(parsed.dedupe_key)
        if existing is None:
            raise
        _advance_cursor_now(cursor)
        return existing
    except DomainError as exc:
        return quarantine_email(
            raw, reason=exc.code, detail=str(exc), mailbox=mailbox, cursor=cursor
        )
    except Exception as exc:
        logger.exception("quarantining a message that could not be stored")
        return quarantine_email(
            raw,
            reason="store_error",
            detail=f"{type(exc).__name__}: {exc}",
            mailbox=mailbox,
            cursor=cursor,
        )


def _stored_result(dedupe_key: str) -> IngestResult | None:
    row = InboundEmail.objects.filter(dedupe_key=dedupe_key).first()
    if row is None:
        return None
    return IngestResult(
        status=row.status,
        ticket_number=row.ticket_id,
        reason=row.hold_reason,
        inbound_id=row.pk,
        is_duplicate=True,
    )


def _raw_name(raw: bytes) -> str:
    sha = hashlib.sha256(raw).hexdigest()
    return f"mail/raw/{sha[:2]}/{sha}.eml"


def _store_raw(raw: bytes) -> str:
    name = _raw_name(raw)
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(raw))
    return name


@dataclass(frozen=True)
class _StoredFile:
    name: str  # "" when not stored (too large)
    size: int


def _store_attachments(parsed: ParsedEmail) -> list[_StoredFile]:
    stored: list[_StoredFile] = []
    limit = _max_attachment_bytes()
    for attachment in parsed.attachments:
        size = len(attachment.data)
        if size > limit:
            stored.append(_StoredFile(name="", size=size))
            continue
        sha = hashlib.sha256(attachment.data).hexdigest()
        name = f"mail/attachments/{sha[:2]}/{sha}"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(attachment.data))
        stored.append(_StoredFile(name=name, size=size))
    return stored


def _store(
    parsed: ParsedEmail,
    raw: bytes,
    raw_name: str,
    files: list[_StoredFile],
    *,
    mailbox: Mailbox | None,
    cursor: MailCursor | None,
) -> IngestResult:
    now = timezone.now()
    with transaction.atomic():
        inbound = InboundEmail.objects.create(
            dedupe_key=parsed.dedupe_key,
            message_id=parsed.message_id[:1000],
            digest=parsed.digest,
            mailbox=mailbox,
            status=InboundStatus.HELD,
            from_address=parsed.sender.address[:254],
            from_name=parsed.sender.name[:200],
            is_sender_verified=parsed.sender.is_verified,
            sender_problem=parsed.sender.problem[:255],
            recipients=parsed.recipients[:50],
            subject=parsed.subject[:2000],
            sent_at=parsed.date,
            thread_ids=parsed.thread_ids[:50],
            body=parsed.new_text[:MAX_BODY],
            text=parsed.text,
            raw=raw_name,
            size=len(raw),
            auto_reason=parsed.auto_reason,
            created_at=now,
        )
        inline = _attach(inbound, parsed, files)
        if parsed.html:
            inbound.html = sanitize_html(parsed.html, inline_images=inline)
            inbound.has_remote_images = has_remote_images(inbound.html)
        _route(inbound, parsed, mailbox=mailbox)
        inbound.save(
            update_fields=[
                "status",
                "hold_reason",
                "ticket",
                "ticket_message",
                "html",
                "has_remote_images",
            ]
        )
        if cursor is not None:
            _advance_cursor(cursor)
        quarantined = QuarantinedEmail.objects.filter(
            digest=hashlib.sha256(raw).hexdigest(), inbound__isnull=True
        )
        quarantined.update(inbound=inbound, reprocessed_at=now)
    return IngestResult(
        status=inbound.status,
        ticket_number=inbound.ticket_id,
        reason=inbound.hold_reason,
        inbound_id=inbound.pk,
    )


def _attach(inbound: InboundEmail, parsed: ParsedEmail, files: list[_StoredFile]) -> dict[str, str]:
    """Create the attachment rows; returns Content-ID → download URL for inline images."""
    rows = EmailAttachment.objects.bulk_create(
        [
            EmailAttachment(
                inbound=inbound,
                filename=attachment.filename[:255],
                content_type=attachment.content_type[:255],
                size=stored.size,
                file=stored.name,
                content_id=attachment.content_id[:255],
                is_inline=attachment.is_inline,
                is_stored=bool(stored.name),
            )
            for attachment, stored in zip(parsed.attachments, files, strict=True)
        ]
    )
    return {
        row.content_id: reverse("channels:attachment", args=[row.pk])
        for row in rows
        if row.content_id and row.is_stored and row.pk is not None
    }


def _route(inbound: InboundEmail, parsed: ParsedEmail, *, mailbox: Mailbox | None) -> None:
    """Decide where the message lands; headers choose the ticket, never the speaker."""
    if parsed.bounce is not None:
        inbound.status = InboundStatus.BOUNCE
        inbound.hold_reason = HoldReason.BOUNCE
        inbound.ticket = _record_bounce(inbound, parsed)
        return
    ticket = find_ticket(parsed)
    if ticket is not None and ticket.is_closed:
        ticket = None  # a closed loop stays closed: the customer's new contact opens a ticket
    sender = parsed.sender
    if parsed.auto_reason or is_daemon_address(sender.address):
        inbound.status = InboundStatus.AUTOMATIC
        inbound.hold_reason = HoldReason.AUTO_REPLY if parsed.auto_reason else HoldReason.DAEMON
        inbound.ticket = ticket
        _record_held(inbound)
        return
    if not sender.is_verified:
        _hold(inbound, ticket, HoldReason.UNVERIFIED_SENDER)
        return
    if ticket is not None:
        if not is_participant(ticket, sender.address):
            _hold(inbound, ticket, HoldReason.UNKNOWN_SENDER)
            return
        inbound.ticket_message = ticket_services.add_customer_message(
            ticket, body=_body(parsed), channel=Channel.EMAIL
        )
        inbound.ticket = ticket
        inbound.status = InboundStatus.ON_TICKET
        return
    inbound.ticket = ticket_services.create_ticket(
        ticket_services.NewTicket(
            subject=_subject(parsed),
            body=_body(parsed),
            channel=Channel.EMAIL,
            contact=ContactDetails(name=sender.name, email=sender.address),
            team=mailbox.team if mailbox is not None else None,
        ),
        actor=None,
    )
    inbound.ticket_message = inbound.ticket.messages.order_by("id").first()
    inbound.status = InboundStatus.ON_TICKET


def _hold(inbound: InboundEmail, ticket: Ticket | None, reason: str) -> None:
    inbound.status = InboundStatus.HELD
    inbound.hold_reason = reason
    inbound.ticket = ticket
    _record_held(inbound)


def _record_held(inbound: InboundEmail) -> None:
    record_event(
        "email.held",
        inbound,
        ticket_id=inbound.ticket.pk if inbound.ticket is not None else None,
        data={
            "status": inbound.status,
            "reason": inbound.hold_reason,
            "from": inbound.from_address,
            "subject": inbound.subject[:200],
        },
    )


def _record_bounce(inbound: InboundEmail, parsed: ParsedEmail) -> Ticket | None:
    """A bounce of our own mail marks that delivery failed; anything else is only stored."""
    assert parsed.bounce is not None
    ids = list(parsed.bounce.original_message_ids)
    outbound = (
        OutboundEmail.objects.select_related("ticket").filter(message_id__in=ids).first()
        if ids
        else None
    )
    if outbound is None:
        _record_held(inbound)
        return None
    now = timezone.now()
    reason = parsed.bounce.diagnostic or gettext("The recipient's mail server refused the mail.")
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        status=DeliveryStatus.FAILED, last_error=reason[:2000], failed_at=now
    )
    record_event(
        "email.delivery_failed",
        outbound,
        ticket_id=outbound.ticket_id,
        customer_id=outbound.ticket.customer_id,
        at=now,
        data={"to": outbound.to_address, "reason": reason[:500], "bounce": inbound.pk},
    )
    return outbound.ticket


def _subject(parsed: ParsedEmail) -> str:
    subject = TICKET_TAG.sub(" ", parsed.subject).strip()
    return subject[:MAX_SUBJECT] or gettext("(no subject)")


def _body(parsed: ParsedEmail) -> str:
    body = parsed.new_text.strip()
    if not body and parsed.attachments:
        names = ", ".join(a.filename for a in parsed.attachments[:10])
        body = gettext("(no text; attachments: %(names)s)") % {"names": names}
    return body[:MAX_BODY] or gettext("(empty message)")


def _advance_cursor(cursor: MailCursor) -> None:
    Mailbox.objects.filter(
        pk=cursor.mailbox.pk, uidvalidity=cursor.uidvalidity, last_uid__lt=cursor.uid
    ).update(last_uid=cursor.uid)


def _advance_cursor_now(cursor: MailCursor | None) -> None:
    if cursor is not None:
        with transaction.atomic():
            _advance_cursor(cursor)


def quarantine_email(
    raw: bytes,
    *,
    reason: str,
    detail: str = "",
    mailbox: Mailbox | None = None,
    cursor: MailCursor | None = None,
) -> IngestResult:
    """Keep ``raw`` aside with the reason; once per distinct message, counting attempts."""
    sha = hashlib.sha256(raw).hexdigest()
    raw_name = _store_raw(raw)
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = QuarantinedEmail.objects.filter(digest=sha).first()
                if row is None:
                    row = QuarantinedEmail.objects.create(
                        digest=sha,
                        mailbox=mailbox,
                        reason=reason[:64],
                        detail=detail[:10_000],
                        raw=raw_name,
                        size=len(raw),
                        created_at=now,
                    )
                    record_event(
                        "email.quarantined",
                        row,
                        at=now,
                        data={"reason": row.reason, "size": row.size},
                    )
                else:
                    QuarantinedEmail.objects.filter(pk=row.pk).update(
                        attempts=F("attempts") + 1, reason=reason[:64], detail=detail[:10_000]
                    )
                if cursor is not None:
                    _advance_cursor(cursor)
            return IngestResult(status="quarantined", reason=reason, inbound_id=None)
        except IntegrityError:
            continue  # the same bytes were quarantined concurrently: count this attempt
    raise Conflict(gettext("Could not quarantine the message; try again."), code="busy")


def reprocess_quarantined_email(quarantined: QuarantinedEmail, *, actor: User) -> IngestResult:
    """Ingest a quarantined message again (after a fix); on success it leaves the list."""
    with quarantined.raw.open("rb") as handle:
        raw = handle.read()
    result = ingest_email(raw, mailbox=quarantined.mailbox)
    if not result.is_quarantined:
        with transaction.atomic():
            record_event(
                "email.reprocessed",
                quarantined,
                actor=actor,
                ticket_id=result.ticket_number,
                data={"inbound": result.inbound_id},
            )
    return result


# --- Outbound ---------------------------------------------------------------------------

DELIVERY_KIND = "channels.deliver_email"
MAX_DELIVERY_ATTEMPTS = 8


def delivery_key(outbound: OutboundEmail) -> str:
    return f"bihuan_channels.outboundemail:{outbound.pk}"


def queue_email_reply(message: Message) -> OutboundEmail | None:
    """Queue the mail that carries an agent's reply sent by email; once per message.

    Goes to the ticket customer's primary email address only: a held stranger is never sent
    anything. Without one, the delivery is recorded as failed with the reason. The files the
    reply's author attached for it (drafts uploaded before the reply was written) go with it.
    """
    if message.kind != MessageKind.REPLY or message.channel != Channel.EMAIL:
        return None
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        existing = OutboundEmail.objects.filter(ticket_message=message).first()
        if existing is not None:
            return existing
        now = timezone.now()
        files = _claim_draft_files(message)
        # The same composition the reply composer previews (``compose_email_reply``).
        reply = compose_email_reply(ticket, author=message.author, before_message_id=message.pk)
        address = reply.to_address
        outbound = OutboundEmail.objects.create(
            ticket=ticket,
            ticket_message=message,
            message_id=make_message_id(ticket.pk),
            to_address=address,
            subject=reply.subject,
            in_reply_to=reply.in_reply_to,
            references=reply.references,
            body_text=reply.text(message.body),
            created_at=now,
        )
        outbound.body_html = render_html(outbound.body_text)
        outbound.save(update_fields=["body_html"])
        if not address or not outbound_sender():
            reason = (
                gettext("The customer has no email address.")
                if not address
                else gettext("Outbound email is not configured (BIHUAN_MAIL_FROM).")
            )
            _mark_failed(outbound, reason, now=now)
            return outbound
        record_event(
            "email.queued",
            outbound,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data={"message": message.pk, "to": address, "files": files},
        )
        due_work.schedule(DELIVERY_KIND, key=delivery_key(outbound), due_at=now)
    return outbound


def _claim_draft_files(message: Message) -> int:
    """Give the author's draft files on the ticket to their email reply; returns how many.

    Only drafts uploaded before the reply was written: a file added while the reaction was
    on its way belongs to the next reply.
    """
    if message.author_id is None:
        return 0
    return MessageFile.objects.filter(
        ticket_id=message.ticket_id,
        uploaded_by_id=message.author_id,
        ticket_message__isnull=True,
        created_at__lte=message.created_at,
    ).update(ticket_message=message)


def deliver_outbound_email(outbound_id: int, *, attempt: int) -> None:
    """Send a queued mail (the engine's due work calls this, after the reply's commit).

    Raises on a failure the engine should retry (with its backoff); on the last attempt the
    delivery is marked failed with the reason instead. A mail sent already is not sent again.
    """
    outbound = OutboundEmail.objects.filter(pk=outbound_id).first()
    if outbound is None or outbound.status != DeliveryStatus.QUEUED:
        return
    OutboundEmail.objects.filter(pk=outbound.pk).update(attempts=F("attempts") + 1)
    try:
        send_outbound(outbound)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if attempt >= MAX_DELIVERY_ATTEMPTS:
            with transaction.atomic():
                _mark_failed(outbound, reason, now=timezone.now())
            return
        OutboundEmail.objects.filter(pk=outbound.pk).update(last_error=reason[:2000])
        raise
    now = timezone.now()
    with transaction.atomic():
        changed = OutboundEmail.objects.filter(pk=outbound.pk, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SENT, sent_at=now, last_error=""
        )
        if changed:
            record_event(
                "email.sent",
                outbound,
                ticket_id=outbound.ticket_id,
                at=now,
                data={"to": outbound.to_address, "message_id": outbound.message_id},
            )


def _mark_failed(outbound: OutboundEmail, reason: str, *, now: datetime) -> None:
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        status=DeliveryStatus.FAILED, last_error=reason[:2000], failed_at=now
    )
    record_event(
        "email.delivery_failed",
        outbound,
        ticket_id=outbound.ticket_id,
        at=now,
        data={"to": outbound.to_address, "reason": reason[:500]},
    )


# --- Web form ---------------------------------------------------------------------------

WEBFORM_WINDOW_SECONDS = 600


@dataclass(frozen=True)
class WebFormSubmission:
    """What a visitor sent through the public contact form (validated by the form)."""

    subject: str
    description: str
    name: str
    email: str = ""
    phone: str = ""
    category: Category | None = None
    files: Sequence[IncomingFile] = ()


def submit_web_form(submission: WebFormSubmission, *, client_address: str) -> Ticket:
    """Open a ticket from the public form and acknowledge it by email (after commit).

    At most ``BIHUAN_WEBFORM_PER_WINDOW`` submissions per address in ten minutes; beyond
    that nothing is created. The customer is matched by email or phone like on any channel.
    Attached files (``UPLOAD_MAX_FILES``, each at most ``UPLOAD_MAX_FILE_BYTES``) are checked
    before anything is written and go on the ticket's first message.
    """
    _check_files(submission.files)
    _check_rate(client_address)
    stored = [_store_upload(upload) for upload in submission.files]
    with transaction.atomic():
        ticket = ticket_services.create_ticket(
            ticket_services.NewTicket(
                subject=submission.subject,
                body=submission.description,
                channel=Channel.WEB,
                category=submission.category,
                contact=ContactDetails(
                    name=submission.name, email=submission.email, phone=submission.phone
                ),
                explicit_fields=("category",) if submission.category is not None else (),
            ),
            actor=None,
        )
        if stored:
            first = ticket.messages.order_by("id").first()
            _save_files(ticket, stored, message=first, uploaded_by=None)
        if submission.email:
            queue_acknowledgement(ticket)
    return ticket


def _check_rate(client_address: str) -> None:
    limit = int(getattr(settings, "BIHUAN_WEBFORM_PER_WINDOW", 5))
    key = "bihuan:webform:" + hashlib.sha256(client_address.encode()).hexdigest()[:32]
    cache.add(key, 0, timeout=WEBFORM_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WEBFORM_WINDOW_SECONDS)
        count = 1
    if count > limit:
        raise RateLimited(
            gettext_lazy("Too many messages from your address; please try again in a few minutes.")
        )


def portal_link(number: int | None = None) -> str:
    """The customer portal's lookup page, as an address a customer can open from a mail
    (``BIHUAN_PUBLIC_URL``, else the first trusted origin; the bare path without either),
    with the request's number filled in when given."""
    origins = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    site = str(getattr(settings, "BIHUAN_PUBLIC_URL", "") or (origins[0] if origins else ""))
    query = f"?number={number}" if number is not None else ""
    return site.rstrip("/") + reverse("portal:home") + query


def queue_acknowledgement(ticket: Ticket) -> OutboundEmail | None:
    """Tell the customer by email that we have their request and its number (once)."""
    address = customer_email_address(ticket)
    if not address or not outbound_sender():
        return None
    if OutboundEmail.objects.filter(ticket=ticket, purpose=MailPurpose.ACKNOWLEDGEMENT).exists():
        return None
    now = timezone.now()
    body = gettext(
        "Hello %(name)s,\n\nwe have received your request “%(subject)s”. Its number is "
        "#%(number)s; reply to this mail to add anything.\n\nFollow its progress in our "
        "customer portal with the number #%(number)s and this email address:\n%(portal)s"
        "\n\nYour customer service team"
    ) % {
        "name": ticket.customer.name,
        "subject": ticket.subject,
        "number": ticket.pk,
        "portal": portal_link(ticket.pk),
    }
    outbound = OutboundEmail.objects.create(
        ticket=ticket,
        message_id=make_message_id(ticket.pk),
        purpose=MailPurpose.ACKNOWLEDGEMENT,
        to_address=address,
        subject=reply_subject(ticket),
        body_text=body,
        body_html=render_html(body),
        created_at=now,
    )
    record_event(
        "email.queued",
        outbound,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={"to": address, "acknowledgement": True},
    )
    due_work.schedule(DELIVERY_KIND, key=delivery_key(outbound), due_at=now)
    return outbound


# --- Held mail --------------------------------------------------------------------------


def release_held_email(inbound: InboundEmail, *, action: str, actor: User) -> InboundEmail:
    """An agent decides about held mail: keep it on the ticket as an internal note (never as
    the customer's message), open a new ticket for its sender, or dismiss it."""
    if action not in ReleaseAction.values:
        raise ValidationFailed(gettext_lazy("Unknown action."), code="invalid_action")
    with transaction.atomic():
        locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
        if locked.status != InboundStatus.HELD:
            raise Conflict(
                gettext_lazy("This message has been dealt with already."), code="not_held"
            )
        now = timezone.now()
        if action == ReleaseAction.NOTE:
            if locked.ticket is None:
                raise Conflict(
                    gettext_lazy("This message is on no ticket; open a new ticket instead."),
                    code="no_ticket",
                )
            locked.ticket_message = ticket_services.add_internal_note(
                locked.ticket, body=_held_note(locked), actor=actor
            )
            locked.status = InboundStatus.RELEASED
        elif action == ReleaseAction.NEW_TICKET:
            if not locked.from_address:
                raise Conflict(gettext_lazy("The sender has no address."), code="no_sender")
            mailbox = locked.mailbox
            locked.ticket = ticket_services.create_ticket(
                ticket_services.NewTicket(
                    subject=TICKET_TAG.sub(" ", locked.subject).strip()[:MAX_SUBJECT]
                    or gettext("(no subject)"),
                    body=locked.body[:MAX_BODY] or gettext("(empty message)"),
                    channel=Channel.EMAIL,
                    contact=ContactDetails(name=locked.from_name, email=locked.from_address),
                    team=mailbox.team if mailbox is not None else None,
                ),
                actor=actor,
            )
            locked.ticket_message = locked.ticket.messages.order_by("id").first()
            locked.status = InboundStatus.RELEASED
        else:
            locked.status = InboundStatus.DISMISSED
        locked.released_at = now
        locked.released_by = actor
        locked.save(
            update_fields=["status", "ticket", "ticket_message", "released_at", "released_by"]
        )
        record_event(
            "email.released",
            locked,
            actor=actor,
            ticket_id=locked.ticket_id,
            at=now,
            data={"action": action, "from": locked.from_address},
        )
    return locked


def _held_note(inbound: InboundEmail) -> str:
    header = gettext("Email from %(sender)s, held (%(reason)s), kept by an agent:") % {
        "sender": f"{inbound.from_name} <{inbound.from_address}>".strip(),
        "reason": inbound.get_hold_reason_display(),
    }
    return f"{header}\n\n{inbound.body}"[:MAX_BODY]


# --- Mailbox passwords ----------------------------------------------------------------------


def rekey_mailbox_passwords() -> int:
    """Re-encrypt every stored mailbox password under the current secret key (after moving
    the old key to ``SECRET_KEY_FALLBACKS``); returns how many were re-encrypted.

    A password no key opens any more reads as "" and is left alone, never overwritten.
    """
    count = 0
    for mailbox in Mailbox.objects.exclude(imap_password="").order_by("pk"):
        if not mailbox.imap_password:
            continue  # undecryptable: keep the token, the admin re-enters the password
        with transaction.atomic():
            # The field encrypts on write, with the first (current) key.
            Mailbox.objects.filter(pk=mailbox.pk).update(imap_password=mailbox.imap_password)
            record_event(
                "email.mailbox_password_rekeyed", mailbox, data={"address": mailbox.address}
            )
        count += 1
    return count


# --- Notifications to colleagues by email ----------------------------------------------

# The notifications that are also mailed to users who opted in: mentions, SLA warnings and
# breaches, escalations and commitments coming due or missed.
NOTIFICATION_EMAIL_VERBS = (
    "ticket.message_added",
    "sla.warning",
    "sla.breached",
    "sla.escalated",
    "sla.commitment_due_soon",
    "sla.commitment_missed",
)


def set_notification_emails(user: User, *, is_enabled: bool) -> bool:
    """Turn the user's notification emails on or off (their own choice; off by default).

    Returns whether anything changed: choosing what is already so writes nothing.
    """
    if not user.is_active:
        raise PermissionDenied(gettext_lazy("This account is not active."), code="inactive")
    with transaction.atomic():
        now = timezone.now()
        preference = (
            NotificationEmailPreference.objects.select_for_update().filter(user=user).first()
        )
        if (preference is not None and preference.is_enabled) == is_enabled:
            return False
        if preference is None:
            preference = NotificationEmailPreference.objects.create(
                user=user, is_enabled=is_enabled, updated_at=now
            )
        else:
            preference.is_enabled = is_enabled
            preference.updated_at = now
            preference.save(update_fields=["is_enabled", "updated_at"])
        record_event(
            "email.notifications_changed",
            preference,
            actor=user,
            at=now,
            data={"enabled": is_enabled},
        )
    return True


def wants_notification_emails(user: User) -> bool:
    return NotificationEmailPreference.objects.filter(user=user, is_enabled=True).exists()


def email_notifications(events: Sequence[Event]) -> list[OutboundEmail]:
    """Queue one mail per in-app notification of ``events`` whose recipient opted in.

    The notifications were written with their events; this repeats them by email to
    users with an address, in each user's language, marked ``Auto-Submitted`` and never to
    a customer. ``OutboundEmail.notification`` is unique, so running twice mails once.
    """
    if not outbound_sender():
        return []
    by_id = {event.pk: event for event in events if event.ticket_id is not None}
    opted_in = NotificationEmailPreference.objects.filter(is_enabled=True).values("user_id")
    notifications = (
        Notification.objects.filter(event_id__in=list(by_id), recipient_id__in=opted_in)
        .filter(recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("id")
    )
    already = set(
        OutboundEmail.objects.filter(notification__in=notifications).values_list(
            "notification_id", flat=True
        )
    )
    tickets = Ticket.objects.in_bulk({e.ticket_id for e in by_id.values() if e.ticket_id})
    queued = []
    with transaction.atomic():
        for notification in notifications:
            if notification.pk in already:
                continue
            event = by_id[notification.event_id]
            ticket = tickets.get(event.ticket_id or 0)
            if ticket is None:
                continue
            queued.append(_queue_notification(notification, event, ticket))
    return queued


def _queue_notification(notification: Notification, event: Event, ticket: Ticket) -> OutboundEmail:
    user = notification.recipient
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject, body = _notification_text(event, ticket)
    now = timezone.now()
    outbound = OutboundEmail.objects.create(
        ticket=ticket,
        notification=notification,
        message_id=make_message_id(ticket.pk),
        purpose=MailPurpose.NOTIFICATION,
        to_address=user.email,
        subject=subject,
        body_text=body,
        body_html=render_html(body),
        created_at=now,
    )
    record_event(
        "email.queued",
        outbound,
        ticket_id=ticket.pk,
        at=now,
        data={"to": user.email, "notification": True, "verb": event.verb},
    )
    due_work.schedule(DELIVERY_KIND, key=delivery_key(outbound), due_at=now)
    return outbound


def _notification_text(event: Event, ticket: Ticket) -> tuple[str, str]:
    """Subject and body of a notification mail, in the active language."""
    actor = event.actor
    who = (actor.display_name or actor.username) if actor is not None else gettext("Bihuan")
    what = catalogue.notification_text(event)
    lines = [
        f"{who} {what}",
        gettext("Ticket #%(number)s “%(subject)s”")
        % {"number": ticket.pk, "subject": ticket.subject},
    ]
    lines += catalogue.details(event)
    if event.verb == "ticket.message_added" and isinstance(event.data.get("message"), int):
        note = Message.objects.filter(pk=event.data["message"]).values_list("body", flat=True)
        lines += ["", *note]
    link = catalogue.link(event)
    origins = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    if link and origins:
        lines += ["", origins[0].rstrip("/") + link]
    lines += [
        "",
        gettext("You get this mail because you turned on notification emails in Bihuan."),
    ]
    subject = f"[#{ticket.pk}] {what}: {TICKET_TAG.sub(' ', ticket.subject).strip()}"
    return subject[:998], "\n".join(lines)[:MAX_BODY]


# --- Files: web-form attachments and attachments of email replies --------------------------

UPLOAD_MAX_FILES = 5  # per web form, and drafts waiting for one email reply
UPLOAD_MAX_FILE_BYTES = 10 * 1024 * 1024
REPLY_MAX_TOTAL_BYTES = 15 * 1024 * 1024  # what most providers accept once base64-encoded
FILES_UPLOADED = "email.files_attached"


@dataclass(frozen=True)
class IncomingFile:
    """A file someone uploads; the services check it before anything is stored."""

    name: str
    content_type: str
    data: bytes


def clean_filename(name: str) -> str:
    """The file name without any path, control or direction characters, at most 255."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if len(base) > 255:
        stem, dot, extension = base.rpartition(".")
        keep = bool(dot) and len(extension) < 20  # keep a real extension, cut the stem
        base = stem[: 254 - len(extension)] + dot + extension if keep else base[:255]
    return base or "file"


def _check_files(
    files: Sequence[IncomingFile], *, waiting: int = 0, waiting_bytes: int = 0
) -> None:
    if len(files) + waiting > UPLOAD_MAX_FILES:
        raise ValidationFailed(
            ngettext(
                "At most %(count)d file can be attached.",
                "At most %(count)d files can be attached.",
                UPLOAD_MAX_FILES,
            ),
            code="too_many_files",
            count=UPLOAD_MAX_FILES,
        )
    for upload in files:
        if not upload.data:
            raise ValidationFailed(
                gettext_lazy("The file “%(name)s” is empty."),
                code="empty_file",
                name=clean_filename(upload.name),
            )
        if len(upload.data) > UPLOAD_MAX_FILE_BYTES:
            raise ValidationFailed(
                gettext_lazy("The file “%(name)s” is larger than %(limit)d MB."),
                code="file_too_large",
                name=clean_filename(upload.name),
                limit=UPLOAD_MAX_FILE_BYTES // (1024 * 1024),
            )


@dataclass(frozen=True)
class _StoredUpload:
    filename: str
    content_type: str
    size: int
    name: str


def _store_upload(upload: IncomingFile) -> _StoredUpload:
    """Write the bytes to storage under a content-addressed name (before the transaction:
    a rollback leaves at most an orphan file, never a row without its file)."""
    sha = hashlib.sha256(upload.data).hexdigest()
    name = f"mail/uploads/{sha[:2]}/{sha}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(upload.data))
    content_type = upload.content_type.strip()[:255] if "/" in upload.content_type else ""
    return _StoredUpload(
        filename=clean_filename(upload.name),
        content_type=content_type or "application/octet-stream",
        size=len(upload.data),
        name=name,
    )


def _save_files(
    ticket: Ticket,
    stored: list[_StoredUpload],
    *,
    message: Message | None,
    uploaded_by: User | None,
) -> list[MessageFile]:
    now = timezone.now()
    rows = MessageFile.objects.bulk_create(
        [
            MessageFile(
                ticket=ticket,
                ticket_message=message,
                uploaded_by=uploaded_by,
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                file=item.name,
                created_at=now,
            )
            for item in stored
        ]
    )
    record_event(
        FILES_UPLOADED,
        ticket,
        actor=uploaded_by,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={
            "files": [item.filename for item in stored],
            "draft": message is None,
            "message": message.pk if message is not None else None,
        },
    )
    return rows


def attach_reply_files(
    ticket: Ticket, *, files: Sequence[IncomingFile], actor: User
) -> list[MessageFile]:
    """Attach files to the agent's next email reply on ``ticket`` (drafts until it is sent).

    At most ``UPLOAD_MAX_FILES`` drafts per agent and ticket, each at most
    ``UPLOAD_MAX_FILE_BYTES``, together at most ``REPLY_MAX_TOTAL_BYTES``; roles that may
    not reply are refused. Nothing is stored when any file is refused.
    """
    if not can_work_ticket(actor):
        raise PermissionDenied(
            gettext_lazy("Your role may add internal notes to this ticket but not change it."),
            code="read_only_role",
        )
    if not files:
        raise ValidationFailed(gettext_lazy("Choose a file to attach."), code="no_file")
    drafts = MessageFile.objects.filter(
        ticket=ticket, uploaded_by=actor, ticket_message__isnull=True
    ).values_list("size", flat=True)
    waiting = list(drafts)
    _check_files(files, waiting=len(waiting))
    if sum(waiting) + sum(len(f.data) for f in files) > REPLY_MAX_TOTAL_BYTES:
        raise ValidationFailed(
            gettext_lazy("The files of one reply may be at most %(limit)d MB together."),
            code="files_too_large",
            limit=REPLY_MAX_TOTAL_BYTES // (1024 * 1024),
        )
    if ticket.is_closed:
        raise Conflict(gettext_lazy("The ticket is closed."), code="ticket_closed")
    stored = [_store_upload(upload) for upload in files]
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        return _save_files(locked, stored, message=None, uploaded_by=actor)


def remove_reply_file(draft: MessageFile, *, actor: User) -> None:
    """Take a draft off the agent's next email reply (only their own, only before sending)."""
    with transaction.atomic():
        locked = MessageFile.objects.select_for_update().filter(pk=draft.pk).first()
        if locked is None or locked.uploaded_by_id != actor.pk:
            raise NotFound(gettext_lazy("File not found."))
        if locked.ticket_message_id is not None:
            raise Conflict(
                gettext_lazy("This file has been sent already; it stays on its reply."),
                code="file_sent",
            )
        now = timezone.now()
        record_event(
            "email.file_removed",
            locked.ticket,
            actor=actor,
            ticket_id=locked.ticket_id,
            at=now,
            data={"file": locked.filename},
        )
        # The stored bytes stay: their content-addressed name may be shared by other rows.
        locked.delete()
