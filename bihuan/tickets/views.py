"""The agent workspace: inbox, kanban board, ticket page, search.

Each view parses the request, authorises through the scoped queries (a ticket outside the
viewer's scope is a 404), calls one service or query and renders. Refusals (``DomainError``)
are answered by ``bihuan.core.views.domain_errors``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from bihuan.accounts.models import User
from bihuan.accounts.views import signed_in_user
from bihuan.core import catalogue
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.masking import mask_contact
from bihuan.core.views import domain_errors, wants_json
from bihuan.customers.queries import is_visible
from bihuan.customers.services import record_customer_viewed
from bihuan.customers.views import masked_contact, primary_contacts
from bihuan.tickets import queries, services
from bihuan.tickets.choices import Emotion, MessageKind, Priority, TicketStatus, TicketType
from bihuan.tickets.forms import (
    MAX_ID,
    CommitmentCancelForm,
    CommitmentForm,
    HandlingForm,
    InboxFilterForm,
    KanbanMoveForm,
    MessageForm,
    ReplyForm,
    TicketOptions,
    TicketPropertiesForm,
    load_options,
)
from bihuan.tickets.loop_views import loop_context
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.panels import render_message_notes, render_ticket_panels
from bihuan.tickets.permissions import can_work_ticket
from bihuan.tickets.views_widgets import with_fast_widgets

KANBAN_COLUMN_LIMIT = 50
# The ticket page shows this many of the newest timeline entries; "older" loads the next ones.
TIMELINE_PAGE_SIZE = 50


# --- Presentation helpers ----------------------------------------------------------------


@dataclass
class TicketRow:
    """One line of a ticket list with what it shows precomputed: the labels of its choices
    (``get_FOO_display`` hashes the whole choice list on every call), its link and its
    masked contact."""

    ticket: Ticket
    contact: str
    category: str
    sla_countdown: str = ""
    url: str = ""
    status_label: Any = ""
    kind_label: Any = ""
    channel_label: Any = ""
    priority_label: Any = ""
    sla_label: Any = ""


def sla_countdown(due: datetime | None, now: datetime) -> str:
    """The text of a ticket's SLA badge: "1h 05min" left, or "overdue 20min"."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        text = _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    elif hours:
        text = _("%(hours)sh %(minutes)02dmin") % {"hours": hours, "minutes": minutes}
    else:
        text = _("%(minutes)smin") % {"minutes": minutes}
    return _("overdue %(time)s") % {"time": text} if seconds < 0 else text


class _ChoiceLabels:
    """``get_FOO_display`` for one page: each field's labels translated once, then looked up
    (an unknown value shows as itself, as Django's does)."""

    def __init__(self) -> None:
        self._labels: dict[tuple[type[Model], str], dict[Any, str]] = {}

    def __call__(self, row: Model, name: str) -> Any:
        key = (type(row), name)
        labels = self._labels.get(key)
        if labels is None:
            choices = row._meta.get_field(name).flatchoices  # type: ignore[union-attr]
            labels = self._labels[key] = {value: str(label) for value, label in choices}
        value = getattr(row, name)
        try:
            return labels.get(value, value)
        except TypeError:  # an unhashable value: Django shows it as it is
            return value


def _detail_url_maker() -> Callable[[int], str]:
    """The ticket page's address by number, reversed once per page rather than per row."""
    head, _zero, tail = reverse("tickets:detail", args=[0]).rpartition("0")
    return lambda number: f"{head}{number}{tail}"


def ticket_rows(tickets: Iterable[Ticket], options: TicketOptions | None = None) -> list[TicketRow]:
    """Rows for a ticket list: contacts masked, category named without a query per row."""
    rows = []
    now = timezone.now()
    label = _ChoiceLabels()
    detail_url = _detail_url_maker()
    for ticket in tickets:
        if ticket.category_id is None:
            category = ""
        elif options is not None:
            category = options.name_of("category", ticket.category_id)
        else:
            category = ticket.category.name if ticket.category else ""
        rows.append(
            TicketRow(
                ticket=ticket,
                contact=masked_contact(ticket.customer),
                category=category,
                sla_countdown=sla_countdown(ticket.sla_due_at, now),
                url=detail_url(ticket.pk),
                status_label=label(ticket, "status"),
                kind_label=label(ticket, "kind"),
                channel_label=label(ticket, "channel"),
                priority_label=label(ticket, "priority"),
                sla_label=label(ticket, "sla_state"),
            )
        )
    return rows


