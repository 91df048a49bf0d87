"""Feedback use cases: surveys (CSAT, NPS) and their answers, the feedback register,
negative-feedback analyses and the rectification ledger (整改台账).

Every writer runs in one transaction, checks its rules before writing (a ``DomainError`` with
a translatable message), records its event in the same transaction and leaves mail to due
work that runs after commit. Timers (sending, reminders, the NPS schedule, the 48-hour
analysis deadline, overdue rectifications) are due items on the core engine, keyed by the
row they belong to, so a restart loses none and fires none twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import Department, User
from bihuan.core import due_work
from bihuan.core.bidi import neutralise_bidi
from bihuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bihuan.core.events import notify, record_event
from bihuan.core.models import DueItem, WorkState
from bihuan.customers.choices import IdentityKind
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.feedback.choices import (
    CAUSE_DETAILS,
    HAND_SOURCES,
    OPEN_RECTIFICATION_STATES,
    RECTIFICATION_MOVES,
    AnalysisState,
    CauseCategory,
    EntryKind,
    EntrySource,
    InternalTopic,
    InvitationState,
    RectificationState,
    ResponseSource,
    SurveyKind,
)
from bihuan.feedback.errors import SurveyAlreadyAnswered, SurveyLinkExpired, SurveyLinkInvalid
from bihuan.feedback.models import (
    FeedbackEntry,
    NegativeAnalysis,
    Rectification,
    SurveyInvitation,
    SurveyOptOut,
    SurveyReason,
    SurveyResponse,
)
from bihuan.sla.business_hours import Schedule, add_business_time, default_weekly
from bihuan.sla.calendars import get_calendar, schedule_of
from bihuan.tickets.choices import Emotion, TicketStatus, TicketType
from bihuan.tickets.models import Category, Ticket
from bihuan.tickets.permissions import can_work_ticket

# --- Policy ---------------------------------------------------------------------------------

CSAT_RANGE = (1, 5)
NPS_RANGE = (0, 10)
CSAT_LOW_SCORE = 2  # CSAT ≤ 2 opens a negative-feedback case
NPS_LOW_SCORE = 6  # NPS ≤ 6 (a detractor) too
CSAT_GOOD_SCORE = 4  # CSAT ≥ 4 counts as satisfied
NPS_PROMOTER_SCORE = 9
LINK_VALID = timedelta(days=14)
EDIT_WINDOW = timedelta(hours=24)
REMIND_AFTER = timedelta(hours=48)
NPS_INTERVAL = timedelta(days=90)  # quarterly, and never more often
NPS_DELAY = timedelta(days=3)  # after a customer's solved ticket, not on the same day
ANALYSIS_DUE_IN = timedelta(hours=48)  # business hours of the default calendar
TEXT_LIMIT = 2000
TOKEN_SALT = "bihuan.feedback.survey"  # noqa: S105  (a signing salt, not a secret)
TOKEN_MAX_LENGTH = 200

# Due-work kinds (keys name the row: "feedback.surveyinvitation:<id>" …).
SEND = "feedback.send_survey"
REMIND = "feedback.remind_survey"
NPS = "feedback.nps_due"
ANALYSIS_DUE = "feedback.analysis_due"
RECTIFICATION_DUE = "feedback.rectification_due"

# Ticket types that make a register entry when the ticket is solved (咨询/投诉/建议/表扬).
REGISTER_TYPES = {
    TicketType.INQUIRY: EntryKind.INQUIRY,
    TicketType.COMPLAINT: EntryKind.COMPLAINT,
    TicketType.SUGGESTION: EntryKind.SUGGESTION,
    TicketType.PRAISE: EntryKind.PRAISE,
}
NEGATIVE_EMOTIONS = (Emotion.DISSATISFIED, Emotion.ANGRY)


def invitation_key(invitation_id: int) -> str:
    return f"feedback.surveyinvitation:{invitation_id}"


def customer_key(customer_id: int) -> str:
    return f"customers.customer:{customer_id}"


def analysis_key(analysis_id: int) -> str:
    return f"feedback.negativeanalysis:{analysis_id}"


def rectification_key(rectification_id: int) -> str:
    return f"feedback.rectification:{rectification_id}"


def _clean(value: str, *, label: str, limit: int = TEXT_LIMIT, required: bool = False) -> str:
    text = neutralise_bidi(value or "").strip()
    if required and not text:
        raise ValidationFailed(_("%(field)s must not be empty."), code="empty", field=label)
    if len(text) > limit:
        raise ValidationFailed(
            _("%(field)s is longer than %(limit)s characters."),
            code="too_long",
            field=label,
            limit=limit,
        )
    return text


def _check_choice(value: str, choices: Any, *, label: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=value,
            field=label,
        )


def _require_staff_writer(actor: User) -> None:
    """Agents, advisors, supervisors and admins write to the register; department members
    work on the analyses and rectifications given to them."""
    if not can_work_ticket(actor):
        raise PermissionDenied(
            _("Your role may not record feedback; ask the customer-service team."),
            code="read_only_role",
        )


def _require_manager(actor: User) -> None:
    if not (actor.is_active and actor.sees_everything):
        raise PermissionDenied(
            _("Only supervisors and administrators may do this."), code="managers_only"
        )


# --- Survey links ---------------------------------------------------------------------------


def survey_token(invitation: SurveyInvitation) -> str:
    """The signed part of the survey link: the invitation and its nonce (no secret inside,
    nothing guessable: a forged or altered token fails the signature)."""
    return signing.Signer(salt=TOKEN_SALT).sign_object({"i": invitation.pk, "n": invitation.nonce})


def survey_url(invitation: SurveyInvitation, *, name: str = "feedback:survey") -> str:
    """The absolute link for the customer (``BIHUAN_PUBLIC_URL`` + the path)."""
    base = str(getattr(settings, "BIHUAN_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    return base + reverse(name, kwargs={"token": survey_token(invitation)})


def invitation_for_token(token: str) -> SurveyInvitation:
    """The invitation a link names, or ``SurveyLinkInvalid`` (forged, altered, cut short)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    try:
        data = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise SurveyLinkInvalid(_("This survey link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    invitation = (
        SurveyInvitation.objects.select_related("customer", "ticket")
        .filter(pk=data["i"], nonce=str(data.get("n", "")))
        .first()
    )
    if invitation is None:
        raise SurveyLinkInvalid(_("This survey link is not valid."))
    return invitation


def check_link_usable(invitation: SurveyInvitation, *, now: datetime) -> SurveyResponse | None:
    """Refuse an expired link or an answer past its edit window; the answer so far, if any."""
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is not None:
        if now > response.editable_until:
            raise SurveyAlreadyAnswered(
                _("Thank you: we have your answer. It can no longer be changed.")
            )
        return response
    if now > invitation.expires_at:
        raise SurveyLinkExpired(_("This survey link has expired."))
    return None


# --- Sending --------------------------------------------------------------------------------


def _customer_email(customer_id: int) -> str:
    return (
        CustomerIdentity.objects.filter(customer_id=customer_id, kind=IdentityKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
        or ""
    )


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
        invitation.channel = last_ticket.channel
        invitation.save(update_fields=["agent", "team", "channel"])
    due_work.schedule(SEND, key=invitation_key(invitation.pk), due_at=now)
    if last_ticket is not None and last_ticket.created_at > now - NPS_INTERVAL:
        _schedule_nps(customer.pk, now + NPS_INTERVAL)
    return invitation


def _mail_texts(invitation: SurveyInvitation, *, reminder: bool) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        if invitation.kind == SurveyKind.CSAT and invitation.ticket_id:
            subject = gettext("How did we do? Your request #%(number)s") % {
                "number": invitation.ticket_id
            }
            question = gettext(
                "Your request “%(subject)s” has been solved. How satisfied are you with our help?"
            ) % {"subject": invitation.ticket.subject if invitation.ticket else ""}
        else:
            subject = gettext("Would you recommend us?")
            question = gettext(
                "How likely are you to recommend us to a friend or colleague? It takes a minute."
            )
        if reminder:
            subject = gettext("Reminder: %(subject)s") % {"subject": subject}
        body = gettext(
            "Hello %(name)s,\n\n%(question)s\n\nAnswer here (no sign-in needed; the link is "
            "valid until %(until)s):\n%(link)s\n\nNo more surveys: %(opt_out)s\n\n"
            "Your customer service team"
        ) % {
            "name": invitation.customer.name,
            "question": question,
            "until": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
            "link": survey_url(invitation),
            "opt_out": survey_url(invitation, name="feedback:opt_out"),
        }
    return subject, body


def _send_mail(invitation: SurveyInvitation, address: str, *, reminder: bool) -> None:
    subject, body = _mail_texts(invitation, reminder=reminder)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.BIHUAN_MAIL_FROM,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    mail.attach_alternative(
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
        f"{linebreaks(escape(body))}</body></html>",
        "text/html",
    )
    mail.send()


def _fail(invitation: SurveyInvitation, reason: str, *, now: datetime) -> None:
    with transaction.atomic():
        changed = SurveyInvitation.objects.filter(
            pk=invitation.pk, state=InvitationState.PENDING
        ).update(state=InvitationState.FAILED, failure_reason=reason[:500])
        if changed:
            record_event(
                "feedback.survey_not_sent",
                invitation,
                ticket_id=invitation.ticket_id,
                customer_id=invitation.customer_id,
                at=now,
                data={"kind": invitation.kind, "reason": reason[:500]},
            )


def send_invitation(invitation_id: int, *, now: datetime) -> bool:
    """Send a pending invitation by email (due work, after the commit that made it).

    Not transactional as a whole: the mail leaves first, then the invitation is marked sent
    with a conditional update (a crash between the two sends the mail again, never loses
    it). A customer without an email address, or outbound mail not configured, marks the
    invitation not sent with the reason. A mail server error raises for the engine's retry.
    """
    invitation = (
        SurveyInvitation.objects.select_related("customer", "ticket")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.state != InvitationState.PENDING:
        return False
    if is_opted_out(invitation.customer_id):
        SurveyInvitation.objects.filter(pk=invitation.pk, state=InvitationState.PENDING).update(
            state=InvitationState.OPTED_OUT
        )
        return False
    address = _customer_email(invitation.customer_id)
    if not address:
        _fail(invitation, gettext("The customer has no email address."), now=now)
        return False
    if not getattr(settings, "BIHUAN_MAIL_FROM", ""):
        _fail(invitation, gettext("Outbound email is not configured (BIHUAN_MAIL_FROM)."), now=now)
        return False
    invitation.expires_at = now + LINK_VALID
    _send_mail(invitation, address, reminder=False)
    with transaction.atomic():
        changed = SurveyInvitation.objects.filter(
            pk=invitation.pk, state=InvitationState.PENDING
        ).update(
            state=InvitationState.SENT,
            sent_at=now,
            expires_at=invitation.expires_at,
            to_address=address,
        )
        if changed:
            record_event(
                "feedback.survey_sent",
                invitation,
                ticket_id=invitation.ticket_id,
                customer_id=invitation.customer_id,
                at=now,
                data={"kind": invitation.kind, "to": address},
            )
            due_work.schedule(REMIND, key=invitation_key(invitation.pk), due_at=now + REMIND_AFTER)
    return bool(changed)


def remind_invitation(invitation_id: int, *, now: datetime) -> bool:
    """Remind once a customer who has not answered, while the link is valid and they have
    not opted out."""
    invitation = (
        SurveyInvitation.objects.select_related("customer", "ticket")
        .filter(pk=invitation_id)
        .first()
    )
    if (
        invitation is None
        or invitation.state != InvitationState.SENT
        or invitation.reminded_at is not None
        or invitation.expires_at <= now
        or is_opted_out(invitation.customer_id)
        or not invitation.to_address
    ):
        return False
    _send_mail(invitation, invitation.to_address, reminder=True)
    with transaction.atomic():
        changed = SurveyInvitation.objects.filter(
            pk=invitation.pk, state=InvitationState.SENT, reminded_at__isnull=True
        ).update(reminded_at=now)
        if changed:
            record_event(
                "feedback.survey_reminded",
                invitation,
                ticket_id=invitation.ticket_id,
                customer_id=invitation.customer_id,
                at=now,
                data={"kind": invitation.kind, "to": invitation.to_address},
            )
    return bool(changed)


@transaction.atomic
def opt_out_of_surveys(token: str, *, now: datetime | None = None) -> SurveyOptOut:
    """The customer asks for no more surveys (from the link in any survey mail): pending
    sends, reminders and the NPS schedule stop. Asking again changes nothing."""
    moment = now or timezone.now()
    invitation = invitation_for_token(token)
    customer = Customer.objects.select_for_update().get(pk=invitation.customer_id)
    existing = SurveyOptOut.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    opt_out = SurveyOptOut.objects.create(customer=customer, created_at=moment)
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
    record_event(
        "feedback.opted_out",
        opt_out,
        customer_id=customer.pk,
        at=moment,
        data={"invitation": invitation.pk},
    )
    return opt_out


# --- Answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyAnswer:
    """What the customer submitted: a score, CSAT reasons, a comment, NPS's follow-up."""

    score: int | None
    reasons: tuple[int, ...] = ()
    comment: str = ""
    follow_up: str = ""


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


def is_low_score(kind: str, score: int) -> bool:
    return score <= (CSAT_LOW_SCORE if kind == SurveyKind.CSAT else NPS_LOW_SCORE)


def _answer(
    invitation: SurveyInvitation, answer: SurveyAnswer, *, source: str, now: datetime
) -> SurveyResponse:
    """Store the invitation's one answer, or change it within the edit window (the caller
    holds the invitation's lock and has checked the link)."""
    reasons, comment, follow_up = _check_answer(invitation.kind, answer)
    assert answer.score is not None
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is not None:
        if now > response.editable_until:
            raise SurveyAlreadyAnswered(
                _("Thank you: we have your answer. It can no longer be changed.")
            )
        before = response.score
        response.score = answer.score
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
            data={"kind": invitation.kind, "from": before, "score": answer.score},
        )
    else:
        response = SurveyResponse.objects.create(
            invitation=invitation,
            kind=invitation.kind,
            score=answer.score,
            comment=comment,
            follow_up=follow_up,
            source=source,
            answered_at=now,
            updated_at=now,
            editable_until=now + EDIT_WINDOW,
        )
        response.reasons.set(reasons)
        invitation.state = InvitationState.ANSWERED
        invitation.answered_at = now
        invitation.save(update_fields=["state", "answered_at"])
        due_work.cancel(SEND, key=invitation_key(invitation.pk))
        due_work.cancel(REMIND, key=invitation_key(invitation.pk))
        record_event(
            "feedback.survey_answered",
            response,
            ticket_id=invitation.ticket_id,
            customer_id=invitation.customer_id,
            at=now,
            data={"kind": invitation.kind, "score": answer.score, "source": source},
        )
    _register_answer(invitation, response, now=now)
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
    if invitation is None:
        invitation = _new_invitation(
            SurveyKind.CSAT,
            locked.customer,
            ticket=locked,
            now=moment,
            state=InvitationState.ANSWERED,
        )
    return _answer(invitation, answer, source=source, now=moment)


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
        category=category or (ticket.category if ticket else None),
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
        entry.linked_tickets.set(tickets)
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
    invitation: SurveyInvitation, response: SurveyResponse, *, now: datetime
) -> None:
    """A survey answer with a low score or a comment is feedback for the register; a low
    score opens a negative-feedback case (its analysis due in 48 business hours)."""
    low = is_low_score(response.kind, response.score)
    text = response.comment or response.follow_up
    entry = FeedbackEntry.objects.filter(response=response).first()
    if entry is None:
        if not low and not text:
            return
        good = response.score >= (
            CSAT_GOOD_SCORE if response.kind == SurveyKind.CSAT else NPS_PROMOTER_SCORE
        )
        kind = EntryKind.COMPLAINT if low else EntryKind.PRAISE if good else EntryKind.SUGGESTION
        summary = text or gettext("%(survey)s score %(score)s") % {
            "survey": SurveyKind(response.kind).label,
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
    entry.channel = locked.channel
    entry.customer = None  # internal feedback is about us, not about the customer
    entry.save(update_fields=["agent", "team", "channel", "customer"])
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
        candidates.append(entry.team.supervisor if entry.team else None)
    if entry.department_id and entry.department:
        candidates.append(entry.department.head)
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


# --- Rectification ledger ---------------------------------------------------------------------


@dataclass(frozen=True)
class RectificationFields:
    problem: str
    owner_department: Department
    measures: str
    deadline: datetime
    acceptance_criteria: str
    owner: User | None = None
    category: Category | None = None
    analysis: NegativeAnalysis | None = None
    entries: tuple[FeedbackEntry, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    weeks: int = 4


@transaction.atomic
def open_rectification(
    fields: RectificationFields, *, actor: User, at: datetime | None = None
) -> Rectification:
    """A systemic cause becomes an item of the ledger (a supervisor or admin opens it): who
    fixes what by when, how it is accepted. The deadline is due work: missed, it escalates
    to the owner department's head."""
    _require_manager(actor)
    problem = _clean(fields.problem, label=gettext("The problem"), required=True, limit=500)
    measures = _clean(fields.measures, label=gettext("The measures"), required=True)
    criteria = _clean(
        fields.acceptance_criteria, label=gettext("The acceptance criteria"), required=True
    )
    now = at or timezone.now()
    if fields.deadline <= now:
        raise ValidationFailed(_("The deadline must be in the future."), code="deadline_past")
    if fields.owner is not None and (
        not fields.owner.is_active or fields.owner.department_id != fields.owner_department.pk
    ):
        raise ValidationFailed(
            _("The owner must be an active member of the owner department."),
            code="owner_not_in_department",
        )
    if not 1 <= fields.weeks <= 26:
        raise ValidationFailed(_("Compare between 1 and 26 weeks."), code="weeks_out_of_range")
    if fields.analysis is not None and not (
        fields.analysis.state == AnalysisState.DONE and fields.analysis.is_systemic
    ):
        raise ValidationFailed(
            _("Only an analysis that found a systemic cause becomes a rectification."),
            code="not_systemic",
        )
    item = Rectification.objects.create(
        problem=problem,
        owner_department=fields.owner_department,
        owner=fields.owner,
        measures=measures,
        deadline=fields.deadline,
        acceptance_criteria=criteria,
        category=fields.category
        or (fields.analysis.entry.category if fields.analysis is not None else None),
        analysis=fields.analysis,
        weeks=fields.weeks,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    entries = {e.pk for e in fields.entries}
    if fields.analysis is not None:
        entries.add(fields.analysis.entry_id)
    if entries:
        item.entries.set(entries)
    tickets = {t.pk for t in fields.tickets}
    if tickets:
        item.linked_tickets.set(tickets)
    due_work.schedule(RECTIFICATION_DUE, key=rectification_key(item.pk), due_at=item.deadline)
    event = record_event(
        "feedback.rectification_opened",
        item,
        actor=actor,
        at=now,
        data={
            "problem": problem,
            "department": fields.owner_department.pk,
            "deadline": item.deadline.isoformat(),
        },
    )
    notify(event, [fields.owner, fields.owner_department.head])
    return item


def can_work_rectification(user: User, item: Rectification) -> bool:
    """The owner, the owner department (its head included) and supervisors move the work."""
    return user.is_active and (
        user.sees_everything
        or item.owner_id == user.pk
        or (user.department_id is not None and user.department_id == item.owner_department_id)
    )


@transaction.atomic
def move_rectification(
    item: Rectification, *, to: str, actor: User, reason: str = "", at: datetime | None = None
) -> Rectification:
    """Move an item along 待整改 → 整改中 → 待验收 → 已验收 / 退回 (退回 → 整改中 again).

    The owner side starts and submits; a supervisor or admin accepts or returns (with a
    reason). The first start is when the measure began (the before/after comparison's
    pivot); an accepted item marks its linked internal feedback as having led to a change.
    """
    locked = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("owner_department")
        .get(pk=item.pk)
    )
    _check_choice(to, RectificationState, label=gettext("state"))
    if to not in RECTIFICATION_MOVES[locked.state]:
        raise Conflict(
            _("A rectification cannot go from “%(before)s” to “%(after)s”."),
            code="invalid_move",
            before=RectificationState(locked.state).label,
            after=RectificationState(to).label,
        )
    if to in (RectificationState.ACCEPTED, RectificationState.RETURNED):
        _require_manager(actor)
    elif not can_work_rectification(actor, locked):
        raise PermissionDenied(
            _("Only the owner department or a supervisor works on this rectification."),
            code="not_owner",
        )
    text = _clean(
        reason, label=gettext("The reason"), limit=500, required=to == RectificationState.RETURNED
    )
    now = at or timezone.now()
    before = locked.state
    locked.state = to
    changed = ["state", "updated_at"]
    if to == RectificationState.IN_PROGRESS and locked.started_at is None:
        locked.started_at = now
        changed.append("started_at")
    if to == RectificationState.AWAITING_ACCEPTANCE:
        locked.submitted_at = now
        changed.append("submitted_at")
        due_work.cancel(RECTIFICATION_DUE, key=rectification_key(locked.pk))
    if to == RectificationState.RETURNED:
        locked.return_reason = text
        changed.append("return_reason")
        due_work.schedule(
            RECTIFICATION_DUE, key=rectification_key(locked.pk), due_at=max(locked.deadline, now)
        )
    if to == RectificationState.ACCEPTED:
        locked.accepted_at = now
        locked.accepted_by = actor
        changed += ["accepted_at", "accepted_by"]
        FeedbackEntry.objects.filter(
            rectifications=locked, kind=EntryKind.INTERNAL, changed_at__isnull=True
        ).update(changed_at=now, change_note=locked.problem[:500])
    locked.updated_at = now
    locked.save(update_fields=changed)
    event = record_event(
        "feedback.rectification_moved",
        locked,
        actor=actor,
        at=now,
        data={"from": before, "to": to, "reason": text},
    )
    if to in (RectificationState.ACCEPTED, RectificationState.RETURNED):
        notify(event, [locked.owner, locked.owner_department.head])
    return locked


@transaction.atomic
def fire_rectification_overdue(rectification_id: int, *, now: datetime) -> bool:
    """The deadline passed and the fix is not submitted: escalate to the owner department's
    head (and tell the owner), once per missed deadline."""
    item = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("owner_department", "owner_department__head", "owner")
        .filter(pk=rectification_id)
        .first()
    )
    if item is None or item.state not in OPEN_RECTIFICATION_STATES or item.deadline > now:
        return False
    if item.escalated_at is not None:
        return False
    item.escalated_at = now
    item.save(update_fields=["escalated_at"])
    head = item.owner_department.head
    event = record_event(
        "feedback.rectification_escalated",
        item,
        at=now,
        data={
            "deadline": item.deadline.isoformat(),
            "department": item.owner_department_id,
            "to": head.pk if head else None,
        },
    )
    notify(event, [head, item.owner])
    return True
