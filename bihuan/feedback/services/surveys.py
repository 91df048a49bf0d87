"""Surveys: invitations when a ticket is solved and on the NPS schedule, sending and
reminding (due work), opting out, and the one answer per invitation (``record_csat`` for the
portal)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import User
from bihuan.core import due_work
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.events import record_event
from bihuan.core.models import DueItem, WorkState
from bihuan.customers.models import Customer
from bihuan.customers.permissions import require_customer_editor
from bihuan.feedback.choices import (
    InvitationState,
    ResponseSource,
    SurveyKind,
)
from bihuan.feedback.errors import SurveyAlreadyAnswered
from bihuan.feedback.models import (
    QuestionAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
    SurveyReason,
    SurveyResponse,
)
from bihuan.feedback.services.campaigns import CheckedAnswer, RawAnswer, check_campaign_answers
from bihuan.feedback.services.policy import (
    CSAT_RANGE,
    EDIT_WINDOW,
    LINK_VALID,
    NPS,
    NPS_DELAY,
    NPS_INTERVAL,
    NPS_RANGE,
    REMIND,
    SEND,
    TEXT_LIMIT,
    _check_choice,
    _clean,
    check_link_usable,
    customer_key,
    invitation_for_token,
    invitation_key,
)
from bihuan.feedback.services.register import _register_answer, _register_ticket
from bihuan.tickets.choices import TicketStatus
from bihuan.tickets.models import Ticket

# --- Sending --------------------------------------------------------------------------------


def is_opted_out(customer_id: int) -> bool:
    return SurveyOptOut.objects.filter(customer_id=customer_id).exists()


def _new_invitation(
    kind: str, customer: Customer, *, ticket: Ticket | None, now: datetime, state: str
) -> SurveyInvitation:
    return SurveyInvitation.objects.create(
        kind=kind,
        state=state,
        customer=customer,
        ticket=ticket,
        agent_id=ticket.owner_id if ticket else None,
        team_id=ticket.team_id if ticket else None,
        department_id=(
            ticket.department_id or (ticket.team.department_id if ticket.team else None)
            if ticket
            else None
        ),
        channel=ticket.channel if ticket else "",
        category_id=ticket.category_id if ticket else None,
        tier=customer.tier,
        nonce=secrets.token_hex(8),
        created_at=now,
        expires_at=now + LINK_VALID,
    )


@transaction.atomic
def ticket_solved(ticket_id: int, *, now: datetime) -> SurveyInvitation | None:
    """React to a solved ticket (the consumer of ``ticket.status_changed``): invite the
    customer to a CSAT survey (once per ticket; not if they opted out, recorded so), put a
    ticket typed 咨询/投诉/建议/表扬 in the register, and plan the customer's next NPS."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "team")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return None  # reopened before we got to it: the next solve asks
    _register_ticket(ticket, now=now)
    _plan_nps(ticket.customer, now=now)
    existing = SurveyInvitation.objects.filter(ticket=ticket, kind=SurveyKind.CSAT).first()
    if existing is not None:
        return existing
    opted_out = is_opted_out(ticket.customer_id)
    state = InvitationState.OPTED_OUT if opted_out else InvitationState.PENDING
    invitation = _new_invitation(
        SurveyKind.CSAT, ticket.customer, ticket=ticket, now=now, state=state
    )
    if not opted_out:
        due_work.schedule(SEND, key=invitation_key(invitation.pk), due_at=now)
    return invitation


