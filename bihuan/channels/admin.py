"""Admin: mailboxes (configuration), inbound mail and the quarantine (read-only, reprocessable)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bihuan.accounts.models import User
from bihuan.channels.models import InboundEmail, Mailbox, OutboundEmail, QuarantinedEmail
from bihuan.channels.services import reprocess_quarantined_email

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class MailboxForm(forms.ModelForm):  # type: ignore[type-arg]
    """The password is never sent back to the browser; left empty, the stored one stays."""

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "team",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "poll_seconds",
        ]
        widgets = {"imap_password": forms.PasswordInput(render_value=False)}
        help_texts = {
            "imap_password": _("Stored encrypted. Leave empty to keep the current password."),
            "address": _("Mail to this address is accepted (LMTP) and opens tickets."),
        }


@admin.register(Mailbox)
class MailboxAdmin(ModelAdmin):
    form = MailboxForm
    list_display = ["name", "address", "team", "imap_host", "is_active", "last_polled_at"]
    readonly_fields = ["uidvalidity", "last_uid", "last_polled_at", "last_error"]
    fieldsets = [
        (None, {"fields": ["name", "address", "team", "is_active"]}),
        (
            _("IMAP (leave the server empty for mail delivered by LMTP or a pipe)"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                    "poll_seconds",
                ]
            },
        ),
        (
            _("State"),
            {"fields": ["last_polled_at", "last_error", "uidvalidity", "last_uid"]},
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        obj.address = obj.address.strip().lower()  # recipients are matched lower-cased
        if obj.created_at is None:
            obj.created_at = timezone.now()
        if change and not form.cleaned_data.get("imap_password"):
            # An empty password field means "unchanged": keep what is stored.
            stored = Mailbox.objects.filter(pk=obj.pk).values_list("imap_password", flat=True)
            obj.imap_password = stored.first() or ""
        super().save_model(request, obj, form, change)


class _ReadOnly(ModelAdmin):
    """Rows written only by the channel services: visible, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(_ReadOnly):
    list_display = ["created_at", "from_address", "subject", "status", "hold_reason", "ticket"]
    list_filter = ["status", "hold_reason", "mailbox"]
    search_fields = ["from_address", "subject", "message_id"]
    exclude = ["text", "html"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(_ReadOnly):
    list_display = ["created_at", "to_address", "subject", "status", "attempts", "ticket"]
    list_filter = ["status"]


@admin.register(QuarantinedEmail)
class QuarantinedEmailAdmin(_ReadOnly):
    list_display = ["created_at", "reason", "size", "attempts", "mailbox", "reprocessed_at"]
    list_filter = ["reason", "mailbox"]
    actions = ["reprocess"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The reprocess action needs change permission; the form itself stays read-only.
        return bool(getattr(request.user, "is_superuser", False)) and obj is None

    @admin.action(description=_("Re-process the selected messages"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[QuarantinedEmail]) -> None:
        assert isinstance(request.user, User)
        stored = 0
        for row in queryset.filter(inbound__isnull=True):
            result = reprocess_quarantined_email(row, actor=request.user)
            stored += 0 if result.is_quarantined else 1
        self.message_user(
            request,
            ngettext("%(count)d message was stored.", "%(count)d messages were stored.", stored)
            % {"count": stored},
            messages.SUCCESS,
        )
