"""Mailboxes, every inbound mail as it arrived, quarantined mail, and outbound deliveries.

Exactly once: ``InboundEmail.dedupe_key`` (the Message-ID, or a content digest for mail
without one) is unique, and the row is written in the same transaction as the ticket message it
produced, so a crash anywhere before the commit leaves nothing and a repeat finds the row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.channels.choices import (
    DeliveryStatus,
    HoldReason,
    ImapSecurity,
    InboundStatus,
    MailPurpose,
)
from bihuan.channels.secrets import EncryptedCharField

MAX_PASSWORD_LENGTH = 255  # the plain password; the column holds its longer Fernet token


class Mailbox(models.Model):
    """An address we receive mail on, bound to the queue (and department) its tickets go to.

    ``imap_host`` set: polled over IMAP; empty: mail arrives by LMTP or ``bihuan mail ingest``.
    The LMTP receiver accepts mail only for the addresses of active mailboxes.
    ``uidvalidity``/``last_uid`` are the polling cursor, advanced in the same transaction as
    each stored message, so a restart resumes after the last message committed.
    """

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"), unique=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=16, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    # Stored encrypted (``channels.secrets``): the database never holds the plain password.
    imap_password = EncryptedCharField(
        _("IMAP password"),
        max_length=1000,
        blank=True,
        validators=[MaxLengthValidator(MAX_PASSWORD_LENGTH)],
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    poll_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    uidvalidity = models.BigIntegerField(
        _("IMAP UIDVALIDITY"), null=True, blank=True, editable=False
    )
    last_uid = models.BigIntegerField(_("last IMAP UID stored"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def is_polled(self) -> bool:
        return bool(self.imap_host)


class InboundEmail(models.Model):
    """One inbound mail, stored once: where it landed and everything it said.

    ``ticket_message`` is the ticket message it became (None when held, automatic or a bounce).
    ``text`` is the full original text including quoted history; the ticket message holds only
    the new text. ``html`` is already sanitised.
    """

    dedupe_key = models.CharField(max_length=255, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=1000, blank=True)
    digest = models.CharField(max_length=64)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound"
    )
    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices)
    hold_reason = models.CharField(
        _("reason"), max_length=24, choices=HoldReason.choices, blank=True
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_message = models.OneToOneField(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_email",
    )
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    is_sender_verified = models.BooleanField(_("sender verified"), default=False)
    sender_problem = models.CharField(max_length=255, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    thread_ids = models.JSONField(default=list, blank=True)
    body = models.TextField(_("new text"), blank=True)
    text = models.TextField(_("full text"), blank=True)
    html = models.TextField(_("HTML (sanitised)"), blank=True)
    has_remote_images = models.BooleanField(default=False)
    raw = models.FileField(_("original message"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    auto_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("received at"))
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        indexes = [
            models.Index(fields=["ticket", "id"], name="inbound_ticket_idx"),
            models.Index(fields=["status", "id"], name="inbound_status_idx"),
            models.Index(fields=["digest"], name="inbound_digest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject[:60]}"

    @property
    def is_held(self) -> bool:
        return self.status == InboundStatus.HELD


class EmailAttachment(models.Model):
    """A file that came with an inbound mail, stored through Django's storage API.

    ``is_stored`` is False when the file exceeded the size limit: it is listed, not kept (the
    raw message still has it).
    """

    inbound = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    file = models.FileField(max_length=255, blank=True)
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    is_stored = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class QuarantinedEmail(models.Model):
    """Raw bytes that could not be ingested, with the reason; re-processable after a fix.

    One row per distinct raw message (``digest``): the same broken message delivered twice is
    quarantined once. ``inbound`` is set once a re-processing stored it.
    """

    digest = models.CharField(max_length=64, unique=True)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantined"
    )
    reason = models.CharField(_("reason"), max_length=64)
    detail = models.TextField(_("detail"), blank=True)
    raw = models.FileField(_("original message"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("quarantined at"))
    reprocessed_at = models.DateTimeField(_("re-processed at"), null=True, blank=True)
    inbound = models.ForeignKey(
        InboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("quarantined email")
        verbose_name_plural = _("quarantined emails")
        indexes = [models.Index(fields=["reprocessed_at", "id"], name="quarantine_open_idx")]

    def __str__(self) -> str:
        return f"{self.reason}: {self.digest[:12]}"


class OutboundEmail(models.Model):
    """One mail we send for a ticket message, with its delivery state.

    Created in the transaction of the reply it carries; sent after commit by the background
    engine, retried with backoff; a bounce that quotes ``message_id`` marks it failed.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    ticket_message = models.OneToOneField(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_email",
    )
    message_id = models.CharField(max_length=255, unique=True)
    # The in-app notification this mail repeats by email: unique, so each is mailed once.
    notification = models.OneToOneField(
        "core.Notification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=MailPurpose.choices, default=MailPurpose.REPLY
    )
    to_address = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=998)
    in_reply_to = models.CharField(max_length=1000, blank=True)
    references = models.TextField(blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("queued at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [models.Index(fields=["ticket", "id"], name="outbound_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.to_address}"


class MessageFile(models.Model):
    """A file sent with a ticket message through Bihuan itself: a visitor's attachment on the
    web form, or an agent's attachment on an email reply.

    An agent's file is a draft (``ticket_message`` None) from its upload until the agent's
    next email reply on the ticket is queued, which takes every draft of that agent uploaded
    before the reply was written; the mail carries them as MIME parts. Files are stored
    through Django's storage API under content-addressed names.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )  # None: a visitor of the public web form
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    file = models.FileField(max_length=255)
    created_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        indexes = [
            models.Index(fields=["ticket_message", "id"], name="file_message_idx"),
            models.Index(fields=["ticket", "uploaded_by", "ticket_message"], name="file_draft_idx"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_draft(self) -> bool:
        return self.ticket_message_id is None


class NotificationEmailPreference(models.Model):
    """Whether a colleague also gets their notifications by email (mentions, SLA warnings and
    breaches, escalations). Off unless the user turns it on: no row means off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    is_enabled = models.BooleanField(_("email me my notifications"), default=False)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("notification email preference")
        verbose_name_plural = _("notification email preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {'on' if self.is_enabled else 'off'}"
