"""Phone and SMS use cases: the only code that writes this app's rows.

Calls: ``receive_call_event`` takes one signed call-centre event (idempotent per call id and
event), ``log_call`` records a call an agent made or took by hand. Each call is a
``CallRecord`` on a ticket — the caller's open phone ticket, or a new one — and an event
(``phone.call_*``) on its timeline. A missed incoming call gets a call-back (the tickets
app's ``CallBack``, reminded and escalated by its due work), due after
``CtiSettings.call_back_minutes`` business minutes of the default calendar.

SMS: ``queue_sms_reply`` (an agent's reply by SMS) and ``queue_test_sms`` store an
``OutboundSms`` and schedule its delivery as due work (``phone.deliver_sms``, retried);
``receive_inbound_sms`` turns a customer's SMS into a message on their open SMS ticket or a
new one, once per provider message id; ``record_sms_receipt`` records a delivery receipt.

Webhooks: ``check_webhook`` verifies the signature and the timestamp and refuses a request
seen before (``WebhookNonce``), in the transaction of the change it allows.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.channels.phone import providers, signing
from bihuan.channels.phone.choices import (
    CallDirection,
    CallEventKind,
    SmsProviderKind,
    SmsPurpose,
    SmsStatus,
)
from bihuan.channels.phone.models import (
    CallEventReceipt,
    CallRecord,
    CtiSettings,
    InboundSms,
    OutboundSms,
    SmsProvider,
    WebhookNonce,
)
from bihuan.core import due_work
from bihuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.events import record_event
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import masked_value, normalize_phone
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.services import ContactDetails, resolve_customer
from bihuan.sla.calendars import add_minutes, get_calendar
from bihuan.tickets import closing
from bihuan.tickets.choices import OPEN_STATUSES, Channel, TicketStatus
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.permissions import can_work_ticket
from bihuan.tickets.services import NewTicket, add_customer_message, create_ticket

logger = logging.getLogger(__name__)

DELIVERY_KIND = "phone.deliver_sms"
MAX_DELIVERY_ATTEMPTS = 6
NONCE_KEEP = timedelta(seconds=signing.MAX_SKEW_SECONDS * 2)
SEGMENT = 70  # characters in one SMS of Chinese text (UCS-2)
LONG_SEGMENT = 67  # per part of a longer one (the rest is the concatenation header)
MAX_SMS_CHARS = 1000


class WebhookRefused(Exception):
    """A forged, stale or replayed webhook; ``status`` is the HTTP answer."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.status = status


def _masked(phone: str) -> str:
    """A number as lists and timelines show it (139****0001)."""
    return masked_value(IdentityKind.PHONE, phone) if phone else ""


def sms_segments(text: str) -> int:
    """How many SMS ``text`` is billed as: one up to 70 characters, else 67 per part."""
    length = len(text)
    return 1 if length <= SEGMENT else math.ceil(length / LONG_SEGMENT)


# --- Webhook checks -------------------------------------------------------------------


def cti_settings() -> CtiSettings:
    found = CtiSettings.objects.order_by("pk").first()
    return found if found is not None else CtiSettings(pk=1)


def check_webhook(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes
) -> None:
    """Refuse a forged, stale or replayed request (``WebhookRefused``); remember an accepted
    one. Call inside the transaction of the change it allows, so a refused change leaves
    no trace and a rolled-back one may be sent again."""
    now = timezone.now()
    try:
        signing.verify_webhook(secret, timestamp=timestamp, signature=signature, body=body, now=now)
    except signing.SignatureError as exc:
        raise WebhookRefused(str(exc)) from exc
    digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
    WebhookNonce.objects.filter(received_at__lt=now - NONCE_KEEP).delete()
    try:
        with transaction.atomic():
            WebhookNonce.objects.create(digest=digest, received_at=now)
    except IntegrityError as exc:
        raise WebhookRefused("replayed request", status=409) from exc


