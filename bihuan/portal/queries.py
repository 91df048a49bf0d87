"""Read paths of the portal, scoped by the ``PortalViewer``: a ticket outside the viewer's
session is simply not found, and what a customer reads of a ticket is its public side only —
their messages and our replies (never internal notes), the status in plain words, the
commitments made to them. No internal field (owner, queue, tags, priority, emotion, SLA) is
read here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bihuan.core.errors import NotFound
from bihuan.core.models import Event
from bihuan.core.pagination import Page, paginate
from bihuan.feedback.choices import SurveyKind
from bihuan.feedback.models import SurveyResponse
from bihuan.knowledge import search
from bihuan.knowledge.choices import ArticleStatus, Audience
from bihuan.knowledge.models import Article
from bihuan.knowledge.queries import synonym_table
from bihuan.portal.models import PortalFile
from bihuan.portal.viewer import PortalViewer
from bihuan.tickets.choices import MessageKind, TicketStatus
from bihuan.tickets.models import Commitment, Message, Ticket

MAX_ID = 2**62
PAGE_SIZE = 20
TIMELINE_PAGE = 50
ARTICLE_PAGE = 20

# The events a customer sees on their ticket; everything else in the log is internal.
PUBLIC_VERBS = (
    "ticket.created",
    "ticket.message_added",
    "ticket.status_changed",
    "ticket.commitment_added",
    "ticket.commitment_done",
    "ticket.commitment_cancelled",
    "portal.solution_confirmed",
    "portal.solution_rejected",
)
_MESSAGE_VERBS = ("ticket.created", "ticket.message_added")
PUBLIC_MESSAGE_KINDS = (MessageKind.CUSTOMER, MessageKind.REPLY)

# The status in plain words, as the customer reads it.
STATUS_WORDS: dict[str, Promise] = {
    TicketStatus.NEW: _("We have received your request and will answer soon."),
    TicketStatus.OPEN: _("We are working on your request."),
    TicketStatus.PENDING_CUSTOMER: _("We are waiting for your answer."),
    TicketStatus.PENDING_COLLABORATION: _("A specialist team is looking into it with us."),
    TicketStatus.SOLVED: _(
        "We think this is solved. Please confirm, or tell us what is still wrong."
    ),
    TicketStatus.CLOSED: _("This request is closed."),
}
# A short label per status (a badge in lists).
STATUS_LABELS: dict[str, Promise] = {
    TicketStatus.NEW: _("Received"),
    TicketStatus.OPEN: _("In progress"),
    TicketStatus.PENDING_CUSTOMER: _("Waiting for you"),
    TicketStatus.PENDING_COLLABORATION: _("In progress"),
    TicketStatus.SOLVED: _("Solved"),
    TicketStatus.CLOSED: _("Closed"),
}


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, ""))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, ""))


def _scope(viewer: PortalViewer) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(customer_id=viewer.customer_id)
    if viewer.ticket_id is not None:
        tickets = tickets.filter(pk=viewer.ticket_id)
    return tickets


def get_ticket(viewer: PortalViewer, number: int) -> Ticket:
    """The viewer's ticket, or the same 404 whether it is someone else's or does not exist."""
    if number > MAX_ID:
        raise NotFound(_("Request not found."))
    ticket = _scope(viewer).filter(pk=number).first()
    if ticket is None:
        raise NotFound(_("Request not found."))
    return ticket


def list_tickets(viewer: PortalViewer, *, cursor: str | None = None) -> Page[Ticket]:
    """The viewer's tickets, most recently changed first (keyset pages)."""
    return paginate(
        _scope(viewer).only("pk", "subject", "status", "created_at", "updated_at"),
        order_field="updated_at",
        descending=True,
        limit=PAGE_SIZE,
        cursor=cursor,
    )


@dataclass
class PublicEntry:
    """One line of a ticket's public timeline: an event, with its message and files."""

    event: Event
    message: Message | None = None
    files: list[PortalFile] = field(default_factory=list)

    @property
    def verb(self) -> str:
        return self.event.verb

    @property
    def from_customer(self) -> bool:
        return self.message is not None and self.message.kind == MessageKind.CUSTOMER

    @property
    def status_to(self) -> str:
        return status_label(str(self.event.data.get("to", "")))

    @property
    def description(self) -> str:
        return str(self.event.data.get("description", ""))

    @property
    def reason(self) -> str:
        return str(self.event.data.get("reason", ""))

    @property
    def due_at(self) -> datetime | None:
        raw = self.event.data.get("due_at")
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None


@dataclass(frozen=True)
class PublicTimeline:
    entries: list[PublicEntry]
    older_cursor: str | None


