"""Messaging platform accounts and the messages exchanged through them."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bihuan.channels.messaging.choices import DeliveryState, Direction, Platform
from bihuan.channels.secrets import EncryptedCharField


class PlatformAccount(models.Model):
    """One configured app on one platform: a WeCom customer-service account, an Official
    Account, a Feishu app or a DingTalk app (robot).

    ``app_id`` is the WeCom corp id, the Official Account's AppID, the Feishu App ID or the
    DingTalk AppKey; ``secret``, ``token`` (callback token / Feishu verification token) and
    ``aes_key`` (EncodingAESKey / Feishu Encrypt Key) are stored encrypted. ``base_url`` is
    the platform's API address (tests point it at a loopback server). ``callback_key`` names
    the account in its public callback URL. ``sync_cursor`` is WeCom's ``kf/sync_msg`` cursor,
    advanced in the transaction of each stored batch.
    """

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100)
    app_id = models.CharField(_("app id"), max_length=128)
    secret = EncryptedCharField(
        _("secret"), max_length=1000, blank=True, validators=[MaxLengthValidator(256)]
    )
    token = EncryptedCharField(
        _("token"), max_length=1000, blank=True, validators=[MaxLengthValidator(256)]
    )
    aes_key = EncryptedCharField(
        _("encryption key"), max_length=1000, blank=True, validators=[MaxLengthValidator(256)]
    )
    open_kfid = models.CharField(_("customer-service account id"), max_length=128, blank=True)
    robot_code = models.CharField(_("robot code"), max_length=128, blank=True)
    base_url = models.URLField(_("API address"), max_length=255)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    callback_key = models.CharField(_("callback key"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    sync_cursor = models.CharField(max_length=255, blank=True, default="")
    last_test_ok = models.BooleanField(null=True, default=None)
    last_test_message = models.CharField(max_length=500, blank=True, default="")
    last_tested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("messaging account")
        verbose_name_plural = _("messaging accounts")

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.name}"


class PlatformMessage(models.Model):
    """A message received from or sent to a platform.

    Inbound: ``platform_message_id`` (the platform's own id) is unique per account, so a
    repeated callback or sync finds the stored row and changes nothing. Outbound: one row per
    agent reply (``ticket_message`` unique), with its delivery state.
    """

    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    platform_message_id = models.CharField(max_length=191, blank=True, default="")
    peer_id = models.CharField(_("platform user id"), max_length=191)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=16, choices=DeliveryState.choices)
    # A reply's parts done so far ("sent": "text" and file ids; "media": file id → the
    # platform's media key), so that a retried delivery neither uploads nor sends twice.
    progress = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "direction", "platform_message_id"],
                condition=~Q(platform_message_id=""),
                name="platform_message_once",
            ),
            models.UniqueConstraint(
                fields=["ticket_message"],
                condition=Q(direction="out"),
                name="platform_reply_once",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "direction", "id"], name="platform_message_ticket_idx")
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.platform_message_id or self.pk}"


class PlatformContact(models.Model):
    """What a platform told about one of its users (a customer writing to the account): the
    name, avatar and unionid from its profile API, asked once per new user.

    ``fetched_at`` is empty while the platform has not answered (the call failed: the
    ``messaging.fetch_profiles`` due work asks again); the messages themselves never wait for
    it. The unionid names the same WeChat user across the apps of one open-platform account.
    """

    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="+")
    peer_id = models.CharField(_("platform user id"), max_length=191)
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    avatar_url = models.CharField(max_length=500, blank=True, default="")
    union_id = models.CharField(max_length=191, blank=True, default="")
    fetched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "peer_id"], name="platform_contact_once")
        ]
        indexes = [
            models.Index(fields=["account", "fetched_at"], name="platform_contact_pending_idx")
        ]

    def __str__(self) -> str:
        return self.name or self.peer_id