def save_cti_settings(
    *, webhook_secret: str | None, call_back_minutes: int, actor: User
) -> CtiSettings:
    """Store the call-centre settings (admins only); ``webhook_secret`` None keeps it."""
    _require_admin(actor)
    if not 1 <= call_back_minutes <= 7 * 24 * 60:
        raise ValidationFailed(
            _("The call-back time is between 1 minute and 7 days."), code="invalid_minutes"
        )
    with transaction.atomic():
        settings_row = CtiSettings.objects.select_for_update().order_by("pk").first()
        if settings_row is None:
            settings_row = CtiSettings()
        if webhook_secret is not None:
            settings_row.webhook_secret = webhook_secret.strip()
        settings_row.call_back_minutes = call_back_minutes
        settings_row.updated_at = timezone.now()
        settings_row.save()
        record_event(
            "phone.cti_settings_changed",
            settings_row,
            actor=actor,
            data={"secret_changed": webhook_secret is not None},
        )
    return settings_row


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an admin may change channel settings."))


# --- Calls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallEvent:
    """One event of the call-centre's webhook (validated by ``parse_call_event``)."""

    call_id: str
    event: str
    occurred_at: datetime
    direction: str
    caller: str
    callee: str
    agent: str = ""
    recording_url: str = ""


@dataclass(frozen=True)
class CallOutcome:
    record: CallRecord
    duplicate: bool


def _text(data: dict[str, Any], name: str, *, limit: int, required: bool = True) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field=name
        )
    return value.strip()


