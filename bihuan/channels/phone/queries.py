"""Read paths of the phone channel: a ticket's or a customer's recent calls, the SMS
providers, the call-centre webhook's latest deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from bihuan.channels.phone.models import CallRecord, CtiDelivery, SmsProvider
from bihuan.customers.models import Customer
from bihuan.tickets.models import Ticket

RECENT_CALLS = 10
RECENT_DELIVERIES = 10


def _calls() -> QuerySet[CallRecord]:
    return CallRecord.objects.select_related("agent").order_by("-started_at", "-pk")


def list_ticket_calls(ticket: Ticket) -> list[CallRecord]:
    """The ticket's latest calls (the caller already may see the ticket)."""
    return list(_calls().filter(ticket=ticket)[:RECENT_CALLS])


def list_customer_calls(customer: Customer) -> list[CallRecord]:
    """The customer's latest calls (the caller already may see the customer)."""
    return list(_calls().filter(customer=customer)[:RECENT_CALLS])


def list_providers() -> dict[str, SmsProvider]:
    return {p.kind: p for p in SmsProvider.objects.all()}


def list_cti_deliveries() -> list[CtiDelivery]:
    """The call-centre webhook's latest requests and our answers (admins' settings page)."""
    return list(CtiDelivery.objects.order_by("-received_at", "-id")[:RECENT_DELIVERIES])
