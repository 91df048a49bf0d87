"""Admin for tags and a read-only view of the append-only event log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from bihuan.core.models import Event, Notification, Tag

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    list_display = ["name", "color"]
    search_fields = ["name"]


class ReadOnlyAdmin(ModelAdmin):
    """Rows that are only ever inserted by services: visible, never edited or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "verb", "actor", "subject_type", "subject_id", "ticket_id"]
    list_filter = ["verb", "subject_type"]
    search_fields = ["verb", "=ticket_id", "=customer_id", "=subject_id"]
    list_select_related = ["actor"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "event", "created_at", "read_at"]
    list_select_related = ["recipient", "event"]
    show_full_result_count = False
