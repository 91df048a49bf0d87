"""Customer pages: the list (contacts masked) and the full profile (an audited view)."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from bihuan.accounts.models import User
from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import NotFound, ValidationFailed
from bihuan.core.masking import mask_contact
from bihuan.core.views import domain_errors
from bihuan.customers import queries, services
from bihuan.customers.choices import IdentityKind
from bihuan.customers.forms import CustomerSearchForm, MergeForm
from bihuan.customers.identity import display_value, format_phone
from bihuan.customers.models import Customer, CustomerIdentity
from bihuan.customers.panels import render_customer_panels
from bihuan.customers.permissions import can_change_customers
from bihuan.customers.services import record_customer_viewed

MAX_ID = 2**62


def primary_contacts(customer: Customer) -> list[str]:
    """The customer's phones and emails, primary first, as people read them (a Chinese
    phone as dialled at home: 13800138000) (identities must be prefetched)."""
    identities = sorted(
        (i for i in customer.identities.all() if i.kind in ("phone", "email")),
        key=lambda i: (not i.is_primary, i.kind != "phone", i.pk),
    )
    return [display_value(i.kind, i.value) for i in identities]


def masked_contact(customer: Customer) -> str:
    """The first phone or email, masked for lists (138****5678, z***@example.com)."""
    contacts = primary_contacts(customer)
    return mask_contact(contacts[0]) if contacts else ""


def _customer(viewer: User, customer_id: int) -> Customer:
    if customer_id > MAX_ID:
        raise NotFound(_("Customer not found."))
    return queries.get_customer(viewer, customer_id)


@login_required
@require_GET
@domain_errors
def customer_list(request: HttpRequest) -> HttpResponse:
    """Customers by name, phone or email, newest first, by keyset pages."""
    viewer = signed_in_user(request)
    form = CustomerSearchForm(request.GET)
    form.is_valid()
    text = form.cleaned_data.get("q") or ""
    page = queries.list_customers(
        viewer, query=text, cursor=form.cleaned_data.get("cursor") or None
    )
    base = reverse("customers:list")

    def url(cursor: str | None) -> str | None:
        if not cursor:
            return None
        return f"{base}?{urlencode({'q': text, 'cursor': cursor})}"

    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "query": text,
            "rows": [(c, masked_contact(c)) for c in page.items],
            "next_url": url(page.next_cursor),
            "previous_url": url(page.previous_cursor),
        },
    )


@login_required
@require_GET
@domain_errors
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The full profile (phones and emails unmasked) and every ticket, newest first.

    Opening it is written to the audit log (``customer.viewed``).
    """
    viewer = signed_in_user(request)
    customer = _customer(viewer, customer_id)
    record_customer_viewed(customer, viewer=viewer, via="web")
    history = queries.customer_history(viewer, customer)
    channels = Counter(t.channel_label for t in history)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "identities": [
                (identity, display_value(identity.kind, identity.value), _international(identity))
                for identity in sorted(
                    customer.identities.all(), key=lambda i: (i.kind, not i.is_primary, i.pk)
                )
            ],
            "history": history,
            "channel_counts": sorted(channels.items(), key=lambda item: (-item[1], item[0])),
            "duplicates": [
                (s.customer, masked_contact(s.customer), [REASON_LABELS[r] for r in s.reasons])
                for s in queries.list_likely_duplicates(viewer, customer)
            ],
            "merges": queries.list_merges(viewer, customer),
            "can_merge": can_change_customers(viewer),
            "panels": render_customer_panels(request, customer),
        },
    )


def _international(identity: CustomerIdentity) -> str:
    """A phone as read abroad (+86 138 0013 8000) beside the form dialled at home."""
    if identity.kind != IdentityKind.PHONE:
        return ""
    international = format_phone(identity.value)
    return "" if international == display_value(identity.kind, identity.value) else international


REASON_LABELS = {
    queries.DuplicateReason.PHONE: gettext_lazy("same phone"),
    queries.DuplicateReason.EMAIL: gettext_lazy("same email"),
    queries.DuplicateReason.NAME_AND_ORGANISATION: gettext_lazy("same name and organisation"),
}


@login_required
@require_POST
@domain_errors
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge the posted customer into this one; back to this page with what moved."""
    viewer = signed_in_user(request)
    survivor = _customer(viewer, customer_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(_("Choose the customer to merge."), code="merge_invalid")
    merged = queries.get_customer(viewer, form.cleaned_data["merged"])
    record = services.merge_customers(merged, into=survivor, actor=viewer)
    messages.success(
        request,
        _("Customer “%(name)s” was merged into this one. You can undo it below.")
        % {"name": merged.name},
    )
    return redirect("customers:detail", record.survivor_id)


@login_required
@require_POST
@domain_errors
def customer_unmerge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Undo the merge of this customer into another; to this customer's page again."""
    viewer = signed_in_user(request)
    merged = _customer(viewer, customer_id)
    services.undo_customer_merge(merged, actor=viewer)
    messages.success(request, _("The merge was undone."))
    return redirect("customers:detail", merged.pk)
