"""Which ticket an inbound mail continues: by its references first, by ``[#1234]`` next.

Headers only choose the ticket. Whether the sender may speak on it is a separate question
(``is_participant``): a stranger who quotes a ticket's Message-ID or number is held, never
shown as the customer.
"""

from __future__ import annotations

import re

from bihuan.channels.email.message_ids import ticket_of_message_id
from bihuan.channels.email.parsing import ParsedEmail, message_id_key
from bihuan.channels.models import InboundEmail, OutboundEmail
from bihuan.core.errors import ValidationFailed
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import email_spellings, normalize_email
from bihuan.customers.models import CustomerIdentity
from bihuan.tickets.models import Ticket

_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,18})\]")


def find_ticket(parsed: ParsedEmail) -> Ticket | None:
    """The ticket this mail answers, or None for a new conversation."""
    ticket_id = _ticket_by_references(parsed.thread_ids)
    if ticket_id is None:
        match = _SUBJECT_NUMBER.search(parsed.subject)
        if match is not None:
            ticket_id = int(match.group(1))
    if ticket_id is None:
        return None
    return Ticket.objects.filter(pk=ticket_id).first()


def _ticket_by_references(ids: list[str]) -> int | None:
    if not ids:
        return None
    for message_id in ids:  # our own signed ids need no lookup
        ticket_id = ticket_of_message_id(message_id)
        if ticket_id is not None:
            return ticket_id
    keys = [message_id_key(m) for m in ids[:50]]
    found: dict[str, int] = {}
    for key, ticket_id in InboundEmail.objects.filter(
        dedupe_key__in=keys, ticket__isnull=False
    ).values_list("dedupe_key", "ticket_id"):
        found[key] = ticket_id
    for message_id, ticket_id in OutboundEmail.objects.filter(message_id__in=ids[:50]).values_list(
        "message_id", "ticket_id"
    ):
        found[message_id_key(message_id)] = ticket_id
    for key in keys:  # the most recent reference that we know wins
        if key in found:
            return found[key]
    return None


def is_participant(ticket: Ticket, address: str) -> bool:
    """Whether ``address`` belongs to the ticket's customer (the one who may reply by email)."""
    try:
        spellings = email_spellings(normalize_email(address))
    except ValidationFailed:  # not an address we could have stored
        return False
    return CustomerIdentity.objects.filter(
        customer_id=ticket.customer_id, kind=IdentityKind.EMAIL, value__in=spellings
    ).exists()
