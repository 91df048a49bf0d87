"""Property: after any sequence of ticket changes, every view's count for every role equals a
recount of that view's own list, up to the cap (above it the count says "cap or more")."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st

from bihuan.customers.models import Customer
from bihuan.testing.factories import make_ticket
from bihuan.tickets import queries
from bihuan.tickets.choices import SlaState, TicketStatus
from bihuan.tickets.models import Ticket
from bihuan.tickets.queries import VIEWS, TicketFilters, count_views, filtered_tickets

pytestmark = pytest.mark.django_db

POOL = 9  # tickets changed at random
CAP = 3  # small, so that both exact and capped counts occur


_change = st.tuples(
    st.integers(min_value=0, max_value=POOL - 1),
    st.sampled_from(["status", "owner", "team", "department", "sla", "share", "follow", "advised"]),
    st.integers(min_value=0, max_value=5),
)


def _pool(org: Any) -> list[Ticket]:
    tickets = list(Ticket.objects.order_by("id")[:POOL])
    for index in range(len(tickets), POOL):
        tickets.append(make_ticket(subject=f"工单 {index}", phone=f"1390000{index:04d}"))
    # Hypothesis runs every example on the same database: each starts from the same state.
    Ticket.objects.update(
        status=TicketStatus.NEW, owner=None, team=None, department=None, sla_state=""
    )
    Ticket.shared_departments.through.objects.all().delete()
    Ticket.followers.through.objects.all().delete()
    Customer.objects.update(advisor=None)
    return tickets


def _apply(org: Any, ticket: Ticket, field: str, choice: int) -> None:
    """One change of the kind the services make, written directly so that every combination
    (any status with any owner, queue, department, SLA state) occurs."""
    users = [None, org.agent, org.other_agent, org.supervisor, org.tech_member, org.advisor]
    rows = Ticket.objects.filter(pk=ticket.pk)
    if field == "status":
        rows.update(status=TicketStatus.values[choice % len(TicketStatus.values)])
    elif field == "owner":
        rows.update(owner=users[choice])
    elif field == "team":
        rows.update(team=[None, org.presales, org.complaints][choice % 3])
    elif field == "department":
        rows.update(department=[None, org.service, org.tech][choice % 3])
    elif field == "sla":
        states = ["", *SlaState.values]
        rows.update(sla_state=states[choice % len(states)])
    elif field == "share":
        if choice == 0:
            ticket.shared_departments.clear()
        else:
            ticket.shared_departments.add([org.service, org.tech][choice % 2])
    elif field == "follow":
        follower = users[choice]
        if follower is None:
            ticket.followers.clear()
        else:
            ticket.followers.add(follower)
    elif field == "advised":
        Customer.objects.filter(pk=ticket.customer_id).update(
            advisor=org.advisor if choice % 2 else None
        )


@given(changes=st.lists(_change, min_size=1, max_size=12))
def test_the_counts_equal_a_recount_of_each_view_after_any_changes(
    org: Any, monkeypatch: pytest.MonkeyPatch, changes: list[tuple[int, str, int]]
) -> None:
    monkeypatch.setattr(queries, "VIEW_COUNT_CAP", CAP)
    cache.clear()  # counts another test left in the cache for a user with the same id
    tickets = _pool(org)
    for index, field, choice in changes:
        _apply(org, tickets[index], field, choice)

    # One viewer of each way of counting: sees everything; queues (one filtered walk per
    # view); queues and advised customers; no queue (a union of one set per reason).
    for viewer in [org.admin, org.agent, org.advisor, org.tech_member]:
        recount = {
            view: min(filtered_tickets(viewer, TicketFilters(view=view)).count(), CAP)
            for view in VIEWS
            if view != "all"
        }
        assert count_views(viewer) == recount, viewer.username
