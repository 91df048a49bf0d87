"""Phone calls (from the call-centre webhook or logged by hand) and SMS in and out.

Secrets (the call-centre's webhook secret, each provider's keys) are ``EncryptedCharField``:
only their Fernet tokens are stored.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from bihuan.channels.phone.choices import CallDirection, SmsProviderKind, SmsPurpose, SmsStatus
from bihuan.channels.secrets import EncryptedCharField


class CtiSettings(models.Model):
    """The call-centre webhook's settings (one row): its signing secret and how long, in
    business minutes of the default calendar, a missed call may wait for its call-back."""

    webhook_secret = EncryptedCharField(max_length=500, blank=True, default="")
    call_back_minutes = models.PositiveIntegerField(default=120)
    updated_at = models.DateTimeField(null=True, blank=True)
    # The last "send a test event" (the settings page's button): when, and what came back.
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_result = models.CharField(max_length=500, blank=True, default="")

    def __str__(self) -> str:
        return "CTI settings"


class CtiDelivery(models.Model):
    """One request to the call-centre webhook and what we answered (accepted, or refused
    and why), so an admin can see whether the call-centre reaches us and signs correctly.

    Only the last ``services.KEEP_DELIVERIES`` rows are kept; the body is never stored (a
    forged request's content is not ours to keep)."""

    received_at = models.DateTimeField()
    accepted = models.BooleanField()
    status_code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=200, blank=True, default="")
    call_id = models.CharField(max_length=128, blank=True, default="")
    event = models.CharField(max_length=16, blank=True, default="")
    is_test = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["-received_at", "-id"], name="phone_cti_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.status_code} {self.call_id or self.reason}"


class CallRecord(models.Model):
    """One phone call with a customer, on a ticket's timeline.

    ``call_id`` is the call-centre's id (unique when given; empty for a call an agent logged
    by hand). A call ended without being answered is a missed call."""

    call_id = models.CharField(max_length=128, blank=True, default="")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="call_records"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="call_records"
    )
    direction = models.CharField(max_length=16, choices=CallDirection.choices)
    caller = models.CharField(max_length=32, blank=True, default="")
    callee = models.CharField(max_length=32, blank=True, default="")
    agent = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent_ref = models.CharField(max_length=150, blank=True, default="")
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(max_length=1000, blank=True, default="")
    note = models.TextField(blank=True, default="")
    is_manual = models.BooleanField(default=False)
    logged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["call_id"], condition=~Q(call_id=""), name="phone_call_id_unique"
            )
        ]
        indexes = [models.Index(fields=["ticket", "started_at"], name="phone_call_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.direction} call {self.call_id or self.pk}"

    @property
    def is_missed(self) -> bool:
        return self.ended_at is not None and self.answered_at is None


class MissedCallBack(models.Model):
    """The call-back task (a tickets ``CallBack``) of one caller's missed calls: a repeated
    missed call from the same number while it is open adds to it (``missed_calls``); a
    missed call after it was done or cancelled opens a new one."""

    call_back = models.OneToOneField(
        "tickets.CallBack", on_delete=models.CASCADE, related_name="missed_call"
    )
    phone = models.CharField(max_length=32)
    missed_calls = models.PositiveIntegerField(default=1)
    first_missed_at = models.DateTimeField()
    last_missed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["phone", "-id"], name="phone_missed_cb_phone_idx")]

    def __str__(self) -> str:
        return f"call-back {self.call_back_id} ({self.missed_calls} missed)"


class CallEventReceipt(models.Model):
    """A call event taken in, once per (call id, event): a repeated delivery is a no-op."""

    call_id = models.CharField(max_length=128)
    event = models.CharField(max_length=16)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call_id", "event"], name="phone_call_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.call_id}:{self.event}"


class WebhookNonce(models.Model):
    """The digest of each signed webhook request accepted in the last minutes: the same
    request sent again (a replay) is refused."""

    digest = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.digest[:12]


class SmsProvider(models.Model):
    """One SMS provider's account (at most one row per kind; one active at a time).

    Aliyun: access key id/secret, sign name, template code (its variable ``content``
    carries the text). Tencent: SecretId/SecretKey, SmsSdkAppId, sign name, template id
    (its one parameter carries the text), region. HTTP gateway: URL and shared secret.
    ``webhook_secret`` signs the inbound-SMS and delivery-receipt webhooks."""

    kind = models.CharField(max_length=16, choices=SmsProviderKind.choices, unique=True)
    is_active = models.BooleanField(default=False)
    base_url = models.URLField(max_length=500)
    access_key_id = models.CharField(max_length=200, blank=True, default="")
    access_key_secret = EncryptedCharField(max_length=500, blank=True, default="")
    sign_name = models.CharField(max_length=100, blank=True, default="")
    template_code = models.CharField(max_length=100, blank=True, default="")
    sdk_app_id = models.CharField(max_length=100, blank=True, default="")
    region = models.CharField(max_length=50, blank=True, default="")
    webhook_secret = EncryptedCharField(max_length=500, blank=True, default="")
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_result = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(SmsProviderKind(self.kind).label)


class OutboundSms(models.Model):
    """An SMS we send (a reply on a ticket, a test), with its delivery state and receipt."""

    message = models.OneToOneField(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_sms",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    purpose = models.CharField(max_length=16, choices=SmsPurpose.choices)
    to_number = models.CharField(max_length=32)
    body = models.TextField()
    segments = models.PositiveSmallIntegerField()
    provider_kind = models.CharField(max_length=16, blank=True, default="")
    provider_message_id = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["provider_kind", "provider_message_id"], name="phone_sms_provider_id_idx"
            )
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} ({self.status})"


class InboundSms(models.Model):
    """An SMS a customer sent, stored once per provider message id."""

    provider_kind = models.CharField(max_length=16, choices=SmsProviderKind.choices)
    provider_message_id = models.CharField(max_length=200)
    sender = models.CharField(max_length=32)
    body = models.TextField()
    received_at = models.DateTimeField()
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey("tickets.Message", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider_kind", "provider_message_id"], name="phone_inbound_sms_once"
            )
        ]

    def __str__(self) -> str:
        return f"SMS from {self.sender[:4]}…"
