"""Messaging platform use cases: take in a platform's messages exactly once, queue and
deliver agents' replies, configure accounts.

Inbound: every message is keyed by the platform's own message id (unique per account), so a
repeated callback or sync changes nothing. Media is downloaded through the platform's API
before the transaction and stored under a content-addressed name (a rollback leaves at most
an orphan file); one transaction then writes the ``PlatformMessage``, the ticket message
(the customer resolved by the platform identity, their open ticket on that platform threaded)
and its files. Outbound: a reply written on a platform channel is queued in its own
transaction (once per message) and sent by due work with the platform's token and its
rate-limit back-off.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from bihuan.accounts.models import Team, User
from bihuan.channels.messaging.choices import DeliveryState, Direction, Platform
from bihuan.channels.messaging.models import PlatformAccount, PlatformMessage
from bihuan.channels.messaging.platforms import client_for, default_base_url
from bihuan.channels.messaging.platforms.base import (
    Download,
    InboundMessage,
    PlatformError,
    PlatformRateLimited,
)
from bihuan.channels.messaging.platforms.wecom import Client as WeComClient
from bihuan.channels.messaging.platforms.wecom import parse_sync_message
from bihuan.channels.models import MessageFile
from bihuan.channels.services import clean_filename
from bihuan.core import due_work
from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.core.events import record_event
from bihuan.customers.models import CustomerIdentity
from bihuan.customers.services import ContactDetails, known_identities
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket

DELIVERY_KIND = "messaging.deliver_reply"
SYNC_KIND = "messaging.sync_wecom"
MAX_DELIVERY_ATTEMPTS = 8
MAX_SUBJECT = 60


def identity_source(account: PlatformAccount) -> str:
    """The ``source`` of the customer identity a platform user id belongs to: ids are unique
    per WeCom corp, per Official Account / Feishu app, per DingTalk app."""
    return f"{account.platform}:{account.app_id}"[:64]


@dataclass(frozen=True)
class Received:
    message_id: str
    ticket_number: int | None
    is_duplicate: bool = False


def receive_messages(account: PlatformAccount, messages: list[InboundMessage]) -> list[Received]:
    """Store each message once on the ticket of its sender. Raises ``PlatformError`` when a
    file cannot be downloaded (nothing of that message is stored; the platform retries)."""
    return [_receive(account, message) for message in messages]


def _stored(account: PlatformAccount, message_id: str) -> Received | None:
    row = (
        PlatformMessage.objects.filter(
            account=account, direction=Direction.INBOUND, platform_message_id=message_id
        )
        .values("ticket_id")
        .first()
    )
    if row is None:
        return None
    return Received(message_id, row["ticket_id"], is_duplicate=True)


def _receive(account: PlatformAccount, message: InboundMessage) -> Received:
    existing = _stored(account, message.message_id)
    if existing is not None:
        return existing
    download = client_for(account).download(message.media) if message.media else None
    stored_name = _store_media(download) if download is not None else ""
    try:
        with transaction.atomic():
            return _store(account, message, download, stored_name)
    except IntegrityError:
        # The same message stored by a concurrent callback: the unique key decided.
        existing = _stored(account, message.message_id)
        if existing is None:
            raise
        return existing


def _store_media(download: Download) -> str:
    sha = hashlib.sha256(download.data).hexdigest()
    name = f"messaging/files/{sha[:2]}/{sha}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(download.data))
    return name


def _body(account: PlatformAccount, message: InboundMessage, download: Download | None) -> str:
    if message.kind == "text" and message.text.strip():
        return message.text.strip()
    if message.kind == "image":
        return gettext("(image)")
    if message.kind == "file":
        name = clean_filename(download.filename) if download else ""
        return gettext("(file: %(name)s)") % {"name": name}
    return gettext("(a “%(kind)s” message, which Bihuan cannot show; see it on %(platform)s)") % {
        "kind": message.kind[:40],
        "platform": Platform(account.platform).label,
    }


def _store(
    account: PlatformAccount,
    message: InboundMessage,
    download: Download | None,
    stored_name: str,
) -> Received:
    # One inbound message of an account at a time: a new customer's first two messages
    # arriving together open one ticket, not two.
    locked = PlatformAccount.objects.select_for_update().get(pk=account.pk)
    now = timezone.now()
    row = PlatformMessage.objects.create(
        account=locked,
        direction=Direction.INBOUND,
        platform_message_id=message.message_id[:191],
        peer_id=message.peer_id[:191],
        state=DeliveryState.RECEIVED,
        created_at=now,
    )
    body = _body(locked, message, download)
    contact = ContactDetails(
        name=message.name, external_id=message.peer_id, external_source=identity_source(locked)
    )
    ticket = _open_ticket(locked, contact)
    if ticket is None:
        first_line = body.splitlines()[0] if body else ""
        ticket = ticket_services.create_ticket(
            ticket_services.NewTicket(
                subject=first_line[:MAX_SUBJECT] or str(Platform(locked.platform).label),
                body=body,
                channel=locked.platform,
                contact=contact,
                team=locked.team,
            ),
            actor=None,
        )
        ticket_message = ticket.messages.order_by("id").first()
    else:
        ticket_message = ticket_services.add_customer_message(
            ticket, body=body, channel=locked.platform
        )
    assert ticket_message is not None
    row.ticket = ticket
    row.ticket_message = ticket_message
    row.save(update_fields=["ticket", "ticket_message"])
    files: list[str] = []
    if download is not None:
        filename = clean_filename(download.filename)
        MessageFile.objects.create(
            ticket=ticket,
            ticket_message=ticket_message,
            uploaded_by=None,
            filename=filename,
            content_type=download.content_type[:255] or "application/octet-stream",
            size=len(download.data),
            file=stored_name,
            created_at=now,
        )
        files.append(filename)
    record_event(
        "messaging.received",
        row,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        at=now,
        data={
            "platform": locked.platform,
            "account": locked.pk,
            "message": ticket_message.pk,
            "kind": message.kind[:40],
            "files": files,
        },
    )
    return Received(message.message_id, ticket.pk)


def _open_ticket(account: PlatformAccount, contact: ContactDetails) -> Ticket | None:
    """The customer's latest ticket on this platform that is not closed: it threads the
    conversation (a solved one reopens when the customer writes)."""
    keys = contact.identities()
    known = known_identities(keys)
    identity: CustomerIdentity | None = known.get(keys[0]) if keys else None
    if identity is None:
        return None
    return (
        Ticket.objects.filter(customer_id=identity.customer_id, channel=account.platform)
        .exclude(status=TicketStatus.CLOSED)
        .order_by("-pk")
        .first()
    )


# --- WeCom: messages are pulled with kf/sync_msg after a callback event ------------------------


def schedule_wecom_sync(account: PlatformAccount, *, token: str) -> None:
    """Pull the account's new messages soon (the callback only says that there are some)."""
    with transaction.atomic():
        due_work.schedule(
            SYNC_KIND,
            key=f"bihuan_messaging.platformaccount:{account.pk}",
            due_at=timezone.now(),
            data={"token": token},
        )


