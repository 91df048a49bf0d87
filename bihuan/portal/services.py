"""Portal use cases: one-time codes, the sessions they open, and what a customer does there.

A customer is no staff user: every service here takes a ``PortalViewer`` (what a verified code
opened) and acts through the ticket services as the customer (``actor=None``, like a channel).

Codes: a row is written for every request, matched or not, and the same answer given, so the
portal never tells whether a ticket number, phone or email exists. The rows are what the rate
limits count (per client address and per contact typed, in the database: they hold across
processes and restarts). A code is six digits, kept only as a keyed hash, valid for
``CODE_MINUTES``, good for ``MAX_ATTEMPTS`` guesses and used at most once. It goes by email
(after commit) to the address on the customer's record, or by SMS to the customer's phone
when they have no email and an SMS provider is on (``bihuan.channels.phone``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from bihuan.channels import services as channel_services
from bihuan.channels.email.outbound import outbound_sender
from bihuan.channels.errors import RateLimited
from bihuan.channels.phone import services as sms
from bihuan.channels.services import clean_filename
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import Conflict, DomainError, ValidationFailed
from bihuan.core.events import record_event
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import looks_like_email, normalize_email, normalize_phone
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.feedback import services as feedback_services
from bihuan.feedback.choices import ResponseSource
from bihuan.feedback.models import SurveyResponse
from bihuan.portal.choices import CodePurpose
from bihuan.portal.models import PortalCode, PortalFile, PortalSession
from bihuan.portal.queries import get_ticket, is_confirmed
from bihuan.portal.viewer import PortalViewer
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, TicketStatus
from bihuan.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
SESSION_HOURS = 2
WINDOW = timedelta(hours=1)
TOKEN_PREFIX = "bhp_"  # noqa: S105 - the prefix of portal tokens, not a secret
MAX_TICKET_NUMBER = 2**62


class InvalidCode(DomainError):
    """The code is wrong, expired, used, or was never sent: one answer for all of them."""

    status = 422
    code = "invalid_code"


INVALID_CODE = gettext_lazy(
    "This code is not valid. Codes expire after %(minutes)s minutes and work once; ask for a "
    "new one."
)


CODE_SENT = gettext_lazy(
    "If the details match, we have sent a one-time code to the email address on record."
)
NEEDS_NUMBER_OR_EMAIL = gettext_lazy(
    "Give a request number and the phone or email on it, or an email address to sign in with."
)


@dataclass(frozen=True)
class CodeRequest:
    """What the portal answers to every request for a code, matched or not."""

    challenge: str
    contact_is_phone: bool
    expires_at_minutes: int = CODE_MINUTES


@dataclass(frozen=True)
class OpenedSession:
    """A verified code's session and the token (given out once, never stored)."""

    token: str
    session: PortalSession
    viewer: PortalViewer


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _check_rates(*, contact_digest: str, client_digest: str) -> None:
    since = timezone.now() - WINDOW
    recent = PortalCode.objects.filter(created_at__gte=since)
    if recent.filter(client_digest=client_digest).count() >= _limit(
        "BIHUAN_PORTAL_CODES_PER_ADDRESS", 10
    ) or recent.filter(contact_digest=contact_digest).count() >= _limit(
        "BIHUAN_PORTAL_CODES_PER_CONTACT", 5
    ):
        raise RateLimited(
            gettext_lazy("Too many codes were asked for; please try again in an hour.")
        )


def _contact(raw: str) -> tuple[str, str]:
    """The (kind, normalised value) of a phone or email typed by a visitor."""
    text = neutralise_bidi(raw).strip()
    if not text:
        raise ValidationFailed(
            gettext_lazy("Enter the phone number or email address on your request."),
            code="empty",
        )
    if looks_like_email(text):
        return IdentityKind.EMAIL, normalize_email(text)
    return IdentityKind.PHONE, normalize_phone(text)


