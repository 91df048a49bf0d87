from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "In progress")
    PENDING_CUSTOMER = "pending_customer", pgettext_lazy("ticket status", "Waiting for customer")
    PENDING_COLLABORATION = (
        "pending_collaboration",
        pgettext_lazy("ticket status", "Waiting for collaboration"),
    )
    SOLVED = "solved", pgettext_lazy("ticket status", "Solved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING_CUSTOMER,
    TicketStatus.PENDING_COLLABORATION,
)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TicketType(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    REQUEST = "request", _("Request")
    AFTER_SALES = "after_sales", _("After-sales")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat")
    API = "api", _("App / API")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    FEISHU = "feishu", _("Feishu")
    SMS = "sms", _("SMS")


class Emotion(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    ANGRY = "angry", _("Angry")


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer message")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")


class SlaState(models.TextChoices):
    """The state of a ticket's most urgent SLA clock (a copy kept by the sla app)."""

    RUNNING = "running", pgettext_lazy("SLA clock", "Running")
    PAUSED = "paused", pgettext_lazy("SLA clock", "Paused")
    WARNING = "warning", pgettext_lazy("SLA clock", "At risk")
    BREACHED = "breached", pgettext_lazy("SLA clock", "Breached")
    MET = "met", pgettext_lazy("SLA clock", "Met")


# ``Ticket.sla_sort_key`` when no clock is due: after every real instant (2**62 is also the
# largest key a page cursor accepts).
NO_SLA_DUE = 2**62


class TaskState(models.TextChoices):
    """A collaboration task (协作任务): asked, answered by the department, or withdrawn."""

    OPEN = "open", pgettext_lazy("collaboration task", "Open")
    ANSWERED = "answered", pgettext_lazy("collaboration task", "Answered")
    CANCELLED = "cancelled", pgettext_lazy("collaboration task", "Cancelled")


class CallBackOutcome(models.TextChoices):
    """What a call-back (回访) found."""

    SATISFIED = "satisfied", _("Reached, satisfied")
    NOT_SATISFIED = "not_satisfied", _("Reached, not satisfied")
    NOT_REACHED = "not_reached", _("Not reached")
