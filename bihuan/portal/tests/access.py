"""What the staff access matrix needs to know of the portal's routes.

The pages under /portal/ are public (no staff sign-in): ``test_portal_access_matrix.py`` checks
them as an anonymous visitor, as another customer and with an expired or reused code. The
staff matrix checks the one staff route, the download of a customer's portal file."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from bihuan.portal.models import PortalFile
from bihuan.portal.services import reply_as_customer
from bihuan.portal.viewer import PortalViewer
from bihuan.testing.access import AccessSpec


def _objects(org: Any, objects: dict[str, Any]) -> dict[str, Any]:
    """A file the customer of the out-of-scope ticket added in the portal."""
    ticket = objects["ticket"]
    viewer = PortalViewer(session_id=0, customer_id=ticket.customer_id, ticket_id=ticket.pk)
    message = reply_as_customer(
        viewer,
        number=ticket.pk,
        body="附上发票",
        files=[SimpleUploadedFile("发票.pdf", b"%PDF-1.4", "application/pdf")],
    )
    return {"portal_file": PortalFile.objects.get(message=message)}


ACCESS = AccessSpec(
    parameter_kinds={"file_id": "portal_file"},
    api_bodies={
        ("POST", "/api/v1/portal/requests/{number}/messages"): {"body": "你好"},
        ("POST", "/api/v1/portal/requests/{number}/confirmation"): None,
        ("POST", "/api/v1/portal/requests/{number}/reopening"): {"body": "还没好"},
        ("POST", "/api/v1/portal/requests/{number}/rating"): {"score": 5},
    },
    web_post_data={"portal:staff_file": None},
    make_objects=_objects,
    public_prefixes=("/portal/",),
    db_apps=frozenset({"portal"}),
)