def _customer_email(customer_id: int) -> str:
    rows = CustomerIdentity.objects.filter(customer_id=customer_id, kind=IdentityKind.EMAIL)
    return rows.order_by("-is_primary", "id").values_list("value", flat=True).first() or ""


def codes_go_by_sms() -> bool:
    """Whether a customer with only a phone can get a code (an SMS provider is on)."""
    return sms.active_provider() is not None


def _new_code(
    *,
    purpose: str,
    customer: Customer | None,
    ticket: Ticket | None,
    contact_digest: str,
    client_digest: str,
) -> tuple[PortalCode, str]:
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    address = _customer_email(customer.pk) if customer is not None else ""
    phone = sms.code_phone(customer.pk) if customer is not None and not address else ""
    row = PortalCode.objects.create(
        challenge=secrets.token_urlsafe(24),
        purpose=purpose,
        ticket=ticket,
        customer=customer,
        sent_to=address or phone,
        code_hash=_digest(f"code:{code}"),
        contact_digest=contact_digest,
        client_digest=client_digest,
        created_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    record_event(
        "portal.code_requested",
        row,
        customer_id=customer.pk if customer is not None else None,
        at=now,
        data={"purpose": purpose, "sent": bool(address or phone)},
    )
    if address:
        transaction.on_commit(lambda: _send_code(address, code, purpose=purpose, ticket=ticket))
    elif phone:
        transaction.on_commit(lambda: sms.send_code_sms(phone, code=code, minutes=CODE_MINUTES))
    return row, code


def _send_code(address: str, code: str, *, purpose: str, ticket: Ticket | None) -> None:
    """Mail the code (after commit). A failure is logged: the customer asks for another."""
    if purpose == CodePurpose.LOOKUP and ticket is not None:
        subject = gettext("Your code to follow request #%(number)s") % {"number": ticket.pk}
    else:
        subject = gettext("Your code to sign in to the customer portal")
    body = gettext(
        "Your code is %(code)s. It is valid for %(minutes)s minutes and works once.\n\n"
        "If you did not ask for it, ignore this mail: nobody can see your requests without it."
    ) % {"code": code, "minutes": CODE_MINUTES}
    sender = outbound_sender() or settings.DEFAULT_FROM_EMAIL
    try:
        send_mail(subject, body, sender, [address], fail_silently=False)
    except Exception:
        logger.exception("the portal code could not be mailed")


def request_lookup_code(*, number: str, contact: str, client_address: str) -> CodeRequest:
    """Ask for a code to follow one ticket: its number and the phone or email on it.

    The same answer whether or not the ticket exists and the contact matches; a code is sent
    (by email, to the customer's address) only when both match.
    """
    kind, value = _contact(contact)
    digits = number.strip().lstrip("#")
    if not digits.isascii() or not digits.isdigit() or int(digits) > MAX_TICKET_NUMBER:
        raise ValidationFailed(
            gettext_lazy("Enter the request number, for example 10234."), code="invalid_number"
        )
    contact_digest = _digest(f"{kind}:{value}")
    client_digest = _digest(f"client:{client_address}")
    with transaction.atomic():
        _check_rates(contact_digest=contact_digest, client_digest=client_digest)
        ticket = (
            Ticket.objects.filter(
                pk=int(digits),
                customer__identities__kind=kind,
                customer__identities__value=value,
            )
            .select_related("customer")
            .first()
        )
        row, _code = _new_code(
            purpose=CodePurpose.LOOKUP,
            customer=ticket.customer if ticket is not None else None,
            ticket=ticket,
            contact_digest=contact_digest,
            client_digest=client_digest,
        )
    return CodeRequest(challenge=row.challenge, contact_is_phone=kind == IdentityKind.PHONE)


def request_sign_in_code(*, email: str, client_address: str) -> CodeRequest:
    """Ask for a code to sign in by email (passwordless): sent only when a customer has that
    address; the same answer either way."""
    value = normalize_email(neutralise_bidi(email))
    contact_digest = _digest(f"{IdentityKind.EMAIL}:{value}")
    client_digest = _digest(f"client:{client_address}")
    with transaction.atomic():
        _check_rates(contact_digest=contact_digest, client_digest=client_digest)
        identity = (
            CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL, value=value)
            .select_related("customer")
            .first()
        )
        row, _code = _new_code(
            purpose=CodePurpose.SIGN_IN,
            customer=identity.customer if identity is not None else None,
            ticket=None,
            contact_digest=contact_digest,
            client_digest=client_digest,
        )
    return CodeRequest(challenge=row.challenge, contact_is_phone=False)


