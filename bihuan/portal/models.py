"""The customer portal's own rows: one-time codes, the sessions they open, and the files a
customer adds to a ticket from the portal."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bihuan.portal.choices import CodePurpose


class PortalCode(models.Model):
    """A one-time code asked for on the portal, found by its random ``challenge``.

    A row is written for every request, whether or not the details matched a ticket or a
    customer (then ``customer`` is empty and no code was sent): so a wrong code answers the
    same whatever exists, and the rows are what the rate limits count. Only a keyed hash of
    the code is kept; it expires, allows a few attempts, and is used at most once.
    """

    challenge = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=CodePurpose.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The address the code went to ("" when nothing was sent).
    sent_to = models.CharField(max_length=254, blank=True)
    code_hash = models.CharField(max_length=64)
    # Keyed digests of what was typed and where from: the rate limits count by them.
    contact_digest = models.CharField(max_length=64)
    client_digest = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal code")
        verbose_name_plural = _("portal codes")
        indexes = [
            models.Index(fields=["client_digest", "created_at"], name="portal_code_client_idx"),
            models.Index(fields=["contact_digest", "created_at"], name="portal_code_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"


class PortalSession(models.Model):
    """What a verified code opens: one ticket (lookup) or all of a customer's (signed in).

    The token is given to the browser (in its session) or to an API client once; only its
    hash is stored. A session ends at ``expires_at`` or when the customer signs out.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_sessions"
    )
    # The one ticket a lookup opened; empty for a signed-in customer (all their tickets).
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.OneToOneField(PortalCode, on_delete=models.CASCADE, related_name="session")
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal session")
        verbose_name_plural = _("portal sessions")

    def __str__(self) -> str:
        return f"portal session {self.pk}"


class PortalFile(models.Model):
    """A file a customer added to a ticket from the portal, attached to their message."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="portal_files"
    )
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="portal_files"
    )
    file = models.FileField(_("file"), upload_to="portal/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("portal file")
        verbose_name_plural = _("portal files")
        indexes = [models.Index(fields=["message", "id"], name="portal_file_message_idx")]

    def __str__(self) -> str:
        return self.name
