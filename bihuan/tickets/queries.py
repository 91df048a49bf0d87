"""Read paths for tickets: scoped by the viewer, prefetched, paginated by key."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core.digits import ascii_digits
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.models import Event
from bihuan.core.pagination import Page, paginate
from bihuan.core.time_window import check_date
from bihuan.customers.choices import IdentityKind
from bihuan.customers.identity import looks_like_email, looks_like_phone
from bihuan.customers.models import Customer
from bihuan.customers.queries import (
    TicketSummary,
    customer_ids_by_masked_phone,
    find_customers_by_contact,
    name_contains,
    visible_customers,
)
from bihuan.tickets.choices import OPEN_STATUSES, Channel, SlaState, TicketStatus
from bihuan.tickets.models import (
    CallBack,
    CollaborationTask,
    Commitment,
    Message,
    Ticket,
    TicketLink,
)
from bihuan.tickets.permissions import ticket_scope_branches, visible_tickets
from bihuan.tickets.search import ranked_ticket_ids
from bihuan.tickets.services import unknown_reference

VIEWS = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "department": _("My department"),
    "open": _("All open"),
    "at_risk": _("SLA at risk or missed"),
    "waiting": _("Waiting for customer"),
    "solved": _("Solved, awaiting confirmation"),
    "all": _("All tickets"),
}
SORTS = {
    "-updated": ("updated_at", True),
    "updated": ("updated_at", False),
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "-priority": ("priority", True),
    "priority": ("priority", False),
    "sla": ("sla_sort_key", False),
}
# The events that carry a message of the ticket (a merged copy included).
MESSAGE_VERBS = ("ticket.message_added", "ticket.created", "ticket.message_merged")
# The SLA states a ticket at risk shows (a copy of its most urgent clock, see the sla app).
AT_RISK_STATES = (SlaState.WARNING, SlaState.BREACHED)


@dataclass
class TicketFilters:
    """The inbox's filters; every field is optional and they combine with AND."""

    view: str = "open"
    status: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    category: int | None = None
    owner: int | None = None
    team: int | None = None
    tag: str = ""
    customer: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "-updated"

    def validate(self) -> None:
        if self.view not in VIEWS:
            raise ValidationFailed(
                _("Unknown view “%(view)s”."), code="invalid_view", view=self.view
            )
        if self.sort not in SORTS:
            raise ValidationFailed(
                _("Unknown sort “%(sort)s”."), code="invalid_sort", sort=self.sort
            )
        bad = [s for s in self.status if s not in TicketStatus.values]
        if bad:
            raise ValidationFailed(
                _("Unknown status “%(status)s”."), code="invalid_status", status=bad[0]
            )
        for day in (self.created_from, self.created_to):
            if day is not None:
                check_date(day, label=str(_("Date")))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_tickets(viewer: User, filters: TicketFilters) -> QuerySet[Ticket]:
    filters.validate()
    tickets = visible_tickets(viewer)
    view = filters.view
    if view == "mine":
        tickets = tickets.filter(owner_id=viewer.pk, status__in=OPEN_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(owner__isnull=True, status__in=OPEN_STATUSES)
    elif view == "department" and viewer.department_id is None:
        tickets = tickets.none()
    elif view == "department":
        tickets = tickets.filter(
            Q(department_id=viewer.department_id) | Q(shared_departments__id=viewer.department_id),
            status__in=OPEN_STATUSES,
        ).distinct()
    elif view == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif view == "at_risk":
        tickets = tickets.filter(status__in=OPEN_STATUSES, sla_state__in=AT_RISK_STATES)
    elif view == "waiting":
        tickets = tickets.filter(status=TicketStatus.PENDING_CUSTOMER)
    elif view == "solved":
        tickets = tickets.filter(status=TicketStatus.SOLVED)
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    if filters.priority:
        tickets = tickets.filter(priority__in=filters.priority)
    if filters.kind:
        tickets = tickets.filter(kind__in=filters.kind)
    if filters.channel:
        tickets = tickets.filter(channel__in=filters.channel)
    if filters.category is not None:
        tickets = tickets.filter(
            Q(category_id=filters.category) | Q(category__parent_id=filters.category)
        )
    if filters.owner is not None:
        tickets = tickets.filter(owner_id=filters.owner)
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag)
    if filters.customer is not None:
        tickets = tickets.filter(customer_id=filters.customer)
    if filters.created_from:
        tickets = tickets.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        tickets = tickets.filter(created_at__lt=_day_start(filters.created_to + timedelta(days=1)))
    return tickets