def _plan_nps(customer: Customer, *, now: datetime) -> None:
    """Schedule the customer's NPS survey: a few days after contact, and never sooner than
    ``NPS_INTERVAL`` after the last one."""
    if is_opted_out(customer.pk):
        return
    last = (
        SurveyInvitation.objects.filter(customer=customer, kind=SurveyKind.NPS)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    due = now + NPS_DELAY
    if last is not None:
        due = max(due, last + NPS_INTERVAL)
    if _pending_nps(customer.pk).filter(due_at__lte=due).exists():
        return  # already planned, and no later than this
    _schedule_nps(customer.pk, due)


def _pending_nps(customer_id: int) -> QuerySet[DueItem]:
    return DueItem.objects.filter(
        kind=NPS, key__startswith=f"{customer_key(customer_id)}:", state=WorkState.PENDING
    )


def _schedule_nps(customer_id: int, due: datetime) -> None:
    # One key per occurrence: the handler plans the next one while its own item is still
    # pending (the same key would move the running item instead).
    for key in _pending_nps(customer_id).filter(claimed_by="").values_list("key", flat=True):
        due_work.cancel(NPS, key=key)  # not the one running now (it plans this one)
    due_work.schedule(NPS, key=f"{customer_key(customer_id)}:{int(due.timestamp())}", due_at=due)


@transaction.atomic
def open_nps_invitation(customer_id: int, *, now: datetime) -> SurveyInvitation | None:
    """The NPS schedule is due: invite the customer (not if opted out, not twice within
    ``NPS_INTERVAL``), and plan the next one if they were in contact this quarter."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None or is_opted_out(customer_id):
        return None
    recent = SurveyInvitation.objects.filter(
        customer=customer, kind=SurveyKind.NPS, created_at__gt=now - NPS_INTERVAL
    ).exists()
    if recent:
        return None
    last_ticket = (
        Ticket.objects.filter(customer=customer)
        .select_related("team")
        .order_by("-created_at")
        .first()
    )
    invitation = _new_invitation(
        SurveyKind.NPS, customer, ticket=None, now=now, state=InvitationState.PENDING
    )
    if last_ticket is not None:
        # Whom the relationship answer speaks of: the last contact's agent and queue.
        invitation.agent_id = last_ticket.owner_id
        invitation.team_id = last_ticket.team_id
        invitation.department_id = last_ticket.department_id or (
            last_ticket.team.department_id if last_ticket.team else None
        )
        invitation.channel = last_ticket.channel
        invitation.save(update_fields=["agent", "team", "department", "channel"])
    due_work.schedule(SEND, key=invitation_key(invitation.pk), due_at=now)
    if last_ticket is not None and last_ticket.created_at > now - NPS_INTERVAL:
        _schedule_nps(customer.pk, now + NPS_INTERVAL)
    return invitation


def _stop_surveys(customer: Customer) -> None:
    """Pending sends, reminders and the NPS schedule of an opted-out customer stop."""
    pending = list(
        SurveyInvitation.objects.filter(
            customer=customer, state__in=(InvitationState.PENDING, InvitationState.SENT)
        ).values_list("pk", flat=True)
    )
    for pk in pending:
        due_work.cancel(SEND, key=invitation_key(pk))
        due_work.cancel(REMIND, key=invitation_key(pk))
    SurveyInvitation.objects.filter(pk__in=pending, state=InvitationState.PENDING).update(
        state=InvitationState.OPTED_OUT
    )
    for key in _pending_nps(customer.pk).values_list("key", flat=True):
        due_work.cancel(NPS, key=key)


@transaction.atomic
def opt_out_of_surveys(token: str, *, now: datetime | None = None) -> SurveyOptOut:
    """The customer asks for no more surveys (from the link in any survey mail): pending
    sends, reminders and the NPS schedule stop. Asking again changes nothing."""
    moment = now or timezone.now()
    invitation = invitation_for_token(token)
    return opt_out_customer(invitation.customer_id, now=moment, data={"invitation": invitation.pk})


def opt_out_customer(
    customer_id: int,
    *,
    now: datetime,
    data: dict[str, object],
    ticket_id: int | None = None,
) -> SurveyOptOut:
    """The customer's own "no more surveys" (a link, an SMS reply): recorded once, with what
    asked (``data``); pending sends, reminders and the NPS schedule stop. The caller holds a
    transaction."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    existing = SurveyOptOut.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    opt_out = SurveyOptOut.objects.create(customer=customer, created_at=now)
    _stop_surveys(customer)
    record_event(
        "feedback.opted_out",
        opt_out,
        ticket_id=ticket_id,
        customer_id=customer.pk,
        at=now,
        data=data,
    )
    return opt_out


@transaction.atomic
def set_survey_opt_out(
    customer: Customer, *, opted_out: bool, actor: User, now: datetime | None = None
) -> bool:
    """A colleague records, on the customer page, that the customer wants no more surveys
    (asked on the phone, say) — or wants them again. Those who may change customers may do
    it; it is recorded as an event on the customer. Setting what is already so changes
    nothing. Returns whether anything changed."""
    moment = now or timezone.now()
    require_customer_editor(actor)
    locked = Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if locked is None or locked.merged_into_id is not None:
        raise NotFound(_("Customer not found."))
    existing = SurveyOptOut.objects.filter(customer=locked).first()
    if opted_out == (existing is not None):
        return False
    if opted_out:
        row = SurveyOptOut.objects.create(customer=locked, created_at=moment, created_by=actor)
        _stop_surveys(locked)
        record_event(
            "feedback.opted_out",
            row,
            actor=actor,
            customer_id=locked.pk,
            at=moment,
            data={"by": "staff"},
        )
    else:
        assert existing is not None
        record_event(
            "feedback.opted_in",
            locked,
            actor=actor,
            customer_id=locked.pk,
            at=moment,
            data={"since": existing.created_at.isoformat()},
        )
        existing.delete()
    return True


# --- Answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyAnswer:
    """What the customer submitted: a score, CSAT reasons, a comment, NPS's follow-up; for a
    campaign survey, ``answers`` by question id (``score`` is left out)."""

    score: int | None
    reasons: tuple[int, ...] = ()
    comment: str = ""
    follow_up: str = ""
    answers: Mapping[int, RawAnswer] = field(default_factory=dict)


def _check_answer(kind: str, answer: SurveyAnswer) -> tuple[list[SurveyReason], str, str]:
    low, high = CSAT_RANGE if kind == SurveyKind.CSAT else NPS_RANGE
    score = answer.score
    if not isinstance(score, int) or isinstance(score, bool) or not low <= score <= high:
        raise ValidationFailed(
            _("Choose a score from %(low)s to %(high)s."),
            code="score_out_of_range",
            low=low,
            high=high,
        )
    reasons: list[SurveyReason] = []
    if answer.reasons:
        if kind != SurveyKind.CSAT:
            raise ValidationFailed(_("This survey has no reasons to choose."), code="no_reasons")
        wanted = set(answer.reasons)
        reasons = list(SurveyReason.objects.filter(pk__in=wanted, is_active=True))
        if len(reasons) != len(wanted):
            raise ValidationFailed(_("Choose reasons from the list."), code="unknown_reason")
    comment = _clean(answer.comment, label=gettext("The comment"))
    follow_up = _clean(answer.follow_up, label=gettext("The answer"))
    return reasons, comment, follow_up


def _answer(
    invitation: SurveyInvitation,
    answer: SurveyAnswer,
    *,
    source: str,
    now: datetime,
    fresh: bool = False,
) -> SurveyResponse:
    """Store the invitation's one answer, or change it within the edit window (the caller
    holds the invitation's lock and has checked the link). ``fresh``: the caller created the
    invitation in this transaction, so it has no answer and no sends or reminders due yet."""
    items: list[CheckedAnswer] = []
    if invitation.kind == SurveyKind.CAMPAIGN:
        questions = list(SurveyQuestion.objects.filter(survey_id=invitation.survey_id))
        items = check_campaign_answers(questions, answer.answers)
        reasons: list[SurveyReason] = []
        score = next((i.number for i in items if i.question.is_satisfaction), None)
        # The free-text answers are the response's comment (the register's summary).
        comment = "\n".join(i.text for i in items if i.text)[:TEXT_LIMIT]
        follow_up = ""
    else:
        reasons, comment, follow_up = _check_answer(invitation.kind, answer)
        score = answer.score
    response = None if fresh else SurveyResponse.objects.filter(invitation=invitation).first()
    created = False
    if response is not None:
        if now > response.editable_until:
            raise SurveyAlreadyAnswered(
                _("Thank you: we have your answer. It can no longer be changed.")
            )
        before = response.score
        response.score = score
        response.comment = comment
        response.follow_up = follow_up
        response.updated_at = now
        response.edit_count += 1
        response.save(update_fields=["score", "comment", "follow_up", "updated_at", "edit_count"])
        response.reasons.set(reasons)
        record_event(
            "feedback.survey_answer_changed",
            response,
            ticket_id=invitation.ticket_id,
            customer_id=invitation.customer_id,
            at=now,
            data={"kind": invitation.kind, "from": before, "score": score},
        )
    else:
        created = True
        response = SurveyResponse.objects.create(
            invitation=invitation,
            kind=invitation.kind,
            score=score,
            comment=comment,
            follow_up=follow_up,
            source=source,
            answered_at=now,
            updated_at=now,
            editable_until=now + EDIT_WINDOW,
        )
        if reasons:
            response.reasons.add(*reasons)
        invitation.state = InvitationState.ANSWERED
        invitation.answered_at = now
        invitation.save(update_fields=["state", "answered_at"])
        if not fresh:
            due_work.cancel(SEND, key=invitation_key(invitation.pk))
            due_work.cancel(REMIND, key=invitation_key(invitation.pk))
        record_event(
            "feedback.survey_answered",
            response,
            ticket_id=invitation.ticket_id,
            customer_id=invitation.customer_id,
            at=now,
            data={"kind": invitation.kind, "score": score, "source": source},
        )
    if invitation.kind == SurveyKind.CAMPAIGN:
        QuestionAnswer.objects.filter(response=response).delete()
        QuestionAnswer.objects.bulk_create(
            QuestionAnswer(
                response=response,
                question=i.question,
                number=i.number,
                choices=list(i.choices),
                text=i.text,
            )
            for i in items
        )
    _register_answer(invitation, response, now=now, answered_before=not created)
    return response


@transaction.atomic
def answer_survey(
    token: str, answer: SurveyAnswer, *, now: datetime | None = None
) -> SurveyResponse:
    """The customer answers through the link: once; a second submit within ``EDIT_WINDOW``
    changes the answer, never adds one. An expired or forged link, an out-of-range score or
    an answer past its window is refused and nothing changes."""
    moment = now or timezone.now()
    found = invitation_for_token(token)
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .get(pk=found.pk)
    )
    check_link_usable(invitation, now=moment)
    return _answer(invitation, answer, source=ResponseSource.SURVEY_LINK, now=moment)