def sync_wecom(account_id: int, *, token: str) -> int:
    """Fetch and store the account's messages from its cursor; returns how many were new.

    The cursor advances only after a page is stored: a crash mid-page re-reads that page and
    the message ids make the repeat harmless.
    """
    account = PlatformAccount.objects.filter(pk=account_id, platform=Platform.WECOM).first()
    if account is None or not account.is_active:
        return 0
    client = WeComClient(account)
    new = 0
    for _page in range(100):
        items, next_cursor, has_more = client.sync(cursor=account.sync_cursor, token=token)
        messages = [m for m in (parse_sync_message(item) for item in items) if m is not None]
        new += sum(not r.is_duplicate for r in receive_messages(account, messages))
        if next_cursor:
            PlatformAccount.objects.filter(pk=account.pk).update(sync_cursor=next_cursor[:255])
            account.sync_cursor = next_cursor[:255]
        if not has_more:
            break
    return new


# --- Outbound ---------------------------------------------------------------------------------


def delivery_key(row: PlatformMessage) -> str:
    return f"bihuan_messaging.platformmessage:{row.pk}"


def queue_platform_reply(message: Message) -> PlatformMessage | None:
    """Queue an agent's reply written on a messaging platform channel; once per message.

    It goes to the person and account of the ticket's latest message received on that
    platform. Without one (a ticket opened elsewhere) it is recorded as failed with the reason.
    """
    if message.kind != MessageKind.REPLY or message.channel not in Platform.values:
        return None
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        existing = PlatformMessage.objects.filter(
            ticket_message=message, direction=Direction.OUTBOUND
        ).first()
        if existing is not None:
            return existing
        last = (
            PlatformMessage.objects.select_related("account")
            .filter(
                ticket=ticket,
                direction=Direction.INBOUND,
                account__platform=message.channel,
            )
            .order_by("-pk")
            .first()
        )
        now = timezone.now()
        if last is None:
            return None  # nobody to send to on that platform: nothing queued
        row = PlatformMessage.objects.create(
            account=last.account,
            direction=Direction.OUTBOUND,
            peer_id=last.peer_id,
            ticket=ticket,
            ticket_message=message,
            state=DeliveryState.QUEUED,
            created_at=now,
        )
        record_event(
            "messaging.queued",
            row,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            at=now,
            data={"platform": last.account.platform, "message": message.pk},
        )
        due_work.schedule(DELIVERY_KIND, key=delivery_key(row), due_at=now)
    return row


