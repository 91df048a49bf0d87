from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    """What became of an inbound message that was stored."""

    ON_TICKET = "on_ticket", _("On a ticket")
    HELD = "held", _("Held for an agent")
    AUTOMATIC = "automatic", _("Automatic message")
    BOUNCE = "bounce", _("Bounce")
    RELEASED = "released", _("Released by an agent")
    DISMISSED = "dismissed", _("Dismissed by an agent")


class ReleaseAction(models.TextChoices):
    """What an agent does with held mail."""

    NOTE = "note", _("Add to the ticket as an internal note")
    NEW_TICKET = "new_ticket", _("Open a new ticket for this sender")
    DISMISS = "dismiss", _("Dismiss")


class HoldReason(models.TextChoices):
    UNKNOWN_SENDER = "unknown_sender", _("Sender is not a participant of the ticket")
    UNVERIFIED_SENDER = "unverified_sender", _("Sender address could not be verified")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    DAEMON = "daemon", _("Sent by a mail system")
    BOUNCE = "bounce", _("Delivery failure report")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class MailPurpose(models.TextChoices):
    """Why we send a mail: an agent's reply, or an automatic one (RFC 3834 marks those)."""

    REPLY = "reply", _("Reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    NOTIFICATION = "notification", _("Notification to an agent")


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback only)")
