from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.tickets.choices import SlaState


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    # The deadline of each collaboration task (协作任务); it has no clock of its own.
    TASK = "task", _("Collaboration task")


# The clock states are the ticket's own SLA states (the ticket keeps a copy of the most
# urgent one), defined once in tickets.
ClockState = SlaState

ACTIVE_STATES = (ClockState.RUNNING, ClockState.WARNING, ClockState.BREACHED)


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    OWNER = 1, _("Owner")
    SUPERVISOR = 2, _("Team supervisor")
    DEPARTMENT_HEAD = 3, _("Department head")
