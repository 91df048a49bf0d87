"""Campaign surveys (季度回访调研): a survey of several questions built by a supervisor or an
admin, sent at a chosen time to a segment of customers (tiers, a tag, recent contact) or to
a list; the per-question checks of an answer.

The invitations are ``SurveyInvitation`` rows of kind ``campaign``: they are mailed,
reminded, opted out of and answered (once, changed within the window) by the same code as
CSAT and NPS (``surveys``)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core import due_work
from bihuan.core.errors import ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.models import Tag
from bihuan.customers.choices import Tier
from bihuan.customers.models import Customer
from bihuan.feedback.choices import (
    CampaignState,
    DeliveryChoice,
    InvitationState,
    QuestionKind,
    SurveyKind,
)
from bihuan.feedback.models import (
    CampaignSurvey,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
)
from bihuan.feedback.services.policy import (
    CAMPAIGN,
    CAMPAIGN_MAX_OPTIONS,
    CAMPAIGN_MAX_QUESTIONS,
    CAMPAIGN_MAX_RECIPIENTS,
    CSAT_RANGE,
    LINK_VALID,
    NPS_RANGE,
    SEND,
    _check_choice,
    _clean,
    _require_manager,
    campaign_key,
    invitation_key,
)
from bihuan.tickets.models import Ticket

# --- Building and scheduling ------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFields:
    kind: str
    text: str
    options: tuple[str, ...] = ()
    required: bool = False
    is_satisfaction: bool = False


@dataclass(frozen=True)
class CampaignFields:
    """What a supervisor builds: the questions in order, the recipients (a segment — every
    condition given must hold — or a list of customers) and when to send."""

    title: str
    questions: tuple[QuestionFields, ...]
    send_at: datetime
    intro: str = ""
    tiers: tuple[str, ...] = ()
    tag: Tag | None = None
    contacted_within_days: int | None = None
    customers: tuple[Customer, ...] = ()
    delivery: str = DeliveryChoice.TICKET_CHANNEL  # how the invitations are sent


def _check_questions(questions: Sequence[QuestionFields]) -> list[QuestionFields]:
    if not questions:
        raise ValidationFailed(_("Add at least one question."), code="no_questions")
    if len(questions) > CAMPAIGN_MAX_QUESTIONS:
        raise ValidationFailed(
            _("A survey has at most %(limit)s questions."),
            code="too_many_questions",
            limit=CAMPAIGN_MAX_QUESTIONS,
        )
    cleaned = []
    for number, q in enumerate(questions, start=1):
        label = gettext("Question %(number)s") % {"number": number}
        _check_choice(q.kind, QuestionKind, label=gettext("question kind"))
        text = _clean(q.text, label=label, limit=500, required=True)
        options: tuple[str, ...] = ()
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            options = tuple(_clean(o, label=label, limit=100) for o in q.options)
            options = tuple(o for o in options if o)
            if not 2 <= len(options) <= CAMPAIGN_MAX_OPTIONS:
                raise ValidationFailed(
                    _("%(field)s needs from 2 to %(limit)s choices."),
                    code="invalid_options",
                    field=label,
                    limit=CAMPAIGN_MAX_OPTIONS,
                )
            if len(set(options)) != len(options):
                raise ValidationFailed(
                    _("%(field)s has the same choice twice."), code="invalid_options", field=label
                )
        if q.is_satisfaction and q.kind != QuestionKind.RATING:
            raise ValidationFailed(
                _("Only a rating question (1–5) can be the satisfaction question."),
                code="invalid_satisfaction",
            )
        cleaned.append(
            QuestionFields(q.kind, text, options, bool(q.required), bool(q.is_satisfaction))
        )
    if sum(q.is_satisfaction for q in cleaned) > 1:
        raise ValidationFailed(
            _("Mark at most one satisfaction question."), code="invalid_satisfaction"
        )
    return cleaned


def segment(
    *,
    tiers: Sequence[str] = (),
    tag_id: int | None = None,
    contacted_within_days: int | None = None,
    customer_ids: Sequence[int] = (),
    now: datetime,
) -> QuerySet[Customer]:
    """The customers a campaign goes to: the list if one is given, else those matching every
    condition given (merged records never)."""
    rows = Customer.objects.filter(merged_into__isnull=True)
    if customer_ids:
        return rows.filter(pk__in=list(customer_ids))
    if tiers:
        rows = rows.filter(tier__in=list(tiers))
    if tag_id is not None:
        rows = rows.filter(tags__pk=tag_id)
    if contacted_within_days is not None:
        since = now - timedelta(days=contacted_within_days)
        rows = rows.filter(
            Exists(Ticket.objects.filter(customer_id=OuterRef("pk"), created_at__gte=since))
        )
    return rows


def campaign_recipients(survey: CampaignSurvey, *, now: datetime) -> QuerySet[Customer]:
    return segment(
        tiers=list(survey.tiers or []),
        tag_id=survey.tag_id,
        contacted_within_days=survey.contacted_within_days,
        customer_ids=list(survey.customers.values_list("pk", flat=True)),
        now=now,
    )


@transaction.atomic
def create_campaign(
    fields: CampaignFields, *, actor: User, now: datetime | None = None
) -> CampaignSurvey:
    """Build a campaign survey and schedule its sending (supervisors and admins). Refuses,
    before writing anything: no question or more than 20, a choice question without 2–10
    distinct choices, a satisfaction question that is not a rating (or two), an unknown
    tier, no condition and no list, a segment with nobody in it or too many people, a send
    time more than a year ahead, an unknown way to send. A send time in the past sends at
    once."""
    moment = now or timezone.now()
    _require_manager(actor)
    title = _clean(fields.title, label=gettext("The title"), limit=200, required=True)
    intro = _clean(fields.intro, label=gettext("The introduction"))
    questions = _check_questions(fields.questions)
    _check_choice(fields.delivery, DeliveryChoice, label=gettext("way to send"))
    tiers = tuple(dict.fromkeys(fields.tiers))
    for tier in tiers:
        _check_choice(tier, Tier, label=gettext("tier"))
    days = fields.contacted_within_days
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed(
            _("Choose a contact period from 1 to 3650 days."), code="invalid_period"
        )
    customers = list(dict.fromkeys(fields.customers))
    if not (customers or tiers or fields.tag is not None or days is not None):
        raise ValidationFailed(
            _("Choose the recipients: a tier, a tag, recent contact or a list of customers."),
            code="no_recipients",
        )
    send_at = fields.send_at
    if timezone.is_naive(send_at):
        send_at = timezone.make_aware(send_at)
    if send_at > moment + timedelta(days=366):
        raise ValidationFailed(_("Schedule the send within a year."), code="invalid_send_at")
    count = segment(
        tiers=tiers,
        tag_id=fields.tag.pk if fields.tag else None,
        contacted_within_days=days,
        customer_ids=[c.pk for c in customers],
        now=moment,
    ).count()
    if count == 0:
        raise ValidationFailed(_("No customer matches these recipients."), code="no_recipients")
    if count > CAMPAIGN_MAX_RECIPIENTS:
        raise ValidationFailed(
            _("%(count)s customers match; a campaign goes to at most %(limit)s."),
            code="too_many_recipients",
            count=count,
            limit=CAMPAIGN_MAX_RECIPIENTS,
        )
    survey = CampaignSurvey.objects.create(
        title=title,
        intro=intro,
        tiers=list(tiers),
        tag=fields.tag,
        contacted_within_days=days,
        send_at=max(send_at, moment),
        delivery=fields.delivery,
        recipients=count,
        created_by=actor,
        created_at=moment,
    )
    if customers:
        survey.customers.set(customers)
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            survey=survey,
            position=position,
            kind=q.kind,
            text=q.text,
            options=list(q.options),
            required=q.required,
            is_satisfaction=q.is_satisfaction,
        )
        for position, q in enumerate(questions, start=1)
    )
    due_work.schedule(CAMPAIGN, key=campaign_key(survey.pk), due_at=survey.send_at)
    record_event(
        "feedback.campaign_scheduled",
        survey,
        actor=actor,
        at=moment,
        data={
            "title": title,
            "send_at": survey.send_at.isoformat(),
            "recipients": count,
            "questions": len(questions),
            "delivery": fields.delivery,
        },
    )
    return survey


@transaction.atomic
def cancel_campaign(survey: CampaignSurvey, *, actor: User, now: datetime | None = None) -> None:
    """Call off a campaign not sent yet (supervisors and admins)."""
    moment = now or timezone.now()
    _require_manager(actor)
    locked = CampaignSurvey.objects.select_for_update().get(pk=survey.pk)
    if locked.state != CampaignState.SCHEDULED:
        raise ValidationFailed(
            _("Only a survey not sent yet can be cancelled."), code="campaign_not_scheduled"
        )
    locked.state = CampaignState.CANCELLED
    locked.save(update_fields=["state"])
    due_work.cancel(CAMPAIGN, key=campaign_key(locked.pk))
    record_event("feedback.campaign_cancelled", locked, actor=actor, at=moment)


@transaction.atomic
def launch_campaign(survey_id: int, *, now: datetime) -> int:
    """The send time has come (due work): one invitation per recipient — recorded as opted
    out for those who asked for no surveys — and each one's mail scheduled. Runs once: a
    survey already sent or cancelled is left alone. Returns the invitations made."""
    survey = (
        CampaignSurvey.objects.select_for_update()
        .filter(pk=survey_id, state=CampaignState.SCHEDULED)
        .first()
    )
    if survey is None:
        return 0
    recipients = list(
        campaign_recipients(survey, now=now)
        .order_by("pk")
        .values_list("pk", "tier")[:CAMPAIGN_MAX_RECIPIENTS]
    )
    ids = [pk for pk, _tier in recipients]
    opted_out = set(
        SurveyOptOut.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True)
    )
    already = set(survey.invitations.values_list("customer_id", flat=True))
    made = SurveyInvitation.objects.bulk_create(
        SurveyInvitation(
            kind=SurveyKind.CAMPAIGN,
            survey=survey,
            customer_id=pk,
            state=InvitationState.OPTED_OUT if pk in opted_out else InvitationState.PENDING,
            tier=tier,
            nonce=secrets.token_hex(8),
            created_at=now,
            expires_at=now + LINK_VALID,
        )
        for pk, tier in recipients
        if pk not in already
    )
    pending = [i.pk for i in made if i.state == InvitationState.PENDING]
    if any(pk is None for pk in pending):  # a database that returns no ids from bulk inserts
        pending = list(
            survey.invitations.filter(state=InvitationState.PENDING).values_list("pk", flat=True)
        )
    for pk in pending:
        due_work.schedule(SEND, key=invitation_key(pk), due_at=now)
    survey.state = CampaignState.SENT
    survey.sent_at = now
    survey.recipients = len(recipients)
    survey.save(update_fields=["state", "sent_at", "recipients"])
    record_event(
        "feedback.campaign_sent",
        survey,
        at=now,
        data={"title": survey.title, "invited": len(pending), "opted_out": len(opted_out)},
    )
    return len(made)


# --- Answers ----------------------------------------------------------------------------------

# What a customer submits for one question: the form's strings, or the API's JSON values.
RawAnswer = str | int | Sequence[str | int] | None


@dataclass(frozen=True)
class CheckedAnswer:
    question: SurveyQuestion
    number: int | None = None
    choices: tuple[int, ...] = ()
    text: str = ""


def _values(raw: RawAnswer) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        items: Sequence[object] = [raw]
    elif isinstance(raw, list | tuple):
        items = raw
    else:
        raise ValidationFailed(
            _("An answer is not in a form we understand."), code="invalid_answer"
        )
    values = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ValidationFailed(
                _("An answer is not in a form we understand."), code="invalid_answer"
            )
        text = str(item).strip()
        if text:
            values.append(text)
    return values


def _whole(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None


def check_campaign_answers(
    questions: Sequence[SurveyQuestion], answers: Mapping[int, RawAnswer]
) -> list[CheckedAnswer]:
    """Each answer checked against its question: an unknown question, a rating out of range,
    a choice not offered, a required question left out each refuse the whole answer."""
    by_id = {q.pk: q for q in questions}
    unknown = [key for key in answers if key not in by_id]
    if unknown:
        raise ValidationFailed(
            _("The survey has no question %(number)s."), code="unknown_question", number=unknown[0]
        )
    checked = []
    for q in questions:
        values = _values(answers.get(q.pk))
        if not values:
            if q.required:
                raise ValidationFailed(
                    _("Please answer “%(question)s”."), code="answer_required", question=q.text
                )
            continue
        if q.kind == QuestionKind.TEXT:
            if len(values) > 1:
                raise ValidationFailed(
                    _("An answer is not in a form we understand."), code="invalid_answer"
                )
            text = _clean(values[0], label=q.text)
            if text:
                checked.append(CheckedAnswer(q, text=text))
            elif q.required:
                raise ValidationFailed(
                    _("Please answer “%(question)s”."), code="answer_required", question=q.text
                )
            continue
        if q.kind == QuestionKind.MULTIPLE:
            picked = [_whole(v) for v in values]
            if any(p is None or p >= len(q.options) for p in picked):
                raise ValidationFailed(
                    _("Choose the answers to “%(question)s” from the list."),
                    code="unknown_option",
                    question=q.text,
                )
            checked.append(
                CheckedAnswer(q, choices=tuple(sorted({p for p in picked if p is not None})))
            )
            continue
        if len(values) > 1:
            raise ValidationFailed(
                _("Give one answer to “%(question)s”."), code="invalid_answer", question=q.text
            )
        number = _whole(values[0])
        if q.kind == QuestionKind.SINGLE:
            if number is None or number >= len(q.options):
                raise ValidationFailed(
                    _("Choose the answer to “%(question)s” from the list."),
                    code="unknown_option",
                    question=q.text,
                )
        else:
            low, high = CSAT_RANGE if q.kind == QuestionKind.RATING else NPS_RANGE
            if number is None or not low <= number <= high:
                raise ValidationFailed(
                    _("Choose a score from %(low)s to %(high)s."),
                    code="score_out_of_range",
                    low=low,
                    high=high,
                )
        checked.append(CheckedAnswer(q, number=number))
    return checked


__all__ = [
    "CampaignFields",
    "CheckedAnswer",
    "QuestionFields",
    "RawAnswer",
    "campaign_recipients",
    "cancel_campaign",
    "check_campaign_answers",
    "create_campaign",
    "launch_campaign",
    "segment",
]
