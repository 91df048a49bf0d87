"""Chat use cases: configure a widget, take a visitor's message exactly once, identify a
visitor as a customer, and send an agent's reply to the visitor's browser.

A visitor message becomes a message on the visitor's current chat ticket through the ticket
services (``create_ticket`` for the first, ``add_customer_message`` after), in one transaction
with the ``ChatMessage`` row whose unique (visitor, client id) is the dedupe key. The first
message of an anonymous visitor makes an anonymous customer (identity: the visitor's key, an
external id of source ``chat``); when the visitor gives an email or phone, the customer it
resolves to (the same person by phone and by email is one customer) absorbs that anonymous
customer through ``merge_customers``, which an agent can undo.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Team, User
from bihuan.channels.chat import assignment, live, queue
from bihuan.channels.chat.live import visitor_group as visitor_group  # re-exported
from bihuan.channels.chat.models import ChatMessage, ChatVisitor, ChatWidget
from bihuan.channels.errors import RateLimited
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.events import record_event
from bihuan.customers.identity import masked_value
from bihuan.customers.models import Customer
from bihuan.customers.services import ContactDetails, merge_customers, resolve_customer
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import OPEN_STATUSES, Channel, MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket

# The external-id source of an anonymous visitor's identity (the value is the visitor key).
VISITOR_SOURCE = "chat"
SIGNING_SALT = "bihuan.chat.visitor"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ORIGIN = re.compile(r"^https?://[a-z0-9.\-\[\]:]+$")
HISTORY_LIMIT = 200
# ``last_seen_at`` is written at most this often (not on every message).
LAST_SEEN_EVERY = timedelta(minutes=1)


def max_message_chars() -> int:
    return int(getattr(settings, "BIHUAN_CHAT_MAX_MESSAGE_CHARS", 2000))


def messages_per_minute() -> int:
    return int(getattr(settings, "BIHUAN_CHAT_MESSAGES_PER_MINUTE", 20))


def widget_group(widget_id: int) -> str:
    """The channel-layer group of every visitor connection of one widget."""
    return f"chat.widget.{widget_id}"


def _close_connections(widget_id: int) -> None:
    transaction.on_commit(lambda: live.push(widget_group(widget_id), {"type": "chat.close"}))


# --- Widgets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WidgetFields:
    """What an admin sets on a widget."""

    name: str
    allowed_origins: str = ""
    team: Team | None = None
    greeting: str = ""
    offline_message: str = ""
    max_chats_per_agent: int = 5
    is_active: bool = True


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotFound(_("Page not found."))


def _clean_widget(fields: WidgetFields) -> dict[str, Any]:
    name = neutralise_bidi(fields.name).strip()
    if not name or len(name) > 100:
        raise ValidationFailed(_("A widget needs a name of 1–100 characters."), code="invalid_name")
    origins = []
    for line in fields.allowed_origins.splitlines():
        origin = line.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN.match(origin):
            raise ValidationFailed(
                _("“%(origin)s” is not an origin like https://shop.example.cn."),
                code="invalid_origin",
                origin=origin[:100],
            )
        origins.append(origin)
    if not 1 <= fields.max_chats_per_agent <= 50:
        raise ValidationFailed(_("An agent takes 1 to 50 chats at once."), code="invalid_max_chats")
    texts = ((_("Greeting"), fields.greeting), (_("Offline message"), fields.offline_message))
    for label, text in texts:
        if len(text) > 500:
            raise ValidationFailed(
                _("%(field)s is longer than %(limit)s characters."),
                code="too_long",
                field=str(label),
                limit=500,
            )
    return {
        "name": name,
        "allowed_origins": "\n".join(dict.fromkeys(origins)),
        "team": fields.team,
        "greeting": neutralise_bidi(fields.greeting).strip(),
        "offline_message": neutralise_bidi(fields.offline_message).strip(),
        "max_chats_per_agent": fields.max_chats_per_agent,
        "is_active": fields.is_active,
    }


def create_widget(fields: WidgetFields, *, actor: User) -> ChatWidget:
    """Add a widget with a new random public key (admins only); ``chat.widget_created``."""
    _require_admin(actor)
    values = _clean_widget(fields)
    now = timezone.now()
    with transaction.atomic():
        widget = ChatWidget.objects.create(
            public_key=secrets.token_urlsafe(18), created_at=now, updated_at=now, **values
        )
        record_event("chat.widget_created", widget, actor=actor, at=now, data={"name": widget.name})
    return widget


def update_widget(widget: ChatWidget, fields: WidgetFields, *, actor: User) -> ChatWidget:
    """Change a widget (admins only); ``chat.widget_changed`` with what changed."""
    _require_admin(actor)
    values = _clean_widget(fields)
    with transaction.atomic():
        locked = ChatWidget.objects.select_for_update().get(pk=widget.pk)
        changes: dict[str, list[Any]] = {}
        for name, value in values.items():
            before = getattr(locked, name)
            if name == "team":
                before, after = locked.team_id, value.pk if value else None
            else:
                after = value
            if before != after:
                changes[name] = [before, after]
                setattr(locked, name, value)
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changes, "updated_at"])
        record_event("chat.widget_changed", locked, actor=actor, data={"changes": changes})
        if {"is_active", "allowed_origins"} & set(changes):
            _close_connections(locked.pk)  # they reconnect under the new rules
    return locked


def new_public_key(widget: ChatWidget, *, actor: User) -> ChatWidget:
    """Replace the widget's public key: pages embedding the old one stop connecting."""
    _require_admin(actor)
    with transaction.atomic():
        locked = ChatWidget.objects.select_for_update().get(pk=widget.pk)
        locked.public_key = secrets.token_urlsafe(18)
        locked.updated_at = timezone.now()
        locked.save(update_fields=["public_key", "updated_at"])
        record_event("chat.widget_key_replaced", locked, actor=actor, data={})
        _close_connections(locked.pk)
    return locked


