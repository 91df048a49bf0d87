"""The feedback endpoints of the REST API (mounted under /api/v1/ by bihuan/api.py): the
register, analyses, the rectification ledger and the reports."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.params.functions import Path

from bihuan.accounts.api_auth import current_user
from bihuan.accounts.models import Department, User
from bihuan.core.api_errors import error_responses
from bihuan.core.errors import ValidationFailed
from bihuan.core.models import Tag
from bihuan.customers.models import Customer
from bihuan.feedback import queries, services
from bihuan.feedback.choices import EntryKind, EntrySource, RectificationState
from bihuan.feedback.models import FeedbackEntry
from bihuan.feedback.schemas import (
    AnalysisIn,
    CampaignIn,
    CampaignPageOut,
    CampaignResultsOut,
    EntryIn,
    EntryOut,
    EntryPageOut,
    MoveIn,
    RectificationDetailOut,
    RectificationIn,
    RectificationPageOut,
    ReportQuery,
    ReportRowOut,
    campaign_out,
    campaign_results_out,
    comparison_out,
    entry_out,
    rectification_out,
    report_row_out,
)
from bihuan.tickets.models import Category

router = Router(tags=["feedback"])
MAX_ID = 2**62


def _entry(user: User, entry_id: int) -> dict[str, Any]:
    entry = queries.get_entry(user, entry_id)
    linked = list(entry.linked_tickets.order_by("pk").values_list("pk", flat=True))
    return entry_out(entry, linked)


def _reference(model: Any, pk: int | None, *, label: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise ValidationFailed(
            _("Unknown %(field)s: %(value)s."), code="unknown_reference", field=label, value=pk
        )
    return found


@router.get(
    "/feedback/entries",
    response={200: EntryPageOut, **error_responses(400, 401, 422)},
    summary="The feedback register, newest first (keyset pages)",
)
def list_entries(
    request: HttpRequest,
    kind: str = "",
    source: str = "",
    negative: bool = False,
    cursor: str | None = None,
) -> Any:
    user = current_user(request)
    filters = queries.EntryFilters(
        kind=kind if kind in EntryKind.values else "",
        source=source if source in EntrySource.values else "",
        negative=negative,
    )
    page = queries.list_entries(user, filters, cursor=cursor)
    links: dict[int, list[int]] = {}
    through = FeedbackEntry.linked_tickets.through
    for entry_id, ticket_id in (
        through.objects.filter(feedbackentry_id__in=[e.pk for e in page.items])
        .order_by("ticket_id")
        .values_list("feedbackentry_id", "ticket_id")
    ):
        links.setdefault(entry_id, []).append(ticket_id)
    return {
        "items": [entry_out(e, links.get(e.pk, [])) for e in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


@router.post(
    "/feedback/entries",
    response={201: EntryOut, **error_responses(400, 401, 403, 422)},
    summary="Record a hand entry (community message, phone callback…)",
)
def record_entry(request: HttpRequest, payload: EntryIn) -> Any:
    user = current_user(request)
    tickets = queries.ticket_tickets(user, list(dict.fromkeys(payload.tickets)))
    entry = services.record_entry(
        services.EntryFields(
            kind=payload.kind,
            source=payload.source,
            summary=payload.summary,
            tickets=tuple(tickets),
            category=_reference(Category, payload.category, label=_("category")),
            product=payload.product,
            emotion=payload.emotion,
        ),
        actor=user,
    )
    return Status(201, _entry(user, entry.pk))


@router.get(
    "/feedback/entries/{entry_id}",
    response={200: EntryOut, **error_responses(400, 401, 404, 422)},
    summary="One register entry with its analysis",
)
def get_entry(request: HttpRequest, entry_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _entry(current_user(request), entry_id)


@router.post(
    "/feedback/entries/{entry_id}/analysis",
    response={200: EntryOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Record the analysis of a negative entry (cause 人/货/场, facts, systemic?)",
)
def record_analysis(
    request: HttpRequest, payload: AnalysisIn, entry_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    analysis = queries.get_analysis(user, entry_id)
    services.record_analysis(
        analysis,
        services.AnalysisFields(
            cause_category=payload.cause_category,
            cause_detail=payload.cause_detail,
            facts=payload.facts,
            is_systemic=payload.is_systemic,
        ),
        actor=user,
    )
    return _entry(user, entry_id)


@router.get(
    "/feedback/rectifications",
    response={200: RectificationPageOut, **error_responses(400, 401, 422)},
    summary="The rectification ledger, newest first (keyset pages)",
)
def list_rectifications(request: HttpRequest, state: str = "", cursor: str | None = None) -> Any:
    user = current_user(request)
    page = queries.list_rectifications(
        user, state=state if state in RectificationState.values else "", cursor=cursor
    )
    return {
        "items": [rectification_out(r) for r in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


def _rectification(user: User, rectification_id: int) -> dict[str, Any]:
    item = queries.get_rectification(user, rectification_id)
    return {
        **rectification_out(item),
        "entries": list(item.entries.order_by("pk").values_list("pk", flat=True)),
        "linked_tickets": list(item.linked_tickets.order_by("pk").values_list("pk", flat=True)),
        "comparison": comparison_out(queries.complaint_weeks(item)),
    }


@router.post(
    "/feedback/rectifications",
    response={201: RectificationDetailOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Open a rectification (supervisors and admins)",
)
def open_rectification(request: HttpRequest, payload: RectificationIn) -> Any:
    user = current_user(request)
    analysis = (
        queries.get_analysis(user, payload.analysis) if payload.analysis is not None else None
    )
    item = services.open_rectification(
        services.RectificationFields(
            problem=payload.problem,
            owner_department=_reference(
                Department, payload.owner_department, label=_("department")
            ),
            owner=_reference(User, payload.owner, label=_("owner")),
            measures=payload.measures,
            deadline=payload.deadline,
            acceptance_criteria=payload.acceptance_criteria,
            category=_reference(Category, payload.category, label=_("category")),
            analysis=analysis,
            weeks=payload.weeks,
        ),
        actor=user,
    )
    return Status(201, _rectification(user, item.pk))


@router.get(
    "/feedback/rectifications/{rectification_id}",
    response={200: RectificationDetailOut, **error_responses(400, 401, 404, 422)},
    summary="One ledger item with its weekly complaint counts before and after the measure",
)
def get_rectification(
    request: HttpRequest, rectification_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return _rectification(current_user(request), rectification_id)


@router.post(
    "/feedback/rectifications/{rectification_id}/moves",
    response={200: RectificationDetailOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Move a ledger item: start, submit for acceptance, accept or return",
)
def move_rectification(
    request: HttpRequest, payload: MoveIn, rectification_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    item = queries.get_rectification(user, rectification_id)
    services.move_rectification(item, to=payload.to, reason=payload.reason, actor=user)
    return _rectification(user, rectification_id)


@router.get(
    "/feedback/reports",
    response={200: list[ReportRowOut], **error_responses(400, 401, 403, 422)},
    summary="Collection rate, CSAT, NPS, on-time and conversion rates (overall first)",
)
def report(request: HttpRequest, params: Query[ReportQuery]) -> Any:
    user = current_user(request)
    period = queries.parse_period(
        params.start.isoformat() if params.start else None,
        params.end.isoformat() if params.end else None,
    )
    return [report_row_out(r) for r in queries.feedback_report(user, period, params.by)]


@router.get(
    "/feedback/surveys",
    response={200: CampaignPageOut, **error_responses(400, 401, 403, 422)},
    summary="Campaign surveys (季度回访调研), newest first (supervisors and admins)",
)
def list_campaigns(request: HttpRequest, cursor: str | None = None) -> Any:
    page = queries.list_campaigns(current_user(request), cursor=cursor)
    return {
        "items": [campaign_out(s) for s in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


@router.post(
    "/feedback/surveys",
    response={201: CampaignResultsOut, **error_responses(400, 401, 403, 422)},
    summary="Build a campaign survey and schedule its sending to a segment or a list",
)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    user = current_user(request)
    wanted = list(dict.fromkeys(payload.customers))
    customers = list(Customer.objects.filter(pk__in=wanted, merged_into__isnull=True))
    if len(customers) != len(wanted):
        missing = sorted(set(wanted) - {c.pk for c in customers})[0]
        raise ValidationFailed(
            _("Unknown %(field)s: %(value)s."),
            code="unknown_reference",
            field=_("customer"),
            value=missing,
        )
    survey = services.create_campaign(
        services.CampaignFields(
            title=payload.title,
            intro=payload.intro,
            questions=tuple(
                services.QuestionFields(
                    kind=q.kind,
                    text=q.text,
                    options=tuple(q.options),
                    required=q.required,
                    is_satisfaction=q.is_satisfaction,
                )
                for q in payload.questions
            ),
            send_at=payload.send_at,
            tiers=tuple(payload.tiers),
            tag=_reference(Tag, payload.tag, label=_("tag")),
            contacted_within_days=payload.contacted_within_days,
            customers=tuple(customers),
            delivery=payload.delivery,
        ),
        actor=user,
    )
    return Status(201, campaign_results_out(queries.campaign_results(survey)))


@router.get(
    "/feedback/surveys/{survey_id}",
    response={200: CampaignResultsOut, **error_responses(400, 401, 403, 404, 422)},
    summary="A campaign survey's results per question (distribution, averages, free text)",
)
def get_campaign(request: HttpRequest, survey_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    survey = queries.get_campaign(current_user(request), survey_id)
    return campaign_results_out(queries.campaign_results(survey))