def verify_code(*, challenge: str, code: str) -> OpenedSession:
    """Trade a code for a session: right, unexpired, unused, within its attempts, and sent.

    A wrong guess counts against the code (committed even though the call fails); every
    failure answers the same ``invalid_code``.
    """
    guess = "".join(code.split())
    refused = InvalidCode(INVALID_CODE, minutes=CODE_MINUTES)
    if not challenge or len(challenge) > 64:
        raise refused
    wrong = False
    with transaction.atomic():
        row = PortalCode.objects.select_for_update().filter(challenge=challenge).first()
        now = timezone.now()
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now
            or row.attempts >= MAX_ATTEMPTS
        ):
            raise refused
        matches = hmac.compare_digest(row.code_hash, _digest(f"code:{guess}"))
        if not matches or row.customer_id is None or not row.sent_to:
            PortalCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            wrong = True
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            session = PortalSession.objects.create(
                token_hash=_digest(f"token:{token}"),
                customer_id=row.customer_id,
                ticket_id=row.ticket_id,
                code=row,
                created_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            )
            record_event(
                "portal.session_started",
                session,
                customer_id=row.customer_id,
                at=now,
                data={"purpose": row.purpose, "ticket": row.ticket_id},
            )
    if wrong:
        raise refused
    viewer = PortalViewer(session.pk, session.customer_id, session.ticket_id)
    return OpenedSession(token=token, session=session, viewer=viewer)


def viewer_for_token(token: str) -> PortalViewer | None:
    """The viewer of a live session token (None: unknown, expired or ended)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    session = (
        PortalSession.objects.filter(
            token_hash=_digest(f"token:{token}"),
            ended_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .only("pk", "customer_id", "ticket_id")
        .first()
    )
    if session is None:
        return None
    return PortalViewer(session.pk, session.customer_id, session.ticket_id)


def end_session(viewer: PortalViewer) -> None:
    """Sign out: the session's token stops working at once."""
    with transaction.atomic():
        session = PortalSession.objects.select_for_update().filter(pk=viewer.session_id).first()
        if session is None or session.ended_at is not None:
            return
        now = timezone.now()
        session.ended_at = now
        session.save(update_fields=["ended_at"])
        record_event("portal.session_ended", session, customer_id=viewer.customer_id, at=now)


# --- What a customer does on a ticket ------------------------------------------------------


def max_file_bytes() -> int:
    """The web channel's limit per file (the same for the contact form and the portal)."""
    return int(channel_services.UPLOAD_MAX_FILE_BYTES)


def _check_files(files: list[UploadedFile]) -> None:
    """The web channel's limits: at most ``UPLOAD_MAX_FILES`` files, none empty or larger
    than ``UPLOAD_MAX_FILE_BYTES`` (refused by size before any is read)."""
    if len(files) > channel_services.UPLOAD_MAX_FILES:
        raise ValidationFailed(
            gettext_lazy("Add at most %(count)s files at a time."),
            code="too_many_files",
            count=channel_services.UPLOAD_MAX_FILES,
        )
    limit = max_file_bytes()
    for upload in files:
        name = clean_filename(upload.name or "")
        if (upload.size or 0) > limit:
            raise ValidationFailed(
                gettext_lazy("The file “%(name)s” is larger than %(limit)d MB."),
                code="file_too_large",
                name=name,
                limit=limit // (1024 * 1024),
            )
        if not upload.size:
            raise ValidationFailed(
                gettext_lazy("The file “%(name)s” is empty."), code="empty_file", name=name
            )


