"""Stable values (English) with translated labels for the feedback domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT")
    NPS = "nps", _("NPS")
    CAMPAIGN = "campaign", _("Campaign survey")


class QuestionKind(models.TextChoices):
    """The kinds of question a campaign survey (季度回访调研) may ask."""

    RATING = "rating", _("Rating 1–5")
    NPS = "nps", _("Recommendation 0–10 (NPS)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class CampaignState(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("campaign survey", "Scheduled")
    SENT = "sent", pgettext_lazy("campaign survey", "Sent")
    CANCELLED = "cancelled", pgettext_lazy("campaign survey", "Cancelled")


class InvitationState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("survey invitation", "Waiting to be sent")
    SENT = "sent", pgettext_lazy("survey invitation", "Sent")
    ANSWERED = "answered", pgettext_lazy("survey invitation", "Answered")
    FAILED = "failed", pgettext_lazy("survey invitation", "Not sent")
    OPTED_OUT = "opted_out", pgettext_lazy("survey invitation", "Customer opted out")


class DeliveryChoice(models.TextChoices):
    """How a survey's invitations reach the customer: a setting per survey (CSAT, NPS, each
    campaign). Without an address for the choice the others are tried in turn."""

    TICKET_CHANNEL = "ticket_channel", _("On the ticket's channel")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class DeliveryRoute(models.TextChoices):
    """The route one invitation (and its reminder) took."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Chat")
    WECOM = "wecom", _("WeCom")
    WECHAT = "wechat", _("WeChat")
    FEISHU = "feishu", _("Feishu")
    DINGTALK = "dingtalk", _("DingTalk")


# Routes that are a message on the ticket's conversation (a reply on that channel).
CONVERSATION_ROUTES = (
    DeliveryRoute.CHAT,
    DeliveryRoute.WECOM,
    DeliveryRoute.WECHAT,
    DeliveryRoute.FEISHU,
    DeliveryRoute.DINGTALK,
)


class DeliveryState(models.TextChoices):
    """What became of one invitation message: queued on its channel, handed over, delivered
    (an SMS receipt), failed (with the reason). ``sending``: an email being handed to the
    mail server (a crash there is never followed by a second mail)."""

    SENDING = "sending", pgettext_lazy("survey delivery", "Being sent")
    QUEUED = "queued", pgettext_lazy("survey delivery", "Queued")
    SENT = "sent", pgettext_lazy("survey delivery", "Sent")
    DELIVERED = "delivered", pgettext_lazy("survey delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("survey delivery", "Failed")


class ResponseSource(models.TextChoices):
    SURVEY_LINK = "survey_link", _("Survey link")
    PORTAL = "portal", _("Customer portal")
    AGENT = "agent", _("Entered by an agent")


class EntryKind(models.TextChoices):
    """The register's types (咨询/投诉/建议/表扬) and internal feedback (内部反馈)."""

    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")
    INTERNAL = "internal", _("Internal feedback")


class EntrySource(models.TextChoices):
    SURVEY = "survey", _("Survey")
    TICKET = "ticket", _("Ticket")
    COMMUNITY = "community", _("Community message")
    CALLBACK = "callback", _("Phone callback")
    OTHER = "other", _("Other (typed by an agent)")
    INTERNAL = "internal", _("Flagged by an agent")


# The sources an agent may choose for a hand entry.
HAND_SOURCES = (EntrySource.COMMUNITY, EntrySource.CALLBACK, EntrySource.OTHER)


class InternalTopic(models.TextChoices):
    RECURRING_QUESTION = "recurring_question", _("Recurring question")
    CONFUSING_TERM = "confusing_term", _("Confusing term")
    MISSING_ARTICLE = "missing_article", _("Missing or outdated article")
    OTHER = "other", _("Other")


class AnalysisState(models.TextChoices):
    OPEN = "open", pgettext_lazy("analysis", "Open")
    DONE = "done", pgettext_lazy("analysis", "Done")


class CauseCategory(models.TextChoices):
    """人/货/场: people, product, place."""

    PEOPLE = "people", _("People (人)")
    PRODUCT = "product", _("Product (货)")
    PLACE = "place", _("Place (场)")


class CauseDetail(models.TextChoices):
    STAFF_BEHAVIOUR = "staff_behaviour", _("Staff behaviour")
    STAFF_SKILL = "staff_skill", _("Staff skill")
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    PRICE = "price", _("Price")
    PROCESS = "process", _("Process")
    CHANNEL = "channel", _("Channel")
    LOGISTICS = "logistics", _("Logistics")
    POLICY = "policy", _("Policy")


CAUSE_DETAILS: dict[str, tuple[str, ...]] = {
    CauseCategory.PEOPLE: (CauseDetail.STAFF_BEHAVIOUR, CauseDetail.STAFF_SKILL),
    CauseCategory.PRODUCT: (CauseDetail.PRODUCT_QUALITY, CauseDetail.PRICE),
    CauseCategory.PLACE: (
        CauseDetail.PROCESS,
        CauseDetail.CHANNEL,
        CauseDetail.LOGISTICS,
        CauseDetail.POLICY,
    ),
}


class RectificationState(models.TextChoices):
    """整改台账: 待整改 → 整改中 → 待验收 → 已验收 / 退回."""

    PENDING = "pending", pgettext_lazy("rectification", "To rectify")
    IN_PROGRESS = "in_progress", pgettext_lazy("rectification", "In progress")
    AWAITING_ACCEPTANCE = (
        "awaiting_acceptance",
        pgettext_lazy("rectification", "Awaiting acceptance"),
    )
    ACCEPTED = "accepted", pgettext_lazy("rectification", "Accepted")
    RETURNED = "returned", pgettext_lazy("rectification", "Returned")


# Allowed moves of a rectification: state → states it may go to.
RECTIFICATION_MOVES: dict[str, tuple[str, ...]] = {
    RectificationState.PENDING: (RectificationState.IN_PROGRESS,),
    RectificationState.IN_PROGRESS: (RectificationState.AWAITING_ACCEPTANCE,),
    RectificationState.AWAITING_ACCEPTANCE: (
        RectificationState.ACCEPTED,
        RectificationState.RETURNED,
    ),
    RectificationState.RETURNED: (RectificationState.IN_PROGRESS,),
    RectificationState.ACCEPTED: (),
}
# States in which the owner still owes the fix (the deadline can be missed).
OPEN_RECTIFICATION_STATES = (
    RectificationState.PENDING,
    RectificationState.IN_PROGRESS,
    RectificationState.RETURNED,
)


class ReportDimension(models.TextChoices):
    NONE = "", _("Overall")
    TEAM = "team", _("Queue")
    AGENT = "agent", _("Agent")
    CHANNEL = "channel", _("Channel")
    CATEGORY = "category", _("Category")
    DEPARTMENT = "department", _("Department")
    TIER = "tier", _("Customer tier")
