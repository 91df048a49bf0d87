"""Tickets, their messages, categories and key commitments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bihuan.tickets.choices import (
    NO_SLA_DUE,
    CallBackOutcome,
    Channel,
    Emotion,
    MessageKind,
    Priority,
    SlaState,
    TaskState,
    TicketStatus,
    TicketType,
)


class Category(models.Model):
    """A node of the admin-defined category tree (退款/退货 › 仅退款)."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(
        _("English name"),
        max_length=100,
        blank=True,
        help_text=_("Shown instead of the name when the interface is in English (optional)."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_in_parent")
        ]

    def __str__(self) -> str:
        if self.parent_id and self.parent:
            return f"{self.parent.label} › {self.label}"
        return self.label

    @property
    def label(self) -> str:
        """The name in the interface language: the English name in English, if one is set."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Ticket(models.Model):
    """A customer contact and everything done about it (工单).

    The ticket number is its primary key. ``owner`` is the one person who speaks for the
    company (首问负责制). Status changes follow ``tickets.state_machine``; ``closed`` is final.
    """

    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(
        _("status"), max_length=24, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    kind = models.CharField(
        _("type"), max_length=16, choices=TicketType.choices, default=TicketType.INQUIRY
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    shared_departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("shared with departments"),
        blank=True,
        related_name="shared_tickets",
    )
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followers"),
        blank=True,
        related_name="followed_tickets",
    )
    tags = models.ManyToManyField("core.Tag", verbose_name=_("tags"), blank=True)
    emotion = models.CharField(_("emotion"), max_length=16, choices=Emotion.choices, blank=True)
    need_statement = models.TextField(_("confirmed need"), blank=True)
    is_need_confirmed = models.BooleanField(_("need confirmed by customer"), default=False)
    solution = models.TextField(_("solution"), blank=True)
    subject_tokens = models.TextField(blank=True, editable=False)
    message_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A copy of the ticket's most urgent SLA clock, written by the sla app through
    # ``services.set_sla_status`` so that lists show and sort by it without joining its tables.
    sla_state = models.CharField(
        _("SLA state"), max_length=16, choices=SlaState.choices, blank=True, default=""
    )
    sla_due_at = models.DateTimeField(_("next SLA due time"), null=True, blank=True)
    # ``sla_due_at`` in epoch seconds, or beyond any instant when no clock runs: the non-null
    # key that keyset pagination sorts by ("time to next breach").
    sla_sort_key = models.BigIntegerField(default=NO_SLA_DUE, editable=False)
    close_reason = models.CharField(
        _("reason for closing without a call-back"), max_length=500, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["updated_at", "id"], name="ticket_updated_idx"),
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            models.Index(fields=["status", "updated_at", "id"], name="ticket_status_idx"),
            models.Index(
                fields=["owner", "status", "updated_at", "id"], name="ticket_owner_status_idx"
            ),
            models.Index(
                fields=["team", "status", "updated_at", "id"], name="ticket_team_status_idx"
            ),
            models.Index(
                fields=["department", "status", "updated_at", "id"], name="ticket_dept_status_idx"
            ),
            models.Index(fields=["customer", "created_at"], name="ticket_customer_idx"),
            models.Index(fields=["status", "sla_sort_key", "id"], name="ticket_sla_due_idx"),
            # The "SLA at risk" view (its list and its count) without reading every open ticket.
            models.Index(
                fields=["status", "updated_at", "id"],
                name="ticket_at_risk_idx",
                condition=models.Q(sla_state__in=["warning", "breached"]),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> int:
        return int(self.pk)

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED


class Message(models.Model):
    """One message on a ticket: from the customer, a reply to them, or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    body = models.TextField(_("body"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    search_tokens = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "id"], name="message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind != MessageKind.NOTE


class Commitment(models.Model):
    """A key commitment made to the customer (关键承诺): what, due when, kept or cancelled
    (with a reason) or still open. A ticket closes only when all are kept or cancelled."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="commitments")
    description = models.CharField(_("commitment"), max_length=500)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["done_at", "due_at"], name="commitment_due_idx")]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_settled(self) -> bool:
        """Kept or cancelled: nothing more is owed to the customer."""
        return self.done_at is not None or self.cancelled_at is not None


class CollaborationTask(models.Model):
    """协作任务: part of a ticket sent to another department, with an owner there and a
    deadline. The ticket's owner stays the customer's one contact; the department answers the
    task, never the customer. ``due_at`` is set by the sla app from the policy's task target
    (null until it has, or when no policy has one). While a task is open the ticket waits for
    collaboration (等待协作) and cannot be solved or closed."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="collaboration_tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner in the department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="collaboration_tasks",
    )
    description = models.TextField(_("what is asked"))
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    overdue_at = models.DateTimeField(_("escalated as overdue at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("collaboration task")
        verbose_name_plural = _("collaboration tasks")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["department", "state", "id"], name="task_department_idx"),
            models.Index(fields=["ticket", "state"], name="task_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} → {self.department_id}: {self.description[:40]}"

    @property
    def is_open(self) -> bool:
        return self.state == TaskState.OPEN

    @property
    def key(self) -> str:
        """The key of this task's due work (its overdue escalation)."""
        return f"tickets.task:{self.pk}"


class CallBackPurpose(models.TextChoices):
    """Why a call-back is owed: the 24-hour follow-up (回访) of a solved ticket, or returning
    a call the customer made that nobody answered (the phone channel's)."""

    FOLLOW_UP = "follow_up", _("Follow-up after solving")
    MISSED_CALL = "missed_call", _("Returning a missed call")


class CallBack(models.Model):
    """回访: one attempt to call the customer back after the ticket was solved, due 24 hours
    after solving (a retry after a missed call is a new attempt), or — ``purpose``
    ``missed_call`` — to return a call nobody answered. Open while ``outcome`` is empty and
    it is not cancelled; a satisfied outcome lets the ticket close. A ticket has at most one
    open follow-up; an open missed-call call-back never stands in for it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="call_backs")
    purpose = models.CharField(
        _("purpose"),
        max_length=16,
        choices=CallBackPurpose.choices,
        default=CallBackPurpose.FOLLOW_UP,
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    due_at = models.DateTimeField(_("due at"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=CallBackOutcome.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "done_at"], name="callback_ticket_idx")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} call-back {self.attempt}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.cancelled_at is None

    @property
    def key(self) -> str:
        """The key of this call-back's due work (reminder, escalation)."""
        return f"tickets.call_back:{self.pk}"


class TicketLink(models.Model):
    """Two related tickets (the same incident, a follow-up): stored once, lower number first."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    other = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "other"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=models.Q(ticket__lt=models.F("other")), name="ticket_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} ↔ #{self.other_id}"