def parse_call_event(data: Any) -> CallEvent:
    """The call event in ``data`` (the webhook's JSON), or ValidationFailed naming the field."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("The body must be a JSON object."), code="invalid_body")
    event = _text(data, "event", limit=16)
    if event not in CallEventKind.values:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="event"
        )
    direction = _text(data, "direction", limit=16)
    if direction not in CallDirection.values:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="direction"
        )
    raw_time = _text(data, "occurred_at", limit=40)
    try:
        occurred_at = datetime.fromisoformat(raw_time)
    except ValueError as exc:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="occurred_at"
        ) from exc
    if occurred_at.tzinfo is None:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="occurred_at"
        )
    recording = _text(data, "recording_url", limit=1000, required=False)
    if recording and not recording.startswith(("https://", "http://")):
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="recording_url"
        )
    caller = _text(data, "caller", limit=40)
    callee = _text(data, "callee", limit=40)
    # The customer's side must be a phone number; it is kept in E.164.
    if direction == CallDirection.INBOUND:
        caller = normalize_phone(caller)
    else:
        callee = normalize_phone(callee)
    return CallEvent(
        call_id=_text(data, "call_id", limit=128),
        event=event,
        occurred_at=occurred_at,
        direction=direction,
        caller=caller,
        callee=callee,
        agent=_text(data, "agent", limit=150, required=False),
        recording_url=recording,
    )


def _find_agent(reference: str) -> User | None:
    """The staff user the call-centre names (username, or email), if any."""
    if not reference:
        return None
    users = User.objects.filter(is_active=True)
    if "@" in reference:
        return users.filter(email__iexact=reference).first()
    return users.filter(username=reference).first()


def _open_ticket(customer: Customer, channel: str) -> Ticket | None:
    return (
        Ticket.objects.filter(customer=customer, channel=channel, status__in=OPEN_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def _ticket_for_call(customer: Customer, *, phone: str, direction: str) -> Ticket:
    ticket = _open_ticket(customer, Channel.PHONE)
    if ticket is not None:
        return ticket
    masked = _masked(phone)
    if direction == CallDirection.INBOUND:
        subject = gettext("Phone call from %(phone)s") % {"phone": masked}
        body = gettext("Incoming call from %(phone)s.") % {"phone": masked}
    else:
        subject = gettext("Phone call to %(phone)s") % {"phone": masked}
        body = gettext("Outgoing call to %(phone)s.") % {"phone": masked}
    return create_ticket(
        NewTicket(subject=subject, body=body, channel=Channel.PHONE, customer=customer),
        actor=None,
    )


def _call_data(record: CallRecord, **extra: Any) -> dict[str, Any]:
    agent = record.agent.display_name if record.agent is not None else record.agent_ref
    return {
        "call": record.pk,
        "direction": record.direction,
        "duration": record.duration_seconds,
        "agent": agent,
        "recording_url": record.recording_url,
        "manual": record.is_manual,
        **extra,
    }


def receive_call_event(event: CallEvent) -> CallOutcome:
    """Apply one call-centre event; the same (call id, event) a second time changes nothing.

    The first event of a call finds the customer by the number (the caller of an incoming
    call, the callee of an outgoing one; created when unknown) and the ticket (their open
    phone ticket, or a new one). ``ended`` without ``answered`` is a missed call: an
    incoming one gets a call-back due in business time."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                CallEventReceipt.objects.create(
                    call_id=event.call_id, event=event.event, received_at=timezone.now()
                )
        except IntegrityError:
            record = CallRecord.objects.filter(call_id=event.call_id).first()
            if record is None:  # pragma: no cover - the receipt commits with the record
                raise
            return CallOutcome(record, duplicate=True)
        record = CallRecord.objects.select_for_update().filter(call_id=event.call_id).first()
        if record is None:
            record = _new_call(event)
        fields: list[str] = []
        if record.direction != event.direction:
            raise ValidationFailed(
                _("“%(field)s” is missing or not valid."), code="invalid_field", field="direction"
            )
        agent = _find_agent(event.agent)
        if event.agent and not record.agent_ref:
            record.agent_ref = event.agent
            record.agent = agent
            fields += ["agent_ref", "agent"]
        if event.event == CallEventKind.STARTED:
            record.started_at = min(record.started_at, event.occurred_at)
            fields.append("started_at")
        elif event.event == CallEventKind.ANSWERED:
            record.answered_at = event.occurred_at
            fields.append("answered_at")
        else:
            record.ended_at = event.occurred_at
            start = record.answered_at
            record.duration_seconds = (
                max(0, int((event.occurred_at - start).total_seconds())) if start else 0
            )
            if event.recording_url:
                record.recording_url = event.recording_url
            fields += ["ended_at", "duration_seconds", "recording_url"]
        record.save(update_fields=fields)
        verb = f"phone.call_{event.event}"
        if event.event == CallEventKind.ENDED and record.answered_at is None:
            verb = "phone.call_missed"
        record_event(
            verb,
            record,
            ticket_id=record.ticket_id,
            customer_id=record.customer_id,
            at=event.occurred_at,
            data=_call_data(record, event=event.event),
        )
        if verb == "phone.call_missed" and record.direction == CallDirection.INBOUND:
            _schedule_missed_call_back(record, missed_at=event.occurred_at)
    return CallOutcome(record, duplicate=False)


def _new_call(event: CallEvent) -> CallRecord:
    phone = event.caller if event.direction == CallDirection.INBOUND else event.callee
    customer, _created = resolve_customer(ContactDetails(phone=phone), actor=None)
    ticket = _ticket_for_call(customer, phone=phone, direction=event.direction)
    return CallRecord.objects.create(
        call_id=event.call_id,
        ticket=ticket,
        customer=customer,
        direction=event.direction,
        caller=event.caller,
        callee=event.callee,
        started_at=event.occurred_at,
        created_at=timezone.now(),
    )


def call_back_due(missed_at: datetime) -> datetime:
    """When a call-back of a call missed at ``missed_at`` is due: the configured business
    minutes of the default calendar (wall-clock minutes when there is no calendar)."""
    minutes = cti_settings().call_back_minutes
    try:
        calendar = get_calendar()
    except NotFound:
        return missed_at + timedelta(minutes=minutes)
    return add_minutes(calendar, missed_at, minutes)


