"""Request and response shapes of the feedback API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema

from bihuan.feedback.models import CampaignSurvey, FeedbackEntry, NegativeAnalysis, Rectification
from bihuan.feedback.queries import BeforeAfter, CampaignResults, ReportRow

MAX_ID = 2**62
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class AnalysisOut(Schema):
    owner: int | None
    state: str
    due_at: datetime
    cause_category: str
    cause_detail: str
    facts: str
    is_systemic: bool
    completed_at: datetime | None
    is_on_time: bool


class EntryOut(Schema):
    id: int
    kind: str
    source: str
    summary: str
    is_negative: bool
    customer: int | None
    ticket: int | None
    linked_tickets: list[int]
    category: int | None
    product: str
    emotion: str
    topic: str
    score: int | None
    created_at: datetime
    changed_at: datetime | None
    analysis: AnalysisOut | None


class EntryPageOut(Schema):
    items: list[EntryOut]
    next_cursor: str | None
    previous_cursor: str | None


class EntryIn(Schema):
    kind: str = Field(..., description="inquiry, complaint, suggestion or praise")
    source: str = Field("other", description="community, callback or other")
    summary: str = Field(..., max_length=2000)
    tickets: list[Id] = Field(default_factory=list, max_length=20)
    category: Id | None = None
    product: str = Field("", max_length=200)
    emotion: str = ""


class AnalysisIn(Schema):
    cause_category: str = Field(..., description="people (人), product (货) or place (场)")
    cause_detail: str = ""
    facts: str = Field(..., max_length=2000)
    is_systemic: bool = False


class RectificationIn(Schema):
    problem: str = Field(..., max_length=500)
    owner_department: Id
    owner: Id | None = None
    measures: str = Field(..., max_length=2000)
    deadline: datetime
    acceptance_criteria: str = Field(..., max_length=2000)
    category: Id | None = None
    analysis: Id | None = Field(None, description="the entry whose systemic analysis this is")
    weeks: int = Field(4, ge=1, le=26)


class MoveIn(Schema):
    to: str = Field(..., description="in_progress, awaiting_acceptance, accepted or returned")
    reason: str = Field("", max_length=500)


class WeekOut(Schema):
    starts: datetime
    count: int | None


class ComparisonOut(Schema):
    pivot: datetime
    before: list[WeekOut]
    after: list[WeekOut]
    before_average: float | None
    after_average: float | None


class RectificationOut(Schema):
    id: int
    problem: str
    state: str
    owner_department: int
    owner: int | None
    measures: str
    deadline: datetime
    acceptance_criteria: str
    category: int | None
    started_at: datetime | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    escalated_at: datetime | None
    return_reason: str


class RectificationDetailOut(RectificationOut):
    entries: list[int]
    linked_tickets: list[int]
    comparison: ComparisonOut


class RectificationPageOut(Schema):
    items: list[RectificationOut]
    next_cursor: str | None
    previous_cursor: str | None


class ReportQuery(Schema):
    start: date | None = None
    end: date | None = None
    by: str = Field(
        "",
        description="team, agent, channel, category, department, tier, or empty for overall",
    )


class ReportRowOut(Schema):
    label: str
    key: Any
    solved: int
    collected: int
    collection_rate: float | None
    csat_answers: int
    csat: float | None
    csat_average: float | None
    nps_answers: int
    nps: float | None
    analyses_due: int
    analysis_on_time_rate: float | None
    rectifications_due: int
    rectification_on_time_rate: float | None
    acceptance_rate: float | None
    internal: int
    conversion_rate: float | None


def analysis_out(analysis: NegativeAnalysis) -> dict[str, Any]:
    return {
        "owner": analysis.owner_id,
        "state": analysis.state,
        "due_at": analysis.due_at,
        "cause_category": analysis.cause_category,
        "cause_detail": analysis.cause_detail,
        "facts": analysis.facts,
        "is_systemic": analysis.is_systemic,
        "completed_at": analysis.completed_at,
        "is_on_time": analysis.is_on_time,
    }


def entry_out(entry: FeedbackEntry, linked: list[int]) -> dict[str, Any]:
    analysis = getattr(entry, "analysis", None)
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "source": entry.source,
        "summary": entry.summary,
        "is_negative": entry.is_negative,
        "customer": entry.customer_id,
        "ticket": entry.ticket_id,
        "linked_tickets": linked,
        "category": entry.category_id,
        "product": entry.product,
        "emotion": entry.emotion,
        "topic": entry.topic,
        "score": entry.response.score if entry.response_id and entry.response else None,
        "created_at": entry.created_at,
        "changed_at": entry.changed_at,
        "analysis": analysis_out(analysis) if analysis is not None else None,
    }


def rectification_out(item: Rectification) -> dict[str, Any]:
    return {
        "id": item.pk,
        "problem": item.problem,
        "state": item.state,
        "owner_department": item.owner_department_id,
        "owner": item.owner_id,
        "measures": item.measures,
        "deadline": item.deadline,
        "acceptance_criteria": item.acceptance_criteria,
        "category": item.category_id,
        "started_at": item.started_at,
        "submitted_at": item.submitted_at,
        "accepted_at": item.accepted_at,
        "escalated_at": item.escalated_at,
        "return_reason": item.return_reason,
    }


def comparison_out(comparison: BeforeAfter) -> dict[str, Any]:
    return {
        "pivot": comparison.pivot,
        "before": [{"starts": w.starts, "count": w.count} for w in comparison.before],
        "after": [{"starts": w.starts, "count": w.count} for w in comparison.after],
        "before_average": comparison.before_average,
        "after_average": comparison.after_average,
    }


def report_row_out(row: ReportRow) -> dict[str, Any]:
    return {
        "label": row.label,
        "key": row.key if isinstance(row.key, int | str) or row.key is None else None,
        "solved": row.solved,
        "collected": row.collected,
        "collection_rate": row.collection_rate,
        "csat_answers": row.csat_answers,
        "csat": row.csat,
        "csat_average": row.csat_average,
        "nps_answers": row.nps_answers,
        "nps": row.nps,
        "analyses_due": row.analyses_due,
        "analysis_on_time_rate": row.analysis_on_time_rate,
        "rectifications_due": row.rectifications_due,
        "rectification_on_time_rate": row.rectification_on_time_rate,
        "acceptance_rate": row.acceptance_rate,
        "internal": row.internal,
        "conversion_rate": row.conversion_rate,
    }


# --- Campaign surveys ---------------------------------------------------------------------------


class QuestionIn(Schema):
    kind: str = Field(description="rating (1–5), nps (0–10), single, multiple or text")
    text: str
    options: list[str] = Field(default_factory=list, max_length=50)
    required: bool = False
    is_satisfaction: bool = Field(
        False, description="a rating whose low answers (≤ 2) open a negative-feedback case"
    )


class CampaignIn(Schema):
    title: str
    intro: str = ""
    questions: list[QuestionIn] = Field(max_length=50)
    send_at: datetime
    tiers: list[str] = Field(default_factory=list, max_length=10)
    tag: Id | None = None
    contacted_within_days: int | None = Field(None, ge=0, le=100_000)
    customers: list[Id] = Field(default_factory=list, max_length=10_000)
    delivery: str = Field(
        "ticket_channel",
        description="how invitations are sent: ticket_channel (the customer's last channel), "
        "email or sms; without an address for it, the others in that order",
    )


class QuestionResultOut(Schema):
    id: int
    position: int
    kind: str
    text: str
    options: list[str]
    required: bool
    is_satisfaction: bool
    answered: int
    average: float | None
    nps: float | None
    distribution: list[dict[str, Any]]
    texts: list[str]


class CampaignOut(Schema):
    id: int
    title: str
    intro: str
    state: str
    send_at: datetime
    sent_at: datetime | None
    recipients: int
    tiers: list[str]
    tag: int | None
    contacted_within_days: int | None
    delivery: str


class CampaignPageOut(Schema):
    items: list[CampaignOut]
    next_cursor: str | None
    previous_cursor: str | None


class CampaignResultsOut(CampaignOut):
    invitations: dict[str, int]
    answered: int
    response_rate: float | None
    questions: list[QuestionResultOut]


def campaign_out(survey: CampaignSurvey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": survey.title,
        "intro": survey.intro,
        "state": survey.state,
        "send_at": survey.send_at,
        "sent_at": survey.sent_at,
        "recipients": survey.recipients,
        "tiers": list(survey.tiers or []),
        "tag": survey.tag_id,
        "contacted_within_days": survey.contacted_within_days,
        "delivery": survey.delivery,
    }


def campaign_results_out(results: CampaignResults) -> dict[str, Any]:
    return {
        **campaign_out(results.survey),
        "invitations": results.states,
        "answered": results.answered,
        "response_rate": results.response_rate,
        "questions": [
            {
                "id": r.question.pk,
                "position": r.question.position,
                "kind": r.question.kind,
                "text": r.question.text,
                "options": list(r.question.options or []),
                "required": r.question.required,
                "is_satisfaction": r.question.is_satisfaction,
                "answered": r.answered,
                "average": r.average,
                "nps": r.nps,
                "distribution": [
                    {"label": label, "count": n, "share": share}
                    for label, n, share in r.distribution
                ],
                "texts": r.texts,
            }
            for r in results.questions
        ],
    }
