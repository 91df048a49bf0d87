"""Stable values of the phone and SMS channel, with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CallDirection(models.TextChoices):
    INBOUND = "inbound", pgettext_lazy("phone call", "Incoming")
    OUTBOUND = "outbound", pgettext_lazy("phone call", "Outgoing")


class CallEventKind(models.TextChoices):
    """What a call-centre reports of one call: it rang, someone answered, it ended."""

    STARTED = "started", pgettext_lazy("phone call", "Started")
    ANSWERED = "answered", pgettext_lazy("phone call", "Answered")
    ENDED = "ended", pgettext_lazy("phone call", "Ended")


class SmsProviderKind(models.TextChoices):
    ALIYUN = "aliyun", _("Aliyun SMS")
    TENCENT = "tencent", _("Tencent Cloud SMS")
    GENERIC = "generic", _("HTTP gateway")


class SmsStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("SMS delivery", "Queued")
    SENT = "sent", pgettext_lazy("SMS delivery", "Sent")
    DELIVERED = "delivered", pgettext_lazy("SMS delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("SMS delivery", "Failed")


class SmsPurpose(models.TextChoices):
    REPLY = "reply", _("Reply on a ticket")
    TEST = "test", _("Test message")
    SURVEY = "survey", _("Survey invitation")