def _schedule_missed_call_back(record: CallRecord, *, missed_at: datetime) -> None:
    ticket = Ticket.objects.select_for_update().get(pk=record.ticket_id)
    if closing.open_call_back(ticket) is not None:
        return  # one open call-back per ticket: a second missed call adds no other
    call_back = closing._create(
        ticket, due_at=call_back_due(missed_at), attempt=1, now=timezone.now(), actor=None
    )
    record_event(
        "phone.call_back_requested",
        record,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        data=_call_data(record, call_back=call_back.pk, due_at=call_back.due_at.isoformat()),
    )


@dataclass(frozen=True)
class ManualCall:
    """A call an agent logs by hand."""

    direction: str
    phone: str
    started_at: datetime
    duration_minutes: int
    answered: bool
    note: str = ""


def log_call(
    call: ManualCall, *, actor: User, ticket: Ticket | None = None, customer: Customer | None = None
) -> CallRecord:
    """Record a call an agent made or took, on ``ticket`` or on ``customer``'s open phone
    ticket (a new one when they have none). An answered outgoing call settles the ticket's
    open call-back (its reason ``called_back``)."""
    if not can_work_ticket(actor):
        raise PermissionDenied(_("Your role may not log calls."), code="read_only_role")
    if call.direction not in CallDirection.values:
        raise ValidationFailed(_("Choose incoming or outgoing."), code="invalid_direction")
    if not 0 <= call.duration_minutes <= 24 * 60:
        raise ValidationFailed(_("The duration is 0 to 1440 minutes."), code="invalid_duration")
    now = timezone.now()
    if call.started_at > now + timedelta(minutes=5):
        raise ValidationFailed(_("A logged call cannot start in the future."), code="future")
    note = call.note.strip()
    if len(note) > 2000:
        raise ValidationFailed(_("The note is at most 2000 characters."), code="too_long")
    phone = normalize_phone(call.phone) if call.phone.strip() else ""
    with transaction.atomic():
        if ticket is None:
            if customer is None:
                raise NotFound(_("Customer not found."))
            if not phone:
                phone = _customer_phone(customer.pk)
            if not phone:
                raise ValidationFailed(
                    _("Enter the phone number of the call."), code="phone_required"
                )
            ticket = _ticket_for_call(customer, phone=phone, direction=call.direction)
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == TicketStatus.CLOSED:
            raise Conflict(_("A closed ticket cannot change any more."), code="ticket_closed")
        if not phone:
            phone = _customer_phone(locked.customer_id)
        ours = gettext("agent")
        record = CallRecord.objects.create(
            ticket=locked,
            customer_id=locked.customer_id,
            direction=call.direction,
            caller=phone if call.direction == CallDirection.INBOUND else ours,
            callee=ours if call.direction == CallDirection.INBOUND else phone,
            agent=actor,
            agent_ref=actor.username,
            started_at=call.started_at,
            answered_at=call.started_at if call.answered else None,
            ended_at=call.started_at + timedelta(minutes=call.duration_minutes),
            duration_seconds=call.duration_minutes * 60 if call.answered else 0,
            note=note,
            is_manual=True,
            logged_by=actor,
            created_at=now,
        )
        record_event(
            "phone.call_logged",
            record,
            actor=actor,
            ticket_id=locked.pk,
            customer_id=locked.customer_id,
            at=now,
            data=_call_data(record, answered=call.answered, note=note),
        )
        if call.answered and call.direction == CallDirection.OUTBOUND:
            call_back = closing.open_call_back(locked)
            if (
                call_back is not None
                and call_back.attempt == 1
                and locked.status != TicketStatus.SOLVED
            ):
                closing.cancel_open_call_backs(locked, now=now, reason="called_back")
    return record


