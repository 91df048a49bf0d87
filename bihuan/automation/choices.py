"""Choices of the automation app: what starts a rule, what it does, the complaint stages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    """What starts a rule: an event of the log, or time spent in a status (due work)."""

    TICKET_CREATED = "ticket.created", _("A ticket is created")
    TICKET_UPDATED = "ticket.updated", _("A ticket is changed")
    CUSTOMER_REPLIED = "ticket.customer_replied", _("The customer writes")
    STATUS_CHANGED = "ticket.status_changed", _("The status changes")
    TICKET_ASSIGNED = "ticket.assigned", _("The owner changes")
    SLA_WARNING = "sla.warning", _("An SLA target is at risk")
    SLA_BREACHED = "sla.breached", _("An SLA target is missed")
    TASK_OVERDUE = "sla.task_overdue", _("A collaboration task is overdue")
    CALL_BACK_OVERDUE = "ticket.call_back_overdue", _("A call-back is overdue")
    STAGE_OVERDUE = "automation.complaint_stage_overdue", _("A complaint stage is overdue")
    TIME_IN_STATUS = "time.in_status", _("A ticket stays in a status for some time")


# The event verb each event trigger listens to (the customer's message is a message_added).
TRIGGER_VERBS: dict[str, str] = {
    Trigger.TICKET_CREATED: "ticket.created",
    Trigger.TICKET_UPDATED: "ticket.updated",
    Trigger.CUSTOMER_REPLIED: "ticket.message_added",
    Trigger.STATUS_CHANGED: "ticket.status_changed",
    Trigger.TICKET_ASSIGNED: "ticket.assigned",
    Trigger.SLA_WARNING: "sla.warning",
    Trigger.SLA_BREACHED: "sla.breached",
    Trigger.TASK_OVERDUE: "sla.task_overdue",
    Trigger.CALL_BACK_OVERDUE: "ticket.call_back_overdue",
    Trigger.STAGE_OVERDUE: "automation.complaint_stage_overdue",
}


class ActionType(models.TextChoices):
    SET_PRIORITY = "set_priority", _("Set the priority")
    SET_KIND = "set_kind", _("Set the request type")
    SET_STATUS = "set_status", _("Set the status")
    ASSIGN = "assign", _("Assign to")
    SET_QUEUE = "set_queue", _("Move to queue")
    ADD_TAG = "add_tag", _("Add a tag")
    NOTIFY = "notify", _("Notify")
    SEND_TEMPLATE = "send_template", _("Send a reply template")
    CREATE_TASK = "create_task", _("Ask a department (collaboration task)")


class Recipient(models.TextChoices):
    OWNER = "owner", _("the owner")
    SUPERVISOR = "supervisor", _("the queue's supervisor")
    DEPARTMENT_HEAD = "department_head", _("the department head")


class Stage(models.TextChoices):
    """The complaint playbook: 受理 → 诊断 → 方案 → 执行 → 复盘."""

    ACCEPTANCE = "acceptance", _("Acceptance")
    DIAGNOSIS = "diagnosis", _("Diagnosis")
    PLAN = "plan", _("Plan")
    EXECUTION = "execution", _("Execution")
    REVIEW = "review", _("Review")
    DONE = "done", _("Done")


STAGE_ORDER = (Stage.ACCEPTANCE, Stage.DIAGNOSIS, Stage.PLAN, Stage.EXECUTION, Stage.REVIEW)


class PlanKind(models.TextChoices):
    COMPENSATION = "compensation", _("Compensation")
    PROCESS_FIX = "process_fix", _("Process fix")
    EXPLANATION = "explanation", _("Explanation")
