"""Admin for business calendars and SLA policies (configuration), and a read-only view of
clocks (they change only through the sla services, which record events)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from bihuan.sla.calendars import missing_years
from bihuan.sla.models import (
    BusinessCalendar,
    CalendarDay,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    WorkingHours,
)

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class WorkingHoursInline(TabularInline):
    model = WorkingHours
    extra = 0


class CalendarDayInline(TabularInline):
    model = CalendarDay
    extra = 1


def warn_missing_years(request: HttpRequest, calendars: list[BusinessCalendar]) -> None:
    """The admin is told which coming years are counted Monday–Friday for lack of data."""
    this_year = timezone.localdate().year
    for calendar in calendars:
        years = missing_years(calendar, range(this_year, this_year + 2))
        if years:
            messages.warning(
                request,
                _(
                    "“%(calendar)s”: the official holidays and make-up workdays of %(years)s "
                    "are not known yet, so those days count as Monday–Friday. Enter the "
                    "year's days off and make-up workdays as exceptions."
                )
                % {"calendar": calendar.name, "years": ", ".join(map(str, years))},
            )


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ModelAdmin):
    list_display = ["name", "time_zone", "is_always_open", "uses_official_holidays", "is_default"]
    inlines = [WorkingHoursInline, CalendarDayInline]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            warn_missing_years(request, list(BusinessCalendar.objects.all()))
        return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            warn_missing_years(request, list(BusinessCalendar.objects.filter(pk=object_id)))
        return super().change_view(request, object_id, form_url, extra_context)


class SlaTargetInline(TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ModelAdmin):
    list_display = ["name", "position", "is_active", "kinds", "priorities", "channels", "calendar"]
    list_editable = ["position", "is_active"]
    filter_horizontal = ["categories", "organisations"]
    inlines = [SlaTargetInline]


@admin.register(SlaClock)
class SlaClockAdmin(ModelAdmin):
    list_display = ["ticket", "metric", "state", "due_at", "escalation_level", "completed_at"]
    list_filter = ["state", "metric"]
    list_select_related = ["ticket"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