def _customer_phone(customer_id: int) -> str:
    rows = CustomerIdentity.objects.filter(customer_id=customer_id, kind=IdentityKind.PHONE)
    return rows.order_by("-is_primary", "id").values_list("value", flat=True).first() or ""


# --- SMS out -----------------------------------------------------------------------------


def active_provider() -> SmsProvider | None:
    return SmsProvider.objects.filter(is_active=True).order_by("pk").first()


def _queue(
    *, to: str, body: str, purpose: str, message: Message | None, ticket_id: int | None
) -> OutboundSms:
    now = timezone.now()
    outbound = OutboundSms.objects.create(
        message=message,
        ticket_id=ticket_id,
        purpose=purpose,
        to_number=to,
        body=body,
        segments=sms_segments(body),
        created_at=now,
    )
    record_event(
        "sms.queued",
        outbound,
        ticket_id=ticket_id,
        at=now,
        data={"to": _masked(to), "segments": outbound.segments, "purpose": purpose},
    )
    due_work.schedule(DELIVERY_KIND, key=delivery_key(outbound), due_at=now)
    return outbound


def delivery_key(outbound: OutboundSms) -> str:
    return f"bihuan_phone.sms:{outbound.pk}"


def sms_replies_on() -> bool:
    """Whether agents' replies by SMS are sent (``BIHUAN_SMS_REPLIES``, off by default, as
    email replies are sent only with outbound mail configured): the reply composer says so."""
    return bool(getattr(settings, "BIHUAN_SMS_REPLIES", False))


def queue_sms_reply(message: Message) -> OutboundSms | None:
    """Queue the SMS of an agent's reply sent by SMS (once per message), to the customer's
    primary phone; a customer without a phone gets a failed delivery with that reason.
    Nothing while SMS replies are off (the reply is then only recorded, as the page says)."""
    if message.kind != "reply" or message.channel != Channel.SMS or not sms_replies_on():
        return None
    with transaction.atomic():
        existing = OutboundSms.objects.filter(message=message).first()
        if existing is not None:
            return existing
        ticket = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        phone = _customer_phone(ticket.customer_id)
        return _queue(
            to=phone,
            body=message.body,
            purpose=SmsPurpose.REPLY,
            message=message,
            ticket_id=ticket.pk,
        )


def send_test_sms(kind: str, *, to: str, actor: User) -> str:
    """Send a test SMS through ``kind``'s account now (the settings page's button); the
    outcome ("sent …" or the provider's refusal) is kept on the provider and answered."""
    _require_admin(actor)
    number = normalize_phone(to)
    provider = provider_of(kind)
    text = gettext("Bihuan test message: SMS sending works.")
    try:
        sent = providers.send(provider, to=number, text=text, reference="bihuan-test")
    except providers.SmsSendError as exc:
        result, ok = str(exc)[:480], False
    else:
        result, ok = f"sent {sent.provider_message_id}"[:480], True
    with transaction.atomic():
        SmsProvider.objects.filter(pk=provider.pk).update(
            last_test_at=timezone.now(), last_test_result=result
        )
        record_event(
            "sms.test_sent",
            provider,
            actor=actor,
            data={"kind": kind, "to": _masked(number), "ok": ok, "result": result},
        )
    if not ok:
        raise ValidationFailed(
            _("The provider refused the test SMS: %(reason)s"), code="test_failed", reason=result
        )
    return result


