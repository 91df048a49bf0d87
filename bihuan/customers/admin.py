"""Admin for customers (with their channel identities) and organisations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from bihuan.customers.models import Customer, CustomerIdentity, Organisation

# django-stubs makes the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class CustomerIdentityInline(TabularInline):
    model = CustomerIdentity
    extra = 0
    fields = ["kind", "value", "is_primary", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Customer)
class CustomerAdmin(ModelAdmin):
    list_display = ["name", "organisation", "tier", "lifecycle_stage", "advisor", "created_at"]
    list_filter = ["tier", "lifecycle_stage"]
    search_fields = ["name", "identities__value"]
    autocomplete_fields = ["organisation", "advisor"]
    filter_horizontal = ["tags"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CustomerIdentityInline]
    list_select_related = ["organisation", "advisor"]


@admin.register(Organisation)
class OrganisationAdmin(ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
