"""The feedback endpoints of the REST API (mounted under /api/v1/ by bihuan/api.py)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["feedback"])