def deliver_platform_reply(row_id: int, *, attempt: int) -> None:
    """Send a queued reply (due work, after the reply's commit).

    Raises on a failure to retry — a rate-limit answer of the platform included, which the
    engine retries with its doubling back-off; the last attempt marks the reply failed.
    A reply sent already is not sent again.
    """
    row = (
        PlatformMessage.objects.select_related("account", "ticket_message")
        .filter(pk=row_id)
        .first()
    )
    if row is None or row.state != DeliveryState.QUEUED or row.ticket_message is None:
        return
    if not row.account.is_active:
        with transaction.atomic():
            _mark_failed(row, gettext("The messaging account is switched off."), now=timezone.now())
        return
    PlatformMessage.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    try:
        sent_id = client_for(row.account).send_text(
            row.peer_id, row.ticket_message.body, reference=f"bihuan-{row.pk}"
        )
    except PlatformError as exc:
        reason = f"{exc.code}: {exc.message}"
        if attempt >= MAX_DELIVERY_ATTEMPTS or not _retryable(exc):
            with transaction.atomic():
                _mark_failed(row, reason, now=timezone.now())
            return
        PlatformMessage.objects.filter(pk=row.pk).update(last_error=reason[:2000])
        raise
    except Exception as exc:  # the network: retried like a platform error
        reason = f"{type(exc).__name__}: {exc}"
        if attempt >= MAX_DELIVERY_ATTEMPTS:
            with transaction.atomic():
                _mark_failed(row, reason, now=timezone.now())
            return
        PlatformMessage.objects.filter(pk=row.pk).update(last_error=reason[:2000])
        raise
    now = timezone.now()
    with transaction.atomic():
        changed = PlatformMessage.objects.filter(pk=row.pk, state=DeliveryState.QUEUED).update(
            state=DeliveryState.SENT,
            sent_at=now,
            last_error="",
            platform_message_id=sent_id[:191],
        )
        if changed:
            record_event(
                "messaging.sent",
                row,
                ticket_id=row.ticket_id,
                at=now,
                data={"platform": row.account.platform, "message": row.ticket_message_id},
            )


