from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT_MEMBER = "department_member", _("Department member")
    ADVISOR = "advisor", _("Customer-success advisor")
    ADMIN = "admin", _("Administrator")


class Availability(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", _("Manual pick")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Least open tickets")
    SKILLS = "skills", _("Skills-based")
