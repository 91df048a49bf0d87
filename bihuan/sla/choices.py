from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.tickets.choices import SlaState


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    # The deadline of each collaboration task (协作任务); it has no clock of its own.
    TASK = "task", _("Collaboration task")
    # The complaint playbook (受理 → 诊断 → 方案 → 执行 → 复盘): how long each stage may take
    # from its start, and by when the customer must have had a progress update after the
    # complaint was accepted. Read by the playbook (``playbook_due``); no clock of their own.
    STAGE_ACCEPTANCE = "stage_acceptance", _("Complaint stage: acceptance")
    STAGE_DIAGNOSIS = "stage_diagnosis", _("Complaint stage: diagnosis")
    STAGE_PLAN = "stage_plan", _("Complaint stage: plan")
    STAGE_EXECUTION = "stage_execution", _("Complaint stage: execution")
    STAGE_REVIEW = "stage_review", _("Complaint stage: review")
    PROGRESS_UPDATE = "progress_update", _("Complaint: first progress update")


# The playbook's targets, in stage order (the last one is the progress update's).
PLAYBOOK_METRICS = (
    Metric.STAGE_ACCEPTANCE,
    Metric.STAGE_DIAGNOSIS,
    Metric.STAGE_PLAN,
    Metric.STAGE_EXECUTION,
    Metric.STAGE_REVIEW,
    Metric.PROGRESS_UPDATE,
)


# The clock states are the ticket's own SLA states (the ticket keeps a copy of the most
# urgent one), defined once in tickets.
ClockState = SlaState

ACTIVE_STATES = (ClockState.RUNNING, ClockState.WARNING, ClockState.BREACHED)


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    OWNER = 1, _("Owner")
    SUPERVISOR = 2, _("Team supervisor")
    DEPARTMENT_HEAD = 3, _("Department head")
