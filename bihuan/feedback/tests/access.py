"""The feedback app's routes for the access matrix (tests/security/test_access_matrix.py).

The survey pages under /survey/ and the short links of survey texts (/s/) are public (a
signed link, no sign-in): they are tested in ``test_survey_access.py`` and
``test_survey_routes.py`` with forged, expired and reused tokens instead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from bihuan.accounts.models import Department
from bihuan.feedback import services
from bihuan.testing.access import AccessSpec


def _objects(org: Any, built: dict[str, Any]) -> dict[str, Any]:
    """lina's complaint (its analysis unassigned), a rectification of a department none
    of the matrix roles belongs to, and a campaign survey (supervisors and admins only)."""
    entry = services.record_entry(
        services.EntryFields(
            kind="complaint",
            source="callback",
            summary="回访：客户对退款速度不满",
            tickets=(built["ticket"],),
        ),
        actor=org.other_agent,
    )
    logistics, _created = Department.objects.get_or_create(name="质量整改部")
    item = services.open_rectification(
        services.RectificationFields(
            problem="华东仓发货延迟",
            owner_department=logistics,
            measures="增加夜班",
            deadline=timezone.now() + timedelta(days=30),
            acceptance_criteria="延迟投诉每周少于2件",
        ),
        actor=org.admin,
    )
    survey = services.create_campaign(
        services.CampaignFields(
            title="季度回访调研",
            questions=(services.QuestionFields(kind="rating", text="您对我们的服务满意吗？"),),
            send_at=timezone.now() + timedelta(days=7),
            customers=(built["customer"],),
        ),
        actor=org.admin,
    )
    return {"feedback_entry": entry, "rectification": item, "campaign_survey": survey}


ACCESS = AccessSpec(
    parameter_kinds={
        "entry_id": "feedback_entry",
        "rectification_id": "rectification",
        "survey_id": "campaign_survey",
    },
    api_bodies={
        ("POST", "/api/v1/feedback/entries/{entry_id}/analysis"): {
            "cause_category": "place",
            "facts": "退款审批要三级签字",
            "is_systemic": True,
        },
        ("POST", "/api/v1/feedback/rectifications/{rectification_id}/moves"): {"to": "in_progress"},
    },
    web_post_data={
        "feedback:entry": None,
        "feedback:analysis": {"cause_category": "place", "facts": "退款审批要三级签字"},
        "feedback:assign": {"owner": "1"},
        "feedback:change": {"note": "改了话术"},
        "feedback:rectification": None,
        "feedback:move": {"to": "in_progress"},
        "feedback:flag_internal": {"topic": "other", "summary": "术语难懂"},
        "feedback:campaign": None,
        "feedback:cancel_campaign": {"confirm": "1"},
        "feedback:customer_opt_out": {"opted_out": "1"},
        "feedback:survey_delivery": {"csat": "email", "nps": "sms"},
    },
    make_objects=_objects,
    public_prefixes=("/survey/", "/s/"),
    db_apps=frozenset({"feedback"}),
)
