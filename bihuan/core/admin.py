"""Admin for tags, a read-only view of the append-only event log, and background work:
reactions and due items (parked ones retried by hand) with a status page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bihuan.core import catalogue, services
from bihuan.core.jobs_status import jobs_status
from bihuan.core.models import DueItem, Event, Notification, Reaction, Tag

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
    list_display = [
        "id",
        "occurred_at",
        "actor",
        "what",
        "verb",
        "subject_type",
        "subject_id",
        "ticket_id",
    ]
    list_filter = ["verb", "subject_type"]
    search_fields = ["verb", "=ticket_id", "=customer_id", "=subject_id"]
    list_select_related = ["actor"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    @admin.display(description=_("what happened"))
    def what(self, event: Event) -> str:
        return catalogue.describe(event)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient", "event", "created_at", "read_at"]
    list_select_related = ["recipient", "event"]
    show_full_result_count = False


@admin.action(description=_("Retry the selected parked rows"))
def retry_parked(model_admin: ModelAdmin, request: HttpRequest, rows: QuerySet[Any]) -> None:
    ids = list(rows.values_list("pk", flat=True))
    if rows.model is Reaction:
        count = services.retry_parked_work(reaction_ids=ids)
    else:
        count = services.retry_parked_work(due_item_ids=ids)
    model_admin.message_user(
        request,
        gettext("%(count)s parked rows are back in the queue.") % {"count": count},
        messages.SUCCESS,
    )


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "consumer", "event", "state", "attempts", "available_at", "finished_at"]
    list_filter = ["state", "consumer"]
    search_fields = ["=event__id", "consumer"]
    readonly_fields = ["last_error"]
    actions = [retry_parked]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)  # for the retry action only; no field is editable

    def get_urls(self) -> list[URLPattern]:
        status = path(
            "status/",
            self.admin_site.admin_view(self.status_view),
            name="core_background_work_status",
        )
        return [status, *super().get_urls()]

    def status_view(self, request: HttpRequest) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Background work"),
            "status": jobs_status(),
        }
        return TemplateResponse(request, "admin/core/background_work.html", context)


@admin.register(DueItem)
class DueItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "key", "due_at", "state", "attempts", "finished_at"]
    list_filter = ["state", "kind"]
    search_fields = ["kind", "key"]
    readonly_fields = ["last_error", "progress"]
    actions = [retry_parked]
    date_hierarchy = "due_at"
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