def _retryable(exc: PlatformError) -> bool:
    # Rate limits, busy platforms and network trouble pass; a refusal (the customer's 48 h
    # window closed, an unknown user) fails at once with the platform's reason.
    return isinstance(exc, PlatformRateLimited) or exc.code in {
        "-1",
        "token_busy",
        "500",
        "502",
        "503",
        "504",
    }


def _mark_failed(row: PlatformMessage, reason: str, *, now: datetime) -> None:
    PlatformMessage.objects.filter(pk=row.pk).update(
        state=DeliveryState.FAILED, last_error=reason[:2000]
    )
    record_event(
        "messaging.delivery_failed",
        row,
        ticket_id=row.ticket_id,
        at=now,
        data={"platform": row.account.platform, "reason": reason[:500]},
    )


# --- Accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSettings:
    platform: str
    name: str
    app_id: str
    secret: str = ""  # empty on an edit: keep the stored one
    token: str = ""
    aes_key: str = ""
    open_kfid: str = ""
    robot_code: str = ""
    base_url: str = ""
    team: Team | None = None
    is_active: bool = True


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(
            gettext_lazy("Only administrators configure messaging platforms."),
            code="admin_only",
        )


def save_account(
    values: AccountSettings, *, actor: User, account: PlatformAccount | None = None
) -> PlatformAccount:
    """Create or change a platform account (admins only). Secrets left empty on an edit keep
    their stored value; the change is recorded without any secret."""
    _require_admin(actor)
    if values.platform not in Platform.values:
        raise ValidationFailed(gettext_lazy("Choose a platform."), code="invalid_platform")
    if (
        values.platform in (Platform.WECOM, Platform.WECHAT, Platform.DINGTALK)
        and values.aes_key
        and len(values.aes_key) != 43
    ):
        raise ValidationFailed(
            gettext_lazy("The EncodingAESKey has exactly 43 characters."), code="invalid_aes_key"
        )
    now = timezone.now()
    with transaction.atomic():
        if account is None:
            account = PlatformAccount(
                platform=values.platform,
                callback_key=secrets.token_urlsafe(16)[:22],
                created_at=now,
            )
        else:
            account = PlatformAccount.objects.select_for_update().get(pk=account.pk)
        account.name = values.name.strip()[:100]
        account.app_id = values.app_id.strip()[:128]
        for name in ("secret", "token", "aes_key"):
            value = getattr(values, name).strip()
            if value:
                setattr(account, name, value)
        account.open_kfid = values.open_kfid.strip()[:128]
        account.robot_code = values.robot_code.strip()[:128]
        account.base_url = values.base_url.strip() or default_base_url(account.platform)
        account.team = values.team
        account.is_active = values.is_active
        account.updated_at = now
        account.save()
        record_event(
            "messaging.account_saved",
            account,
            actor=actor,
            at=now,
            data={"platform": account.platform, "name": account.name, "app_id": account.app_id},
        )
    return account


@dataclass(frozen=True)
class ConnectionTest:
    is_ok: bool
    message: str


def test_connection(account: PlatformAccount, *, actor: User) -> ConnectionTest:
    """Fetch a fresh access token from the configured API address; keep and return the
    outcome (the platform's own error code and message when it refuses)."""
    _require_admin(actor)
    try:
        token, lifetime = client_for(account).fetch_token()
    except PlatformError as exc:
        result = ConnectionTest(False, f"{exc.code}: {exc.message}")
    except Exception as exc:  # DNS, TLS, refused connection, timeout
        result = ConnectionTest(False, f"{type(exc).__name__}: {exc}")
    else:
        result = ConnectionTest(
            bool(token),
            gettext("Access token received, valid for %(minutes)d minutes.")
            % {"minutes": lifetime // 60},
        )
    PlatformAccount.objects.filter(pk=account.pk).update(
        last_test_ok=result.is_ok,
        last_test_message=result.message[:500],
        last_tested_at=timezone.now(),
    )
    return result


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
