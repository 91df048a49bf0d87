"""Automatic answers (智能预处理): the use cases that answer a new inquiry from the knowledge
base, hand it to a person when the customer writes again, and let admins switch it on per
channel.

The answerer reads triage's decisions for the opening message (``triage_message`` is
idempotent: it returns the recorded decisions, or decides and records them if triage has not
run yet), so a complaint or an angry customer is never answered by a machine. Each ticket is
considered once: the ``AutoAnswer`` row (one per ticket) is the idempotency key, and the
answer, the status change and the event are written in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bihuan.accounts.models import User
from bihuan.core.errors import PermissionDenied, ValidationFailed
from bihuan.core.events import record_event
from bihuan.knowledge.answerer import DEFAULT_THRESHOLD, best_answer, is_confident
from bihuan.knowledge.answering import question_language
from bihuan.knowledge.choices import (
    ArticleStatus,
    Audience,
    AutoAnswerOutcome,
    HandoverReason,
    Language,
    SkipReason,
)
from bihuan.knowledge.markdown import plain_text
from bihuan.knowledge.models import Article, AutoAnswer, AutoAnswerChannel
from bihuan.tickets import services as ticket_services
from bihuan.tickets.choices import Channel, Emotion, Priority, TicketStatus, TicketType
from bihuan.tickets.models import Message, Ticket
from bihuan.tickets.permissions import can_work_ticket
from bihuan.triage import services as triage_services
from bihuan.triage.choices import TriageField

# An admin may not set the bar lower than this: below it, most answers sent would be wrong
# (see the measurements in docs/knowledge.md).
MIN_THRESHOLD = 0.5
UPSET = (Emotion.ANGRY, Emotion.DISSATISFIED)
_LANGUAGES: dict[str, str] = {Language.ZH: "zh-hans", Language.EN: "en"}


# --- Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSetting:
    """What an admin sets for one channel."""

    channel: str
    is_enabled: bool
    sender: User | None
    threshold: float = DEFAULT_THRESHOLD


def configure_auto_answers(setting: ChannelSetting, *, actor: User) -> AutoAnswerChannel:
    """Switch automatic answers on or off for one channel (admins), with the confidence
    threshold and the staff account the answers are sent as."""
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(
            gettext_lazy("Only admins may change automatic answers."), code="admin_only"
        )
    if setting.channel not in Channel.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."),
            code="invalid_choice",
            value=setting.channel,
            field=_("channel"),
        )
    if not MIN_THRESHOLD <= setting.threshold <= 1:
        raise ValidationFailed(
            gettext_lazy("The threshold must be between %(low)s and 1."),
            code="threshold_range",
            low=MIN_THRESHOLD,
        )
    if setting.sender is None or not can_work_ticket(setting.sender):
        raise ValidationFailed(
            gettext_lazy("Choose an active staff account that may reply to customers."),
            code="invalid_sender",
        )
    with transaction.atomic():
        row = AutoAnswerChannel.objects.select_for_update().filter(channel=setting.channel).first()
        before = (
            {"enabled": row.is_enabled, "threshold": row.threshold, "sender": row.sender_id}
            if row
            else None
        )
        row = row or AutoAnswerChannel(channel=setting.channel)
        row.is_enabled, row.threshold = setting.is_enabled, setting.threshold
        row.sender, row.updated_by, row.updated_at = setting.sender, actor, timezone.now()
        row.save()
        record_event(
            "knowledge.auto_answers_configured",
            row,
            actor=actor,
            data={
                "channel": row.channel,
                "from": before,
                "to": {
                    "enabled": row.is_enabled,
                    "threshold": row.threshold,
                    "sender": row.sender_id,
                },
            },
        )
    return row


# --- Answering --------------------------------------------------------------------------------


def _skip_reason(ticket: Ticket, message_id: int) -> str:
    """Why a machine must not answer this ticket ("" when it may): triage's decisions for the
    opening message at any confidence, and the ticket's own fields (an agent may have set them)."""
    outcome = triage_services.triage_message(ticket.pk, message_id=message_id)
    decided = {d.field: d for d in outcome.decisions}
    ticket.refresh_from_db(fields=["kind", "emotion", "status", "first_response_at", "owner"])
    if ticket.first_response_at is not None or ticket.status != TicketStatus.NEW:
        return SkipReason.ALREADY_HANDLED
    kind = decided.get(TriageField.KIND)
    if ticket.kind == TicketType.COMPLAINT or (kind and kind.value == TicketType.COMPLAINT):
        return SkipReason.COMPLAINT  # a complaint, even one triage is unsure of
    emotion = decided.get(TriageField.EMOTION)
    if ticket.emotion in UPSET or (
        emotion is not None
        and (
            emotion.value == Emotion.ANGRY
            # Mild displeasure counts when triage is as sure as it must be to set the field.
            or (emotion.value in UPSET and emotion.confidence >= triage_services.threshold())
        )
    ):
        return SkipReason.UPSET
    if ticket.kind != TicketType.INQUIRY:
        return SkipReason.NOT_INQUIRY
    return ""


