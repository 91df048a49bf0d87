"""The rectification ledger (整改台账) through the API: opened from a systemic cause, moved
待整改 → 整改中 → 待验收 → 已验收 / 退回, overdue items escalated to the department head,
and the weekly complaint counts before and after the measure shown for acceptance."""

from __future__ import annotations

from typing import Any

import pytest

from bihuan.core.models import Notification
from bihuan.feedback.models import Rectification
from bihuan.feedback.tests.conftest import feedback_state
from bihuan.sla.tests.conftest import Clock
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("policies")]


def told(verb: str) -> list[str]:
    return sorted(
        Notification.objects.filter(event__verb=verb).values_list("recipient__username", flat=True)
    )


def body(org: Any, **extra: Any) -> dict[str, Any]:
    return {
        "problem": "快递破损投诉集中在华东仓",
        "owner_department": org.tech.pk,
        "owner": org.tech_member.pk,
        "measures": "更换包装材料，出库前抽检",
        "deadline": "2026-04-20T18:00:00+08:00",
        "acceptance_criteria": "连续四周破损投诉每周不超过1件",
        **extra,
    }


def complaint(category: Category, clock: Clock, when: str) -> None:
    clock.travel(when)
    make_ticket(
        subject="快递破损",
        kind="complaint",
        category=category,
        explicit_fields=("kind", "priority", "category"),
    )


def test_an_item_is_opened_worked_accepted_and_shows_complaints_before_and_after(
    org: Any, clock: Clock
) -> None:
    damaged = Category.objects.create(name="物流破损")
    for day, count in (("03-02", 3), ("03-09", 2), ("03-16", 3), ("03-23", 2), ("03-30", 1)):
        for n in range(count):
            complaint(damaged, clock, f"2026-{day}T{11 + n}:00+08:00")
    clock.travel("2026-03-30T10:00+08:00")
    supervisor, member = org.client("supervisor"), org.client("wangqiang")

    opened = supervisor.post("/api/v1/feedback/rectifications", json=body(org, category=damaged.pk))
    number = opened.json()["id"]
    started = member.post(
        f"/api/v1/feedback/rectifications/{number}/moves", json={"to": "in_progress"}
    )
    clock.travel("2026-04-14T10:00+08:00")
    submitted = member.post(
        f"/api/v1/feedback/rectifications/{number}/moves", json={"to": "awaiting_acceptance"}
    )
    accepted = supervisor.post(
        f"/api/v1/feedback/rectifications/{number}/moves", json={"to": "accepted"}
    )

    assert opened.status_code == 201, opened.text
    assert (started.status_code, submitted.status_code, accepted.status_code) == (200, 200, 200)
    item = accepted.json()
    assert item["state"] == "accepted"
    comparison = item["comparison"]
    assert [w["count"] for w in comparison["before"]] == [3, 2, 3, 2]
    assert [w["count"] for w in comparison["after"]] == [1, 0, None, None]
    assert (comparison["before_average"], comparison["after_average"]) == (2.5, 0.5)
    assert told("feedback.rectification_opened") == ["chenjie", "wangqiang"]
    assert told("feedback.rectification_moved") == ["chenjie", "wangqiang"]


def test_an_overdue_item_escalates_to_the_department_head_once(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-30T10:00+08:00")
    supervisor = org.client("supervisor")
    late = supervisor.post(
        "/api/v1/feedback/rectifications", json=body(org, deadline="2026-04-01T10:00:00+08:00")
    ).json()["id"]
    done = supervisor.post(
        "/api/v1/feedback/rectifications",
        json=body(org, problem="话术过时", deadline="2026-04-01T10:00:00+08:00"),
    ).json()["id"]
    org.client("wangqiang").post(
        f"/api/v1/feedback/rectifications/{done}/moves", json={"to": "in_progress"}
    )
    org.client("wangqiang").post(
        f"/api/v1/feedback/rectifications/{done}/moves", json={"to": "awaiting_acceptance"}
    )
    Notification.objects.all().delete()

    clock.run("2026-04-01T09:59+08:00")
    assert told("feedback.rectification_escalated") == []
    clock.run("2026-04-01T10:00:05+08:00")
    clock.run("2026-04-02T10:00+08:00")

    assert told("feedback.rectification_escalated") == ["chenjie", "wangqiang"]
    assert Rectification.objects.get(pk=late).escalated_at is not None
    assert Rectification.objects.get(pk=done).escalated_at is None
    page = org.client("chenjie").get(f"/api/v1/feedback/rectifications/{late}")
    assert page.json()["escalated_at"] is not None


@pytest.mark.parametrize(
    ("who", "extra", "status", "code"),
    [
        ("zhangwei", {}, 403, "managers_only"),
        ("wangqiang", {}, 403, "managers_only"),
        ("supervisor", {"deadline": "2026-03-01T10:00:00+08:00"}, 422, "deadline_past"),
        ("supervisor", {"owner": 3}, 422, "owner_not_in_department"),
        ("supervisor", {"problem": "  "}, 422, "empty"),
        ("supervisor", {"weeks": 0}, 422, "validation_failed"),
        ("supervisor", {"owner_department": 999999}, 422, "unknown_reference"),
    ],
)
def test_a_bad_or_unauthorised_item_is_refused_and_nothing_is_written(
    org: Any, clock: Clock, who: str, extra: dict[str, Any], status: int, code: str
) -> None:
    clock.travel("2026-03-30T10:00+08:00")
    if extra.get("owner") == 3:
        extra = {"owner": org.agent.pk}  # an agent of customer service, not of 技术部
    before = feedback_state()

    response = org.client(who).post("/api/v1/feedback/rectifications", json=body(org, **extra))

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert feedback_state() == before


def test_moves_follow_the_ledger_and_only_supervisors_accept_or_return(
    org: Any, clock: Clock
) -> None:
    clock.travel("2026-03-30T10:00+08:00")
    number = (
        org.client("supervisor")
        .post("/api/v1/feedback/rectifications", json=body(org))
        .json()["id"]
    )
    path = f"/api/v1/feedback/rectifications/{number}/moves"
    before = feedback_state()

    skipped = org.client("supervisor").post(path, json={"to": "accepted"})
    outsider = org.client("zhangwei").post(path, json={"to": "in_progress"})
    assert feedback_state() == before
    org.client("wangqiang").post(path, json={"to": "in_progress"})
    org.client("wangqiang").post(path, json={"to": "awaiting_acceptance"})
    self_accept = org.client("chenjie").post(path, json={"to": "accepted"})
    no_reason = org.client("supervisor").post(path, json={"to": "returned"})
    returned = org.client("supervisor").post(
        path, json={"to": "returned", "reason": "抽检记录不全"}
    )
    again = org.client("wangqiang").post(path, json={"to": "in_progress"})

    assert (skipped.status_code, skipped.json()["code"]) == (409, "invalid_move")
    assert outsider.status_code == 404  # 客服 agent: not his department's ledger
    assert (self_accept.status_code, self_accept.json()["code"]) == (403, "managers_only")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "empty")
    assert returned.json()["return_reason"] == "抽检记录不全"
    assert again.json()["state"] == "in_progress"