# --- Connecting --------------------------------------------------------------------------------


def find_widget(public_key: str, origin: str) -> ChatWidget | None:
    """The active widget of ``public_key`` if ``origin`` may embed it, else None."""
    if not public_key or len(public_key) > 64:
        return None
    widget = ChatWidget.objects.filter(public_key=public_key, is_active=True).first()
    if widget is None:
        return None
    if origin.strip().rstrip("/").lower() not in widget.origins:
        return None
    return widget


def visitor_token(widget: ChatWidget, visitor_key: str) -> str:
    """The signed token the widget keeps in localStorage to be the same visitor again."""
    return signing.dumps({"w": widget.pk, "v": visitor_key}, salt=SIGNING_SALT, compress=False)


def open_visitor_session(widget: ChatWidget, token: str) -> tuple[str, str]:
    """(visitor key, token): the key of a valid token of this widget, else a new visitor.
    Nothing is written: a visitor row appears with its first message or contact details."""
    if token and len(token) <= 300:
        try:
            data = signing.loads(token, salt=SIGNING_SALT)
        except signing.BadSignature:
            data = None
        if isinstance(data, dict) and data.get("w") == widget.pk and isinstance(data.get("v"), str):
            return data["v"], token
    key = secrets.token_urlsafe(18)
    return key, visitor_token(widget, key)


def agents_online(widget: ChatWidget) -> bool:
    """Whether someone can answer this widget's chats now."""
    return assignment.online_agents(widget).exists()


# --- Visitor messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatEntry:
    """One line of a chat as the widget shows it."""

    id: int
    sender: str  # "visitor" | "agent"
    body: str
    at: datetime
    client_id: str = ""
    author: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "body": self.body,
            "at": self.at.isoformat(),
            "client_id": self.client_id,
            "author": self.author,
        }


@dataclass(frozen=True)
class Received:
    """A visitor message as stored: the entry the widget shows, and whether it was a repeat."""

    entry: ChatEntry
    ticket_id: int
    is_duplicate: bool
    queue_position: int | None = None  # waiting for an agent: the chat's place in the queue


def _check_client_id(client_id: str) -> None:
    if not _CLIENT_ID.match(client_id or ""):
        raise ValidationFailed(
            _("A message needs a client id of 1–64 letters, digits, - or _."),
            code="invalid_client_id",
        )


def _check_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed(_("The message is empty."), code="empty")
    if len(text) > max_message_chars():
        raise ValidationFailed(
            _("A chat message is at most %(limit)s characters."),
            code="too_large",
            limit=max_message_chars(),
        )
    return text


def _check_rate(visitor_key: str) -> None:
    key = "bihuan:chat:rate:" + hashlib.sha256(visitor_key.encode()).hexdigest()[:32]
    if _count_this_minute(key) > messages_per_minute():
        raise RateLimited(_("You are sending messages too fast; please wait a moment."))