def deliver_sms(outbound_id: int, *, attempt: int) -> None:
    """Send a queued SMS (the engine's due work). Raises to be retried; on the last attempt
    marks it failed with the reason. A sent SMS is never sent again."""
    outbound = OutboundSms.objects.filter(pk=outbound_id).first()
    if outbound is None or outbound.status != SmsStatus.QUEUED:
        return
    OutboundSms.objects.filter(pk=outbound.pk).update(attempts=outbound.attempts + 1)
    provider = active_provider()
    try:
        if not outbound.to_number:
            raise providers.SmsSendError("the customer has no phone number")
        if provider is None:
            raise providers.SmsSendError("no SMS provider is turned on")
        sent = providers.send(
            provider, to=outbound.to_number, text=outbound.body, reference=f"bihuan-{outbound.pk}"
        )
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        # No number or no provider: trying again would not help.
        final = attempt >= MAX_DELIVERY_ATTEMPTS or not outbound.to_number or provider is None
        if final:
            with transaction.atomic():
                now = timezone.now()
                OutboundSms.objects.filter(pk=outbound.pk).update(
                    status=SmsStatus.FAILED, last_error=reason, failed_at=now
                )
                record_event(
                    "sms.delivery_failed",
                    outbound,
                    ticket_id=outbound.ticket_id,
                    at=now,
                    data={"to": _masked(outbound.to_number), "reason": reason[:500]},
                )
            return
        OutboundSms.objects.filter(pk=outbound.pk).update(last_error=reason)
        raise
    now = timezone.now()
    with transaction.atomic():
        changed = OutboundSms.objects.filter(pk=outbound.pk, status=SmsStatus.QUEUED).update(
            status=SmsStatus.SENT,
            sent_at=now,
            last_error="",
            provider_kind=provider.kind,
            provider_message_id=sent.provider_message_id,
        )
        if changed:
            record_event(
                "sms.sent",
                outbound,
                ticket_id=outbound.ticket_id,
                at=now,
                data={
                    "to": _masked(outbound.to_number),
                    "segments": outbound.segments,
                    "provider": provider.kind,
                },
            )


# --- SMS in -----------------------------------------------------------------------------


def provider_of(kind: str) -> SmsProvider:
    provider = SmsProvider.objects.filter(kind=kind).first()
    if provider is None:
        raise NotFound(_("No such SMS provider."))
    return provider


@dataclass(frozen=True)
class InboundResult:
    message: Message
    duplicate: bool


def receive_inbound_sms(
    provider: SmsProvider, *, message_id: str, sender: str, text: str
) -> InboundResult:
    """A customer's SMS: a message on their open SMS ticket, or a new ticket; once per
    provider message id (a repeat answers the stored message)."""
    if not message_id.strip() or len(message_id) > 200:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="id"
        )
    phone = normalize_phone(sender)
    body = text.strip()
    if not body or len(body) > MAX_SMS_CHARS:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="text"
        )
    with transaction.atomic():
        known = (
            InboundSms.objects.select_related("message")
            .filter(provider_kind=provider.kind, provider_message_id=message_id)
            .first()
        )
        if known is not None:
            return InboundResult(known.message, duplicate=True)
        customer, _created = resolve_customer(ContactDetails(phone=phone), actor=None)
        # Their latest SMS ticket not closed threads the conversation (a solved one reopens).
        ticket = (
            Ticket.objects.filter(customer=customer, channel=Channel.SMS)
            .exclude(status=TicketStatus.CLOSED)
            .order_by("-created_at", "-pk")
            .first()
        )
        if ticket is None:
            subject = body.splitlines()[0][:60]
            ticket = create_ticket(
                NewTicket(subject=subject, body=body, channel=Channel.SMS, customer=customer),
                actor=None,
            )
            message = Message.objects.filter(ticket=ticket).order_by("pk").first()
            assert message is not None
        else:
            message = add_customer_message(ticket, body=body, channel=Channel.SMS)
        InboundSms.objects.create(
            provider_kind=provider.kind,
            provider_message_id=message_id,
            sender=phone,
            body=body,
            received_at=timezone.now(),
            ticket=ticket,
            message=message,
        )
    return InboundResult(message, duplicate=False)


RECEIPT_STATUSES = {"delivered": SmsStatus.DELIVERED, "failed": SmsStatus.FAILED}