@transaction.atomic
def record_csat(
    ticket: Ticket,
    *,
    score: int,
    comment: str = "",
    source: str = ResponseSource.PORTAL,
    reasons: Sequence[int] = (),
    now: datetime | None = None,
) -> SurveyResponse:
    """Record the customer's CSAT for a solved ticket from another place than the mailed
    link (the portal, an agent typing a phone answer): the ticket's one CSAT answer, created
    with its invitation if none was sent yet, changed within the edit window, refused after.

    A public, stable entry point (the portal calls it). Refuses a ticket that is not solved
    or closed, a score outside 1–5 and an unknown source, before writing anything.
    """
    moment = now or timezone.now()
    _check_choice(source, ResponseSource, label=gettext("source"))
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "team")
        .filter(pk=ticket.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Ticket not found."))
    if locked.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        raise ValidationFailed(_("Only a solved ticket can be rated."), code="ticket_not_solved")
    answer = SurveyAnswer(score=score, reasons=tuple(reasons), comment=comment)
    _check_answer(SurveyKind.CSAT, answer)
    invitation = (
        SurveyInvitation.objects.select_for_update()
        .filter(ticket=locked, kind=SurveyKind.CSAT)
        .first()
    )
    fresh = invitation is None
    if invitation is None:
        invitation = _new_invitation(
            SurveyKind.CSAT,
            locked.customer,
            ticket=locked,
            now=moment,
            state=InvitationState.ANSWERED,
        )
    return _answer(invitation, answer, source=source, now=moment, fresh=fresh)