def reply_as_customer(
    viewer: PortalViewer, *, number: int, body: str, files: list[UploadedFile] | None = None
) -> Message:
    """The customer writes on their ticket, with files: a customer message through the ticket
    service (a solved ticket reopens, a waiting one resumes); a closed one refuses."""
    files = files or []
    _check_files(files)
    if not body.strip() and files:
        body = gettext("(files attached)")
    with transaction.atomic():
        ticket = get_ticket(viewer, number)
        message = ticket_services.add_customer_message(ticket, body=body, channel=Channel.WEB)
        _store_files(ticket, message, files)
    return message


def _store_files(ticket: Ticket, message: Message, files: list[UploadedFile]) -> None:
    if not files:
        return
    now = timezone.now()
    stored = []
    for upload in files:
        name = clean_filename(upload.name or "")
        row = PortalFile(
            ticket=ticket,
            message=message,
            name=name,
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size=upload.size or 0,
            created_at=now,
        )
        row.file.save(name, upload, save=False)
        row.save()
        stored.append(row)
    record_event(
        "portal.files_added",
        message,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={"message": message.pk, "files": [{"id": f.pk, "name": f.name} for f in stored]},
    )


def confirm_solved(viewer: PortalViewer, *, number: int) -> Ticket:
    """The customer confirms that a solved ticket is solved (the loop's confirmation step).

    Only a solved ticket can be confirmed, once; the status stays ``solved`` (closing is the
    team's step, after the follow-up), the confirmation is the recorded event.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=get_ticket(viewer, number).pk)
        if ticket.status != TicketStatus.SOLVED:
            raise Conflict(
                gettext_lazy("Only a request we marked as solved can be confirmed."),
                code="not_solved",
            )
        if is_confirmed(ticket):
            raise Conflict(gettext_lazy("You have confirmed this already."), code="confirmed")
        record_event(
            "portal.solution_confirmed",
            ticket,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            data={"solved_at": ticket.solved_at.isoformat() if ticket.solved_at else None},
        )
    return ticket


def report_not_solved(viewer: PortalViewer, *, number: int, body: str) -> Message:
    """The customer says a solved ticket is not solved, and why: their message reopens it."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=get_ticket(viewer, number).pk)
        if ticket.status != TicketStatus.SOLVED:
            raise Conflict(
                gettext_lazy("Only a request we marked as solved can be reopened here."),
                code="not_solved",
            )
        message = ticket_services.add_customer_message(ticket, body=body, channel=Channel.WEB)
        record_event(
            "portal.solution_rejected",
            ticket,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            data={"message": message.pk},
        )
    return message


def rate_help(
    viewer: PortalViewer, *, number: int, score: int, comment: str = ""
) -> SurveyResponse:
    """The customer rates the help on a solved or closed request (1–5): kept as the ticket's
    CSAT answer by the feedback app, the same one its mailed survey asks for (changeable
    within its edit window, refused after)."""
    ticket = get_ticket(viewer, number)
    return feedback_services.record_csat(
        ticket, score=score, comment=comment, source=ResponseSource.PORTAL
    )


KEEP_CODES = timedelta(days=7)


def prune_portal_codes(*, older_than: timedelta = KEEP_CODES) -> int:
    """Delete codes (and the sessions they opened, long expired) asked for before the cut-off:
    the rate limits look back one hour, a session lives two. Returns the codes deleted."""
    cut = timezone.now() - max(older_than, WINDOW, timedelta(hours=SESSION_HOURS))
    with transaction.atomic():
        ids = list(PortalCode.objects.filter(created_at__lt=cut).values_list("pk", flat=True))
        PortalSession.objects.filter(code_id__in=ids).delete()
        return PortalCode.objects.filter(pk__in=ids).delete()[1].get("portal.PortalCode", 0)
