"""The phone app's routes for the access matrix (tests/security/test_access_matrix.py).

The webhooks under /sms/hooks/ and /phone/cti/ take no sign-in: a signature decides, tested
in ``test_calls.py`` and ``test_sms.py`` with forged, stale and replayed requests."""

from __future__ import annotations

from bihuan.testing.access import AccessSpec

_CALL = {
    "direction": "outbound",
    "phone": "13800138000",
    "started_at": "2026-12-07T16:40",
    "duration_minutes": "3",
    "answered": "on",
    "note": "回电",
}

ACCESS = AccessSpec(
    web_post_data={"phone:log_ticket_call": _CALL, "phone:log_customer_call": _CALL},
    public_prefixes=("/sms/hooks/",),
    db_apps=frozenset({"bihuan_phone"}),
)
