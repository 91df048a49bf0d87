"""Triage: admin rules, routing rules, trained model versions and every decision taken."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.customers.choices import Tier
from bihuan.tickets.choices import Channel, Priority, TicketType
from bihuan.triage.choices import DecisionSource, RuleLanguage, TriageField


def _choice_label(choices: type[models.Choices], value: object) -> str:
    for choice_value, label in choices.choices:
        if choice_value == value:
            return str(label)
    return "" if value in (None, "") else str(value)


class TriageRule(models.Model):
    """Keywords or patterns that point a text to a value of one field.

    ``patterns`` holds one pattern per line: a plain keyword matches as a substring (case
    insensitive), a line starting with ``re:`` is a regular expression. A rule marked
    ``is_always`` wins over the statistical model whatever its confidence.
    """

    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(_("field"), max_length=16, choices=TriageField.choices)
    value = models.CharField(
        _("value"),
        max_length=64,
        help_text=_("A category id, a request type, an urgency (1–4) or an emotion."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=RuleLanguage.choices, default=RuleLanguage.ANY
    )
    patterns = models.TextField(_("patterns"), help_text=_("One keyword or re:pattern per line."))
    weight = models.FloatField(_("weight"), default=1.0)
    is_always = models.BooleanField(_("always wins"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")
        ordering = ["field", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.name}"


class RoutingRule(models.Model):
    """Where tickets go: conditions (all optional, all must hold) → a queue and/or department.

    Rules are tried by ``position``; the first whose conditions all hold routes the ticket.
    """

    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("request type"), max_length=16, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=16, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=RuleLanguage.choices, default=RuleLanguage.ANY
    )
    min_urgency = models.PositiveSmallIntegerField(_("minimum urgency"), null=True, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    required_skills = models.ManyToManyField(
        "accounts.Skill", verbose_name=_("required skills"), blank=True
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    # The conditions' translated labels (the columns hold stable codes without choices).
    @property
    def kind_label(self) -> str:
        return _choice_label(TicketType, self.kind)

    @property
    def channel_label(self) -> str:
        return _choice_label(Channel, self.channel)

    @property
    def customer_tier_label(self) -> str:
        return _choice_label(Tier, self.customer_tier)

    @property
    def min_urgency_label(self) -> str:
        return _choice_label(Priority, self.min_urgency)


class ModelVersion(models.Model):
    """One trained statistical model for one field; the previous ones are kept for rollback."""

    field = models.CharField(_("field"), max_length=16, choices=TriageField.choices)
    version = models.CharField(_("version"), max_length=64, unique=True)
    path = models.CharField(max_length=500)
    trained_at = models.DateTimeField(_("trained at"))
    sample_count = models.PositiveIntegerField(_("samples"))
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["field"],
                condition=models.Q(is_active=True),
                name="one_active_model_per_field",
            )
        ]

    def __str__(self) -> str:
        return self.version


class TriageDecision(models.Model):
    """What triage decided for one field of one ticket, why, and whether an agent agreed."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="triage_decisions"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(_("field"), max_length=16, choices=TriageField.choices)
    value = models.CharField(_("value"), max_length=64)
    confidence = models.FloatField(_("confidence"))
    source = models.CharField(_("source"), max_length=16, choices=DecisionSource.choices)
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    is_applied = models.BooleanField(_("applied"), default=False)
    created_at = models.DateTimeField(_("created at"))
    corrected_value = models.CharField(_("corrected to"), max_length=64, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("triage decision")
        verbose_name_plural = _("triage decisions")
        # A message is triaged once per field, whatever runs twice or races (reactions are
        # handled at least once): the database refuses the second decision.
        constraints = [
            models.UniqueConstraint(fields=["message", "field"], name="decision_once_per_message")
        ]
        indexes = [
            models.Index(fields=["ticket", "field", "id"], name="decision_ticket_idx"),
            models.Index(fields=["field", "created_at"], name="decision_field_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.field}={self.value} ({self.confidence:.2f})"

    @property
    def is_corrected(self) -> bool:
        return self.corrected_at is not None

    @property
    def final_value(self) -> str:
        return self.corrected_value if self.is_corrected else self.value


class OrderNumberPattern(models.Model):
    """An admin's regular expression that recognises an order or tracking number in
    messages (淘宝订单号, 顺丰运单号…).

    ``regex`` is a Python regular expression; the number is its named group ``number`` when
    it has one (so the pattern may require a keyword around it: ``京东订单\\D{0,6}(?P<number>
    \\d{10,13})``), else the whole match. ``example`` is a text the pattern must find a number
    in: the service refuses a pattern that finds nothing in its own example.
    """

    name = models.CharField(_("name"), max_length=100)
    regex = models.CharField(_("regular expression"), max_length=300)
    example = models.CharField(_("example"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("order number pattern")
        verbose_name_plural = _("order number patterns")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class OrderNumberMention(models.Model):
    """An order or tracking number found in one message by one pattern (once per message
    and number). The customer's numbers are read through the ticket, so they follow the
    ticket when customers are merged."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("message")
    )
    pattern = models.ForeignKey(
        OrderNumberPattern,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
        verbose_name=_("pattern"),
    )
    # The pattern's name when the number was found: kept if the pattern is renamed or deleted.
    label = models.CharField(_("kind"), max_length=100)
    number = models.CharField(_("number"), max_length=100)
    created_at = models.DateTimeField(_("found at"))

    class Meta:
        verbose_name = _("order number mention")
        verbose_name_plural = _("order number mentions")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "number"], name="order_number_once_per_message"
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "id"], name="order_number_ticket_idx"),
            models.Index(fields=["number"], name="order_number_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.number}"
