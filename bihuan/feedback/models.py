"""Surveys (CSAT, NPS), the feedback register, negative-feedback analyses and the
rectification ledger (整改台账)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bihuan.feedback.choices import (
    AnalysisState,
    CampaignState,
    CauseCategory,
    CauseDetail,
    DeliveryChoice,
    DeliveryRoute,
    DeliveryState,
    EntryKind,
    EntrySource,
    InternalTopic,
    InvitationState,
    QuestionKind,
    RectificationState,
    ResponseSource,
    SurveyKind,
)
from bihuan.tickets.choices import Channel, Emotion


class SurveyReason(models.Model):
    """A reason a customer may tick on a CSAT survey (an admin's list: 响应慢, 态度好…)."""

    label = models.CharField(_("reason"), max_length=100, unique=True)
    label_en = models.CharField(_("English reason"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("survey reason")
        verbose_name_plural = _("survey reasons")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The reason in the interface language (the English one in English, if set)."""
        if self.label_en and (get_language() or "").startswith("en"):
            return self.label_en
        return self.label


class CampaignSurvey(models.Model):
    """A survey with several questions sent to a segment of customers on a date (季度回访调研).

    The recipients are a segment (tiers, a tag, contact within N days: all given conditions
    hold) or a list of customers (``customers``). At ``send_at`` the due work makes one
    invitation per recipient (``SurveyInvitation`` of kind ``campaign``), mailed with the
    same signed links, reminders and opt-out as CSAT and NPS. The questions do not change
    once it is scheduled."""

    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.SCHEDULED
    )
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    tag = models.ForeignKey(
        "core.Tag",
        verbose_name=_("tag"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contacted_within_days = models.PositiveSmallIntegerField(
        _("in contact within (days)"), null=True, blank=True
    )
    customers = models.ManyToManyField(
        "customers.Customer", verbose_name=_("customers"), blank=True, related_name="+"
    )
    send_at = models.DateTimeField(_("send at"))
    delivery = models.CharField(
        _("send by"),
        max_length=16,
        choices=DeliveryChoice.choices,
        default=DeliveryChoice.TICKET_CHANNEL,
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("campaign survey")
        verbose_name_plural = _("campaign surveys")
        indexes = [models.Index(fields=["created_at", "id"], name="campaign_created_idx")]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    """One question of a campaign survey, in ``position`` order. ``options`` are the choices
    of a single- or multiple-choice question (answers store their index). A rating question
    marked ``is_satisfaction`` is the survey's satisfaction score: a low one (≤ 2) goes to
    the register and opens a negative-feedback case, as a CSAT does."""

    survey = models.ForeignKey(CampaignSurvey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    options = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    is_satisfaction = models.BooleanField(_("satisfaction question"), default=False)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "position"], name="question_one_per_position"
            ),
            models.UniqueConstraint(
                fields=["survey"],
                condition=Q(is_satisfaction=True),
                name="question_one_satisfaction",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SurveyInvitation(models.Model):
    """One survey asked of one customer: a CSAT after a solved ticket, or a scheduled NPS.

    The link in the mail is signed (``services.survey_token``) over the id and ``nonce``; it
    is valid until ``expires_at``. One invitation has at most one answer (``SurveyResponse``).
    What the invitation was about (ticket, agent, queue, department, channel, category,
    tier) is copied when it is made, so reports group answers by what was true then.
    """

    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=InvitationState.choices, default=InvitationState.PENDING
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    survey = models.ForeignKey(
        CampaignSurvey,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    # The route and address it went by, and what became of it (``SurveyDelivery`` keeps the
    # same per message, the reminder's too).
    route = models.CharField(_("sent by"), max_length=16, choices=DeliveryRoute.choices, blank=True)
    to_address = models.CharField(_("sent to"), max_length=254, blank=True)
    delivery_state = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryState.choices, blank=True
    )
    nonce = models.CharField(max_length=32)
    failure_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link valid until"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(kind="csat") & Q(ticket__isnull=False),
                name="invitation_one_csat_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["survey", "customer"],
                condition=Q(survey__isnull=False),
                name="invitation_one_per_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "kind", "created_at"], name="invitation_customer_idx"),
            models.Index(fields=["created_at", "id"], name="invitation_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class SurveyResponse(models.Model):
    """The one answer to an invitation. A second submit within the edit window changes it
    (``edit_count``); after it, the answer stands."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    # A campaign survey's score is its satisfaction question's rating (none without one).
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    reasons = models.ManyToManyField(SurveyReason, verbose_name=_("reasons"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    follow_up = models.TextField(_("what would make it better"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ResponseSource.choices)
    answered_at = models.DateTimeField(_("answered at"))
    updated_at = models.DateTimeField(_("updated at"))
    editable_until = models.DateTimeField(_("can be changed until"))
    edit_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="csat", score__gte=1, score__lte=5)
                | Q(kind="nps", score__gte=0, score__lte=10)
                | Q(kind="campaign", score__isnull=True)
                | Q(kind="campaign", score__gte=1, score__lte=5),
                name="response_score_in_range",
            )
        ]
        indexes = [models.Index(fields=["answered_at", "id"], name="response_answered_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"


class QuestionAnswer(models.Model):
    """The answer to one question of a campaign survey: ``number`` for a rating, an NPS or
    a single choice (the option's index), ``choices`` for a multiple choice (indexes),
    ``text`` for free text."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer to a question")
        verbose_name_plural = _("answers to questions")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_one_per_question")
        ]
        indexes = [models.Index(fields=["question", "number"], name="answer_question_idx")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.number if self.number is not None else self.text[:20]}"


class SurveySetting(models.Model):
    """How the invitations of CSAT or NPS surveys are sent (one row per kind; without a row,
    on the ticket's channel). Campaign surveys carry their own ``delivery``."""

    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices, unique=True)
    delivery = models.CharField(
        _("send by"),
        max_length=16,
        choices=DeliveryChoice.choices,
        default=DeliveryChoice.TICKET_CHANNEL,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("survey setting")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return f"{self.kind}: {self.delivery}"


class SurveyDelivery(models.Model):
    """One message that carried an invitation, or its reminder: the route, the address, the
    channel's own outbound record (an SMS, a reply message on the conversation) and what
    became of it (the SMS delivery receipt, the platform's refusal).

    One per invitation and purpose (a unique constraint): it is written in the transaction
    that queues the message, so a retried send finds it and never sends twice."""

    invitation = models.ForeignKey(
        SurveyInvitation, on_delete=models.CASCADE, related_name="deliveries"
    )
    is_reminder = models.BooleanField(default=False)
    route = models.CharField(_("sent by"), max_length=16, choices=DeliveryRoute.choices)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    # The reply on the ticket's conversation (chat and messaging platforms).
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The channel's outbound row, as events name their subject ("bihuan_phone.outboundsms").
    outbound_type = models.CharField(max_length=64, blank=True)
    outbound_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(_("delivery"), max_length=16, choices=DeliveryState.choices)
    note = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey delivery")
        verbose_name_plural = _("survey deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "is_reminder"], name="delivery_one_per_purpose"
            )
        ]
        indexes = [
            models.Index(fields=["outbound_type", "outbound_id"], name="delivery_outbound_idx")
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.state}"


class SurveyOptOut(models.Model):
    """A customer who asked to receive no more surveys."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    created_at = models.DateTimeField(_("opted out at"))
    # A colleague who recorded it for the customer (on the customer page); none: the link.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")

    def __str__(self) -> str:
        return str(self.customer_id)


class FeedbackEntry(models.Model):
    """One line of the feedback register (客户反馈登记表): from a survey, a ticket typed
    咨询/投诉/建议/表扬, an agent's hand entry, or internal feedback flagged by an agent.

    A negative entry has a ``NegativeAnalysis``. ``changed_at`` marks internal feedback that
    led to a change (its conversion is measured)."""

    kind = models.CharField(_("type"), max_length=16, choices=EntryKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=EntrySource.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_entries",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_entries",
    )
    linked_tickets = models.ManyToManyField(
        "tickets.Ticket", verbose_name=_("linked tickets"), blank=True, related_name="+"
    )
    response = models.OneToOneField(
        SurveyResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entry",
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    product = models.CharField(_("product"), max_length=200, blank=True)
    emotion = models.CharField(_("emotion"), max_length=16, choices=Emotion.choices, blank=True)
    summary = models.TextField(_("summary"))
    topic = models.CharField(_("topic"), max_length=24, choices=InternalTopic.choices, blank=True)
    is_negative = models.BooleanField(_("negative"), default=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"))
    changed_at = models.DateTimeField(_("led to a change at"), null=True, blank=True)
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("feedback entry")
        verbose_name_plural = _("feedback entries")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(source="ticket") & Q(ticket__isnull=False),
                name="entry_one_per_ticket",
            )
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="entry_created_idx"),
            models.Index(fields=["kind", "created_at"], name="entry_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary[:40]}"


class NegativeAnalysis(models.Model):
    """The analysis a negative entry owes within 48 business hours: its cause (人/货/场),
    the facts, and whether it is a one-off or systemic."""

    entry = models.OneToOneField(FeedbackEntry, on_delete=models.CASCADE, related_name="analysis")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=8, choices=AnalysisState.choices, default=AnalysisState.OPEN
    )
    due_at = models.DateTimeField(_("due at"))
    cause_category = models.CharField(
        _("cause"), max_length=16, choices=CauseCategory.choices, blank=True
    )
    cause_detail = models.CharField(
        _("cause in detail"), max_length=24, choices=CauseDetail.choices, blank=True
    )
    facts = models.TextField(_("facts"), blank=True)
    is_systemic = models.BooleanField(_("systemic"), default=False)
    completed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overdue_at = models.DateTimeField(_("reported overdue at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("negative-feedback analysis")
        verbose_name_plural = _("negative-feedback analyses")
        indexes = [models.Index(fields=["state", "due_at"], name="analysis_due_idx")]

    def __str__(self) -> str:
        return f"analysis of #{self.entry_id}"

    @property
    def is_on_time(self) -> bool:
        return self.completed_at is not None and self.completed_at <= self.due_at

    def is_overdue(self, now: datetime) -> bool:
        return self.completed_at is None and self.due_at < now


class Rectification(models.Model):
    """An item of the rectification ledger (整改台账): a systemic problem, who fixes it by
    when, how the fix is accepted; states 待整改 → 整改中 → 待验收 → 已验收 / 退回.

    ``started_at`` is when the measure began: acceptance compares weekly complaint counts in
    the ``weeks`` before it with those after it."""

    problem = models.CharField(_("problem"), max_length=500)
    owner_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("owner department"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    measures = models.TextField(_("measures"))
    deadline = models.DateTimeField(_("deadline"))
    acceptance_criteria = models.TextField(_("acceptance criteria"))
    state = models.CharField(
        _("state"),
        max_length=24,
        choices=RectificationState.choices,
        default=RectificationState.PENDING,
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    analysis = models.ForeignKey(
        NegativeAnalysis,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    entries = models.ManyToManyField(
        FeedbackEntry, verbose_name=_("linked feedback"), blank=True, related_name="rectifications"
    )
    linked_tickets = models.ManyToManyField(
        "tickets.Ticket", verbose_name=_("linked tickets"), blank=True, related_name="+"
    )
    weeks = models.PositiveSmallIntegerField(_("weeks compared"), default=4)
    started_at = models.DateTimeField(_("measure started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted for acceptance at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        indexes = [
            models.Index(fields=["state", "deadline"], name="rectification_state_idx"),
            models.Index(fields=["created_at", "id"], name="rectification_created_idx"),
        ]

    def __str__(self) -> str:
        return self.problem

    @property
    def is_settled(self) -> bool:
        """Submitted or accepted: nothing more is owed by the deadline."""
        return self.state in (RectificationState.AWAITING_ACCEPTANCE, RectificationState.ACCEPTED)

    @property
    def is_on_time(self) -> bool:
        return self.submitted_at is not None and self.submitted_at <= self.deadline
