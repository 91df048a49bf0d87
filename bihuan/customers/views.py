"""Customer pages: the list (contacts masked) and the full profile (an audited view)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bihuan.accounts.views import signed_in_user
from bihuan.core.errors import NotFound
from bihuan.core.masking import mask_contact
from bihuan.core.views import domain_errors
from bihuan.customers import queries
from bihuan.customers.forms import CustomerSearchForm
from bihuan.customers.identity import display_value
from bihuan.customers.models import Customer
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
    if customer_id > MAX_ID:
        raise NotFound(_("Customer not found."))
    customer = queries.get_customer(viewer, customer_id)
    record_customer_viewed(customer, viewer=viewer, via="web")
    history = queries.customer_history(viewer, customer)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "identities": sorted(
                customer.identities.all(), key=lambda i: (i.kind, not i.is_primary, i.pk)
            ),
            "history": history,
        },
    )
