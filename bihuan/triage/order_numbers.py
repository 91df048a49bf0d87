"""Order and tracking numbers recognised in messages by admin-configured patterns.

The agent no longer asks for the order number twice: every message (by any channel) is read
by the active ``OrderNumberPattern`` rows, in the background, as a consumer of the event log
(``ticket.created``, ``ticket.message_added``); what they find is kept once per message and
number (``OrderNumberMention``) and shown on the ticket page and on the customer page (all
the customer's tickets, so numbers follow a customer merge).

Patterns are Python regular expressions, validated before they are saved: one that does
not compile, or finds nothing in its own example, is refused with the reason. Text is
NFKC-normalised first, so full-width digits typed with a Chinese input method count.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.consumers import consumer
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.models import Event
from bihuan.customers.models import Customer
from bihuan.customers.panels import register_customer_panel
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.panels import register_ticket_panel
from bihuan.tickets.permissions import visible_tickets
from bihuan.triage.models import OrderNumberMention, OrderNumberPattern

MAX_REGEX = 300
MAX_NUMBER = 100
MAX_PER_MESSAGE = 20  # a pasted spreadsheet is not twenty orders to show
NUMBER_GROUP = "number"


@dataclass(frozen=True)
class PatternInput:
    """What an admin typed for a pattern."""

    name: str
    regex: str
    example: str
    is_active: bool = True
    position: int = 0


@dataclass(frozen=True)
class Found:
    """One number a pattern found in a text."""

    label: str
    number: str
    pattern_id: int | None = None


def compile_pattern(regex: str) -> re.Pattern[str]:
    """The compiled expression, or ValidationFailed saying what is wrong with it."""
    if not regex.strip():
        raise ValidationFailed(_("Enter a regular expression."), code="regex_required")
    if len(regex) > MAX_REGEX:
        raise ValidationFailed(
            _("A pattern has at most %(max)s characters."), code="regex_too_long", max=MAX_REGEX
        )
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ValidationFailed(
            _("This is not a valid regular expression: %(reason)s"),
            code="regex_invalid",
            reason=str(exc),
        ) from exc
    if compiled.groups and NUMBER_GROUP not in compiled.groupindex:
        # Without it every (…) group is ambiguous: which one holds the number?
        raise ValidationFailed(
            _("Name the group that holds the number (?P<number>…), or use (?:…) groups."),
            code="regex_group",
        )
    return compiled


def numbers_in(text: str, compiled: re.Pattern[str]) -> list[str]:
    """The numbers ``compiled`` finds in ``text`` (NFKC-normalised), in order, once each."""
    normal = unicodedata.normalize("NFKC", text)
    found: list[str] = []
    for match in compiled.finditer(normal):
        number = match.group(NUMBER_GROUP) if NUMBER_GROUP in compiled.groupindex else match[0]
        number = (number or "").strip()
        if number and len(number) <= MAX_NUMBER and number not in found:
            found.append(number)
        if len(found) >= MAX_PER_MESSAGE:
            break
    return found


def preview_pattern(regex: str, *, example: str, sample: str = "") -> dict[str, list[str]]:
    """What the pattern finds in its example and in a sample text (nothing is saved)."""
    compiled = compile_pattern(regex)
    return {"example": numbers_in(example, compiled), "sample": numbers_in(sample, compiled)}


def find_order_numbers(text: str, patterns: Sequence[OrderNumberPattern]) -> list[Found]:
    """Every number the ``patterns`` find in ``text``, first pattern first, once each."""
    found: dict[str, Found] = {}
    for pattern in patterns:
        try:
            compiled = re.compile(pattern.regex)
        except re.error:
            continue  # saved before validation existed: the page shows it as broken
        for number in numbers_in(text, compiled):
            found.setdefault(number, Found(pattern.name, number, pattern.pk))
    return list(found.values())[:MAX_PER_MESSAGE]


# --- The admin's writes ----------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        # Like the other triage settings: not even their existence is shown to others.
        raise NotFound(_("Pattern not found."))


def _clean(data: PatternInput) -> PatternInput:
    name = data.name.strip()
    example = data.example.strip()
    if not name or len(name) > 100:
        raise ValidationFailed(_("A pattern needs a name (100 characters at most)."), code="name")
    if not example or len(example) > 200:
        raise ValidationFailed(
            _("Give an example text with a number in it (200 characters at most)."),
            code="example_required",
        )
    if not 0 <= data.position <= 10_000:
        raise ValidationFailed(_("The position is between 0 and 10000."), code="position")
    compiled = compile_pattern(data.regex)
    if not numbers_in(example, compiled):
        raise ValidationFailed(
            _("The pattern finds no number in its example: fix one or the other."),
            code="example_mismatch",
        )
    return PatternInput(name, data.regex, example, data.is_active, data.position)


def save_order_number_pattern(
    data: PatternInput, *, actor: User, pattern: OrderNumberPattern | None = None
) -> OrderNumberPattern:
    """Create or change a pattern (admins only). Refused before writing when the regular
    expression does not compile or finds nothing in the example. Records the triage-rule
    verbs (``triage.rule_created`` / ``triage.rule_changed``, ``data.rule`` saying which
    kind of rule) with the before/after values."""
    _require_admin(actor)
    clean = _clean(data)
    now = timezone.now()
    fields = {
        "name": clean.name,
        "regex": clean.regex,
        "example": clean.example,
        "is_active": clean.is_active,
        "position": clean.position,
    }
    with transaction.atomic():
        if pattern is None:
            saved = OrderNumberPattern.objects.create(**fields, created_at=now, updated_at=now)
            changes = {name: [None, value] for name, value in fields.items()}
            verb = "triage.rule_created"
        else:
            saved = OrderNumberPattern.objects.select_for_update().get(pk=pattern.pk)
            changes = {
                name: [getattr(saved, name), value]
                for name, value in fields.items()
                if getattr(saved, name) != value
            }
            if not changes:
                return saved
            for name, value in fields.items():
                setattr(saved, name, value)
            saved.updated_at = now
            saved.save(update_fields=[*fields, "updated_at"])
            verb = "triage.rule_changed"
        record_event(
            verb,
            saved,
            actor=actor,
            data={"name": saved.name, "rule": "order_number", "changes": changes},
        )
    return saved


def record_order_numbers(message_ids: Sequence[int]) -> int:
    """Read the messages with the active patterns and keep what they find (once per message
    and number: running twice adds nothing). Answers how many numbers were new."""
    patterns = list(OrderNumberPattern.objects.filter(is_active=True).order_by("position", "id"))
    if not patterns or not message_ids:
        return 0
    messages = Message.objects.filter(pk__in=list(message_ids)).only("pk", "ticket_id", "body")
    now = timezone.now()
    rows = [
        OrderNumberMention(
            ticket_id=message.ticket_id,
            message_id=message.pk,
            pattern_id=found.pattern_id,
            label=found.label[:100],
            number=found.number,
            created_at=now,
        )
        for message in messages
        for found in find_order_numbers(message.body, patterns)
    ]
    before = OrderNumberMention.objects.filter(message_id__in=list(message_ids)).count()
    OrderNumberMention.objects.bulk_create(rows, ignore_conflicts=True)
    return OrderNumberMention.objects.filter(message_id__in=list(message_ids)).count() - before


def _has_message(event: Event) -> bool:
    return event.ticket_id is not None and isinstance(event.data.get("message"), int)


@consumer(
    "triage.order_numbers",
    verbs=("ticket.created", "ticket.message_added"),
    accepts=_has_message,
    batch_size=100,
)
def recognise_order_numbers(events: Sequence[Event]) -> None:
    """Every new message, whatever its channel or author, is read for order numbers."""
    record_order_numbers([int(event.data["message"]) for event in events])


# --- Reads and panels ------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberRow:
    """One number as the panels show it: where it was first and last mentioned."""

    number: str
    label: str
    ticket_id: int
    mentions: int


def _rows(mentions: Sequence[OrderNumberMention]) -> list[NumberRow]:
    grouped: dict[str, list[OrderNumberMention]] = {}
    for mention in mentions:
        grouped.setdefault(mention.number, []).append(mention)
    return [
        NumberRow(
            number=number,
            label=found[0].label,
            ticket_id=found[0].ticket_id,
            mentions=len(found),
        )
        for number, found in grouped.items()
    ]


def ticket_order_numbers(ticket: Ticket) -> list[NumberRow]:
    """The numbers found on ``ticket``, newest first (the viewer already sees the ticket)."""
    return _rows(list(OrderNumberMention.objects.filter(ticket=ticket).order_by("-id")[:200]))


def customer_order_numbers(viewer: User, customer: Customer) -> list[NumberRow]:
    """The numbers found on the tickets of ``customer`` that ``viewer`` may see, newest
    first, with the ticket that last mentioned each."""
    tickets = visible_tickets(viewer).filter(customer=customer).values("pk")
    mentions = OrderNumberMention.objects.filter(ticket_id__in=tickets).order_by("-id")[:500]
    return _rows(list(mentions))


def render_ticket_order_numbers(request: HttpRequest, ticket: Ticket) -> SafeString:
    rows = ticket_order_numbers(ticket)
    if not rows:
        return SafeString("")
    html = render_to_string(
        "triage/_order_numbers.html", {"rows": rows, "on_customer": False}, request=request
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


def render_customer_order_numbers(request: HttpRequest, customer: Customer) -> SafeString:
    if not isinstance(request.user, User):
        return SafeString("")
    rows = customer_order_numbers(request.user, customer)
    if not rows:
        return SafeString("")
    html = render_to_string(
        "triage/_order_numbers.html", {"rows": rows, "on_customer": True}, request=request
    )
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


def list_patterns(viewer: User) -> list[OrderNumberPattern]:
    """Every pattern, in the order they are tried (admins only)."""
    _require_admin(viewer)
    return list(OrderNumberPattern.objects.order_by("position", "id"))


def get_pattern(viewer: User, pattern_id: int) -> OrderNumberPattern:
    _require_admin(viewer)
    pattern = OrderNumberPattern.objects.filter(pk=pattern_id).first()
    if pattern is None:
        raise NotFound(_("Pattern not found."))
    return pattern


register_ticket_panel("order_numbers", render_ticket_order_numbers)
register_customer_panel("order_numbers", render_customer_order_numbers)
