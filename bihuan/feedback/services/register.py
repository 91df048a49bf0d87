"""The feedback register (客户反馈登记表) and the 48-business-hour analysis of negative
feedback (人/货/场)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Department, Team, User
from bihuan.core import due_work
from bihuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.customers.models import Customer
from bihuan.feedback.choices import (
    CAUSE_DETAILS,
    HAND_SOURCES,
    AnalysisState,
    CauseCategory,
    EntryKind,
    EntrySource,
    InternalTopic,
    SurveyKind,
)
from bihuan.feedback.models import (
    FeedbackEntry,
    NegativeAnalysis,
    SurveyInvitation,
    SurveyResponse,
)
from bihuan.feedback.services.policy import (
    ANALYSIS_DUE,
    ANALYSIS_DUE_IN,
    CSAT_GOOD_SCORE,
    NEGATIVE_EMOTIONS,
    NPS_PROMOTER_SCORE,
    REGISTER_TYPES,
    _check_choice,
    _clean,
    _require_manager,
    _require_staff_writer,
    analysis_key,
    is_low_score,
)
from bihuan.sla.business_hours import Schedule, add_business_time, default_weekly
from bihuan.sla.calendars import get_calendar, schedule_of
from bihuan.tickets.choices import Emotion, TicketType
from bihuan.tickets.models import Category, Ticket

# --- The register ---------------------------------------------------------------------------


def _ticket_department_id(ticket: Ticket) -> int | None:
    if ticket.department_id:
        return int(ticket.department_id)
    return ticket.team.department_id if ticket.team else None


def _create_entry(
    *,
    kind: str,
    source: str,
    summary: str,
    now: datetime,
    actor: User | None,
    ticket: Ticket | None = None,
    customer: Customer | None = None,
    linked: Iterable[Ticket] = (),
    category: Category | None = None,
    product: str = "",
    emotion: str = "",
    topic: str = "",
    response: SurveyResponse | None = None,
    negative: bool | None = None,
) -> FeedbackEntry:
    is_negative = (
        negative
        if negative is not None
        else kind == EntryKind.COMPLAINT or emotion in NEGATIVE_EMOTIONS
    )
    entry = FeedbackEntry.objects.create(
        kind=kind,
        source=source,
        summary=summary,
        customer=customer or (ticket.customer if ticket else None),
        ticket=ticket,
        category_id=category.pk if category else (ticket.category_id if ticket else None),
        product=product,
        emotion=emotion or (ticket.emotion if ticket else ""),
        topic=topic,
        response=response,
        is_negative=is_negative,
        agent_id=ticket.owner_id if ticket else (actor.pk if actor else None),
        team_id=ticket.team_id if ticket else None,
        department_id=_ticket_department_id(ticket) if ticket else None,
        channel=ticket.channel if ticket else "",
        created_by=actor,
        created_at=now,
    )
    tickets = {t.pk for t in linked} | ({ticket.pk} if ticket else set())
    if tickets:
        entry.linked_tickets.add(*tickets)  # a new entry: nothing to compare with
    record_event(
        "feedback.entry_recorded",
        entry,
        actor=actor,
        ticket_id=ticket.pk if ticket else None,
        customer_id=entry.customer_id,
        at=now,
        data={"kind": kind, "source": source, "negative": is_negative},
    )
    if is_negative:
        _open_analysis(entry, now=now)
    return entry


def _register_ticket(ticket: Ticket, *, now: datetime) -> FeedbackEntry | None:
    kind = REGISTER_TYPES.get(TicketType(ticket.kind)) if ticket.kind in TicketType.values else None
    if (
        kind is None
        or FeedbackEntry.objects.filter(ticket=ticket, source=EntrySource.TICKET).exists()
    ):
        return None
    summary = ticket.need_statement or ticket.subject
    try:
        with transaction.atomic():
            return _create_entry(
                kind=kind,
                source=EntrySource.TICKET,
                summary=summary,
                now=now,
                actor=None,
                ticket=ticket,
            )
    except IntegrityError:
        return None  # a concurrent reaction registered it (one entry per ticket)


def _register_answer(
    invitation: SurveyInvitation,
    response: SurveyResponse,
    *,
    now: datetime,
    answered_before: bool = True,
) -> None:
    """A survey answer with a low score or a comment is feedback for the register; a low
    score opens a negative-feedback case (its analysis due in 48 business hours). A first
    answer (``answered_before`` false) has no entry yet."""
    if response.score is None:
        return  # a campaign survey without a satisfaction question (or it left unanswered)
    low = is_low_score(response.kind, response.score)
    text = response.comment or response.follow_up
    entry = FeedbackEntry.objects.filter(response=response).first() if answered_before else None
    if entry is None:
        if not low and not text:
            return
        good = response.score >= (
            NPS_PROMOTER_SCORE if response.kind == SurveyKind.NPS else CSAT_GOOD_SCORE
        )
        kind = EntryKind.COMPLAINT if low else EntryKind.PRAISE if good else EntryKind.SUGGESTION
        survey = invitation.survey.title if invitation.survey else SurveyKind(response.kind).label
        summary = text or gettext("%(survey)s score %(score)s") % {
            "survey": survey,
            "score": response.score,
        }
        _create_entry(
            kind=kind,
            source=EntrySource.SURVEY,
            summary=summary,
            now=now,
            actor=None,
            ticket=invitation.ticket,
            customer=invitation.customer,
            response=response,
            emotion=Emotion.DISSATISFIED if low else "",
            negative=low,
        )
        return
    if text and entry.summary != text:
        entry.summary = text
        entry.save(update_fields=["summary"])
    if low and not entry.is_negative:
        entry.is_negative = True
        entry.kind = EntryKind.COMPLAINT
        entry.save(update_fields=["is_negative", "kind"])
    if low and not NegativeAnalysis.objects.filter(entry=entry).exists():
        _open_analysis(entry, now=now)


@dataclass(frozen=True)
class EntryFields:
    """A hand entry (社群留言, 电话回访…) as an agent types it."""

    kind: str
    summary: str
    source: str = EntrySource.OTHER
    customer: Customer | None = None
    tickets: tuple[Ticket, ...] = ()
    category: Category | None = None
    product: str = ""
    emotion: str = ""


@transaction.atomic
def record_entry(fields: EntryFields, *, actor: User, at: datetime | None = None) -> FeedbackEntry:
    """Put an agent's hand entry in the register; a complaint or an unhappy customer opens
    the negative-feedback analysis. The caller resolved customer and tickets in the actor's
    scope."""
    _require_staff_writer(actor)
    if fields.kind not in (
        EntryKind.INQUIRY,
        EntryKind.COMPLAINT,
        EntryKind.SUGGESTION,
        EntryKind.PRAISE,
    ):
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=fields.kind,
            field=gettext("type"),
        )
    if fields.source not in HAND_SOURCES:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=fields.source,
            field=gettext("source"),
        )
    if fields.emotion:
        _check_choice(fields.emotion, Emotion, label=gettext("emotion"))
    summary = _clean(fields.summary, label=gettext("The summary"), required=True)
    product = _clean(fields.product, label=gettext("The product"), limit=200)
    first = fields.tickets[0] if fields.tickets else None
    return _create_entry(
        kind=fields.kind,
        source=fields.source,
        summary=summary,
        now=at or timezone.now(),
        actor=actor,
        customer=fields.customer or (first.customer if first else None),
        linked=fields.tickets,
        category=fields.category or (first.category if first else None),
        product=product,
        emotion=fields.emotion,
    )


@transaction.atomic
def flag_internal_feedback(
    ticket: Ticket, *, topic: str, summary: str, actor: User, at: datetime | None = None
) -> FeedbackEntry:
    """An agent flags a recurring question or a confusing term from a ticket (内部反馈): it
    lands in the register for the product and training owners. Any role that sees the
    ticket may flag (the caller checked the scope)."""
    if not actor.is_active:
        raise PermissionDenied(_("Your account is not active."), code="inactive")
    _check_choice(topic, InternalTopic, label=gettext("topic"))
    text = _clean(summary, label=gettext("The summary"), required=True, limit=1000)
    locked = Ticket.objects.select_related("customer", "team", "category").get(pk=ticket.pk)
    entry = _create_entry(
        kind=EntryKind.INTERNAL,
        source=EntrySource.INTERNAL,
        summary=text,
        now=at or timezone.now(),
        actor=actor,
        linked=[locked],
        category=locked.category,
        topic=topic,
        negative=False,
    )
    entry.agent = actor
    entry.team_id = locked.team_id
    entry.department_id = _ticket_department_id(locked)
    entry.channel = locked.channel
    entry.customer = None  # internal feedback is about us, not about the customer
    entry.save(update_fields=["agent", "team", "department", "channel", "customer"])
    return entry


@transaction.atomic
def record_change(
    entry: FeedbackEntry, *, note: str, actor: User, at: datetime | None = None
) -> FeedbackEntry:
    """Mark internal feedback as having led to a change (an article, a template, a
    training): it counts for the internal-feedback conversion rate."""
    _require_manager(actor)
    locked = FeedbackEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.kind != EntryKind.INTERNAL:
        raise ValidationFailed(
            _("Only internal feedback is marked as having led to a change."), code="not_internal"
        )
    if locked.changed_at is not None:
        raise Conflict(_("This feedback is already marked as changed."), code="already_changed")
    text = _clean(note, label=gettext("What changed"), required=True, limit=500)
    now = at or timezone.now()
    locked.changed_at = now
    locked.change_note = text
    locked.save(update_fields=["changed_at", "change_note"])
    record_event("feedback.change_recorded", locked, actor=actor, at=now, data={"note": text})
    return locked


# --- Negative-feedback analysis ---------------------------------------------------------------


def analysis_schedule() -> Schedule:
    """The default business calendar (Monday–Friday office hours when none is stored)."""
    try:
        return schedule_of(get_calendar())
    except NotFound:
        return Schedule(weekly=default_weekly())


def analysis_due_at(start: datetime) -> datetime:
    return add_business_time(analysis_schedule(), start, ANALYSIS_DUE_IN)


def _analysis_owner(entry: FeedbackEntry) -> User | None:
    """The queue's supervisor, else the department head (None: a supervisor assigns it)."""
    candidates: list[User | None] = []
    if entry.team_id:
        team = Team.objects.select_related("supervisor").filter(pk=entry.team_id).first()
        candidates.append(team.supervisor if team else None)
    if entry.department_id:
        department = (
            Department.objects.select_related("head").filter(pk=entry.department_id).first()
        )
        candidates.append(department.head if department else None)
    return next((u for u in candidates if u is not None and u.is_active), None)


