from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """WeCom customer service, WeChat Official Account, Feishu/Lark and DingTalk."""

    name = "bihuan.channels.messaging"
    label = "bihuan_messaging"
    verbose_name = _("Messaging platforms")
