"""Tickets and messages move with their customer when two customers are merged.

Registered with ``bihuan.customers.merging`` (customers does not import tickets): inside
the merge's transaction the merged customer's tickets and the messages it wrote move to the
survivor, and the merge record keeps their ids so that undoing it moves exactly those back.
"""

from __future__ import annotations

from bihuan.customers.merging import chunked, register_merge_participant
from bihuan.customers.models import Customer
from bihuan.tickets.models import Message, Ticket


def move_tickets(merged: Customer, survivor: Customer) -> list[int]:
    ids = list(Ticket.objects.filter(customer=merged).order_by("pk").values_list("pk", flat=True))
    for chunk in chunked(ids):
        Ticket.objects.filter(pk__in=chunk).update(customer=survivor)
    return ids


def undo_tickets(merged: Customer, survivor: Customer, ids: list[int]) -> None:
    for chunk in chunked(ids):
        Ticket.objects.filter(pk__in=chunk, customer=survivor).update(customer=merged)


def move_messages(merged: Customer, survivor: Customer) -> list[int]:
    ids = list(Message.objects.filter(customer=merged).order_by("pk").values_list("pk", flat=True))
    for chunk in chunked(ids):
        Message.objects.filter(pk__in=chunk).update(customer=survivor)
    return ids


def undo_messages(merged: Customer, survivor: Customer, ids: list[int]) -> None:
    for chunk in chunked(ids):
        Message.objects.filter(pk__in=chunk, customer=survivor).update(customer=merged)


register_merge_participant("tickets", move=move_tickets, undo=undo_tickets)
register_merge_participant("messages", move=move_messages, undo=undo_messages)
