"""The live app's routes for the access matrix (tests/security/test_access_matrix.py).

The WebSocket (/ws/live/) is not a URL route: its refusals are tested in
``test_workspace_socket.py``."""

from __future__ import annotations

from bihuan.testing.access import AccessSpec

ACCESS = AccessSpec()
