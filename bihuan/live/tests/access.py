"""The live app's routes for the access matrix (tests/security/test_access_matrix.py).

The WebSocket (/ws/live/) is not a URL route: its refusals are tested in
``test_workspace_socket.py``."""

from __future__ import annotations

from bihuan.testing.access import AccessSpec

ACCESS = AccessSpec(
    # GET only: newer timeline entries of a ticket (outside the viewer's scope: 404).
    web_post_data={"live:timeline_after": None},
)
