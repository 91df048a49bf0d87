"""Automation rules, their runs (which events a rule caused), and complaint playbooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.automation.choices import PlanKind, Stage, Trigger


class AutomationRule(models.Model):
    """On ``trigger`` (an event verb, or time spent in ``wait_status``), when every condition
    holds for the ticket, do ``actions`` in order.

    ``conditions`` maps a ticket field to the value it must have (``kind``, ``priority``,
    ``channel``, ``category``, ``tag``, ``customer_tier``, ``status``); a missing key matches
    anything. ``actions`` is a list of ``{"type": ActionType, "value": …}``. Rules are tried
    by ``position``.
    """

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("when"), max_length=40, choices=Trigger.choices)
    wait_status = models.CharField(_("status waited in"), max_length=24, blank=True)
    wait_hours = models.PositiveIntegerField(_("hours in that status"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["trigger", "is_active"], name="automation_rule_trigger_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_time_based(self) -> bool:
        return self.trigger == Trigger.TIME_IN_STATUS


class RuleRun(models.Model):
    """One firing of a rule on a ticket: what started it (an event, or its timer), the rules
    that led to it (``chain``, the rule's own id last) and what each action did."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    ticket_id = models.BigIntegerField()
    trigger_key = models.CharField(max_length=64)  # "event:<id>" or "timer:<due item id>"
    chain = models.JSONField(default=list)
    outcomes = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        constraints = [
            models.UniqueConstraint(fields=["rule", "trigger_key"], name="rule_run_once")
        ]
        indexes = [models.Index(fields=["ticket_id", "id"], name="rule_run_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} on #{self.ticket_id}"


class CausedEvent(models.Model):
    """Marks an event written by a rule's action with the chain of rules that caused it, so
    that a rule never fires again on what it (or a rule it started) caused."""

    event_id = models.BigIntegerField(unique=True)
    run = models.ForeignKey(RuleRun, on_delete=models.CASCADE, related_name="caused")
    chain = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.event_id} ← {self.chain}"


class Complaint(models.Model):
    """The complaint playbook of one ticket (投诉): its current stage and what each recorded.

    The diagnosis keeps the three questions (what happened and where; what the customer
    expects; whether it happened before, found in the customer's history); the plan its kind
    and the options offered; the review its lesson. ``progress_sent_at`` is the first
    progress update that reached the customer after acceptance.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="complaint"
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.ACCEPTANCE
    )
    what_where = models.TextField(_("what happened, and where"), blank=True)
    expectation = models.TextField(_("what the customer expects"), blank=True)
    has_happened_before = models.BooleanField(_("happened before"), null=True, blank=True)
    earlier_tickets = models.JSONField(_("earlier complaints"), default=list, blank=True)
    plan_kind = models.CharField(
        _("kind of plan"), max_length=16, choices=PlanKind.choices, blank=True
    )
    plan_options = models.TextField(_("options offered"), blank=True)
    execution_note = models.TextField(_("what was done"), blank=True)
    lesson = models.TextField(_("lesson"), blank=True)
    progress_sent_at = models.DateTimeField(_("progress update sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["stage", "id"], name="complaint_stage_idx")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.stage}"


class ComplaintStep(models.Model):
    """One stage of a complaint: who owns it, when it is due, when it was done or escalated."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"))
    # From the ticket's SLA policy (or the agent); empty when the policy sets no such target.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint stage")
        verbose_name_plural = _("complaint stages")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "stage"], name="complaint_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.stage}"

    @property
    def is_overdue(self) -> bool:
        return self.escalated_at is not None and self.completed_at is None