def _count_this_minute(key: str) -> int:
    """Count one message in the key's minute. On Redis one round trip (SET NX EX and INCR in
    a pipeline) where the cache API's ``add`` and ``incr`` take three, on every message."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, ex=60, nx=True)
        pipe.incr(full_key)
        return int(pipe.execute()[1])
    backend.add(key, 0, timeout=60)
    try:
        return int(backend.incr(key))
    except ValueError:  # expired between add and incr
        backend.set(key, 1, timeout=60)
        return 1


def _entry(chat: ChatMessage) -> ChatEntry:
    return ChatEntry(
        id=chat.message_id,
        sender="visitor",
        body=chat.message.body,
        at=chat.message.created_at,
        client_id=chat.client_id,
    )


def _stored(visitor_key: str, client_id: str) -> Received | None:
    chat = (
        ChatMessage.objects.select_related("message")
        .filter(visitor__key=visitor_key, client_id=client_id)
        .first()
    )
    if chat is None:
        return None
    return Received(_entry(chat), chat.ticket_id, is_duplicate=True)


def _visitor_for_update(widget: ChatWidget, visitor_key: str) -> ChatVisitor:
    """The visitor's row, locked (created on first use; a concurrent creation re-reads)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            ChatVisitor.objects.get_or_create(
                key=visitor_key,
                defaults={"widget": widget, "created_at": now, "last_seen_at": now},
            )
    except IntegrityError:
        pass
    visitor = ChatVisitor.objects.select_for_update().get(key=visitor_key)
    if visitor.widget_id != widget.pk:
        raise NotFound(_("Conversation not found."))
    return visitor


def _locked_visitor(visitor_key: str, client_id: str) -> ChatVisitor | None:
    """The visitor's row locked, with its current ticket and, as ``stored_message``, the
    message already stored under ``client_id`` (a resend): one query for the common case."""
    stored = ChatMessage.objects.filter(visitor=OuterRef("pk"), client_id=client_id)
    return (
        # Only the visitor's row is locked (the ticket is locked by the ticket services, and
        # PostgreSQL refuses FOR UPDATE on the nullable side of the join).
        ChatVisitor.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .annotate(stored_message=Subquery(stored.values("message_id")[:1]))
        .filter(key=visitor_key)
        .first()
    )


def _visitor_name(visitor_key: str) -> str:
    code = hashlib.sha256(visitor_key.encode()).hexdigest()[:6].upper()
    return gettext("Chat visitor %(code)s") % {"code": code}


def _current_customer(visitor: ChatVisitor) -> Customer | None:
    """The visitor's customer, following merges an agent made meanwhile."""
    customer = visitor.customer
    seen = 0
    while customer is not None and customer.merged_into_id is not None and seen < 10:
        customer = Customer.objects.get(pk=customer.merged_into_id)
        seen += 1
    return customer


def receive_visitor_message(
    widget: ChatWidget, *, visitor_key: str, client_id: str, body: str
) -> Received:
    """Store one visitor message exactly once on the visitor's chat ticket.

    The same client id again (a resend after a reconnect) answers the stored message marked
    ``is_duplicate`` and changes nothing. The first message, or the first after the last
    ticket was closed, opens a chat ticket in the widget's queue and gives it to an agent
    online for chat below their maximum of concurrent chats (none free: it waits unowned in
    the queue, ``chat.queued``, until room frees — ``queue``). Refused before any write: a bad
    client id, an empty or too long message, more than ``BIHUAN_CHAT_MESSAGES_PER_MINUTE``
    messages a minute.

    Cost: a message on an open chat is one transaction of eight statements (the visitor's
    row locked with its ticket and the resend check in one query, then the ticket services'
    lock, message, counter, event, reactions and ticket update, and the chat message row);
    a waiting chat adds one for its place in the queue.
    """
    _check_client_id(client_id)
    text = _check_body(body)
    try:
        with transaction.atomic():
            return _store_message(widget, visitor_key, client_id, text)
    except IntegrityError:
        # The same message arrived on another connection and was stored first.
        existing = _stored(visitor_key, client_id)
        if existing is None:
            raise
        return existing


