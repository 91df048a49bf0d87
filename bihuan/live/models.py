"""Per-user state of the live workspace: what each agent has read, and how they are told.

Neither is domain state: reading a ticket or muting a sound changes nothing another user or a
report relies on, so they are plain rows, written without an event (an event per read would
also be pushed to every open page, which would mark it read again).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketRead(models.Model):
    """How far ``user`` has read ``ticket_id``: the newest event id seen on its page.

    The ticket is unread while it has an event after ``last_event_id`` made by someone else.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    last_event_id = models.BigIntegerField(_("last event seen"))
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("ticket read marker")
        verbose_name_plural = _("ticket read markers")
        constraints = [
            models.UniqueConstraint(fields=["user", "ticket"], name="live_ticketread_user_ticket")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.ticket_id} to {self.last_event_id}"


class LiveSettings(models.Model):
    """One agent's live-workspace preferences and the start of their read tracking.

    ``read_horizon_event_id`` is the newest event when the agent first opened the workspace:
    what happened before counts as read, so a new agent does not see a whole backlog bold.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_settings"
    )
    desktop_notifications = models.BooleanField(_("desktop notifications"), default=False)
    sound = models.BooleanField(_("sound"), default=False)
    read_horizon_event_id = models.BigIntegerField(_("read tracking starts after event"))
    read_horizon_at = models.DateTimeField(_("read tracking starts at"))

    class Meta:
        verbose_name = _("live settings")
        verbose_name_plural = _("live settings")

    def __str__(self) -> str:
        return f"live settings of {self.user_id}"
