"""API schemas for customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictStr

from bihuan.core.schema_types import EMAIL_PATTERN, NO_NUL, NOT_BLANK, PHONE_PATTERN, Tag
from bihuan.customers.identity import display_value, masked_value
from bihuan.customers.models import Customer, CustomerIdentity, CustomerMerge


class CustomerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(..., min_length=1, max_length=200, pattern=NOT_BLANK)
    phone: StrictStr = Field("", max_length=40, pattern=PHONE_PATTERN)
    email: StrictStr = Field("", max_length=254, pattern=EMAIL_PATTERN)
    external_id: StrictStr = Field("", max_length=254, pattern=NO_NUL)
    external_source: StrictStr = Field(
        "", max_length=64, pattern=NO_NUL, description="The system that issued external_id"
    )
    organisation: StrictStr = Field("", max_length=200, pattern=NO_NUL)
    tier: Literal["standard", "silver", "gold", "vip"] = "standard"
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class IdentityOut(Schema):
    kind: str
    value: str = Field(
        ...,
        description="Masked (138****5678, z***@example.com) except in a customer's full record",
    )
    is_primary: bool


class CustomerOut(Schema):
    id: int
    name: str
    organisation: str | None
    tier: str
    lifecycle_stage: str
    advisor_id: int | None
    tags: list[str]
    identities: list[IdentityOut]
    merged_into_id: int | None = Field(
        None, description="The customer this one is merged into (undo with POST …/unmerge)"
    )
    created_at: datetime


class CustomerTicketOut(Schema):
    number: int
    subject: str
    status: str
    channel: str
    type: str
    created_at: datetime


class CustomerDetailOut(CustomerOut):
    notes: str
    tickets: list[CustomerTicketOut]


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    next_cursor: str | None
    previous_cursor: str | None


class CustomerListQuery(Schema):
    q: str = Field("", max_length=200, pattern=NO_NUL)
    cursor: str | None = Field(None, max_length=500, pattern=NO_NUL)
    limit: int = Field(25, ge=1, le=100)


def identity_value(identity: CustomerIdentity, *, masked: bool) -> str:
    """On the full record as people read it (a Chinese phone as dialled at home, one abroad
    in E.164), else masked as lists show it (138****5678)."""
    if not masked:
        return display_value(identity.kind, identity.value)
    return masked_value(identity.kind, identity.value)


def customer_out(customer: Customer, *, masked: bool = True) -> dict[str, Any]:
    """A customer for the API; identities are masked unless this is the audited full record."""
    return {
        "id": customer.pk,
        "name": customer.name,
        "organisation": customer.organisation.name if customer.organisation else None,
        "tier": customer.tier,
        "lifecycle_stage": customer.lifecycle_stage,
        "advisor_id": customer.advisor_id,
        "tags": sorted(t.name for t in customer.tags.all()),
        "identities": [
            {
                "kind": i.kind,
                "value": identity_value(i, masked=masked),
                "is_primary": i.is_primary,
            }
            for i in sorted(customer.identities.all(), key=lambda i: (not i.is_primary, i.pk))
        ],
        "merged_into_id": customer.merged_into_id,
        "created_at": customer.created_at,
    }


class DuplicateOut(Schema):
    customer: CustomerOut
    reasons: list[Literal["same_phone", "same_email", "same_name_and_organisation"]]


class DuplicatesOut(Schema):
    items: list[DuplicateOut]


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    merged_id: int = Field(..., ge=1, le=2**62, description="The customer merged away")


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    merged_at: datetime
    undone_at: datetime | None
    moved: dict[str, int] = Field(..., description="How many rows of each kind moved")


def merge_out(merge: CustomerMerge) -> dict[str, Any]:
    return {
        "id": merge.pk,
        "survivor_id": merge.survivor_id,
        "merged_id": merge.merged_id,
        "merged_at": merge.merged_at,
        "undone_at": merge.undone_at,
        "moved": {
            name: len(ids) for name, ids in sorted(merge.moved.items()) if isinstance(ids, list)
        },
    }
