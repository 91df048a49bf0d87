"""Messaging platform use cases: take in a platform's messages exactly once, queue and
deliver agents' replies, configure accounts.

Inbound: every message is keyed by the platform's own message id (unique per account), so a
repeated callback or sync changes nothing. Media is downloaded through the platform's API
before the transaction and stored under a content-addressed name (a rollback leaves at most
an orphan file); one transaction then writes the ``PlatformMessage``, the ticket message
(the customer resolved by the platform identity, their open ticket on that platform threaded)
and its files. Outbound: a reply written on a platform channel is queued in its own
transaction (once per message) and sent by due work with the platform's token and its
rate-limit back-off; the files the agent attached go with it as image or file messages
(uploaded once, sent once: a retry carries on from the part that failed).

Senders: a new sender's profile (name, avatar, unionid) is asked of the platform once,
before their first message is stored, so that the customer is created with their name; when
the platform does not answer, the message is stored all the same and due work asks again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from bihuan.accounts.models import Team, User
from bihuan.channels.messaging.choices import DeliveryState, Direction, Platform
from bihuan.channels.messaging.models import PlatformAccount, PlatformContact, PlatformMessage
from bihuan.channels.messaging.platforms import client_for, default_base_url, media_limits
from bihuan.channels.messaging.platforms.base import (
    Download,
    InboundMessage,
    PlatformClient,
    PlatformError,
    PlatformRateLimited,
    Profile,
    Upload,
    remember_token,
)
from bihuan.channels.messaging.platforms.wecom import Client as WeComClient
from bihuan.channels.messaging.platforms.wecom import parse_sync_message
from bihuan.channels.models import MessageFile
from bihuan.channels.services import _claim_draft_files, clean_filename
from bihuan.core import due_work
from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.core.events import record_event
from bihuan.customers.models import CustomerIdentity
from bihuan.customers.services import (
    ContactDetails,
    known_identities,
    name_customer_from_channel,
    resolve_customer,
)
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket

DELIVERY_KIND = "messaging.deliver_reply"
SYNC_KIND = "messaging.sync_wecom"
PROFILE_KIND = "messaging.fetch_profiles"
MAX_DELIVERY_ATTEMPTS = 8
MAX_PROFILE_ATTEMPTS = 6
MAX_SUBJECT = 60
FILE_LINK_SALT = "bihuan.messaging.file-link"
FILE_LINK_DAYS = 7

logger = logging.getLogger(__name__)


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
    file cannot be downloaded (nothing of that message is stored; the platform retries).

    New senders' profiles are asked of the platform first, in one batch (their names name
    the customers created for them); a failed profile call never stops the messages.
    """
    senders = learn_senders(account, messages)
    return [
        _receive(account, message, senders.get(message.peer_id[:191], NO_PROFILE))
        for message in messages
    ]


# --- Senders' profiles ------------------------------------------------------------------------


class Sender(NamedTuple):
    """What the account knows of a sender from the platform's profile."""

    name: str
    union_id: str


NO_PROFILE = Sender("", "")
# The platforms whose unionid names one person across accounts: a WeChat user's unionid is
# the same on every Official Account and WeCom customer-service account bound to one WeChat
# open-platform account, so it is one identity source for both.
UNION_SOURCES = {Platform.WECHAT: "wechat:unionid", Platform.WECOM: "wechat:unionid"}


def union_source(account: PlatformAccount) -> str:
    """The identity ``source`` of the account's users' unionids ("" when they have none)."""
    return UNION_SOURCES.get(Platform(account.platform), "")


def contact_details(account: PlatformAccount, peer_id: str, sender: Sender) -> ContactDetails:
    """The customer identities of a platform user: their id on the account and, on WeChat
    and WeCom, their unionid (the same person on both is one customer)."""
    source = union_source(account)
    union = ((source, sender.union_id),) if source and sender.union_id else ()
    return ContactDetails(
        name=sender.name,
        external_id=peer_id,
        external_source=identity_source(account),
        more_externals=union,
    )