def public_timeline(ticket: Ticket, *, cursor: str | None = None) -> PublicTimeline:
    """The newest page of the ticket's public history (oldest first on the page), with the
    messages and files of that page: three queries whatever the history's length. Internal
    notes are never read; other internal events are filtered out in the query."""
    page = paginate(
        Event.objects.filter(ticket_id=ticket.pk, verb__in=PUBLIC_VERBS).only(
            "pk", "verb", "occurred_at", "data", "ticket_id"
        ),
        order_field="id",
        descending=True,
        limit=TIMELINE_PAGE,
        cursor=cursor,
    )
    ids = [
        e.data.get("message")
        for e in page.items
        if e.verb in _MESSAGE_VERBS and e.data.get("kind", MessageKind.CUSTOMER) != MessageKind.NOTE
    ]
    wanted = [pk for pk in ids if isinstance(pk, int)]
    messages = (
        Message.objects.filter(ticket_id=ticket.pk, pk__in=wanted, kind__in=PUBLIC_MESSAGE_KINDS)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "portal_files",
                queryset=PortalFile.objects.order_by("id"),
                to_attr="portal_file_list",
            )
        )
        if wanted
        else Message.objects.none()
    )
    by_id = {m.pk: m for m in messages}
    entries = []
    for event in page.items:
        if event.verb in _MESSAGE_VERBS:
            message = by_id.get(event.data.get("message"))
            if message is None:
                continue  # an internal note: not even its existence is shown
            files = list(getattr(message, "portal_file_list", []))
            entries.append(PublicEntry(event, message, files))
        else:
            entries.append(PublicEntry(event))
    entries.reverse()
    return PublicTimeline(entries, page.next_cursor)


def current_commitment(ticket: Ticket) -> Commitment | None:
    """The open commitment due first (what we promised and by when), if any."""
    return (
        Commitment.objects.filter(ticket=ticket, done_at__isnull=True, cancelled_at__isnull=True)
        .order_by("due_at", "id")
        .first()
    )


def is_confirmed(ticket: Ticket) -> bool:
    """Whether the customer confirmed the ticket's current solution (since it was solved)."""
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return False
    events = Event.objects.filter(ticket_id=ticket.pk, verb="portal.solution_confirmed")
    if ticket.solved_at is not None:
        events = events.filter(occurred_at__gte=ticket.solved_at)
    return events.exists()


def csat_answer(ticket: Ticket) -> SurveyResponse | None:
    """The customer's CSAT answer on the ticket (from the portal or the mailed survey)."""
    return SurveyResponse.objects.filter(invitation__ticket=ticket, kind=SurveyKind.CSAT).first()


def get_file(viewer: PortalViewer, number: int, file_id: int) -> PortalFile:
    """A file on the viewer's ticket (a file of another ticket is not found)."""
    ticket = get_ticket(viewer, number)
    found = PortalFile.objects.filter(pk=min(file_id, MAX_ID), ticket=ticket).first()
    if found is None:
        raise NotFound(_("File not found."))
    return found


def files_of_messages(message_ids: list[int]) -> dict[int, list[PortalFile]]:
    """The portal files of these messages, by message id (one query)."""
    found: dict[int, list[PortalFile]] = {}
    for row in PortalFile.objects.filter(message_id__in=message_ids).order_by("id"):
        found.setdefault(row.message_id, []).append(row)
    return found


# --- Public articles -----------------------------------------------------------------------


def _public_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)


def list_public_articles(*, language: str = "", cursor: str | None = None) -> Page[Article]:
    """Published public articles, most recently changed first (keyset pages)."""
    rows = _public_articles().select_related("category")
    if language:
        rows = rows.filter(language=language)
    return paginate(
        rows, order_field="updated_at", descending=True, limit=ARTICLE_PAGE, cursor=cursor
    )


def search_public_articles(query: str, *, language: str = "") -> list[Article]:
    """Published public articles matching ``query`` (the knowledge base's own ranked search,
    with its synonyms), best first; internal articles are excluded in the search itself."""
    terms = search.parse(query, synonym_table())
    ids = search.ranked_article_ids(
        terms,
        statuses=[ArticleStatus.PUBLISHED],
        language=language,
        audience=Audience.PUBLIC,
        limit=ARTICLE_PAGE,
    )
    by_id = {a.pk: a for a in _public_articles().select_related("category").filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def get_public_article(article_id: int) -> Article:
    if article_id > MAX_ID:
        raise NotFound(_("Article not found."))
    article = _public_articles().select_related("category").filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("Article not found."))
    return article


def get_staff_file(tickets: QuerySet[Ticket], *, number: int, file_id: int) -> PortalFile:
    """A portal file on a ticket among ``tickets`` (the staff member's visible tickets)."""
    found = (
        PortalFile.objects.filter(
            pk=min(file_id, MAX_ID), ticket_id=min(number, MAX_ID), ticket__in=tickets
        )
        .only("pk", "file", "name")
        .first()
    )
    if found is None:
        raise NotFound(_("File not found."))
    return found