def answer_text(article: Article) -> str:
    """The article's answer for customers, with a line (in the article's language) saying
    that a reply brings a person."""
    text = article.answer or plain_text(article.body)
    with translation.override(_LANGUAGES.get(article.language, "zh-hans")):
        footer = _(
            "This answer was sent automatically. If it does not solve your problem, just reply "
            "and one of our agents will take over."
        )
    return f"{text}\n\n{footer}"


def answer_new_tickets(openings: Sequence[tuple[int, int]]) -> None:
    """``answer_automatically`` for a batch of ``(ticket id, opening message id)``: the
    tickets and the channels' settings are read once for the batch; a ticket whose channel
    has automatic answers off costs nothing more."""
    found = Ticket.objects.in_bulk([ticket_id for ticket_id, _message in openings])
    enabled = {
        setting.channel: setting
        for setting in AutoAnswerChannel.objects.select_related("sender").filter(is_enabled=True)
    }
    for ticket_id, message_id in openings:
        ticket = found.get(ticket_id)
        if ticket is not None and ticket.channel in enabled:
            answer_automatically(
                ticket_id, message_id=message_id, ticket=ticket, setting=enabled[ticket.channel]
            )


def answer_automatically(
    ticket_id: int,
    *,
    message_id: int,
    ticket: Ticket | None = None,
    setting: AutoAnswerChannel | None = None,
) -> AutoAnswer | None:
    """Answer a new ticket's opening message from the knowledge base when its channel has
    automatic answers on, it is an inquiry (not a complaint, the customer not upset) and a
    published public article reaches the channel's threshold: the reply goes out through the
    tickets reply service as the channel's sender, the ticket waits for the customer, and
    ``knowledge.auto_answered`` is recorded, all in one transaction. Otherwise the ticket is
    left to the agents and ``knowledge.auto_answer_skipped`` says why.

    Returns None when the channel is off or its sender may no longer reply (nothing is
    written). Safe to run twice: a ticket considered once keeps its first outcome.
    ``ticket`` and ``setting`` (its channel's): read already by the caller's batch.
    """
    if ticket is None:
        ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.status == TicketStatus.CLOSED:
        return None
    if setting is None:
        setting = (
            AutoAnswerChannel.objects.select_related("sender")
            .filter(channel=ticket.channel, is_enabled=True)
            .first()
        )
    if setting is None or not can_work_ticket(setting.sender):
        # Off, or its sender may no longer reply (deactivated): as good as off.
        return None
    existing = AutoAnswer.objects.filter(ticket_id=ticket_id).first()
    if existing is not None:
        return existing
    message = Message.objects.filter(pk=message_id, ticket_id=ticket_id).first()
    if message is None:
        return None
    reason = _skip_reason(ticket, message_id)
    match = None
    if not reason:
        question = f"{ticket.subject}\n{message.body}"
        match = best_answer(question, language=question_language(question))
        if match is None or not is_confident(match, setting.threshold):
            reason = SkipReason.NO_ANSWER
    try:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().get(pk=ticket_id)
            if AutoAnswer.objects.filter(ticket_id=ticket_id).exists():
                return AutoAnswer.objects.get(ticket_id=ticket_id)
            if not reason and (
                locked.first_response_at is not None or locked.status != TicketStatus.NEW
            ):
                reason = SkipReason.ALREADY_HANDLED  # an agent answered while we searched
            article = None
            if not reason and match is not None:
                article = Article.objects.filter(
                    pk=match.article_id,
                    status=ArticleStatus.PUBLISHED,
                    audience=Audience.PUBLIC,
                ).first()
                reason = "" if article is not None else SkipReason.NO_ANSWER
            if article is None or match is None:
                return _record_skip(locked, setting, reason=reason, match=match)
            return _send_answer(locked, setting, article=article, confidence=match.confidence)
    except IntegrityError:
        # Another runner considered this ticket first: keep its outcome.
        return AutoAnswer.objects.filter(ticket_id=ticket_id).first()


