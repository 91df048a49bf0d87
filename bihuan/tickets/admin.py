"""Admin for the category tree and a read-mostly view of tickets.

Tickets change only through the services (which check the state machine and write the event
log), so the admin shows them but does not edit them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from bihuan.tickets.models import Category, Commitment, Message, Ticket

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["__str__", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "parent__name"]
    list_select_related = ["parent"]
    ordering = ["parent__name", "position", "name"]


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "kind", "author", "channel", "body"]


class CommitmentInline(ReadOnlyInline):
    model = Commitment
    fields = ["description", "due_at", "done_at", "created_by"]


@admin.register(Ticket)
class TicketAdmin(ModelAdmin):
    list_display = ["id", "subject", "status", "priority", "kind", "channel", "customer", "owner"]
    list_filter = ["status", "priority", "kind", "channel", "team", "department"]
    search_fields = ["subject", "customer__name"]
    list_select_related = ["customer", "owner"]
    inlines = [MessageInline, CommitmentInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
