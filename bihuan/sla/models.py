"""Business calendars, SLA policies with their targets, and one clock per ticket target."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.sla.choices import ClockState, EscalationLevel, Metric

WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]


class BusinessCalendar(models.Model):
    """When the company counts time: weekly hours, official Chinese holidays and make-up
    workdays (调休), dated exceptions, or always open (24/7). See ``business_hours``."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    is_always_open = models.BooleanField(
        _("open 24/7"), default=False, help_text=_("Every minute counts: hours are ignored.")
    )
    uses_official_holidays = models.BooleanField(
        _("official holidays and make-up workdays"),
        default=True,
        help_text=_("Mainland China's public holidays and 调休 days, where known."),
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="calendar_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One open interval of a weekday (two rows make a lunch break)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class CalendarDay(models.Model):
    """A dated exception: a company day off, an extra working day, or an official day of a
    year the package does not know yet. Without hours a working day has the weekday hours."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    day = models.DateField(_("date"))
    is_working = models.BooleanField(_("working day"), default=False)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="calendar_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.note}"


class SlaPolicy(models.Model):
    """Targets for the tickets matching its conditions; the first active policy in admin
    order (``position``) whose every condition matches is the ticket's. An empty condition
    matches everything."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    kinds = models.JSONField(_("types"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    categories = models.ManyToManyField(
        "tickets.Category", verbose_name=_("categories"), blank=True, related_name="+"
    )
    organisations = models.ManyToManyField(
        "customers.Organisation", verbose_name=_("organisations"), blank=True, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warn at (% of the target)"),
        default=75,
    )
    escalation_minutes = models.PositiveIntegerField(
        _("escalate to the next level after (business minutes)"), default=30
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """How long one metric may take under a policy, counted in a calendar (the policy's by
    default)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the policy's calendar."),
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="target_one_per_metric"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.get_metric_display()} {self.minutes}"


class SlaClock(models.Model):
    """One target of one ticket: its state, its due instant, and how much business time it
    has used. ``elapsed_seconds`` is the time used before ``running_since`` (pauses are not
    counted); while paused ``due_at`` is null. A completed clock keeps ``breached_at``."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    warn_at_percent = models.PositiveSmallIntegerField(default=75)
    state = models.CharField(_("state"), max_length=16, choices=ClockState.choices)
    started_at = models.DateTimeField(_("started at"))
    running_since = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalated to"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["ticket", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="clock_one_per_metric")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="clock_state_due_idx")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric} {self.state}"

    @property
    def due_key(self) -> str:
        """The key of this clock's due work (warning, breach, escalation)."""
        return f"sla.clock:{self.pk}"
