"""The chat widget: its configuration, the visitors who chat, and each visitor message once.

Exactly once: every visitor message carries a client id generated in the widget, and
``ChatMessage`` (visitor, client id) is unique and written in the transaction of the ticket
message it produced; a message resent after a reconnect finds the row and is acknowledged
again, not stored twice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_CHATS = 5


class ChatWidget(models.Model):
    """One embeddable widget for one company site: who may embed it (the origins), where its
    chats go (the queue), what it says, and how many of its chats one agent takes at once."""

    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(_("public key"), max_length=64, unique=True)
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "One origin per line, e.g. https://shop.example.cn; the widget connects only from "
            "these sites."
        ),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    greeting = models.CharField(_("greeting"), max_length=500, blank=True)
    offline_message = models.CharField(_("offline message"), max_length=500, blank=True)
    max_chats_per_agent = models.PositiveIntegerField(
        _("maximum concurrent chats per agent"), default=DEFAULT_MAX_CHATS
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        """The allowed origins, normalised (lower case, no trailing slash)."""
        return [
            line.strip().rstrip("/").lower()
            for line in self.allowed_origins.splitlines()
            if line.strip()
        ]


class ChatVisitor(models.Model):
    """A browser that chatted through a widget: anonymous until it gives an email or phone.

    ``key`` is random and travels only inside a signed token kept in the visitor's browser;
    ``customer`` is the anonymous customer made for the first message, or the identified one.
    """

    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="visitors")
    key = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("current conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    identified_at = models.DateTimeField(_("identified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    last_seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("chat visitor")
        verbose_name_plural = _("chat visitors")

    def __str__(self) -> str:
        return f"visitor {self.pk}"

    @property
    def is_identified(self) -> bool:
        return self.identified_at is not None


class ChatMessage(models.Model):
    """One visitor message, stored once: the widget's client id is the dedupe key."""

    visitor = models.ForeignKey(ChatVisitor, on_delete=models.CASCADE, related_name="messages")
    client_id = models.CharField(max_length=64)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="chat_message"
    )
    is_offline = models.BooleanField(_("left while no agent was online"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "client_id"], name="chat_message_once_per_client_id"
            )
        ]
        indexes = [models.Index(fields=["ticket", "id"], name="chat_message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_id}:{self.client_id}"