def record_sms_receipt(
    provider: SmsProvider, *, message_id: str, status: str, error: str = ""
) -> OutboundSms:
    """Record a delivery receipt on the SMS the provider knows as ``message_id`` (once: the
    same receipt again changes nothing)."""
    if status not in RECEIPT_STATUSES:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="status"
        )
    with transaction.atomic():
        outbound = (
            OutboundSms.objects.select_for_update()
            .filter(provider_kind=provider.kind, provider_message_id=message_id)
            .exclude(provider_message_id="")
            .first()
        )
        if outbound is None:
            raise NotFound(_("No SMS with this id was sent."))
        target = RECEIPT_STATUSES[status]
        if outbound.status == target:
            return outbound
        now = timezone.now()
        outbound.status = target
        fields = ["status"]
        if target == SmsStatus.DELIVERED:
            outbound.delivered_at = now
            fields.append("delivered_at")
        else:
            outbound.failed_at = now
            outbound.last_error = error[:2000]
            fields += ["failed_at", "last_error"]
        outbound.save(update_fields=fields)
        record_event(
            "sms.delivered" if target == SmsStatus.DELIVERED else "sms.delivery_failed",
            outbound,
            ticket_id=outbound.ticket_id,
            at=now,
            data={"to": _masked(outbound.to_number), "reason": error[:500]},
        )
    return outbound


# --- Provider settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderFields:
    base_url: str
    is_active: bool
    access_key_id: str = ""
    access_key_secret: str | None = None  # None keeps the stored one
    sign_name: str = ""
    template_code: str = ""
    sdk_app_id: str = ""
    region: str = ""
    webhook_secret: str | None = None


def save_provider(kind: str, fields: ProviderFields, *, actor: User) -> SmsProvider:
    """Create or change ``kind``'s account (admins only). Turning one on turns the others
    off: one provider sends."""
    _require_admin(actor)
    if kind not in SmsProviderKind.values:
        raise NotFound(_("No such SMS provider."))
    if not fields.base_url.startswith(("https://", "http://")):
        raise ValidationFailed(_("Enter the provider's URL."), code="invalid_url")
    with transaction.atomic():
        provider = SmsProvider.objects.select_for_update().filter(kind=kind).first()
        if provider is None:
            provider = SmsProvider(kind=kind)
        for name in (
            "base_url",
            "is_active",
            "access_key_id",
            "sign_name",
            "template_code",
            "sdk_app_id",
            "region",
        ):
            value = getattr(fields, name)
            setattr(provider, name, value.strip() if isinstance(value, str) else value)
        if fields.access_key_secret is not None:
            provider.access_key_secret = fields.access_key_secret.strip()
        if fields.webhook_secret is not None:
            provider.webhook_secret = fields.webhook_secret.strip()
        provider.updated_at = timezone.now()
        provider.save()
        if provider.is_active:
            SmsProvider.objects.exclude(pk=provider.pk).update(is_active=False)
        record_event(
            "sms.provider_changed",
            provider,
            actor=actor,
            data={"kind": kind, "active": provider.is_active},
        )
    return provider


# --- Portal one-time codes ------------------------------------------------------------------


def code_phone(customer_id: int) -> str:
    """The number a portal code goes to by SMS: the customer's primary phone, when a provider
    is turned on ("" otherwise: the portal then cannot send the code)."""
    if active_provider() is None:
        return ""
    return _customer_phone(customer_id)


def send_code_sms(phone: str, *, code: str, minutes: int) -> bool:
    """Send a portal code by SMS now (the portal calls it after commit, as it mails codes).
    The code is never stored: no ``OutboundSms`` row, no retry — a failure is logged and the
    customer asks for another code."""
    provider = active_provider()
    if provider is None:
        return False
    text = gettext("Your code is %(code)s. It is valid for %(minutes)s minutes and works once.") % {
        "code": code,
        "minutes": minutes,
    }
    try:
        providers.send(provider, to=phone, text=text, reference="bihuan-portal-code")
    except providers.SmsSendError:
        logger.exception("the portal code could not be sent by SMS")
        return False
    return True