def _store_message(widget: ChatWidget, visitor_key: str, client_id: str, text: str) -> Received:
    now = timezone.now()
    visitor = _locked_visitor(visitor_key, client_id)
    if visitor is None:
        try:
            with transaction.atomic():  # a savepoint: a concurrent first message may win
                ChatVisitor.objects.create(
                    key=visitor_key, widget=widget, created_at=now, last_seen_at=now
                )
        except IntegrityError:
            pass
        visitor = _locked_visitor(visitor_key, client_id)
        assert visitor is not None
    if visitor.widget_id != widget.pk:
        raise NotFound(_("Conversation not found."))
    if visitor.stored_message is not None:  # type: ignore[attr-defined]
        existing = _stored(visitor_key, client_id)
        assert existing is not None
        return existing
    _check_rate(visitor_key)  # a resend above is not counted
    ticket = visitor.ticket
    is_offline = False
    fields: list[str] = []
    if ticket is not None and ticket.status != TicketStatus.CLOSED:
        message = ticket_services.add_customer_message(ticket, body=text, channel=Channel.CHAT)
    else:
        ticket, message, is_offline = _open_chat(widget, visitor, text)
        fields = ["ticket", "customer"]
    if fields or now - visitor.last_seen_at > LAST_SEEN_EVERY:
        visitor.last_seen_at = now
        visitor.save(update_fields=[*fields, "last_seen_at"])
    chat = ChatMessage.objects.create(
        visitor=visitor,
        client_id=client_id,
        ticket=ticket,
        message=message,
        is_offline=is_offline,
        created_at=now,
    )
    position = None
    if ticket.owner_id is None and not is_offline:
        position = queue.queue_position(ticket, team_id=widget.team_id)
    return Received(_entry(chat), ticket.pk, is_duplicate=False, queue_position=position)


def _open_chat(widget: ChatWidget, visitor: ChatVisitor, text: str) -> tuple[Ticket, Message, bool]:
    """A new chat ticket for the visitor's message, given to an agent with room; nobody with
    room: it waits (``chat.queued``); nobody online: it is an offline message."""
    customer = _current_customer(visitor)
    first_line = text.splitlines()[0][:60]
    ticket = ticket_services.create_ticket(
        ticket_services.NewTicket(
            subject=gettext("Chat: %(text)s") % {"text": first_line},
            body=text,
            channel=Channel.CHAT,
            team=widget.team,
            customer=customer,
            contact=ContactDetails(
                name=_visitor_name(visitor.key),
                external_id=visitor.key,
                external_source=VISITOR_SOURCE,
            ),
        ),
        actor=None,
    )
    message = ticket.messages.get(kind=MessageKind.CUSTOMER)
    visitor.ticket = ticket
    visitor.customer = ticket.customer
    owner = assignment.assign_chat(ticket, widget)
    if owner is not None:
        return ticket, message, False
    if not assignment.online_agents(widget).exists():
        return ticket, message, True
    # Everyone online is at their limit: the chat waits; the event is what wakes the queue
    # should room have freed while this transaction ran.
    record_event(
        "chat.queued",
        visitor,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        data={"widget": widget.pk},
    )
    return ticket, message, False


# --- Identifying a visitor -------------------------------------------------------------------


def identify_visitor(
    widget: ChatWidget, *, visitor_key: str, name: str = "", email: str = "", phone: str = ""
) -> ChatVisitor:
    """The visitor gave an email and/or phone: from now on they are that customer.

    An anonymous visitor's customer (made for their first message) is merged into the
    customer the details resolve to, so the chat joins that customer's history; a visitor
    already identified gains the new details (a detail that belongs to another customer stays
    with it). Invalid details are refused before any write. ``chat.visitor_identified``.
    """
    details = ContactDetails(name=name[:200], email=email, phone=phone)
    identities = details.identities()  # raises on a malformed email or phone
    if not identities:
        raise ValidationFailed(
            _("Give an email address or a phone number so that we can answer you."),
            code="contact_required",
        )
    with transaction.atomic():
        visitor = _visitor_for_update(widget, visitor_key)
        current = _current_customer(visitor)
        if current is None:
            customer, _created = resolve_customer(
                ContactDetails(
                    name=details.name,
                    email=email,
                    phone=phone,
                    external_id=visitor_key,
                    external_source=VISITOR_SOURCE,
                ),
                actor=None,
            )
        elif visitor.identified_at is None and current.pk == visitor.customer_id:
            customer, _created = resolve_customer(details, actor=None)
            if customer.pk != current.pk:
                merge_customers(current, into=customer, actor=None)
        else:
            customer, _created = resolve_customer(
                ContactDetails(
                    email=email,
                    phone=phone,
                    external_id=visitor_key,
                    external_source=VISITOR_SOURCE,
                ),
                actor=None,
            )
        now = timezone.now()
        visitor.customer = customer
        visitor.identified_at = visitor.identified_at or now
        visitor.last_seen_at = now
        visitor.save(update_fields=["customer", "identified_at", "last_seen_at"])
        record_event(
            "chat.visitor_identified",
            visitor,
            customer_id=customer.pk,
            ticket_id=visitor.ticket_id,
            at=now,
            data={"given": [masked_value(key.kind, key.value) for key in identities]},
        )
    return visitor


