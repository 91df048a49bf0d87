from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.tickets.choices import TicketStatus


class Language(models.TextChoices):
    ZH = "zh", _("Chinese")
    EN = "en", _("English")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class UseKind(models.TextChoices):
    VIEW = "view", _("Viewed")
    INSERT = "insert", _("Inserted into a reply")
    HELPFUL = "helpful", _("Helpful")
    UNHELPFUL = "unhelpful", _("Not helpful")


class Scenario(models.TextChoices):
    GREETING = "greeting", _("Greeting")
    CALMING = "calming", _("Calming an upset customer")
    APOLOGY = "apology", _("Apology")
    SOLUTION = "solution", _("Solution")
    PROGRESS = "progress", _("Progress update")
    DELAY = "delay", _("Delay notice")
    CALLBACK = "callback", _("Call-back")
    CLOSING = "closing", _("Closing")


class AutoAnswerOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered automatically")
    SKIPPED = "skipped", _("Left to an agent")


class SkipReason(models.TextChoices):
    COMPLAINT = "complaint", _("A complaint")
    UPSET = "upset", _("The customer is angry or dissatisfied")
    NOT_INQUIRY = "not_inquiry", _("Not an inquiry")
    NO_ANSWER = "no_answer", _("No answer above the threshold")
    ALREADY_HANDLED = "already_handled", _("An agent replied first")


class HandoverReason(models.TextChoices):
    CUSTOMER_WROTE = "customer_wrote", _("The customer wrote again")
    NOT_HELPFUL = "not_helpful", _("Marked as not helpful")


# The statuses a macro may set: 等待协作 follows the collaboration tasks (opening one puts the
# ticket there), so a macro cannot set it.
MACRO_STATUSES = [
    (value, label)
    for value, label in TicketStatus.choices
    if value != TicketStatus.PENDING_COLLABORATION
]
