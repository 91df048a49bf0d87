"""The customers REST API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.params.functions import Path

from bihuan.accounts.api_auth import current_user
from bihuan.core.api_errors import error_responses
from bihuan.customers import queries, services
from bihuan.customers.schemas import (
    CustomerDetailOut,
    CustomerIn,
    CustomerListQuery,
    CustomerOut,
    CustomerPageOut,
    DuplicatesOut,
    MergeIn,
    MergeOut,
    customer_out,
    merge_out,
)
from bihuan.customers.services import ContactDetails

router = Router(tags=["customers"])
MAX_ID = 2**62


@router.get(
    "/customers",
    response={200: CustomerPageOut, **error_responses(400, 401, 422)},
    summary="Customers by name, phone or email (contacts masked)",
)
def list_customers(request: HttpRequest, params: Query[CustomerListQuery]) -> Any:
    page = queries.list_customers(
        current_user(request),
        query=params.q,
        cursor=params.cursor,
        limit=params.limit,
    )
    return {
        "items": [customer_out(c) for c in page.items],
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


@router.post(
    "/customers",
    response={201: CustomerOut, **error_responses(400, 401, 403, 409, 422)},
    summary="Create a customer (the answer shows contacts masked)",
)
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    user = current_user(request)
    customer = services.create_customer(
        details=ContactDetails(
            name=payload.name,
            phone=payload.phone,
            email=payload.email,
            external_id=payload.external_id,
            external_source=payload.external_source,
        ),
        organisation=payload.organisation,
        tier=payload.tier,
        tags=payload.tags,
        actor=user,
    )
    return Status(201, customer_out(queries.get_customer(user, customer.pk)))


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerDetailOut, **error_responses(400, 401, 404, 422)},
    summary="A customer's profile and complete ticket history (audited)",
)
def get_customer(request: HttpRequest, customer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = current_user(request)
    customer = queries.get_customer(user, customer_id)
    services.record_customer_viewed(customer, viewer=user, via="api")
    history = queries.customer_history(user, customer, limit=200)
    return {
        **customer_out(customer, masked=False),
        "notes": customer.notes,
        "tickets": [
            {
                "number": t.number,
                "subject": t.subject,
                "status": t.status,
                "channel": t.channel,
                "type": t.kind,
                "created_at": t.created_at,
            }
            for t in history
        ],
    }


@router.get(
    "/customers/{customer_id}/duplicates",
    response={200: DuplicatesOut, **error_responses(400, 401, 404, 422)},
    summary="Likely duplicates: the same phone, email, or name and organisation (masked)",
)
def list_duplicates(request: HttpRequest, customer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = current_user(request)
    customer = queries.get_customer(user, customer_id)
    return {
        "items": [
            {"customer": customer_out(s.customer), "reasons": list(s.reasons)}
            for s in queries.list_likely_duplicates(user, customer)
        ]
    }


@router.post(
    "/customers/{customer_id}/merge",
    response={200: MergeOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Merge another customer into this one (its tickets, contacts and events move)",
)
def merge_customer(
    request: HttpRequest, payload: MergeIn, customer_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = current_user(request)
    survivor = queries.get_customer(user, customer_id)
    merged = queries.get_customer(user, payload.merged_id)
    return merge_out(services.merge_customers(merged, into=survivor, actor=user))


@router.post(
    "/customers/{customer_id}/unmerge",
    response={200: MergeOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Undo the merge of this customer into another: exactly what moved moves back",
)
def unmerge_customer(request: HttpRequest, customer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = current_user(request)
    merged = queries.get_customer(user, customer_id)
    return merge_out(services.undo_customer_merge(merged, actor=user))
