"""The triage routes the access matrix does not know by itself: order number patterns,
which only admins see or change."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bihuan.testing.access import AccessSpec
from bihuan.triage.models import OrderNumberPattern


def _objects(org: Any, built: dict[str, Any]) -> dict[str, Any]:
    now = timezone.now()
    pattern = OrderNumberPattern.objects.create(
        name="顺丰运单号",
        regex=r"SF\d{12,13}",
        example="SF1408923475612",
        created_at=now,
        updated_at=now,
    )
    return {"order_pattern": pattern}


ACCESS = AccessSpec(
    parameter_kinds={"pattern_id": "order_pattern"},
    web_post_data={
        "order_numbers:pattern_edit": {
            "name": "改",
            "regex": r"SF\d{12}",
            "example": "SF140892347561",
            "position": "0",
            "action": "save",
        }
    },
    get_and_post=frozenset({"order_numbers:pattern_edit"}),
    make_objects=_objects,
)