def learn_senders(account: PlatformAccount, messages: list[InboundMessage]) -> dict[str, Sender]:
    """The senders' names and unionids (peer id → ``Sender``), asking the platform once per
    new sender.

    A sender is new when the account has no ``PlatformContact`` for them. Their profiles are
    fetched in one call where the platform allows (WeCom: 100 a call); a name the callback
    carried (DingTalk's ``senderNick``) needs no call. When the platform fails, the contacts
    are kept without a profile and ``messaging.fetch_profiles`` asks again later.
    """
    peers = list(dict.fromkeys(m.peer_id[:191] for m in messages if m.peer_id))
    if not peers or not account.is_active:
        return {}  # a switched-off account (the demo's) never calls its platform
    known = {
        peer: Sender(name, union)
        for peer, name, union in PlatformContact.objects.filter(
            account=account, peer_id__in=peers
        ).values_list("peer_id", "name", "union_id")
    }
    new = [peer for peer in peers if peer not in known]
    if not new:
        return known
    carried = {m.peer_id[:191]: m.name.strip()[:200] for m in messages if m.name.strip()}
    wanted = [peer for peer in new if peer not in carried]
    profiles: dict[str, Profile] = {}
    failed = False
    if wanted:
        try:
            profiles = {p.peer_id: p for p in client_for(account).fetch_profiles(wanted)}
        except Exception as exc:  # the platform or the network: the messages go on
            logger.warning("profile call of messaging account %s failed: %s", account.pk, exc)
            failed = True
    now = timezone.now()
    rows = []
    for peer in new:
        profile = profiles.get(peer)
        rows.append(
            PlatformContact(
                account=account,
                peer_id=peer,
                name=(carried.get(peer) or (profile.name if profile else "")).strip()[:200],
                avatar_url=(profile.avatar_url if profile else "")[:500],
                union_id=(profile.union_id if profile else "")[:191],
                # The platform answered (an id it left out has no profile to wait for).
                fetched_at=None if failed and peer in wanted else now,
                created_at=now,
            )
        )
    with transaction.atomic():
        # A concurrent callback may have stored the same sender: theirs stays.
        PlatformContact.objects.bulk_create(rows, ignore_conflicts=True)
        if failed:
            due_work.schedule(PROFILE_KIND, key=profile_key(account), due_at=now)
    return {**known, **{row.peer_id: Sender(row.name, row.union_id) for row in rows}}


def profile_key(account: PlatformAccount) -> str:
    return f"bihuan_messaging.platformaccount:{account.pk}"


def fetch_missing_profiles(account_id: int) -> int:
    """Ask the platform again for the profiles it did not give (due work); returns how many
    were stored. Raises when the platform fails again (the engine retries with back-off).

    The profile goes on the ``PlatformContact``; a customer created meanwhile gets the
    profile's name while it still has the masked default (never over a name an agent set),
    and the unionid as a further identity.
    """
    account = PlatformAccount.objects.filter(pk=account_id).first()
    if account is None or not account.is_active:
        return 0
    done = 0
    while True:
        pending = list(
            PlatformContact.objects.filter(account=account, fetched_at__isnull=True)
            .order_by("pk")
            .values_list("peer_id", flat=True)[:100]
        )
        if not pending:
            return done
        profiles = {p.peer_id: p for p in client_for(account).fetch_profiles(pending)}
        now = timezone.now()
        with transaction.atomic():
            for peer in pending:
                profile = profiles.get(peer) or Profile(peer)
                sender = Sender(profile.name.strip()[:200], profile.union_id[:191])
                PlatformContact.objects.filter(
                    account=account, peer_id=peer, fetched_at__isnull=True
                ).update(
                    name=sender.name,
                    avatar_url=profile.avatar_url[:500],
                    union_id=sender.union_id,
                    fetched_at=now,
                )
                _update_customer(account, peer, sender)
        done += len(pending)


def _update_customer(account: PlatformAccount, peer_id: str, sender: Sender) -> None:
    """The customer already made for a platform user whose profile came late: the name (while
    still the default) and the unionid. Nothing when no message of theirs made one yet."""
    contact = contact_details(account, peer_id, sender)
    keys = contact.identities()
    identity = known_identities(keys[:1]).get(keys[0])
    if identity is None:
        return
    if contact.more_externals:
        resolve_customer(contact, actor=None)
    if sender.name:
        name_customer_from_channel(identity.customer, sender.name)


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


def _receive(account: PlatformAccount, message: InboundMessage, sender: Sender) -> Received:
    existing = _stored(account, message.message_id)
    if existing is not None:
        return existing
    download = client_for(account).download(message.media) if message.media else None
    stored_name = _store_media(download) if download is not None else ""
    try:
        with transaction.atomic():
            return _store(account, message, download, stored_name, sender)
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
    sender: Sender,
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
    contact = contact_details(
        locked, message.peer_id, Sender(message.name or sender.name, sender.union_id)
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
        if contact.more_externals:
            # The unionid the profile gave after the customer was made: linked now.
            resolve_customer(contact, actor=None)
    assert ticket_message is not None
    if contact.name and ticket.customer.name != contact.name:
        name_customer_from_channel(ticket.customer, contact.name)
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
    platform (without one, a ticket opened elsewhere, nothing is queued). The files its author
    attached for it (drafts uploaded before the reply was written) go with it; a file larger
    than the platform accepts fails the reply with that reason before anything is sent.
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
        _claim_draft_files(message)
        files = list(MessageFile.objects.filter(ticket_message=message).order_by("pk"))
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
            data={
                "platform": last.account.platform,
                "message": message.pk,
                "files": [f.filename for f in files],
            },
        )
        too_large = _too_large(last.account.platform, files)
        if too_large:
            _mark_failed(row, too_large, now=now)
        else:
            due_work.schedule(DELIVERY_KIND, key=delivery_key(row), due_at=now)
    return row


def _too_large(platform: str, files: list[MessageFile]) -> str:
    """The reason a reply cannot go out on ``platform`` ("" when every file fits)."""
    limits = media_limits(platform)
    for file in files:
        if limits.kind_of(file.filename, file.content_type, file.size) is None:
            limit = max(limits.file_bytes, limits.image_bytes) // (1024 * 1024)
            return gettext(
                "The file “%(name)s” is larger than the %(limit)d MB %(platform)s accepts; "
                "nothing of this reply was sent."
            ) % {"name": file.filename, "limit": limit, "platform": Platform(platform).label}
    return ""