def _open_analysis(entry: FeedbackEntry, *, now: datetime) -> NegativeAnalysis:
    analysis = NegativeAnalysis.objects.create(
        entry=entry,
        owner=_analysis_owner(entry),
        due_at=analysis_due_at(now),
        created_at=now,
    )
    due_work.schedule(ANALYSIS_DUE, key=analysis_key(analysis.pk), due_at=analysis.due_at)
    event = record_event(
        "feedback.negative_case_opened",
        analysis,
        ticket_id=entry.ticket_id,
        customer_id=entry.customer_id,
        at=now,
        data={"entry": entry.pk, "due_at": analysis.due_at.isoformat()},
    )
    if analysis.owner is not None:
        notify(event, [analysis.owner])
    return analysis


def _lock_analysis(analysis: NegativeAnalysis) -> NegativeAnalysis:
    return (
        NegativeAnalysis.objects.select_for_update(of=("self",))
        .select_related("entry")
        .get(pk=analysis.pk)
    )


@transaction.atomic
def assign_analysis(analysis: NegativeAnalysis, *, owner: User, actor: User) -> NegativeAnalysis:
    """A supervisor gives the analysis to someone (an open one only)."""
    _require_manager(actor)
    locked = _lock_analysis(analysis)
    if locked.state != AnalysisState.OPEN:
        raise Conflict(_("This analysis is done already."), code="analysis_done")
    if not owner.is_active:
        raise ValidationFailed(_("Choose an active colleague."), code="inactive_owner")
    locked.owner = owner
    locked.save(update_fields=["owner"])
    event = record_event(
        "feedback.analysis_assigned",
        locked,
        actor=actor,
        ticket_id=locked.entry.ticket_id,
        customer_id=locked.entry.customer_id,
        data={"owner": owner.pk},
    )
    notify(event, [owner])
    return locked


