"""The complaint playbook: 受理 → 诊断 → 方案 → 执行 → 复盘, each stage with an owner and a due
time; the diagnosis answers "has it happened before" from the customer's history; no
resolution without a progress update; overdue stages escalate once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.automation.models import Complaint, ComplaintStep
from bihuan.automation.tests.conftest import Clock, make_rule, new_ticket, ticket_events
from bihuan.core.models import Event, Notification
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_policies"),
]

PHONE = "13800138000"


def complaint_of(org: Any, **extra: Any) -> Ticket:
    ticket = new_ticket(
        "complaint", team=org.complaints, phone=PHONE, subject="快递员态度恶劣", **extra
    )
    tickets.update_ticket(
        ticket, tickets.TicketChanges(owner=org.other_agent), actor=org.supervisor
    )
    return ticket


def stages(ticket: Ticket) -> list[tuple[str, bool]]:
    return [
        (s.stage, s.completed_at is not None)
        for s in ComplaintStep.objects.filter(complaint__ticket=ticket).order_by("id")
    ]


def test_a_complaint_goes_through_the_five_stages_by_the_api(org: Any) -> None:
    earlier = complaint_of(org, body="上个月也是这个快递员")
    ticket = complaint_of(org)
    lina = org.client("lina")
    url = f"/api/v1/tickets/{ticket.pk}/complaint"

    accepted = lina.post(f"{url}/stages", json={"stage": "acceptance"})
    diagnosed = lina.post(
        f"{url}/stages",
        json={
            "stage": "diagnosis",
            "what_where": "3 月 1 日，朝阳区派送时",
            "expectation": "道歉并更换快递员",
        },
    )
    planned = lina.post(
        f"{url}/stages",
        json={"stage": "plan", "plan_kind": "compensation", "plan_options": "20 元券或免运费一次"},
    )
    before = Event.objects.count()
    too_early = lina.post(f"{url}/stages", json={"stage": "execution", "execution_note": "已发券"})
    assert too_early.status_code == 422
    assert too_early.json()["code"] == "no_progress_update"
    assert Event.objects.count() == before
    progress = lina.post(f"{url}/progress", json={"body": "您好，补偿方案已确定，今天内发放。"})
    executed = lina.post(f"{url}/stages", json={"stage": "execution", "execution_note": "已发券"})
    reviewed = lina.post(f"{url}/stages", json={"stage": "review", "lesson": "快递员服务纳入考核"})

    assert [
        r.status_code for r in (accepted, diagnosed, planned, progress, executed, reviewed)
    ] == [200] * 6
    body = reviewed.json()
    assert body["stage"] == "done"
    assert (body["has_happened_before"], body["earlier_tickets"]) == (True, [earlier.pk])
    assert (body["plan_kind"], body["lesson"]) == ("compensation", "快递员服务纳入考核")
    assert body["progress_sent_at"] is not None
    assert [(s["stage"], s["owner_id"]) for s in body["steps"]] == [
        ("acceptance", org.other_agent.pk),
        ("diagnosis", org.other_agent.pk),
        ("plan", org.other_agent.pk),
        ("execution", org.other_agent.pk),
        ("review", org.other_agent.pk),
    ]
    verbs = [e.data["stage"] for e in ticket_events(ticket, "automation.complaint_stage_completed")]
    assert verbs == ["acceptance", "diagnosis", "plan", "execution", "review"]


def test_a_stale_or_incomplete_stage_is_refused_and_changes_nothing(org: Any) -> None:
    ticket = complaint_of(org)
    lina = org.client("lina")
    url = f"/api/v1/tickets/{ticket.pk}/complaint/stages"
    lina.post(url, json={"stage": "acceptance"})
    before = (Event.objects.count(), stages(ticket))

    stale = lina.post(url, json={"stage": "acceptance"})
    empty = lina.post(url, json={"stage": "diagnosis", "what_where": " ", "expectation": "道歉"})
    past = lina.post(
        url,
        json={
            "stage": "diagnosis",
            "what_where": "门店",
            "expectation": "道歉",
            "next_due_at": "2020-01-01T00:00:00+08:00",
        },
    )

    assert [r.status_code for r in (stale, empty, past)] == [422, 422, 422]
    assert (Event.objects.count(), stages(ticket)) == before


def test_a_notes_only_department_member_cannot_advance_a_shared_complaint(org: Any) -> None:
    ticket = complaint_of(org)
    tickets.update_ticket(
        ticket, tickets.TicketChanges(shared_departments=[org.tech]), actor=org.supervisor
    )
    before = (Event.objects.count(), stages(ticket))

    response = org.client("wangqiang").post(
        f"/api/v1/tickets/{ticket.pk}/complaint/stages", json={"stage": "acceptance"}
    )
    progress = org.client("wangqiang").post(
        f"/api/v1/tickets/{ticket.pk}/complaint/progress", json={"body": "进展"}
    )

    assert (response.status_code, progress.status_code) == (403, 403)
    assert (Event.objects.count(), stages(ticket)) == before
    member = Client()
    member.force_login(org.tech_member)
    html = member.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="complaint-panel"' in html
    assert 'data-testid="complaint-stage-form"' not in html


def test_an_overdue_stage_escalates_once_and_a_rule_can_react_to_it(org: Any, clock: Clock) -> None:
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    clock.travel("2026-03-02T10:00+08:00")
    make_rule(
        org.admin,
        "阶段超时加急",
        "automation.complaint_stage_overdue",
        [{"type": "set_priority", "value": 4}],
    )
    ticket = complaint_of(org)

    clock.run("2026-03-02T10:59+08:00")
    assert ticket_events(ticket, "automation.complaint_stage_overdue") == []
    clock.run("2026-03-02T11:00+08:00")
    clock.run("2026-03-02T13:00+08:00")

    (overdue,) = ticket_events(ticket, "automation.complaint_stage_overdue")
    assert overdue.data["stage"] == "acceptance"
    told = Notification.objects.filter(event=overdue).values_list("recipient__username", flat=True)
    assert sorted(told) == ["lina", "supervisor"]
    assert Ticket.objects.get(pk=ticket.pk).priority == 4


def test_a_missing_progress_update_warns_by_the_policys_time(org: Any, clock: Clock) -> None:
    clock.travel("2026-03-02T10:00+08:00")
    silent = complaint_of(org)
    answered = complaint_of(org)
    for ticket in (silent, answered):
        tickets.reply_to_customer(ticket, body="您好，已收到您的投诉。", actor=org.other_agent)
        org.client("lina").post(
            f"/api/v1/tickets/{ticket.pk}/complaint/stages", json={"stage": "acceptance"}
        )
    assert Complaint.objects.get(ticket=answered).progress_sent_at is None
    tickets.reply_to_customer(answered, body="正在核查派送记录。", actor=org.other_agent)

    clock.run("2026-03-03T09:59+08:00")
    assert ticket_events(silent, "automation.complaint_progress_missing") == []
    clock.run("2026-03-03T10:00+08:00")
    clock.run("2026-03-03T12:00+08:00")

    assert len(ticket_events(silent, "automation.complaint_progress_missing")) == 1
    assert ticket_events(answered, "automation.complaint_progress_missing") == []
    assert Complaint.objects.get(ticket=answered).progress_sent_at is not None


def test_the_ticket_page_shows_the_playbook_and_its_form_finishes_a_stage(org: Any) -> None:
    ticket = complaint_of(org)
    lina = Client()
    lina.force_login(org.other_agent)

    page = lina.get(f"/tickets/{ticket.pk}/")
    finished = lina.post(
        f"/automation/tickets/{ticket.pk}/complaint/stage/",
        {"stage": "acceptance"},
        headers={"HX-Request": "true"},
    )
    refused = lina.post(
        f"/automation/tickets/{ticket.pk}/complaint/stage/",
        {"stage": "diagnosis", "what_where": "", "expectation": ""},
        headers={"HX-Request": "true"},
    )

    assert 'data-testid="complaint-panel" data-stage="acceptance"' in page.content.decode()
    assert finished.status_code == 200
    assert 'data-testid="complaint-panel" data-stage="diagnosis"' in finished.content.decode()
    assert refused.status_code == 422
    assert (
        'data-testid="field-error"' in refused.content.decode()
        or 'data-testid="form-errors"' in refused.content.decode()
    )
    assert Complaint.objects.get(ticket=ticket).stage == "diagnosis"
