"""Core models: the append-only event log, its pending reactions, due work, notifications
and idempotency keys.

The event log is the one record of what happened: the ticket timeline, the audit trail,
notifications and (later) webhooks and analytics are all read from it. Rows are only ever
inserted, in the same transaction as the change they describe. The same transaction inserts
one ``Reaction`` per consumer interested in the event (the outbox); timers are ``DueItem``
rows. Both are claimed by runners (``core.runner``), never held only in a broker.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One thing that happened: ``verb`` on ``subject`` by ``actor`` at ``occurred_at``.

    ``data`` holds the details (before/after values, the message id, the mentioned users…).
    ``ticket_id`` / ``customer_id`` are denormalised anchors so timelines and histories are
    read with one indexed query whatever the subject type.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verb = models.CharField(max_length=64)
    # The subject's model label, app included ("tickets.ticket"), so that same-named models
    # in different apps never collide.
    subject_type = models.CharField(max_length=64)
    subject_id = models.BigIntegerField()
    ticket_id = models.BigIntegerField(null=True, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "id"], name="event_subject_idx"),
            models.Index(fields=["ticket_id", "id"], name="event_ticket_idx"),
            models.Index(fields=["customer_id", "id"], name="event_customer_idx"),
            models.Index(fields=["verb", "id"], name="event_verb_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.subject_type}:{self.subject_id}"

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


class WorkState(models.TextChoices):
    PENDING = "pending", _("pending")
    DONE = "done", _("done")
    PARKED = "parked", _("parked")
    CANCELLED = "cancelled", _("cancelled")


class Reaction(models.Model):
    """One consumer's pending (or finished) handling of one event: the durable outbox.

    Inserted with the event, in its transaction, so a reaction exists exactly when the event
    does. A runner claims it by moving ``available_at`` past now (a lease) and writing its
    ``claimed_by`` token; it is ``done`` once handled, ``parked`` after too many failures
    (visible to admins, retried by hand). Unique per consumer and event.
    """

    consumer = models.CharField(_("consumer"), max_length=64)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    event_at = models.DateTimeField(_("event time"))
    state = models.CharField(
        _("state"), max_length=16, choices=WorkState.choices, default=WorkState.PENDING
    )
    available_at = models.DateTimeField(_("available at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event"], name="reaction_once_per_event")
        ]
        indexes = [
            # Only pending rows are ever scanned by the claim: the index stays small.
            models.Index(
                fields=["consumer", "available_at"],
                condition=models.Q(state="pending"),
                name="reaction_pending_idx",
            ),
            models.Index(fields=["finished_at"], name="reaction_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} ← {self.event_id}"


class DueItem(models.Model):
    """Work that must happen at ``due_at``: an SLA warning, a reminder, a periodic job.

    ``kind`` names the registered handler; ``key`` names the subject ("tickets.ticket:42",
    or "" for a singleton such as a periodic job). At most one pending item per kind and key,
    so scheduling is an upsert and rescheduling moves the one row. Claimed like reactions:
    ``available_at`` moves past now while a runner holds it, and after a failure (backoff).
    """

    kind = models.CharField(_("kind"), max_length=64)
    key = models.CharField(_("subject"), max_length=128, blank=True)
    due_at = models.DateTimeField(_("due at"))
    available_at = models.DateTimeField(_("available at"))
    state = models.CharField(
        _("state"), max_length=16, choices=WorkState.choices, default=WorkState.PENDING
    )
    data = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("due item")
        verbose_name_plural = _("due items")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=models.Q(state="pending"),
                name="due_item_one_pending_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=models.Q(state="pending"),
                name="due_item_pending_idx",
            ),
            models.Index(fields=["finished_at"], name="due_item_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} @ {self.due_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app notification for one user, pointing at the event that caused it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event"], name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "id"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} ← {self.event_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Tag(models.Model):
    """A free label used on tickets and customers (e.g. 加急, 媒体曝光风险)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """Remembers the answer to a request sent with an ``Idempotency-Key`` header.

    A client retrying after a timeout sends the same key; it gets the stored answer and no
    second object is created. A key reused with a different request is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
