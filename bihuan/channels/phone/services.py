"""Phone and SMS use cases: the only code that writes this app's rows.

Calls: ``receive_call_event`` takes one signed call-centre event (idempotent per call id and
event), ``log_call`` records a call an agent made or took by hand. Each call is a
``CallRecord`` on a ticket — the caller's open phone ticket, or a new one — and an event
(``phone.call_*``) on its timeline. A missed incoming call gets a call-back (the tickets
app's ``CallBack``, reminded and escalated by its due work), due after
``CtiSettings.call_back_minutes`` business minutes of the default calendar.

SMS: ``queue_sms_reply`` (an agent's reply by SMS) and ``queue_sms`` (any other text: a
survey invitation) store an
``OutboundSms`` and schedule its delivery as due work (``phone.deliver_sms``, retried);
``receive_inbound_sms`` turns a customer's SMS into a message on their open SMS ticket or a
new one, once per provider message id; ``record_sms_receipt`` records a delivery receipt.

Webhooks: ``check_webhook`` verifies the signature and the timestamp and refuses a request
seen before (``WebhookNonce``), in the transaction of the change it allows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
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
    CtiDelivery,
    CtiSettings,
    InboundSms,
    MissedCallBack,
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
from bihuan.tickets.models import CallBackPurpose, Message, Ticket
from bihuan.tickets.permissions import can_work_ticket
from bihuan.tickets.services import NewTicket, add_customer_message, create_ticket

logger = logging.getLogger(__name__)

DELIVERY_KIND = "phone.deliver_sms"
MAX_DELIVERY_ATTEMPTS = 6
NONCE_KEEP = timedelta(seconds=signing.MAX_SKEW_SECONDS * 2)
SEGMENT = 70  # characters in one SMS of Chinese text (UCS-2)
LONG_SEGMENT = 67  # per part of a longer one (the rest is the concatenation header)
MAX_SMS_CHARS = 1000


# What a customer texts to get no more messages (the carriers' 回TD退订 convention).
OPT_OUT_WORDS = frozenset(
    {"TD", "T", "N", "R", "退订", "TD退订", "退订TD", "回TD退订", "STOP", "UNSUBSCRIBE"}
)
_NOT_A_WORD = re.compile(r"[\s\W_]+")


def is_opt_out_text(text: str) -> bool:
    """Whether an SMS is only an opt-out keyword (TD, T, N, R, 退订, STOP…), whatever its
    case, width (ＴＤ) or the spaces and punctuation around it."""
    word = _NOT_A_WORD.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    return len(word) <= 12 and word in OPT_OUT_WORDS


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


@dataclass(frozen=True)
class ConnectionTest:
    """What a settings page's test button found (the same shape as the messaging
    platforms' ``test_connection``): whether it worked, and the message to show."""

    is_ok: bool
    message: str
    reason: str = ""  # a ``providers.REASONS`` key (SMS) or the CTI test's own, when not ok


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


# --- The call-centre webhook's deliveries and its test event ------------------------------

KEEP_DELIVERIES = 50  # the delivery log keeps this many rows: a flood cannot grow it
TEST_TIMEOUT_SECONDS = 10.0


def record_cti_delivery(
    *,
    status_code: int,
    reason: str = "",
    call_id: str = "",
    event: str = "",
    is_test: bool = False,
) -> CtiDelivery:
    """Log one request to the call-centre webhook and our answer (after its own transaction
    ended, so a refused request's log row is all it leaves); keep the last
    ``KEEP_DELIVERIES``. Not an event-log entry: forged requests must not fill the audit
    trail, and accepted ones already record their call events."""
    with transaction.atomic():
        delivery = CtiDelivery.objects.create(
            received_at=timezone.now(),
            accepted=200 <= status_code < 300,
            status_code=status_code,
            reason=reason[:200],
            call_id=call_id[:128],
            event=event[:16],
            is_test=is_test,
        )
        oldest_kept = (
            CtiDelivery.objects.order_by("-id").values_list("id", flat=True)[KEEP_DELIVERIES - 1 :]
        ).first()
        if oldest_kept is not None:
            CtiDelivery.objects.filter(id__lt=oldest_kept).delete()
    return delivery


def is_test_event(data: Any) -> bool:
    """A test event (``"test": true``, sent by the settings page's button or by a
    call-centre's own test): checked like any other event, then answered without a call
    record or a ticket."""
    return isinstance(data, dict) and data.get("test") is True


def test_event_payload(*, now: datetime) -> dict[str, Any]:
    """The signed sample the "send a test event" button posts: an incoming call starting."""
    return {
        "test": True,
        "call_id": f"bihuan-test-{secrets.token_hex(6)}",
        "event": CallEventKind.STARTED.value,
        "occurred_at": now.isoformat(timespec="seconds"),
        "direction": CallDirection.INBOUND.value,
        "caller": "+8613800138000",
        "callee": "4008000000",
        "agent": "",
    }


