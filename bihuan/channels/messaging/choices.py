from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    """The messaging platforms; the values are those of ``tickets.choices.Channel``."""

    WECOM = "wecom", _("WeCom customer service")
    WECHAT = "wechat", _("WeChat Official Account")
    FEISHU = "feishu", _("Feishu / Lark")
    DINGTALK = "dingtalk", _("DingTalk")


class Direction(models.TextChoices):
    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")


class DeliveryState(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