def deliver_platform_reply(row_id: int, *, attempt: int) -> None:
    """Send a queued reply (due work, after the reply's commit): its text, then each file as
    an image or file message (or a text with a download link where the platform has no such
    message).

    Raises on a failure to retry — a rate-limit answer of the platform included, which the
    engine retries with its doubling back-off; the last attempt marks the reply failed.
    Each part sent and each file uploaded is remembered on the row: a retry neither sends a
    part again nor uploads a file again. A reply sent already is not sent again.
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
        sent_id = _send_parts(row)
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


def _send_parts(row: PlatformMessage) -> str:
    """Send what of the reply is not sent yet; returns the platform's id of its first part."""
    assert row.ticket_message is not None
    client = client_for(row.account)
    progress: dict[str, Any] = dict(row.progress or {})
    sent: list[str] = list(progress.get("sent") or [])
    media: dict[str, str] = dict(progress.get("media") or {})
    ids: list[str] = list(progress.get("ids") or [])

    def remember() -> None:
        progress.update(sent=sent, media=media, ids=ids)
        PlatformMessage.objects.filter(pk=row.pk).update(progress=progress)

    if row.ticket_message.body.strip() and "text" not in sent:
        ids.append(
            client.send_text(row.peer_id, row.ticket_message.body, reference=f"bihuan-{row.pk}")
        )
        sent.append("text")
        remember()
    files = MessageFile.objects.filter(ticket_message_id=row.ticket_message_id).order_by("pk")
    for file in files:
        part = f"file:{file.pk}"
        if part in sent:
            continue
        ids.append(_send_file(client, row, file, media, remember))
        sent.append(part)
        remember()
    return next((i for i in ids if i), "")


def _send_file(
    client: PlatformClient,
    row: PlatformMessage,
    file: MessageFile,
    media: dict[str, str],
    remember: Callable[[], None],
) -> str:
    reference = f"bihuan-{row.pk}-{file.pk}"
    kind = media_limits(row.account.platform).kind_of(file.filename, file.content_type, file.size)
    if kind == "link" or kind is None:
        text = f"{file.filename}\n{file_link(file)}"
        return client.send_text(row.peer_id, text, reference=reference)
    with file.file.open("rb") as handle:
        upload = Upload(filename=file.filename, content_type=file.content_type, data=handle.read())
    key = media.get(str(file.pk))
    if not key:
        key = client.upload(kind, upload)
        media[str(file.pk)] = key
        remember()  # uploaded once: a failed send is retried with the same media
    return client.send_media(row.peer_id, kind, key, upload, reference=reference)


def file_link(file: MessageFile) -> str:
    """A download address of a reply's file for the customer, signed and valid for
    ``FILE_LINK_DAYS`` days (the Official Account cannot send files; DingTalk's robot only
    some types)."""
    token = signing.dumps({"file": file.pk}, salt=FILE_LINK_SALT)
    path = reverse("messaging:file", kwargs={"token": token})
    return str(settings.BIHUAN_PUBLIC_URL).rstrip("/") + path


def get_linked_file(token: str) -> MessageFile | None:
    """The reply file a ``file_link`` names; None for a forged or expired link."""
    try:
        data = signing.loads(token, salt=FILE_LINK_SALT, max_age=FILE_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("file"), int):
        return None
    return MessageFile.objects.filter(
        pk=data["file"], ticket_message__kind=MessageKind.REPLY
    ).first()


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
    client = client_for(account)
    try:
        token, lifetime = client.fetch_token()
        remember_token(account, token, lifetime)
        account_ok, detail = _check_account(client)
    except PlatformError as exc:
        result = ConnectionTest(False, f"{exc.code}: {exc.message}")
    except Exception as exc:  # DNS, TLS, refused connection, timeout
        result = ConnectionTest(False, f"{type(exc).__name__}: {exc}")
    else:
        message = gettext("Access token received, valid for %(minutes)d minutes.") % {
            "minutes": lifetime // 60
        }
        result = ConnectionTest(bool(token) and account_ok, f"{message} {detail}".strip())
    PlatformAccount.objects.filter(pk=account.pk).update(
        last_test_ok=result.is_ok,
        last_test_message=result.message[:500],
        last_tested_at=timezone.now(),
    )
    return result


def _check_account(client: PlatformClient) -> tuple[bool, str]:
    """WeCom: the token is the corp's; the customer-service account must be one of its kf
    accounts (``kf/account/list``), or no message would ever arrive. (ok, what to add)."""
    if not isinstance(client, WeComClient) or not client.account.open_kfid:
        return True, ""
    names = client.account_names()
    name = names.get(client.account.open_kfid)
    if name is None:
        return False, gettext(
            "But the corp has no customer-service account %(open_kfid)s (it has %(count)d)."
        ) % {"open_kfid": client.account.open_kfid, "count": len(names)}
    return True, gettext("Customer-service account: %(name)s.") % {"name": name}


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