test_event_payload.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def send_cti_test_event(*, url: str, actor: User) -> ConnectionTest:
    """Post a signed test call event to ``url`` (the public address of our webhook, as the
    call-centre would) over real HTTP, and report what came back: accepted as a test (the
    address is reachable and the secret matches), refused (and why), or unreachable. The
    outcome is kept on the settings and recorded as ``phone.cti_test_sent``; the webhook
    creates no call record or ticket for a test event."""
    _require_admin(actor)
    if not url.startswith(("https://", "http://")):
        raise ValidationFailed(
            _("The webhook address must start with http:// or https://."), code="invalid_url"
        )
    secret = cti_settings().webhook_secret
    if not secret:
        raise ValidationFailed(
            _("Save a webhook secret first: the test event is signed with it."),
            code="no_webhook_secret",
        )
    now = timezone.now()
    body = json.dumps(test_event_payload(now=now), ensure_ascii=False).encode()
    stamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        signing.TIMESTAMP_HEADER: stamp,
        signing.SIGNATURE_HEADER: signing.sign_webhook(secret, stamp, body),
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TEST_TIMEOUT_SECONDS)
    except httpx.TimeoutException:
        result = ConnectionTest(
            False,
            gettext("No answer from %(url)s within %(seconds)d seconds.")
            % {"url": url, "seconds": TEST_TIMEOUT_SECONDS},
            "timeout",
        )
    except httpx.HTTPError as exc:
        result = ConnectionTest(
            False,
            gettext("%(url)s cannot be reached (%(error)s).")
            % {"url": url, "error": f"{type(exc).__name__}: {exc}"[:200]},
            "unreachable",
        )
    else:
        result = _test_answer(response)
    with transaction.atomic():
        settings_row = CtiSettings.objects.select_for_update().order_by("pk").first()
        if settings_row is None:  # pragma: no cover - a secret implies the row
            settings_row = CtiSettings.objects.create()
        settings_row.last_test_at = timezone.now()
        settings_row.last_test_ok = result.is_ok
        settings_row.last_test_result = result.message[:500]
        settings_row.save(update_fields=["last_test_at", "last_test_ok", "last_test_result"])
        record_event(
            "phone.cti_test_sent",
            settings_row,
            actor=actor,
            data={
                "url": url,
                "ok": result.is_ok,
                "reason": result.reason,
                "result": result.message,
            },
        )
    return result


def _test_answer(response: httpx.Response) -> ConnectionTest:
    try:
        data = response.json()
    except ValueError:
        data = None
    answer = data if isinstance(data, dict) else {}
    status = response.status_code
    error = str(answer.get("message") or answer.get("error") or "")[:200]
    if status == 200 and answer.get("status") == "test":
        return ConnectionTest(
            True,
            gettext("The webhook answered: test event received and its signature is valid."),
        )
    if status in (401, 409):
        return ConnectionTest(
            False,
            gettext(
                "The webhook refused the test event (%(error)s): the secret there is not the "
                "one saved here, or the server clocks differ by more than 5 minutes."
            )
            % {"error": error or status},
            "signature",
        )
    if status == 200 or answer.get("status") == "refused":
        return ConnectionTest(
            False,
            gettext("The webhook answered but did not recognise the test event (HTTP %(status)s).")
            % {"status": status},
            "not_recognised",
        )
    return ConnectionTest(
        False,
        gettext(
            "HTTP %(status)s from the address: it is not Bihuan's call-centre webhook (check "
            "BIHUAN_PUBLIC_URL and the proxy)."
        )
        % {"status": status},
        "wrong_address",
    )


def generate_cti_secret(*, actor: User) -> CtiSettings:
    """Store a new random webhook secret (admins; the settings page's "generate" button):
    events signed with the old one are refused from now on."""
    return save_cti_settings(
        webhook_secret=secrets.token_urlsafe(32),
        call_back_minutes=cti_settings().call_back_minutes,
        actor=actor,
    )


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


def _open_missed_call_back(phone: str) -> MissedCallBack | None:
    """The caller's call-back task still to do (not done, not cancelled), if any."""
    return (
        MissedCallBack.objects.select_related("call_back")
        .filter(
            phone=phone,
            call_back__done_at__isnull=True,
            call_back__cancelled_at__isnull=True,
        )
        .order_by("-id")
        .first()
    )


