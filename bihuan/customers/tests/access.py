"""The customer routes the access matrix does not know by itself: merge and undo."""

from __future__ import annotations

from bihuan.testing.access import AccessSpec

ACCESS = AccessSpec(
    api_bodies={
        ("POST", "/api/v1/customers/{customer_id}/merge"): {"merged_id": 1},
        ("POST", "/api/v1/customers/{customer_id}/unmerge"): None,
    },
    web_post_data={"customers:merge": {"merged": "1"}, "customers:unmerge": {}},
)
