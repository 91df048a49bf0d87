"""Admin for staff structure: departments (with their head), teams (queues) and users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from bihuan.accounts.models import ApiToken, Department, Team, User

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    BaseUserAdmin = DjangoUserAdmin[User]
else:
    ModelAdmin = admin.ModelAdmin
    BaseUserAdmin = DjangoUserAdmin


@admin.register(Department)
class DepartmentAdmin(ModelAdmin):
    list_display = ["name", "head"]
    search_fields = ["name"]
    autocomplete_fields = ["head"]


@admin.register(Team)
class TeamAdmin(ModelAdmin):
    list_display = ["name", "department", "supervisor"]
    list_filter = ["department"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    list_select_related = ["department", "supervisor"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Django's user admin with Bihuan's role, department, display name and language."""

    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Bihuan"), {"fields": ("display_name", "role", "department", "language")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Bihuan"), {"fields": ("display_name", "role", "department")}),
    )
    list_display = ["username", "display_name", "role", "department", "is_active", "is_staff"]
    list_filter = ["role", "department", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    list_select_related = ["department"]


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    """Tokens are created and revoked by their owners; the admin only looks."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    list_select_related = ["user"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
