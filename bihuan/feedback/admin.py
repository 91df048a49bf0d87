"""Admin for the CSAT reasons customers may tick (configuration), and a read-only view of
invitations and opt-outs (they change only through the feedback services, which record
events)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from bihuan.feedback.models import SurveyInvitation, SurveyOptOut, SurveyReason

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


@admin.register(SurveyReason)
class SurveyReasonAdmin(ModelAdmin):
    list_display = ("label", "label_en", "position", "is_active")
    list_editable = ("position", "is_active")


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "state", "ticket_id", "created_at", "sent_at", "answered_at")
    list_filter = ("kind", "state")
    exclude = ("nonce",)  # with the signing key, the nonce makes the link


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(ReadOnlyAdmin):
    list_display = ("customer_id", "created_at")