def _query_without(request: HttpRequest, *names: str) -> str:
    query: QueryDict = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _page_url(base: str, query: str, cursor: str | None) -> str | None:
    if not cursor:
        return None
    separator = "&" if query else ""
    return f"{base}?{query}{separator}cursor={cursor}"


def _check_number(number: int) -> None:
    if number > MAX_ID:  # beyond any stored id (and SQLite's integer range)
        raise NotFound(_("Ticket not found."))


def _format_time(value: Any) -> str:
    try:
        if isinstance(value, str):
            value = parse_datetime(value)
        if not isinstance(value, datetime):
            return ""
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    except (ValueError, OverflowError):
        # An event written before due times were range-checked (year 9999 −05:00): show
        # it as recorded rather than fail the whole page.
        return str(value)


@dataclass
class TimelineItem:
    """One line of the ticket page's timeline, ready to render."""

    css: str  # customer / reply / note / event
    actor: str
    at: datetime
    text: str = ""
    message: Message | None = None
    details: list[str] = field(default_factory=list)
    notes: list[SafeString] = field(default_factory=list)  # other apps', e.g. email delivery
    channel_label: Any = ""  # the message's channel, named once per page

    @property
    def is_message(self) -> bool:
        return self.message is not None

    @property
    def initial(self) -> str:
        """The avatar's letter (what ``actor|slice:":1"|upper`` gave)."""
        return str(self.actor)[:1].upper()


