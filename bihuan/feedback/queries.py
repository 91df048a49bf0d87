"""Read paths of the feedback app: the register, the ledger, before/after counts and the
reports, each scoped by the viewer (an entry or item outside it is simply not found)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from bihuan.accounts.models import Department, Team, User
from bihuan.core.errors import NotFound, PermissionDenied, ValidationFailed
from bihuan.core.pagination import Page, paginate
from bihuan.customers.choices import Tier
from bihuan.customers.models import Customer
from bihuan.feedback.choices import (
    AnalysisState,
    DeliveryChoice,
    EntryKind,
    InvitationState,
    QuestionKind,
    RectificationState,
    ReportDimension,
    SurveyKind,
)
from bihuan.feedback.models import (
    CampaignSurvey,
    FeedbackEntry,
    NegativeAnalysis,
    QuestionAnswer,
    Rectification,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
    SurveyReason,
    SurveyResponse,
    SurveySetting,
)
from bihuan.feedback.services import CSAT_GOOD_SCORE, NPS_LOW_SCORE, NPS_PROMOTER_SCORE
from bihuan.tickets.choices import Channel, TicketStatus, TicketType
from bihuan.tickets.models import Category, Ticket
from bihuan.tickets.permissions import ticket_scope

MAX_ID = 2**62
PAGE_SIZE = 30


# --- The register -----------------------------------------------------------------------------


def entry_scope(viewer: User) -> Q:
    """Supervisors and admins see the whole register; others the entries they recorded,
    handle or analyse, and those of tickets they may see."""
    if not viewer.is_active:
        return Q(pk__in=[])
    if viewer.sees_everything:
        return Q()
    visible_ticket = Exists(Ticket.objects.filter(ticket_scope(viewer), pk=OuterRef("ticket_id")))
    return (
        Q(created_by_id=viewer.pk)
        | Q(agent_id=viewer.pk)
        | Q(analysis__owner_id=viewer.pk)
        | Q(visible_ticket)
    )


def visible_entries(viewer: User) -> QuerySet[FeedbackEntry]:
    return FeedbackEntry.objects.filter(entry_scope(viewer))


@dataclass(frozen=True)
class EntryFilters:
    kind: str = ""
    source: str = ""
    negative: bool = False
    open_analysis: bool = False


def list_entries(
    viewer: User, filters: EntryFilters, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[FeedbackEntry]:
    """The register, newest first, by keyset pages (a fixed number of queries per page)."""
    rows = visible_entries(viewer)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.negative:
        rows = rows.filter(is_negative=True)
    if filters.open_analysis:
        rows = rows.filter(analysis__state=AnalysisState.OPEN)
    rows = rows.select_related("customer", "category", "analysis", "analysis__owner", "agent")
    return paginate(rows, order_field="id", descending=True, limit=limit, cursor=cursor)


def get_entry(viewer: User, entry_id: int) -> FeedbackEntry:
    entry = (
        visible_entries(viewer)
        .select_related(
            "customer",
            "ticket",
            "category",
            "agent",
            "team",
            "created_by",
            "response",
            "analysis",
            "analysis__owner",
        )
        .filter(pk=entry_id)
        .first()
        if entry_id <= MAX_ID
        else None
    )
    if entry is None:
        raise NotFound(_("Feedback not found."))
    return entry


def get_analysis(viewer: User, entry_id: int) -> NegativeAnalysis:
    entry = get_entry(viewer, entry_id)
    analysis = NegativeAnalysis.objects.filter(entry=entry).select_related("entry").first()
    if analysis is None:
        raise NotFound(_("This feedback has no analysis."))
    return analysis


def get_analysis_by_id(viewer: User, analysis_id: int) -> NegativeAnalysis:
    analysis = (
        NegativeAnalysis.objects.filter(pk=analysis_id, entry__in=visible_entries(viewer))
        .select_related("entry")
        .first()
        if analysis_id <= MAX_ID
        else None
    )
    if analysis is None:
        raise ValidationFailed(_("Unknown analysis."), code="unknown_analysis")
    return analysis


def ticket_tickets(viewer: User, numbers: list[int]) -> list[Ticket]:
    """The tickets a form or a request names, each in the viewer's scope (else 422)."""
    found = {
        t.pk: t
        for t in Ticket.objects.filter(
            ticket_scope(viewer), pk__in=[n for n in numbers if n <= MAX_ID]
        )
    }
    missing = [n for n in numbers if n not in found]
    if missing:
        raise ValidationFailed(
            _("Ticket #%(number)s does not exist or is not yours to see."),
            code="unknown_ticket",
            number=missing[0],
        )
    return [found[n] for n in numbers]