@dataclass(frozen=True)
class AnalysisFields:
    cause_category: str
    facts: str
    is_systemic: bool
    cause_detail: str = ""


@transaction.atomic
def record_analysis(
    analysis: NegativeAnalysis, fields: AnalysisFields, *, actor: User, at: datetime | None = None
) -> NegativeAnalysis:
    """The owner (or a supervisor) records the cause (人/货/场 and its detail), the facts,
    and whether it is a one-off or systemic; the 48-hour timer stops."""
    locked = _lock_analysis(analysis)
    if not (actor.is_active and (actor.sees_everything or locked.owner_id == actor.pk)):
        raise PermissionDenied(
            _("Only the analysis's owner or a supervisor may record it."), code="not_owner"
        )
    if locked.state != AnalysisState.OPEN:
        raise Conflict(_("This analysis is done already."), code="analysis_done")
    _check_choice(fields.cause_category, CauseCategory, label=gettext("cause"))
    if fields.cause_detail and fields.cause_detail not in CAUSE_DETAILS[fields.cause_category]:
        raise ValidationFailed(
            _("“%(value)s” is not a cause of this category."),
            code="cause_mismatch",
            value=fields.cause_detail,
        )
    facts = _clean(fields.facts, label=gettext("The facts"), required=True)
    now = at or timezone.now()
    locked.cause_category = fields.cause_category
    locked.cause_detail = fields.cause_detail
    locked.facts = facts
    locked.is_systemic = bool(fields.is_systemic)
    locked.state = AnalysisState.DONE
    locked.completed_at = now
    locked.completed_by = actor
    locked.save(
        update_fields=[
            "cause_category",
            "cause_detail",
            "facts",
            "is_systemic",
            "state",
            "completed_at",
            "completed_by",
        ]
    )
    due_work.cancel(ANALYSIS_DUE, key=analysis_key(locked.pk))
    record_event(
        "feedback.analysis_recorded",
        locked,
        actor=actor,
        ticket_id=locked.entry.ticket_id,
        customer_id=locked.entry.customer_id,
        at=now,
        data={
            "cause": fields.cause_category,
            "detail": fields.cause_detail,
            "systemic": locked.is_systemic,
            "on_time": locked.is_on_time,
        },
    )
    return locked


@transaction.atomic
def fire_analysis_overdue(analysis_id: int, *, now: datetime) -> bool:
    """The 48 hours passed without an analysis: the owner and the department head are told
    (once)."""
    analysis = (
        NegativeAnalysis.objects.select_for_update(of=("self",))
        .select_related("entry", "entry__department", "owner")
        .filter(pk=analysis_id)
        .first()
    )
    if analysis is None or analysis.state != AnalysisState.OPEN or analysis.overdue_at:
        return False
    if analysis.due_at > now:
        return False
    analysis.overdue_at = now
    analysis.save(update_fields=["overdue_at"])
    event = record_event(
        "feedback.analysis_overdue",
        analysis,
        ticket_id=analysis.entry.ticket_id,
        customer_id=analysis.entry.customer_id,
        at=now,
        data={"entry": analysis.entry_id, "due_at": analysis.due_at.isoformat()},
    )
    head = analysis.entry.department.head if analysis.entry.department else None
    supervisors = User.objects.filter(role="supervisor", is_active=True) if head is None else []
    notify(event, [analysis.owner, head, *supervisors])
    return True