def _joined(names: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(names)


def _choice_label(choices: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _field_change(name: str, before: Any, after: Any, options: TicketOptions) -> str:
    labels = {
        "priority": _("Priority"),
        "kind": _("Type"),
        "emotion": _("Emotion"),
        "subject": _("Subject"),
        "category": _("Category"),
        "team": _("Queue"),
        "department": _("Department"),
        "tags": _("Tags"),
        "shared_departments": _("Shared with departments"),
    }

    def show(value: Any) -> str:
        if name == "priority":
            return _choice_label(Priority, value)
        if name == "kind":
            return _choice_label(TicketType, value)
        if name == "emotion":
            return _choice_label(Emotion, value)
        if name in ("category", "team", "department"):
            return options.name_of(name, value)
        if name == "shared_departments":
            return _joined(options.name_of("department", pk) for pk in value or []) or "—"
        if name == "tags":
            return _joined(str(v) for v in value or []) or "—"
        return str(value) if value not in (None, "") else "—"

    return _("%(field)s: %(before)s → %(after)s") % {
        "field": labels.get(name, name),
        "before": show(before),
        "after": show(after),
    }


def with_message_notes(items: list[TimelineItem]) -> list[TimelineItem]:
    """Attach the notes other apps registered to the items' messages (at most one query per
    registered app for the whole page)."""
    notes = render_message_notes([item.message for item in items if item.message is not None])
    for item in items:
        if item.message is not None:
            item.notes = notes.get(item.message.pk, [])
    return items


def present_timeline(
    ticket: Ticket, entries: list[queries.TimelineEntry], options: TicketOptions
) -> list[TimelineItem]:
    """Turn the event log into readable lines (names are resolved with one extra query)."""
    user_ids: set[int] = set()
    for entry in entries:
        if entry.verb == "ticket.assigned":
            user_ids.update(v for v in (entry.event.get("from"), entry.event.get("to")) if v)
        user_ids.update(entry.event.get("mentions") or [])
    names = queries.user_names(user_ids)
    system = _("System")
    label = _ChoiceLabels()
    items: list[TimelineItem] = []
    for entry in entries:
        event = entry.event
        actor = str(event.actor) if event.actor else system
        at = event.occurred_at
        verb = event.verb
        message = entry.message
        if message is not None:
            if message.kind == MessageKind.CUSTOMER:
                author = message.customer.name if message.customer else ticket.customer.name
                text = _("opened the ticket") if verb == "ticket.created" else ""
                items.append(
                    TimelineItem(
                        css="customer",
                        actor=author,
                        at=at,
                        text=text,
                        message=message,
                        channel_label=label(message, "channel"),
                    )
                )
            else:
                author = str(message.author) if message.author else actor
                mentioned = [names.get(pk, f"#{pk}") for pk in event.get("mentions") or []]
                text = _("mentioned %(names)s") % {"names": _joined(mentioned)} if mentioned else ""
                items.append(
                    TimelineItem(
                        css=message.kind,
                        actor=author,
                        at=at,
                        text=text,
                        message=message,
                        channel_label=label(message, "channel"),
                    )
                )
            continue
        item = TimelineItem(css="event", actor=actor, at=at)
        if verb == "ticket.status_changed":
            item.text = _("changed the status from %(before)s to %(after)s") % {
                "before": _choice_label(TicketStatus, event.get("from")),
                "after": _choice_label(TicketStatus, event.get("to")),
            }
            if event.get("reason") == "customer_message":
                item.actor = ticket.customer.name
                item.text = _("wrote again: the status went from %(before)s to %(after)s") % {
                    "before": _choice_label(TicketStatus, event.get("from")),
                    "after": _choice_label(TicketStatus, event.get("to")),
                }
        elif verb == "ticket.assigned":
            to = event.get("to")
            if to is None:
                item.text = _("removed the owner")
            elif event.get("reason") == "first_reply":
                item.text = _("took ownership by answering first")
            else:
                item.text = _("assigned the ticket to %(name)s") % {"name": names.get(to, f"#{to}")}
        elif verb == "ticket.updated":
            item.text = _("changed the ticket")
            changes = event.get("changes", {}) or {}
            item.details = [
                _field_change(name, pair[0], pair[1], options)
                for name, pair in changes.items()
                if isinstance(pair, list) and len(pair) == 2
            ]
        elif verb == "ticket.shared_with_department":
            item.text = _("asked other departments for help: %(names)s") % {
                "names": _joined(
                    options.name_of("department", pk) for pk in event.get("departments", [])
                )
            }
        elif verb in ("ticket.assigned_to_you", "ticket.message_added", "ticket.created"):
            continue  # notifications only, or a note hidden from this view
        else:
            # Every verb that needs nothing from this page reads as its app declared it.
            item.text = catalogue.describe(event)
            item.details = catalogue.details(event)
        items.append(item)
    return items


# --- Inbox, kanban, search ------------------------------------------------------------------


def _know_department(viewer: User, options: TicketOptions) -> None:
    """Every page's top bar names the viewer's department: take it from the options the page
    has read already rather than one more query."""
    if viewer.department_id is None or User.department.is_cached(viewer):
        return
    for department in options.departments:
        if department.pk == viewer.department_id:
            viewer.department = department
            return


@login_required
@require_GET
@domain_errors
def inbox(request: HttpRequest) -> HttpResponse:
    """The views, filters and one keyset page of tickets; htmx swaps only the list."""
    viewer = signed_in_user(request)
    options = load_options()
    _know_department(viewer, options)
    form = InboxFilterForm(request.GET, options=options)
    filters = form.filters()
    page = queries.list_tickets(viewer, filters, cursor=form.cursor_value())
    base = reverse("tickets:inbox")
    query = _query_without(request, "cursor")
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "options": options,
        "rows": ticket_rows(page.items, options),
        "page": page,
        "next_url": _page_url(base, query, page.next_cursor),
        "previous_url": _page_url(base, query, page.previous_cursor),
        "statuses": TicketStatus.choices,
        "priorities": Priority.choices,
        "types": TicketType.choices,
        "channels": form.fields["channel"].choices,  # type: ignore[attr-defined]
        "sorts": list(InboxFilterForm.SORT_LABELS.items()),
    }
    if request.htmx and request.htmx.target == "ticket-list":  # type: ignore[attr-defined]
        return render(request, "tickets/_ticket_list.html", context)
    counts = queries.count_views(viewer)
    context["views"] = [
        (key, label, queries.count_label(counts[key]) if key in counts else None)
        for key, label in queries.VIEWS.items()
    ]
    return render(request, "tickets/inbox.html", context)


@dataclass
class KanbanColumn:
    status: str
    label: str
    rows: list[TicketRow]
    has_more: bool


@login_required
@require_GET
@domain_errors
def kanban(request: HttpRequest) -> HttpResponse:
    """协作看板: one bounded column per status (the latest 50, then a link to the inbox)."""
    viewer = signed_in_user(request)
    mine = request.GET.get("scope") == "mine"
    columns = []
    for status, label in TicketStatus.choices:
        filters = queries.TicketFilters(
            view="all", status=[status], owner=viewer.pk if mine else None, sort="-updated"
        )
        page = queries.list_tickets(viewer, filters, limit=KANBAN_COLUMN_LIMIT)
        columns.append(
            KanbanColumn(
                status=status,
                label=str(label),
                rows=ticket_rows(page.items),
                has_more=page.next_cursor is not None,
            )
        )
    return render(
        request,
        "tickets/kanban.html",
        {"columns": columns, "mine": mine, "can_move": can_work_ticket(viewer)},
    )


@login_required
@require_POST
@domain_errors
def kanban_move(request: HttpRequest) -> HttpResponse:
    """A card dropped on another column: the same status rules as the ticket page."""
    viewer = signed_in_user(request)
    form = KanbanMoveForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose a ticket and a status."), code="invalid_move")
    ticket = queries.get_ticket_to_change(viewer, form.cleaned_data["number"])
    ticket = services.change_status(ticket, status=form.cleaned_data["status"], actor=viewer)
    if wants_json(request):
        return JsonResponse(
            {
                "number": ticket.pk,
                "status": ticket.status,
                "status_label": str(TicketStatus(ticket.status).label),
                "message": _("Ticket #%(number)s is now “%(status)s”.")
                % {"number": ticket.pk, "status": TicketStatus(ticket.status).label},
            }
        )
    messages.success(request, _("Status changed."))
    return redirect("tickets:kanban")


@login_required
@require_GET
@domain_errors
def search(request: HttpRequest) -> HttpResponse:
    """The top bar's one box: a number opens the ticket; a phone/email lists customers."""
    viewer = signed_in_user(request)
    result = queries.search(viewer, request.GET.get("q", ""))
    if result.ticket is not None:
        return redirect("tickets:detail", number=result.ticket.pk)
    customers = [(c, masked_contact(c)) for c in result.customers]
    return render(
        request,
        "tickets/search.html",
        {
            "result": result,
            "customers": customers,
            "rows": ticket_rows(result.tickets),
            "search_query": result.query,
        },
    )


@login_required
@require_GET
def mention_suggestions(request: HttpRequest) -> HttpResponse:
    """Active colleagues for the @mention autocomplete of internal notes (JSON)."""
    users = queries.list_mentionable_users(request.GET.get("q", ""))
    return JsonResponse({"users": [{"username": u.username, "name": str(u)} for u in users]})


# --- The ticket page -------------------------------------------------------------------------


def _ticket_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    viewer = signed_in_user(request)
    options = load_options()
    _know_department(viewer, options)
    page = queries.timeline_page(ticket, newest_first=True, limit=TIMELINE_PAGE_SIZE)
    contacts = primary_contacts(ticket.customer)
    channels = queries.reply_channels(ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "contact": mask_contact(contacts[0]) if contacts else "",
        "timeline": with_message_notes(present_timeline(ticket, page.entries, options)),
        "older_cursor": page.next_cursor,
        "options": options,
        "can_work": can_work_ticket(viewer) and not ticket.is_closed,
        "is_closed": ticket.is_closed,
        "properties_form": TicketPropertiesForm(ticket=ticket, options=options),
        "handling_form": HandlingForm(ticket=ticket),
        "commitment_form": CommitmentForm(),
        "reply_channels": channels,
        "reply_sends": any(channel.is_sending for channel in channels),
        "now": timezone.now(),
        "sla_countdown": sla_countdown(ticket.sla_due_at, timezone.now()),
        "panels": render_ticket_panels(request, ticket),
        **loop_context(request, ticket, options),
    }
    with_fast_widgets(
        *(value for value in context.values() if isinstance(value, forms.Form)),
    )
    return context


@login_required
@require_GET
@domain_errors
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    """Header, the newest page of the timeline, reply/note forms and the side panel."""
    _check_number(number)
    ticket = queries.get_ticket(signed_in_user(request), number)
    return render(request, "tickets/detail.html", _ticket_context(request, ticket))


@login_required
@require_GET
@domain_errors
def timeline_older(request: HttpRequest, number: int) -> HttpResponse:
    """The page of timeline entries before ``?cursor=`` (the newest without one). For htmx
    it replaces the "older" button, with a new button first while older entries remain."""
    _check_number(number)
    ticket = queries.get_ticket(signed_in_user(request), number)
    page = queries.timeline_page(
        ticket,
        newest_first=True,
        cursor=request.GET.get("cursor") or None,
        limit=TIMELINE_PAGE_SIZE,
    )
    context = {
        "ticket": ticket,
        "timeline": with_message_notes(present_timeline(ticket, page.entries, load_options())),
        "older_cursor": page.next_cursor,
    }
    return render(request, "tickets/_timeline_page.html", context)


def _back_to(ticket: Ticket, anchor: str = "") -> HttpResponse:
    url = reverse("tickets:detail", kwargs={"number": ticket.pk})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _form_error(form: Any) -> ValidationFailed:
    for field_name, errors in form.errors.items():
        label = form.fields[field_name].label if field_name in form.fields else ""
        text = (
            _("%(field)s: %(error)s") % {"field": label, "error": errors[0]}
            if label
            else str(errors[0])
        )
        return ValidationFailed(text, code="invalid_form")
    return ValidationFailed(_("The form is not valid."), code="invalid_form")


def _ticket_for_post(request: HttpRequest, number: int) -> Ticket:
    _check_number(number)
    return queries.get_ticket_to_change(signed_in_user(request), number)


@login_required
@require_POST
@domain_errors
def reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_for_post(request, number)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    channels = {c.value: c for c in queries.reply_channels(ticket)}
    chosen = form.cleaned_data["channel"] or next(iter(channels), ticket.channel)
    if chosen not in channels:
        raise ValidationFailed(
            _("The customer cannot be reached by this channel: choose one from the list."),
            code="invalid_channel",
        )
    services.reply_to_customer(
        ticket, body=form.cleaned_data["body"], actor=signed_in_user(request), channel=chosen
    )
    if channels[chosen].is_sending:
        messages.success(
            request, _("Reply sent by %(channel)s.") % {"channel": channels[chosen].label}
        )
    else:
        messages.success(
            request,
            _(
                "Reply recorded on the ticket (%(channel)s). It was not sent: no channel is "
                "connected yet, so reach the customer yourself."
            )
            % {"channel": channels[chosen].label},
        )
    return _back_to(ticket, "timeline-end")


@login_required
@require_POST
@domain_errors
def add_note(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_for_post(request, number)
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    services.add_internal_note(
        ticket, body=form.cleaned_data["body"], actor=signed_in_user(request)
    )
    messages.success(request, _("Internal note added."))
    return _back_to(ticket, "note")


@login_required
@require_POST
@domain_errors
def update_properties(request: HttpRequest, number: int) -> HttpResponse:
    """The side panel: all fields at once; a refused value changes nothing."""
    viewer = signed_in_user(request)
    _check_number(number)
    ticket = queries.get_ticket(viewer, number)
    form = TicketPropertiesForm(request.POST, ticket=ticket, options=load_options())
    if not form.is_valid():
        raise _form_error(form)
    changes = services.changes_from_ids(form.values())
    services.patch_ticket(ticket, changes, actor=viewer, expected_versions=form.expected_versions())
    messages.success(request, _("Ticket updated."))
    return _back_to(ticket)


@login_required
@require_POST
@domain_errors
def update_handling(request: HttpRequest, number: int) -> HttpResponse:
    """The confirmed need and the solution (through the same ``patch_ticket``)."""
    viewer = signed_in_user(request)
    ticket = _ticket_for_post(request, number)
    form = HandlingForm(request.POST, ticket=ticket)
    if not form.is_valid():
        raise _form_error(form)
    services.patch_ticket(
        ticket,
        services.TicketChanges(),
        actor=viewer,
        expected_versions=form.expected_versions(),
        **form.service_kwargs(),
    )
    messages.success(request, _("Need and solution saved."))
    return _back_to(ticket, "handling")


@login_required
@require_POST
@domain_errors
def add_commitment(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_for_post(request, number)
    form = CommitmentForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    services.add_commitment(
        ticket,
        description=form.cleaned_data["description"],
        due_at=form.cleaned_data["due_at"],
        actor=signed_in_user(request),
    )
    messages.success(request, _("Commitment added."))
    return _back_to(ticket, "commitments")


@login_required
@require_POST
@domain_errors
def complete_commitment(request: HttpRequest, number: int, commitment_id: int) -> HttpResponse:
    viewer = signed_in_user(request)
    _check_number(number)
    ticket = queries.get_ticket(viewer, number)
    commitment = next((c for c in ticket.commitments.all() if c.pk == commitment_id), None)
    if commitment is None:
        raise NotFound(_("Commitment not found."))
    services.complete_commitment(commitment, actor=viewer)
    messages.success(request, _("Commitment marked as kept."))
    return _back_to(ticket, "commitments")


@login_required
@require_POST
@domain_errors
def cancel_commitment(request: HttpRequest, number: int, commitment_id: int) -> HttpResponse:
    """Withdraw a commitment that will not be kept, with the reason."""
    viewer = signed_in_user(request)
    _check_number(number)
    _check_number(commitment_id)
    commitment = queries.get_commitment(viewer, number, commitment_id)
    form = CommitmentCancelForm(request.POST)
    if not form.is_valid():
        raise _form_error(form)
    services.cancel_commitment(commitment, reason=form.cleaned_data["reason"], actor=viewer)
    messages.success(request, _("Commitment cancelled."))
    return _back_to(commitment.ticket, "commitments")


# --- Export: the communication record (客户沟通记录表) --------------------------------------


def _csv_cell(value: Any) -> str:
    """Text for a CSV cell; formulas are defused so a spreadsheet never runs them."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
@domain_errors
def export_record(request: HttpRequest, number: int) -> HttpResponse:
    """The ticket's communication record as CSV.

    The customer-facing record by default: internal notes are left out; ``?internal=1``
    adds them, each marked as internal. Contacts are masked unless the viewer may open the
    customer's full record, and then the export is an audited view of it.
    """
    viewer = signed_in_user(request)
    _check_number(number)
    ticket = queries.get_ticket(viewer, number)
    internal = request.GET.get("internal") == "1"
    full_contacts = is_visible(viewer, ticket.customer)
    if full_contacts:
        record_customer_viewed(ticket.customer, viewer=viewer, via="export")
    contacts = primary_contacts(ticket.customer)
    items = present_timeline(
        ticket, queries.timeline(ticket, include_notes=internal), load_options()
    )
    summary = []
    for item in items:
        what = item.message.body[:200] if item.message else item.text
        if item.message is not None and item.message.kind == MessageKind.NOTE:
            what = _("[internal note] %(text)s") % {"text": what}
        if item.details:
            what = f"{what} ({'; '.join(item.details)})"
        summary.append(f"{_format_time(item.at)} {item.actor}: {what}")
    commitments = [
        "{description} ({due}, {state})".format(
            description=c.description,
            due=_format_time(c.due_at),
            state=(
                _("kept")
                if c.is_done
                else _("cancelled: %(reason)s") % {"reason": c.cancel_reason}
                if c.is_cancelled
                else _("open")
            ),
        )
        for c in ticket.commitments.all()
    ]
    header = [
        _("Ticket"),
        _("Subject"),
        _("Customer"),
        _("Contact"),
        _("Channel"),
        _("Time"),
        _("Type"),
        _("Confirmed need"),
        _("Need confirmed"),
        _("Solution"),
        _("Commitments"),
        _("Emotion"),
        _("Owner"),
        _("Status"),
        _("Timeline summary"),
    ]
    row = [
        ticket.pk,
        ticket.subject,
        ticket.customer.name,
        "; ".join(contacts if full_contacts else [mask_contact(c) for c in contacts]),
        ticket.get_channel_display(),
        _format_time(ticket.created_at),
        ticket.get_kind_display(),
        ticket.need_statement,
        _("yes") if ticket.is_need_confirmed else _("no"),
        ticket.solution,
        "\n".join(commitments),
        ticket.get_emotion_display() if ticket.emotion else "",
        str(ticket.owner) if ticket.owner else "",
        ticket.get_status_display(),
        "\n".join(summary),
    ]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = "-internal" if internal else ""
    response["Content-Disposition"] = (
        f'attachment; filename="communication-record-{ticket.pk}{suffix}.csv"'
    )
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")  # a BOM, so spreadsheet programs read the Chinese text as UTF-8
    writer = csv.writer(response)
    writer.writerow([_csv_cell(v) for v in header])
    writer.writerow([_csv_cell(v) for v in row])
    return response