def assignable_users() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("username"))


def list_reasons() -> list[SurveyReason]:
    return list(SurveyReason.objects.filter(is_active=True).order_by("position", "id"))


# --- The ledger -------------------------------------------------------------------------------


def rectification_scope(viewer: User) -> Q:
    """Supervisors and admins see the whole ledger; others the items they own and those of
    their department."""
    if not viewer.is_active:
        return Q(pk__in=[])
    if viewer.sees_everything:
        return Q()
    scope = Q(owner_id=viewer.pk)
    if viewer.department_id:
        scope |= Q(owner_department_id=viewer.department_id)
    return scope


def list_rectifications(
    viewer: User, *, state: str = "", cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[Rectification]:
    rows = Rectification.objects.filter(rectification_scope(viewer))
    if state:
        rows = rows.filter(state=state)
    rows = rows.select_related("owner_department", "owner", "category")
    return paginate(rows, order_field="id", descending=True, limit=limit, cursor=cursor)


def get_rectification(viewer: User, rectification_id: int) -> Rectification:
    item = (
        Rectification.objects.filter(rectification_scope(viewer))
        .select_related("owner_department", "owner", "category", "analysis", "accepted_by")
        .filter(pk=rectification_id)
        .first()
        if rectification_id <= MAX_ID
        else None
    )
    if item is None:
        raise NotFound(_("Rectification not found."))
    return item


def departments() -> list[Department]:
    return list(Department.objects.order_by("name"))


@dataclass(frozen=True)
class WeekCount:
    starts: datetime
    count: int | None  # None: a week not over yet


@dataclass(frozen=True)
class BeforeAfter:
    pivot: datetime
    before: list[WeekCount]
    after: list[WeekCount]

    @property
    def before_average(self) -> float | None:
        return _average(self.before)

    @property
    def after_average(self) -> float | None:
        return _average(self.after)


def _average(weeks: list[WeekCount]) -> float | None:
    counted = [w.count for w in weeks if w.count is not None]
    return round(sum(counted) / len(counted), 1) if counted else None


def _category_ids(category: Category) -> list[int]:
    return [category.pk, *Category.objects.filter(parent=category).values_list("pk", flat=True)]


def complaint_weeks(item: Rectification, *, now: datetime | None = None) -> BeforeAfter:
    """Complaints linked to the item, per week, in its ``weeks`` before the measure began
    (its start, or its creation before that) and after it: complaint tickets of its category
    or linked to it or its feedback, and complaints typed into the register by hand."""
    moment = now or timezone.now()
    pivot = item.started_at or item.created_at
    span = timedelta(weeks=item.weeks)
    ticket_match = Q(pk__in=item.linked_tickets.values("pk")) | Q(
        pk__in=item.entries.exclude(ticket=None).values("ticket_id")
    )
    entry_match = Q(pk__in=item.entries.values("pk"))
    if item.category_id is not None and item.category is not None:
        ids = _category_ids(item.category)
        ticket_match |= Q(category_id__in=ids)
        entry_match |= Q(category_id__in=ids)
    instants = list(
        Ticket.objects.filter(
            ticket_match,
            kind=TicketType.COMPLAINT,
            created_at__gte=pivot - span,
            created_at__lt=pivot + span,
        ).values_list("created_at", flat=True)
    ) + list(
        FeedbackEntry.objects.filter(
            entry_match,
            kind=EntryKind.COMPLAINT,
            ticket__isnull=True,
            created_at__gte=pivot - span,
            created_at__lt=pivot + span,
        ).values_list("created_at", flat=True)
    )

    def week(starts: datetime) -> WeekCount:
        ends = starts + timedelta(weeks=1)
        if ends > moment:
            return WeekCount(starts, None)  # not over yet: a part-week would read as a fall
        return WeekCount(starts, sum(1 for at in instants if starts <= at < ends))

    before = [week(pivot - timedelta(weeks=n)) for n in range(item.weeks, 0, -1)]
    after = [week(pivot + timedelta(weeks=n)) for n in range(item.weeks)]
    return BeforeAfter(pivot=pivot, before=before, after=after)


# --- The ticket page --------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFeedback:
    invitation: SurveyInvitation | None
    response: SurveyResponse | None
    entries: list[FeedbackEntry]


def ticket_feedback(viewer: User, ticket: Ticket) -> TicketFeedback:
    """The ticket's CSAT invitation and answer and the register entries about it (the ticket
    is one the viewer may see: the ticket page checked)."""
    invitation = (
        SurveyInvitation.objects.filter(ticket=ticket, kind=SurveyKind.CSAT)
        .select_related("response")
        .first()
    )
    response = getattr(invitation, "response", None) if invitation else None
    entries = list(
        visible_entries(viewer)
        .filter(Q(ticket=ticket) | Q(linked_tickets=ticket))
        .distinct()
        .order_by("-id")[:10]
    )
    return TicketFeedback(invitation, response, entries)


# --- The customer page ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSurveys:
    opt_out: SurveyOptOut | None
    responses: list[SurveyResponse]


def customer_surveys(customer: Customer, *, limit: int = 5) -> CustomerSurveys:
    """Whether the customer opted out of surveys (and who recorded it) and their latest
    answers (two queries; the customer page checked the viewer may see the customer)."""
    opt_out = SurveyOptOut.objects.filter(customer=customer).select_related("created_by").first()
    responses = list(
        SurveyResponse.objects.filter(invitation__customer=customer)
        .select_related("invitation__survey")
        .order_by("-answered_at", "-id")[:limit]
    )
    return CustomerSurveys(opt_out, responses)


# --- Campaign surveys -------------------------------------------------------------------------


def _require_manager(viewer: User, message: str) -> None:
    if not (viewer.is_active and viewer.sees_everything):
        raise PermissionDenied(message, code="managers_only")


def survey_delivery_settings(viewer: User) -> dict[str, str]:
    """How CSAT and NPS invitations are sent (supervisors and admins; one query)."""
    _require_manager(viewer, _("Only supervisors and administrators see campaign surveys."))
    found = dict(SurveySetting.objects.values_list("kind", "delivery"))
    return {
        kind: found.get(kind, DeliveryChoice.TICKET_CHANNEL)
        for kind in (SurveyKind.CSAT, SurveyKind.NPS)
    }


def list_campaigns(
    viewer: User, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[CampaignSurvey]:
    """Campaign surveys, newest first, each with its count of answers (supervisors and
    admins)."""
    _require_manager(viewer, _("Only supervisors and administrators see campaign surveys."))
    rows = CampaignSurvey.objects.annotate(
        answered=Count("invitations", filter=Q(invitations__state=InvitationState.ANSWERED))
    ).select_related("tag", "created_by")
    return paginate(rows, order_field="id", descending=True, limit=limit, cursor=cursor)


def get_campaign(viewer: User, survey_id: int) -> CampaignSurvey:
    """One campaign survey; not found for anyone but supervisors and admins."""
    survey = (
        CampaignSurvey.objects.select_related("tag", "created_by").filter(pk=survey_id).first()
        if survey_id <= MAX_ID and viewer.is_active and viewer.sees_everything
        else None
    )
    if survey is None:
        raise NotFound(_("Survey not found."))
    return survey


@dataclass
class QuestionResult:
    """One question's results: how many answered, the distribution (label, count, share of
    those who answered), the average of a rating or NPS question, NPS itself, and the latest
    free-text answers."""

    question: SurveyQuestion
    answered: int = 0
    average: float | None = None
    nps: float | None = None
    distribution: list[tuple[str, int, float]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class CampaignResults:
    survey: CampaignSurvey
    states: dict[str, int]
    questions: list[QuestionResult]

    @property
    def invited(self) -> int:
        return sum(self.states.values())

    @property
    def state_counts(self) -> list[tuple[str, str, int]]:
        """(state, its label, invitations) for the states that occur, in the states' order."""
        return [
            (value, str(label), self.states[value])
            for value, label in InvitationState.choices
            if self.states.get(value)
        ]

    @property
    def answered(self) -> int:
        return self.states.get(InvitationState.ANSWERED, 0)

    @property
    def response_rate(self) -> float | None:
        reached = self.answered + self.states.get(InvitationState.SENT, 0)
        return round(100 * self.answered / reached, 1) if reached else None


def _scale(question: SurveyQuestion) -> list[str]:
    if question.kind == QuestionKind.RATING:
        return [str(n) for n in range(1, 6)]
    if question.kind == QuestionKind.NPS:
        return [str(n) for n in range(11)]
    return [str(o) for o in question.options]


def campaign_results(survey: CampaignSurvey, *, text_limit: int = 50) -> CampaignResults:
    """The survey's results per question in five queries whatever its size: invitations by
    state, the questions, answers counted per question and value, the multiple choices, the
    latest free-text answers (``text_limit`` per question)."""
    states = {
        row["state"]: row["n"]
        for row in survey.invitations.values("state").annotate(n=Count("pk")).order_by()
    }
    questions = list(survey.questions.order_by("position"))
    answers = QuestionAnswer.objects.filter(question__survey=survey)
    counts: dict[int, dict[int | None, int]] = {}
    for row in answers.values("question_id", "number").annotate(n=Count("pk")).order_by():
        counts.setdefault(row["question_id"], {})[row["number"]] = row["n"]
    multiple = [q.pk for q in questions if q.kind == QuestionKind.MULTIPLE]
    picks: dict[int, dict[int, int]] = {}
    if multiple:
        for question_id, chosen in answers.filter(question_id__in=multiple).values_list(
            "question_id", "choices"
        ):
            for index in chosen or []:
                per = picks.setdefault(question_id, {})
                per[index] = per.get(index, 0) + 1
    text_ids = [q.pk for q in questions if q.kind == QuestionKind.TEXT]
    texts: dict[int, list[str]] = {}
    if text_ids:
        for question_id, text in (
            answers.filter(question_id__in=text_ids)
            .exclude(text="")
            .order_by("-id")
            .values_list("question_id", "text")[: text_limit * len(text_ids)]
        ):
            found = texts.setdefault(question_id, [])
            if len(found) < text_limit:
                found.append(text)
    results = []
    for q in questions:
        per_value = counts.get(q.pk, {})
        result = QuestionResult(q, answered=sum(per_value.values()))
        if q.kind == QuestionKind.TEXT:
            result.texts = texts.get(q.pk, [])
        else:
            labels = _scale(q)
            if q.kind == QuestionKind.MULTIPLE:
                chosen = picks.get(q.pk, {})
                values = [chosen.get(i, 0) for i in range(len(labels))]
            else:
                start = 1 if q.kind == QuestionKind.RATING else 0
                values = [per_value.get(start + i, 0) for i in range(len(labels))]
                if q.kind in (QuestionKind.RATING, QuestionKind.NPS) and result.answered:
                    total = sum((start + i) * n for i, n in enumerate(values))
                    result.average = round(total / result.answered, 2)
                if q.kind == QuestionKind.NPS and result.answered:
                    promoters = sum(values[NPS_PROMOTER_SCORE:])
                    detractors = sum(values[: NPS_LOW_SCORE + 1])
                    result.nps = round(100 * (promoters - detractors) / result.answered, 1)
            result.distribution = [
                (
                    label,
                    n,
                    round(100 * n / result.answered, 1) if result.answered else 0.0,
                )
                for label, n in zip(labels, values, strict=True)
            ]
        results.append(result)
    return CampaignResults(survey, states, results)


def _answer_text(question: SurveyQuestion, item: QuestionAnswer) -> Any:
    if question.kind in (QuestionKind.RATING, QuestionKind.NPS):
        return item.number
    if question.kind == QuestionKind.SINGLE:
        options = question.options or []
        return (
            options[item.number] if item.number is not None and item.number < len(options) else ""
        )
    if question.kind == QuestionKind.MULTIPLE:
        options = question.options or []
        return "; ".join(str(options[i]) for i in item.choices or [] if i < len(options))
    return item.text


def campaign_answer_table(survey: CampaignSurvey) -> list[list[Any]]:
    """Every answer of the survey, one line per customer and one column per question, for
    the export (three queries)."""
    questions = list(survey.questions.order_by("position"))
    header: list[Any] = [_("Customer"), _("Tier"), _("Answered at"), _("Changed")]
    header += [f"{q.position}. {q.text}" for q in questions]
    responses = (
        SurveyResponse.objects.filter(invitation__survey=survey)
        .select_related("invitation__customer")
        .prefetch_related("items")
        .order_by("answered_at", "id")
    )
    table: list[list[Any]] = [header]
    for response in responses:
        by_question = {item.question_id: item for item in response.items.all()}
        tier = response.invitation.tier
        line: list[Any] = [
            response.invitation.customer.name,
            str(Tier(tier).label) if tier in Tier.values else tier,
            timezone.localtime(response.answered_at).strftime("%Y-%m-%d %H:%M"),
            response.edit_count,
        ]
        for q in questions:
            item = by_question.get(q.pk)
            line.append(_answer_text(q, item) if item is not None else "")
        table.append(line)
    return table


# --- Reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def parse_period(start: str | None, end: str | None, *, today: date | None = None) -> ReportPeriod:
    """The period a report covers (default: the last 30 days up to today)."""
    day = today or timezone.localdate()
    try:
        first = date.fromisoformat(start) if start else day - timedelta(days=29)
        last = date.fromisoformat(end) if end else day
    except ValueError:
        raise ValidationFailed(_("Give dates as YYYY-MM-DD."), code="invalid_date") from None
    if not (date(2000, 1, 1) <= first and last <= date(2100, 12, 31)):
        raise ValidationFailed(_("Choose dates between 2000 and 2100."), code="invalid_date")
    if last < first:
        raise ValidationFailed(_("The period ends before it starts."), code="invalid_period")
    if (last - first).days > 731:
        raise ValidationFailed(_("A report covers at most two years."), code="period_too_long")
    return ReportPeriod(first, last)


@dataclass
class ReportRow:
    """The rates the issue's seeds track, for one group (or overall)."""

    key: Any
    label: str
    solved: int = 0
    collected: int = 0
    csat_answers: int = 0
    csat_satisfied: int = 0
    csat_average: float | None = None
    nps_answers: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    analyses_due: int = 0
    analyses_on_time: int = 0
    rectifications_due: int = 0
    rectifications_on_time: int = 0
    rectifications_decided: int = 0
    rectifications_accepted: int = 0
    internal: int = 0
    internal_changed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def collection_rate(self) -> float | None:
        return self._rate(self.collected, self.solved)

    @property
    def csat(self) -> float | None:
        return self._rate(self.csat_satisfied, self.csat_answers)

    @property
    def nps(self) -> float | None:
        if not self.nps_answers:
            return None
        return round(100 * (self.nps_promoters - self.nps_detractors) / self.nps_answers, 1)

    @property
    def analysis_on_time_rate(self) -> float | None:
        return self._rate(self.analyses_on_time, self.analyses_due)

    @property
    def rectification_on_time_rate(self) -> float | None:
        return self._rate(self.rectifications_on_time, self.rectifications_due)

    @property
    def acceptance_rate(self) -> float | None:
        return self._rate(self.rectifications_accepted, self.rectifications_decided)

    @property
    def conversion_rate(self) -> float | None:
        return self._rate(self.internal_changed, self.internal)


# For each dimension: the field on tickets, on invitations and on register entries. A
# ticket's department is its own, else its queue's (as invitations and entries copy it); an
# answer's tier is the one copied on its invitation, an entry's its customer's.
_GROUP_FIELDS: dict[str, tuple[str, str, str]] = {
    ReportDimension.TEAM: ("team_id", "team_id", "team_id"),
    ReportDimension.AGENT: ("owner_id", "agent_id", "agent_id"),
    ReportDimension.CHANNEL: ("channel", "channel", "channel"),
    ReportDimension.CATEGORY: ("category_id", "category_id", "category_id"),
    ReportDimension.DEPARTMENT: ("department_key", "department_id", "department_id"),
    ReportDimension.TIER: ("customer__tier", "tier", "customer__tier"),
}
# Rectifications group by category and by owner department (no queue, agent or tier).
_RECTIFICATION_FIELDS = {
    ReportDimension.CATEGORY: "category_id",
    ReportDimension.DEPARTMENT: "owner_department_id",
}


def _labels(dimension: str, keys: set[Any]) -> dict[Any, str]:
    real = [k for k in keys if k not in (None, "")]
    if dimension == ReportDimension.TEAM:
        return {t.pk: t.name for t in Team.objects.filter(pk__in=real)}
    if dimension == ReportDimension.AGENT:
        return {u.pk: u.display_name or u.username for u in User.objects.filter(pk__in=real)}
    if dimension == ReportDimension.CATEGORY:
        return {c.pk: str(c) for c in Category.objects.filter(pk__in=real).select_related("parent")}
    if dimension == ReportDimension.CHANNEL:
        return {k: str(Channel(k).label) for k in real if k in Channel.values}
    if dimension == ReportDimension.DEPARTMENT:
        return {d.pk: d.name for d in Department.objects.filter(pk__in=real)}
    if dimension == ReportDimension.TIER:
        return {k: str(Tier(k).label) for k in real if k in Tier.values}
    return {}


def feedback_report(viewer: User, period: ReportPeriod, dimension: str = "") -> list[ReportRow]:
    """Collection rate, CSAT, NPS, on-time rates and conversion for the period, overall
    (first row) and by queue, agent, channel, category, department or customer tier.
    Supervisors and admins only. A fixed number of grouped queries whatever the number of
    groups (two per rate: overall and by group), plus one for the groups' names.

    - collection: solved tickets of the period with a CSAT answer / solved tickets;
    - CSAT: answers scoring ≥ 4 / answers; NPS: % promoters (9–10) − % detractors (0–6);
    - analyses due in the period done by their due time / analyses due;
    - rectifications due in the period submitted by their deadline / due; acceptance:
      accepted / accepted or returned (moves in the period);
    - internal feedback of the period that led to a change / internal feedback.
    Rectifications belong to no queue, agent or tier: their rates are in the overall row,
    by category and by owner department."""
    if not (viewer.is_active and viewer.sees_everything):
        raise PermissionDenied(
            _("Only supervisors and administrators see the feedback reports."),
            code="managers_only",
        )
    if dimension not in ReportDimension.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=dimension,
            field=_("grouping"),
        )
    since, until = period.since, period.until
    fields = _GROUP_FIELDS.get(ReportDimension(dimension)) if dimension else None
    rows: dict[Any, ReportRow] = {}
    overall_key = object()  # a group's own key may be None (no queue, no agent)

    def row(key: Any) -> ReportRow:
        if key not in rows:
            rows[key] = ReportRow(key=key, label="")
        return rows[key]

    def grouped(
        queryset: QuerySet[Any], group: str | None, **aggregates: Any
    ) -> list[dict[str, Any]]:
        if group is None:
            return [{"key": overall_key, **queryset.aggregate(**aggregates)}]
        return list(queryset.values(key=F(group)).annotate(**aggregates).order_by())

    keys: list[str | None] = [None] if fields is None else [None, "group"]
    for level in keys:
        ticket_field = fields[0] if (fields and level) else None
        invitation_field = fields[1] if (fields and level) else None
        entry_field = fields[2] if (fields and level) else None
        solved = Ticket.objects.filter(solved_at__gte=since, solved_at__lt=until).filter(
            status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED)
        )
        if ticket_field == "department_key":
            solved = solved.annotate(
                department_key=Coalesce("department_id", "team__department_id")
            )
        answered = Exists(
            SurveyResponse.objects.filter(
                invitation__ticket_id=OuterRef("pk"), kind=SurveyKind.CSAT
            )
        )
        for values in grouped(
            solved.annotate(has_answer=answered),
            ticket_field,
            solved_count=Count("pk"),
            collected_count=Count("pk", filter=Q(has_answer=True)),
        ):
            r = row(values["key"] if level else overall_key)
            r.solved, r.collected = values["solved_count"] or 0, values["collected_count"] or 0
        responses = SurveyResponse.objects.filter(answered_at__gte=since, answered_at__lt=until)
        prefix = "invitation__"
        for values in grouped(
            responses,
            prefix + invitation_field if invitation_field else None,
            csat_n=Count("pk", filter=Q(kind=SurveyKind.CSAT)),
            csat_good=Count("pk", filter=Q(kind=SurveyKind.CSAT, score__gte=CSAT_GOOD_SCORE)),
            csat_avg=Avg("score", filter=Q(kind=SurveyKind.CSAT)),
            nps_n=Count("pk", filter=Q(kind=SurveyKind.NPS)),
            nps_pro=Count("pk", filter=Q(kind=SurveyKind.NPS, score__gte=NPS_PROMOTER_SCORE)),
            nps_det=Count("pk", filter=Q(kind=SurveyKind.NPS, score__lte=NPS_LOW_SCORE)),
        ):
            r = row(values["key"] if level else overall_key)
            r.csat_answers, r.csat_satisfied = values["csat_n"] or 0, values["csat_good"] or 0
            r.csat_average = (
                round(values["csat_avg"], 2) if values["csat_avg"] is not None else None
            )
            r.nps_answers = values["nps_n"] or 0
            r.nps_promoters, r.nps_detractors = values["nps_pro"] or 0, values["nps_det"] or 0
        analyses = NegativeAnalysis.objects.filter(due_at__gte=since, due_at__lt=until)
        for values in grouped(
            analyses,
            "entry__" + entry_field if entry_field else None,
            due=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(state=AnalysisState.DONE, completed_at__lte=F("due_at")),
            ),
        ):
            r = row(values["key"] if level else overall_key)
            r.analyses_due, r.analyses_on_time = values["due"] or 0, values["on_time"] or 0
        internal = FeedbackEntry.objects.filter(
            kind=EntryKind.INTERNAL, created_at__gte=since, created_at__lt=until
        )
        for values in grouped(
            internal,
            entry_field,
            n=Count("pk"),
            changed=Count("pk", filter=Q(changed_at__isnull=False)),
        ):
            r = row(values["key"] if level else overall_key)
            r.internal, r.internal_changed = values["n"] or 0, values["changed"] or 0
        if level is None or dimension in _RECTIFICATION_FIELDS:
            group = _RECTIFICATION_FIELDS[ReportDimension(dimension)] if level else None
            due = Rectification.objects.filter(deadline__gte=since, deadline__lt=until)
            for values in grouped(
                due,
                group,
                n=Count("pk"),
                on_time=Count("pk", filter=Q(submitted_at__lte=F("deadline"))),
            ):
                r = row(values["key"] if level else overall_key)
                r.rectifications_due, r.rectifications_on_time = (
                    values["n"] or 0,
                    values["on_time"] or 0,
                )
            decided = Rectification.objects.filter(updated_at__gte=since, updated_at__lt=until)
            for values in grouped(
                decided,
                group,
                n=Count(
                    "pk",
                    filter=Q(state__in=(RectificationState.ACCEPTED, RectificationState.RETURNED)),
                ),
                accepted=Count("pk", filter=Q(state=RectificationState.ACCEPTED)),
            ):
                r = row(values["key"] if level else overall_key)
                r.rectifications_decided = values["n"] or 0
                r.rectifications_accepted = values["accepted"] or 0
    overall = row(overall_key)
    overall.label = _("Overall")
    groups = [r for r in rows.values() if r is not overall]
    labels = _labels(dimension, {r.key for r in groups}) if dimension else {}
    for r in groups:
        r.label = labels.get(r.key, "") or _("(none)")
    groups.sort(key=lambda r: r.label)
    return [overall, *groups]