def _record_skip(
    ticket: Ticket, setting: AutoAnswerChannel, *, reason: str, match: object
) -> AutoAnswer:
    confidence = float(getattr(match, "confidence", 0.0))
    row = AutoAnswer.objects.create(
        ticket=ticket,
        channel=ticket.channel,
        outcome=AutoAnswerOutcome.SKIPPED,
        reason=reason,
        confidence=confidence,
        threshold=setting.threshold,
        created_at=timezone.now(),
    )
    record_event(
        "knowledge.auto_answer_skipped",
        row,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        data={"reason": reason, "confidence": confidence, "threshold": setting.threshold},
    )
    return row


def _send_answer(
    ticket: Ticket, setting: AutoAnswerChannel, *, article: Article, confidence: float
) -> AutoAnswer:
    reply = ticket_services.reply_to_customer(
        ticket, body=answer_text(article), actor=setting.sender
    )
    ticket = ticket_services.change_status(
        ticket, status=TicketStatus.PENDING_CUSTOMER, actor=setting.sender
    )
    row = AutoAnswer.objects.create(
        ticket=ticket,
        channel=ticket.channel,
        outcome=AutoAnswerOutcome.ANSWERED,
        article=article,
        confidence=confidence,
        threshold=setting.threshold,
        message=reply,
        created_at=timezone.now(),
    )
    record_event(
        "knowledge.auto_answered",
        row,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        data={
            "article": article.pk,
            "title": article.title,
            "confidence": confidence,
            "threshold": setting.threshold,
            "message": reply.pk,
        },
    )
    return row


# --- Handing over -----------------------------------------------------------------------------

# How customers say an answer did not help (a reply saying so is recorded as such; any other
# reply hands the ticket over all the same).
NOT_HELPFUL = re.compile(
    r"没用|没有用|没帮助|没有帮助|没解决|没有解决|未解决|不是我要|答非所问|不对|转人工|人工客服|"
    r"not helpful|didn'?t help|did not help|does(?:n'?t| not) help|not solved|(?:a|real) human|"
    r"wrong answer|not what i",
    re.IGNORECASE,
)


def handover_reason(text: str) -> str:
    """Whether the customer's reply says the answer did not help, or simply writes again."""
    return HandoverReason.NOT_HELPFUL if NOT_HELPFUL.search(text) else HandoverReason.CUSTOMER_WROTE


def hand_over(ticket_id: int, *, reason: str = HandoverReason.CUSTOMER_WROTE) -> AutoAnswer | None:
    """The customer wrote again after an automatic answer (it did not help, or they have more
    to ask): the ticket goes to a person with its priority raised one step, the answering
    account lets go of it if it took it, and the queue assigns an agent. Safe to run twice
    (a ticket handed over once is left)."""
    if reason not in HandoverReason.values:
        raise ValidationFailed(
            _("“%(value)s” is not a valid %(field)s."), value=reason, field=_("reason")
        )
    with transaction.atomic():
        row = (
            AutoAnswer.objects.select_for_update()
            .filter(
                ticket_id=ticket_id,
                outcome=AutoAnswerOutcome.ANSWERED,
                handed_over_at__isnull=True,
            )
            .first()
        )
        if row is None:
            return None
        ticket = Ticket.objects.get(pk=ticket_id)
        if ticket.status == TicketStatus.CLOSED:
            return None  # closed meanwhile: its loop is closed, nobody to hand it to
        setting = AutoAnswerChannel.objects.filter(channel=row.channel).first()
        changes = ticket_services.TicketChanges()
        priority = min(ticket.priority + 1, Priority.URGENT)
        if priority != ticket.priority:
            changes.priority = priority
        if setting is not None and ticket.owner_id == setting.sender_id:
            changes.owner = None
        if not changes.is_empty():
            ticket_services.apply_automatic_changes(
                ticket, changes, reason="auto_answer_handover", details={"why": reason}
            )
        row.handed_over_at, row.handover_reason = timezone.now(), reason
        row.save(update_fields=["handed_over_at", "handover_reason"])
        record_event(
            "knowledge.auto_answer_handed_over",
            row,
            ticket_id=ticket.pk,
            customer_id=ticket.customer_id,
            data={"reason": reason, "priority": priority},
        )
        triage_services.route_and_assign(ticket.pk)
    return row