def _list_related(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related(
        "customer", "owner", "team", "department", "category", "category__parent"
    ).prefetch_related(
        "tags",
        Prefetch(
            "customer__identities",
        ),
    )


def list_tickets(
    viewer: User, filters: TicketFilters, *, cursor: str | None = None, limit: int | None = None
) -> Page[Ticket]:
    """One page of the viewer's tickets for an inbox view; constant queries per page."""
    order_field, descending = SORTS[filters.sort] if filters.sort in SORTS else SORTS["-updated"]
    tickets = filtered_tickets(viewer, filters)
    size = min(limit or settings.BIHUAN_PAGE_SIZE, settings.BIHUAN_API_PAGE_SIZE_MAX)
    return paginate(
        _list_related(tickets),
        order_field=order_field,
        descending=descending,
        limit=size,
        cursor=cursor,
    )


# Counts beside the views stop at this many: "99+" is all an agent needs to know, and a count
# that stops costs the same at 10,000 tickets as at 1,000,000 (docs/performance.md).
VIEW_COUNT_CAP = 100


def count_views(viewer: User) -> dict[str, int]:
    """How many tickets each inbox view holds, up to ``VIEW_COUNT_CAP`` (a count equal to the
    cap means "that many or more", see ``count_label``), as of at most a few seconds ago.

    One query of bounded subqueries (see ``_count_views``), kept per viewer in the cache for
    ``BIHUAN_VIEW_COUNTS_SECONDS``: every full inbox load shows the counts.
    """
    key = f"view-counts:{viewer.pk}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = _count_views(viewer)
        cache.set(key, counts, settings.BIHUAN_VIEW_COUNTS_SECONDS)
    return counts


def count_label(count: int) -> str:
    """A view's count as shown: the number, or "99+" when it reached the cap."""
    return f"{VIEW_COUNT_CAP - 1}+" if count >= VIEW_COUNT_CAP else str(count)


def _view_conditions(viewer: User) -> dict[str, list[tuple[Q, bool]]]:
    """Each counted view's condition as the parts whose union it is (the same tickets as
    ``filtered_tickets`` selects): the department view is two parts, each served by an index,
    instead of their OR. Each part comes with whether it is by itself a reason the viewer may
    see a ticket (``ticket_scope_branches``): such a part needs no scope filter."""
    open_ = Q(status__in=OPEN_STATUSES)
    department: list[tuple[Q, bool]] = []
    if viewer.department_id is not None:
        shared = Exists(
            Ticket.shared_departments.through.objects.filter(
                ticket_id=OuterRef("pk"), department_id=viewer.department_id
            )
        )
        # Shared with the viewer's department is the scope's "shared" reason: without the
        # scope's OR beside it, PostgreSQL joins the department's shares with the open
        # tickets' index (274 buffers at 1M) instead of probing the ticket of every share
        # and testing the scope there (14,329 buffers).
        department = [
            (open_ & Q(department_id=viewer.department_id), False),
            (open_ & Q(shared), True),
        ]
    return {
        "mine": [(open_ & Q(owner_id=viewer.pk), True)],
        "unassigned": [(open_ & Q(owner__isnull=True), False)],
        "department": department,
        "open": [(open_, False)],
        "at_risk": [(open_ & Q(sla_state__in=AT_RISK_STATES), False)],
        "waiting": [(Q(status=TicketStatus.PENDING_CUSTOMER), False)],
        "solved": [(Q(status=TicketStatus.SOLVED), False)],
    }


def _scope_parts(branches: dict[str, Q]) -> list[Q]:
    """The scope as the sets a bounded count unions. A viewer with queues sees a good share of
    every busy view: one walk of the view's index, filtered by the whole scope, reaches the
    cap after a few hundred rows (measured at 1M: 63–71 ms for all views against 220–250 ms
    for the union). Without a queue the scope is narrow and that walk could read a whole
    view's backlog to find few tickets: each reason is counted through its own index."""
    if "queue" in branches:
        return [functools.reduce(operator.or_, branches.values())]
    return list(branches.values())


def _count_views(viewer: User) -> dict[str, int]:
    """Every view's count, capped, in one statement that never reads a whole view.

    A view's count is the number of distinct tickets in the union of small sets: for each
    part of the view's condition and each part of the viewer's scope (``_scope_parts``), at
    most ``VIEW_COUNT_CAP`` ticket ids (``LIMIT``, no order: the planner walks whichever
    index finds them first). Each set is complete or holds the cap, so their union holds the
    view's exact count, or at least the cap. What it reads is bounded by the cap where the
    viewer sees many tickets of a view, and by the part's own index range where they see
    few (for followers and shared departments: the tickets the viewer follows or their
    department shares) — not every open ticket of the history, as one aggregate did."""
    conditions = _view_conditions(viewer)
    branches = ticket_scope_branches(viewer)
    if branches == {}:  # an inactive user sees nothing
        return dict.fromkeys(conditions, 0)
    selects: list[str] = []
    params: list[Any] = []
    for parts in conditions.values():
        sets: list[str] = []
        for part, in_scope in parts:
            # Everyone sees the tickets they own ("mine") and those shared with their
            # department: such a part needs no other reason.
            scope_parts = [Q()] if branches is None or in_scope else _scope_parts(branches)
            for scope in scope_parts:
                limited = Ticket.objects.filter(part, scope).order_by().values("pk")
                try:
                    sql, sub_params = limited[:VIEW_COUNT_CAP].query.sql_with_params()
                except EmptyResultSet:
                    continue
                sets.append(f"SELECT * FROM ({sql}) AS capped")  # noqa: S608 - ORM SQL
                params += sub_params
        if sets:
            union = " UNION ".join(sets)
            selects.append(f"(SELECT COUNT(*) FROM ({union}) AS found)")  # noqa: S608
        else:
            selects.append("0")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {
        view: min(int(value), VIEW_COUNT_CAP) for view, value in zip(conditions, row, strict=True)
    }


def get_ticket(viewer: User, number: int) -> Ticket:
    """The ticket with its related rows, or NotFound if outside the viewer's scope."""
    return _load_ticket(visible_tickets(viewer), number)


def get_ticket_to_change(viewer: User, number: int) -> Ticket:
    """The bare ticket row for a service to change (services lock and re-read it), or
    NotFound if outside the viewer's scope."""
    ticket = visible_tickets(viewer).filter(pk=number).first()
    if ticket is None:
        raise NotFound(_("Ticket not found."))
    return ticket


def get_commitment(viewer: User, number: int, commitment_id: int) -> Commitment:
    """A commitment of a ticket the viewer may see, or NotFound."""
    ticket = get_ticket_to_change(viewer, number)
    commitment = Commitment.objects.filter(ticket=ticket, pk=commitment_id).first()
    if commitment is None:
        raise NotFound(_("Commitment not found."))
    return commitment


def get_created_ticket(number: int) -> Ticket:
    """A ticket the caller has just created or changed through a service (it knows it exists,
    even if routing or the change put it outside the caller's own scope). Only what the
    API's answer shows."""
    return _load_ticket(Ticket.objects.all(), number, for_page=False)


def _load_ticket(tickets: QuerySet[Ticket], number: int, *, for_page: bool = True) -> Ticket:
    """The ticket with its related rows; ``for_page`` adds what only the ticket page shows
    (the customer's organisation and identities, the followers)."""
    related = ["customer", "owner", "team", "department", "category", "category__parent"]
    prefetch: list[str | Prefetch[Any]] = [
        "tags",
        "shared_departments",
        Prefetch("commitments", queryset=Commitment.objects.order_by("due_at", "id")),
    ]
    if for_page:
        related.append("customer__organisation")
        prefetch += ["followers", "customer__identities"]
    ticket = tickets.select_related(*related).prefetch_related(*prefetch).filter(pk=number).first()
    if ticket is None:
        raise NotFound(_("Ticket not found."))
    return ticket


@dataclass
class TimelineEntry:
    """One line of a ticket's timeline: an event, with its message when it added one."""

    event: Event
    message: Message | None = None

    @property
    def verb(self) -> str:
        return self.event.verb


def timeline(ticket: Ticket, *, include_notes: bool = True) -> list[TimelineEntry]:
    """The ticket's whole history, oldest first (small tickets; pages use ``timeline_page``)."""
    entries: list[TimelineEntry] = []
    cursor: str | None = None
    while True:
        page = timeline_page(ticket, include_notes=include_notes, cursor=cursor, limit=500)
        entries += page.entries
        if page.next_cursor is None:
            return entries
        cursor = page.next_cursor


@dataclass
class TimelinePage:
    """One key-paginated page of a ticket's timeline, oldest first."""

    entries: list[TimelineEntry]
    next_cursor: str | None
    previous_cursor: str | None


def timeline_page(
    ticket: Ticket,
    *,
    include_notes: bool = True,
    cursor: str | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> TimelinePage:
    """A page of the ticket's history from the event log by keyset on the event id (the
    ``(ticket_id, id)`` index), with the messages of that page's events: two queries
    whatever the length of the history.

    The entries of a page are always oldest first. ``newest_first`` walks from the end (the
    ticket page shows the latest entries): the first page holds the newest ``limit`` events
    and ``next_cursor`` leads to the older ones."""
    page = paginate(
        Event.objects.filter(ticket_id=ticket.pk).select_related("actor"),
        order_field="id",
        descending=newest_first,
        limit=limit,
        cursor=cursor,
    )
    wanted = [event.data.get("message") for event in page.items if event.verb in MESSAGE_VERBS]
    ids = [pk for pk in wanted if isinstance(pk, int)]
    messages = Message.objects.filter(ticket_id=ticket.pk, pk__in=ids).select_related(
        "author", "customer"
    )
    if not include_notes:
        messages = messages.exclude(kind="note")
    by_id = {m.pk: m for m in messages} if ids else {}
    entries = []
    for event in page.items:
        message = None
        if event.verb in MESSAGE_VERBS:
            message = by_id.get(event.data.get("message"))
            if message is None and not include_notes:
                continue
        entries.append(TimelineEntry(event=event, message=message))
    if newest_first:
        entries.reverse()
    return TimelinePage(entries, page.next_cursor, page.previous_cursor)


def get_message_entry(ticket: Ticket, message: Message) -> TimelineEntry:
    """The timeline entry that added ``message`` (one query, whatever the history's length)."""
    events = Event.objects.filter(
        ticket_id=ticket.pk,
        verb__in=("ticket.created", "ticket.message_added"),
        data__message=message.pk,
    )
    event = events.select_related("actor").order_by("id").first()
    if event is None:
        raise NotFound(_("Message not found."))
    return TimelineEntry(event=event, message=message)


def search_tickets(viewer: User, query: str, *, limit: int = 50) -> list[Ticket]:
    """Tickets matching ``query`` (words in Chinese or English), best match first.

    The viewer's scope is part of the search query (a narrow scope still finds its tickets
    among many newer matches it may not see); then only the page shown is loaded."""
    scope = None if viewer.is_active and viewer.sees_everything else visible_tickets(viewer)
    ids = ranked_ticket_ids(query, scope=scope, limit=limit)
    if not ids:
        return []
    found = {t.pk: t for t in _list_related(visible_tickets(viewer).filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found]


@dataclass
class SearchResult:
    """What the one search box found: a ticket by number, customers, tickets by words."""

    query: str
    ticket: Ticket | None = None
    customers: list[Any] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.ticket is None and not self.customers and not self.tickets


def search(viewer: User, query: str) -> SearchResult:
    """Interpret the search box: ``#123``/digits → ticket; a phone (whole or masked as shown)
    or an email → customers; else customers by name, their tickets, and tickets by words."""
    # NUL cannot be stored or searched (PostgreSQL refuses it): drop it like a stray space.
    text = query.replace("\x00", "").strip()[:200]
    result = SearchResult(query=text)
    if not text:
        return result
    number = text.lstrip("#")
    # isascii: "²" and "①" are digits to str.isdigit() but not to int() or the database.
    if ascii_digits(number) and len(number) <= 12:
        result.ticket = (
            visible_tickets(viewer).filter(pk=int(number)).select_related("customer").first()
        )
    masked = masked_phone_parts(text)
    if masked is not None:
        # A phone copied from a list as shown (181****9564): a partial phone, not words.
        result.customers = find_customers_by_masked_phone(viewer, *masked)
    elif looks_like_phone(text) or looks_like_email(text):
        result.customers = find_customers_by_contact(viewer, text)
    elif result.ticket is None:
        result.customers = find_customers_by_name(viewer, text)
        result.tickets = _merge(
            tickets_of_customers(viewer, result.customers), search_tickets(viewer, text)
        )
    if result.ticket is None and not result.customers and not result.tickets:
        result.tickets = search_tickets(viewer, text)
    return result


_MASKED_PHONE = re.compile(r"^\+?(\d{2,7})(\*{2,8})(\d{2,4})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
MAX_CUSTOMERS_FOUND = 20


def masked_phone_parts(text: str) -> tuple[str, int, str] | None:
    """(visible start, hidden digit count, visible end) of a phone masked as the lists show
    it (``181****9564``), or None for anything else."""
    found = _MASKED_PHONE.match(_PHONE_SEPARATORS.sub("", text))
    if found is None:
        return None
    return found.group(1), len(found.group(2)), found.group(3)


def find_customers_by_masked_phone(
    viewer: User, start: str, hidden: int, end: str
) -> list[Customer]:
    """Customers with a phone that starts and ends with the visible digits and hides
    ``hidden`` digits between them."""
    ids = customer_ids_by_masked_phone(start, hidden, end)
    if not ids:
        return []
    return list(
        visible_customers(viewer)
        .filter(pk__in=ids)
        .prefetch_related("identities", "tags")
        .order_by("-id")[:MAX_CUSTOMERS_FOUND]
    )


def find_customers_by_name(viewer: User, text: str) -> list[Customer]:
    """Customers whose name contains ``text`` (two characters at least), newest first."""
    if len(text) < 2:
        return []
    return list(
        name_contains(visible_customers(viewer), text)
        .prefetch_related("identities", "tags")
        .order_by("-id")[:MAX_CUSTOMERS_FOUND]
    )


def tickets_of_customers(
    viewer: User, customers: list[Customer], *, limit: int = 20
) -> list[Ticket]:
    """The most recently updated tickets of ``customers`` the viewer may see."""
    if not customers:
        return []
    tickets = visible_tickets(viewer).filter(customer__in=[c.pk for c in customers])
    return list(_list_related(tickets).order_by("-updated_at", "-id")[:limit])


def _merge(first: list[Ticket], then: list[Ticket], *, limit: int = 50) -> list[Ticket]:
    seen = {ticket.pk for ticket in first}
    return [*first, *(t for t in then if t.pk not in seen)][:limit]


# --- Helpers for the agent pages (added with the web UI) ---


def list_mentionable_users(prefix: str, *, limit: int = 8) -> list[User]:
    """Active colleagues whose username or display name starts with ``prefix`` (for @mentions)."""
    text = prefix.replace("\x00", "").strip()[:50]
    users = User.objects.filter(is_active=True)
    if text:
        users = users.filter(Q(username__istartswith=text) | Q(display_name__istartswith=text))
    return list(users.order_by("username")[: max(1, min(limit, 20))])


def user_names(ids: Iterable[int]) -> dict[int, str]:
    """Display names of the users with ``ids`` (for timelines), in one query."""
    wanted = {int(pk) for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)}
    if not wanted:
        return {}
    return {user.pk: str(user) for user in User.objects.filter(pk__in=wanted)}


def customer_ticket_history(viewer: User, customer: Customer, limit: int) -> list[TicketSummary]:
    """The customer's tickets the viewer may see, newest first (the customer page's history;
    registered with ``bihuan.customers.queries.set_history_reader``)."""
    tickets = (
        visible_tickets(viewer)
        .filter(customer=customer)
        .select_related("owner", "category")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TicketSummary(
            number=t.pk,
            subject=t.subject,
            status=t.status,
            status_label=t.get_status_display(),
            channel=t.channel,
            channel_label=t.get_channel_display(),
            kind=t.kind,
            kind_label=t.get_kind_display(),
            category=t.category.label if t.category else "",
            owner=str(t.owner) if t.owner else "",
            created_at=t.created_at,
        )
        for t in tickets
    ]


# --- Reply channels ----------------------------------------------------------------------------

# Channels an adapter sends replies on (the email channel adds itself when its app is ready);
# on any other channel a reply is recorded on the ticket and the page says it was not sent.
SENDING_CHANNELS: set[str] = set()
# Which channels a customer's identity lets an agent reach them on.
_IDENTITY_CHANNELS: dict[str, tuple[str, ...]] = {
    IdentityKind.PHONE: (Channel.PHONE, Channel.SMS),
    IdentityKind.EMAIL: (Channel.EMAIL,),
    IdentityKind.WECHAT: (Channel.WECHAT,),
}
# Channels where the conversation itself is the way back (a chat, an app, a messenger).
_THREAD_CHANNELS = (
    Channel.CHAT,
    Channel.WEB,
    Channel.API,
    Channel.WECHAT,
    Channel.WECOM,
    Channel.DINGTALK,
    Channel.FEISHU,
)


@dataclass(frozen=True)
class ReplyChannel:
    value: str
    label: str
    is_sending: bool


def reply_channels(ticket: Ticket) -> list[ReplyChannel]:
    """The channels the ticket's customer can be reached on, the ticket's own first when it
    is one of them (``customer__identities`` prefetched: no query)."""
    values: list[str] = []
    if ticket.channel in _THREAD_CHANNELS:
        values.append(ticket.channel)
    for identity in ticket.customer.identities.all():
        values.extend(_IDENTITY_CHANNELS.get(identity.kind, ()))
    if ticket.channel in values:
        values.remove(ticket.channel)
        values.insert(0, ticket.channel)
    distinct = list(dict.fromkeys(values)) or [ticket.channel]  # no contact: the way it came
    return [
        ReplyChannel(value, str(Channel(value).label), value in SENDING_CHANNELS)
        for value in distinct
    ]


# --- Collaboration tasks and call-backs ------------------------------------------------------

TASK_STATES = ("open", "answered", "cancelled", "all")
TASK_LIST_LIMIT = 200


def task_scope(viewer: User) -> Q:
    """The tasks ``viewer`` works or may see: admins and supervisors every task; others the
    tasks of their department and the tasks on tickets they see."""
    if not viewer.is_active:
        return Q(pk__in=[])
    if viewer.sees_everything:
        return Q()
    scope = Q(ticket__in=visible_tickets(viewer).values("pk"))
    if viewer.department_id:
        scope |= Q(department_id=viewer.department_id)
    return scope


def list_tasks(
    viewer: User,
    *,
    state: str = "open",
    department_id: int | None = None,
    mine: bool = False,
) -> list[CollaborationTask]:
    """A department's task queue: by default the viewer's department's open tasks, the
    soonest due first (tasks without a deadline last). Bounded, three tables joined."""
    if state not in TASK_STATES:
        raise ValidationFailed(_("Unknown task state."), code="invalid_state")
    tasks = CollaborationTask.objects.filter(task_scope(viewer))
    if department_id is not None:
        tasks = tasks.filter(department_id=department_id)
    elif not viewer.sees_everything and viewer.department_id:
        tasks = tasks.filter(department_id=viewer.department_id)
    if state != "all":
        tasks = tasks.filter(state=state)
    if mine:
        tasks = tasks.filter(assignee_id=viewer.pk)
    return list(
        tasks.select_related(
            "ticket", "department", "assignee", "created_by", "ticket__owner"
        ).order_by(F("due_at").asc(nulls_last=True), "id")[:TASK_LIST_LIMIT]
    )


def get_task(viewer: User, number: int, task_id: int) -> CollaborationTask:
    """A task of a ticket the viewer may see, or NotFound."""
    task = (
        CollaborationTask.objects.filter(task_scope(viewer), ticket_id=number, pk=task_id)
        .select_related("ticket", "department", "assignee")
        .first()
    )
    if task is None:
        raise NotFound(_("Collaboration task not found."))
    return task


def ticket_tasks(ticket: Ticket) -> list[CollaborationTask]:
    return list(
        CollaborationTask.objects.filter(ticket_id=ticket.pk)
        .select_related("department", "assignee", "answered_by", "created_by")
        .order_by("created_at", "id")
    )


def ticket_call_backs(ticket: Ticket) -> list[CallBack]:
    return list(
        CallBack.objects.filter(ticket_id=ticket.pk).select_related("done_by").order_by("id")
    )


def get_call_back(viewer: User, number: int, call_back_id: int) -> CallBack:
    """A call-back of a ticket the viewer may see, or NotFound."""
    ticket = get_ticket_to_change(viewer, number)
    call_back = CallBack.objects.filter(ticket=ticket, pk=call_back_id).first()
    if call_back is None:
        raise NotFound(_("Call-back not found."))
    return call_back


def linked_numbers(ticket: Ticket) -> list[int]:
    """The numbers of the tickets linked to ``ticket`` (one query)."""
    pairs = TicketLink.objects.filter(Q(ticket_id=ticket.pk) | Q(other_id=ticket.pk))
    return sorted(
        other if mine == ticket.pk else mine
        for mine, other in pairs.values_list("ticket_id", "other_id")
    )


def ticket_links(ticket: Ticket) -> list[Ticket]:
    """The tickets linked to ``ticket`` (either side of the link), two queries."""
    return list(Ticket.objects.filter(pk__in=linked_numbers(ticket)).order_by("pk"))


def get_other_ticket(viewer: User, number: int | None) -> Ticket:
    """A ticket named in a request (to merge into, to link), if the viewer may see it; an
    invisible or unknown one is the same 422 ``unknown_reference``."""
    ticket = visible_tickets(viewer).filter(pk=number).first() if number else None
    if ticket is None:
        raise unknown_reference("ticket", number)
    return ticket
