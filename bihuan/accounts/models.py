"""Users, roles, departments, teams (queues) and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.choices import AssignmentStrategy, Availability, Role


class Department(models.Model):
    """An organisational unit (客服部, 技术部, 售后部, 物流部) with one head."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    head = models.ForeignKey(
        "accounts.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something an agent is able to handle: a language (英语), a product line, VIP service."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A queue of tickets worked by its members (e.g. 售前咨询组, 投诉处理组).

    ``assignment_strategy`` decides who gets a new ticket of the queue; every strategy only
    picks members who are online and below their capacity.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="teams",
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), related_name="teams", blank=True
    )
    assignment_strategy = models.CharField(
        _("assignment strategy"),
        max_length=16,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.MANUAL,
    )
    supervisor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_teams",
        help_text=_("Receives the queue's SLA escalations after the ticket's owner."),
    )
    offline_release_minutes = models.PositiveIntegerField(
        _("offer tickets again after the owner is offline for (minutes)"),
        default=30,
        help_text=_("0 keeps tickets with their owner whatever their availability."),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. ``role`` decides what they see and may do."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.AGENT)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True)
    availability = models.CharField(
        _("availability"),
        max_length=16,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    availability_changed_at = models.DateTimeField(
        _("availability changed at"), null=True, blank=True
    )
    max_open_tickets = models.PositiveIntegerField(_("maximum open tickets"), default=30)
    max_concurrent_chats = models.PositiveIntegerField(_("maximum concurrent chats"), default=5)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def sees_everything(self) -> bool:
        return self.is_admin or self.role == Role.SUPERVISOR


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
