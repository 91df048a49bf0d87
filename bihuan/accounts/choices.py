from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT_MEMBER = "department_member", _("Department member")
    ADVISOR = "advisor", _("Customer-success advisor")
    ADMIN = "admin", _("Administrator")