def _schedule_missed_call_back(record: CallRecord, *, missed_at: datetime) -> None:
    """A call-back for the caller of a missed call — or, while their last one is still to
    do, the missed call added to it (one task per caller, however often they rang). Only the
    caller's own missed-call call-backs count: the 24-hour follow-up call-back of a solved
    ticket, or another caller's task, never swallows it."""
    ticket = Ticket.objects.select_for_update().get(pk=record.ticket_id)
    # The ticket lock serialises two missed calls of one caller (both go to their open
    # phone ticket), so the check below and the create cannot race.
    pending = _open_missed_call_back(record.caller)
    if pending is not None:
        MissedCallBack.objects.filter(pk=pending.pk).update(
            missed_calls=F("missed_calls") + 1,
            last_missed_at=Greatest(F("last_missed_at"), missed_at),
        )
        pending.refresh_from_db(fields=["missed_calls", "last_missed_at"])
        record_event(
            "phone.call_back_missed_again",
            record,
            ticket_id=pending.call_back.ticket_id,
            customer_id=record.customer_id,
            at=missed_at,
            data=_call_data(
                record, call_back=pending.call_back_id, missed_calls=pending.missed_calls
            ),
        )
        return
    call_back = closing.create_call_back(
        ticket, due_at=call_back_due(missed_at), purpose=CallBackPurpose.MISSED_CALL
    )
    MissedCallBack.objects.create(
        call_back=call_back,
        phone=record.caller,
        first_missed_at=missed_at,
        last_missed_at=missed_at,
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
        if (
            call.answered
            and call.direction == CallDirection.OUTBOUND
            and locked.status != TicketStatus.SOLVED
            and MissedCallBack.objects.filter(
                call_back__ticket=locked,
                call_back__done_at__isnull=True,
                call_back__cancelled_at__isnull=True,
            ).exists()
        ):
            # The missed call is returned: its call-back is done. (A solved ticket's
            # follow-up call-back is recorded on the ticket with its outcome instead.)
            closing.cancel_open_call_backs(locked, now=now, reason="called_back")
    return record


def _customer_phone(customer_id: int) -> str:
    """The customer's primary phone in E.164, whatever spelling it was stored in (imported
    and older rows keep ``13800138000``: the providers and the call records want
    ``+8613800138000``, the form every channel matches with)."""
    rows = CustomerIdentity.objects.filter(customer_id=customer_id, kind=IdentityKind.PHONE)
    stored = rows.order_by("-is_primary", "id").values_list("value", flat=True).first() or ""
    if not stored:
        return ""
    try:
        return normalize_phone(stored)
    except ValidationFailed:
        return stored  # not a number we can read: sent as stored, the provider says why


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


def queue_sms(*, to: str, body: str, purpose: str, ticket_id: int | None) -> OutboundSms:
    """Queue an SMS that is not an agent's reply (a survey invitation…): stored as an
    ``OutboundSms``, recorded as ``sms.queued`` and delivered by the due work like a reply.
    ``to`` is normalised to E.164; a number that is not one, an empty or too long text, or
    an unknown purpose is refused and nothing is queued. Runs in the caller's transaction
    when there is one (the caller's own record of the send commits with it)."""
    if purpose not in SmsPurpose.values or purpose == SmsPurpose.REPLY:
        # A reply is queued with its message (``queue_sms_reply``), once per message.
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="purpose"
        )
    number = normalize_phone(to)
    text = body.strip()
    if not text or len(text) > MAX_SMS_CHARS:
        raise ValidationFailed(
            _("“%(field)s” is missing or not valid."), code="invalid_field", field="body"
        )
    with transaction.atomic():
        return _queue(to=number, body=text, purpose=purpose, message=None, ticket_id=ticket_id)


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


def send_test_sms(kind: str, *, to: str, actor: User) -> ConnectionTest:
    """Send a test SMS to ``to`` through ``kind``'s account now (the settings page's button),
    with the real adapter and the provider's documented signing. The outcome — the
    provider's message id, or its error code and message with what it means — is kept on
    the provider, recorded as ``sms.test_sent`` and answered; no ticket, no queued SMS."""
    _require_admin(actor)
    number = normalize_phone(to)
    provider = provider_of(kind)
    label = SmsProviderKind(provider.kind).label
    text = gettext("Bihuan test message: SMS sending works.")
    try:
        sent = providers.send(provider, to=number, text=text, reference="bihuan-test")
    except providers.SmsSendError as exc:
        detail = f"{exc.code}: {exc.detail}" if exc.detail else exc.code
        result = ConnectionTest(False, f"{exc.explanation} ({detail})"[:500], exc.reason)
    else:
        result = ConnectionTest(
            True,
            gettext("%(provider)s accepted the test SMS to %(number)s (message id %(id)s).")
            % {
                "provider": label,
                "number": _masked(number),
                "id": sent.provider_message_id or "-",
            },
        )
    with transaction.atomic():
        SmsProvider.objects.filter(pk=provider.pk).update(
            last_test_at=timezone.now(), last_test_ok=result.is_ok, last_test_result=result.message
        )
        record_event(
            "sms.test_sent",
            provider,
            actor=actor,
            data={
                "kind": kind,
                "to": _masked(number),
                "ok": result.is_ok,
                "reason": result.reason,
                "result": result.message,
            },
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
            raise providers.SmsSendError("no_number", "the customer has no phone number")
        if provider is None:
            raise providers.SmsSendError("no_provider", "no SMS provider is turned on")
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