# --- The conversation as the widget shows it -------------------------------------------------


def is_identified(visitor_key: str) -> bool:
    return ChatVisitor.objects.filter(key=visitor_key, identified_at__isnull=False).exists()


def waiting_position(widget: ChatWidget, visitor_key: str) -> int | None:
    """The place of the visitor's chat among the chats waiting for an agent (None: not
    waiting). One query when the chat has an owner."""
    current = ChatVisitor.objects.filter(key=visitor_key, widget=widget).values("ticket_id")
    ticket = Ticket.objects.filter(
        pk__in=current, owner__isnull=True, status__in=OPEN_STATUSES, channel=Channel.CHAT
    ).first()
    if ticket is None:
        return None
    return queue.queue_position(ticket, team_id=widget.team_id)


def current_ticket(visitor_key: str) -> tuple[int, str] | None:
    """The visitor's current chat ticket and the name its customer goes by (None before the
    first message)."""
    row = (
        ChatVisitor.objects.filter(key=visitor_key, ticket__isnull=False)
        .values_list("ticket_id", "ticket__customer__name")
        .first()
    )
    return (int(row[0]), str(row[1])) if row else None


def history(widget: ChatWidget, *, visitor_key: str, after: int = 0) -> list[ChatEntry]:
    """The visitor's chat (their messages and the agents' chat replies, not internal notes),
    after message id ``after``, oldest first, at most ``HISTORY_LIMIT``."""
    visitor = ChatVisitor.objects.filter(key=visitor_key, widget=widget).first()
    if visitor is None:
        return []
    ticket_ids = set(
        ChatMessage.objects.filter(visitor=visitor).values_list("ticket_id", flat=True)
    )
    if visitor.ticket_id:
        ticket_ids.add(visitor.ticket_id)
    rows = (
        Message.objects.filter(
            ticket_id__in=ticket_ids,
            channel=Channel.CHAT,
            kind__in=(MessageKind.CUSTOMER, MessageKind.REPLY),
            pk__gt=max(after, 0),
        )
        .select_related("author", "chat_message")
        .order_by("pk")[:HISTORY_LIMIT]
    )
    return [_as_entry(row) for row in rows]


def _as_entry(message: Message) -> ChatEntry:
    if message.kind == MessageKind.CUSTOMER:
        chat = getattr(message, "chat_message", None)
        return ChatEntry(
            id=message.pk,
            sender="visitor",
            body=message.body,
            at=message.created_at,
            client_id=chat.client_id if chat is not None else "",
        )
    return ChatEntry(
        id=message.pk,
        sender="agent",
        body=message.body,
        at=message.created_at,
        author=str(message.author) if message.author else "",
    )


# --- Outbound: an agent's reply to the visitor's browser -------------------------------------


def deliver_chat_reply(message_id: int, *, attempt: int = 1) -> int:
    """Push an agent's chat reply to every open connection of the ticket's visitor (through
    the channel layer, so it reaches a visitor connected to any ASGI worker). Answers how
    many visitors it was sent to. A visitor offline now reads it from the history when they
    connect again; pushing twice is harmless (the widget keeps each message id once)."""
    message = (
        Message.objects.select_related("author")
        .filter(pk=message_id, kind=MessageKind.REPLY, channel=Channel.CHAT)
        .first()
    )
    if message is None:
        return 0
    keys = list(
        ChatVisitor.objects.filter(ticket_id=message.ticket_id).values_list("key", flat=True)
    )
    payload = {"type": "chat.entry", "entry": _as_entry(message).as_json()}
    for key in keys:
        live.push(visitor_group(key), payload)
    return len(keys)
