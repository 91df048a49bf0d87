"""Admin for customers and organisations: read-only, with contacts masked.

Customers change only through the services (which check permissions and write the audit
events), and the full contacts are seen only on the audited customer page; so the admin
shows customers masked and edits nothing, and cannot be searched by phone or email (a search
would tell whose number it is without an audit row).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bihuan.core.admin import ReadOnlyAdmin
from bihuan.customers.models import Customer, CustomerIdentity, Organisation
from bihuan.customers.schemas import identity_value

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
    can_delete = False
    fields = ["kind", "source", "masked_value", "is_primary", "created_at"]
    readonly_fields = ["kind", "source", "masked_value", "is_primary", "created_at"]

    @admin.display(description=_("value"))
    def masked_value(self, identity: CustomerIdentity) -> str:
        return identity_value(identity, masked=True)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "organisation",
        "tier",
        "lifecycle_stage",
        "advisor",
        "merged_into",
        "created_at",
    ]
    list_filter = ["tier", "lifecycle_stage"]
    search_fields = ["name"]
    fields = ["name", "organisation", "tier", "lifecycle_stage", "advisor", "tags"]
    readonly_fields = ["name", "organisation", "tier", "lifecycle_stage", "advisor", "tags"]
    inlines = [CustomerIdentityInline]
    list_select_related = ["organisation", "advisor"]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["name", "created_at"]
