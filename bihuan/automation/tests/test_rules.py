"""Automation rules run on the events of the log: conditions, actions through the owning
services, every action an event naming the rule, and no rule ever firing on what it caused."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from bihuan.automation.models import AutomationRule, RuleRun
from bihuan.automation.tests.conftest import make_rule, new_ticket, ticket_events
from bihuan.core.models import Event, Notification
from bihuan.knowledge import services as knowledge
from bihuan.tickets import services as tickets
from bihuan.tickets.models import CollaborationTask, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rule_on_new_complaints_raises_priority_tags_and_notifies_naming_itself(org: Any) -> None:
    org.complaints.supervisor = org.supervisor
    org.complaints.save(update_fields=["supervisor"])
    rule = make_rule(
        org.admin,
        "投诉加急",
        "ticket.created",
        [
            {"type": "set_priority", "value": 4},
            {"type": "add_tag", "value": "投诉"},
            {"type": "notify", "value": "supervisor"},
        ],
        conditions={"kind": "complaint", "channel": "web"},
    )

    complaint = new_ticket("complaint", team=org.complaints)
    inquiry = new_ticket("inquiry", team=org.complaints)

    complaint.refresh_from_db()
    assert complaint.priority == 4
    assert sorted(complaint.tags.values_list("name", flat=True)) == ["投诉"]
    assert Ticket.objects.get(pk=inquiry.pk).priority == 2
    applied = ticket_events(complaint, "automation.rule_applied")
    assert [(e.data["rule"], e.data["chain"]) for e in applied] == [(rule.pk, [rule.pk])]
    assert [a["done"] for a in applied[0].data["actions"]] == [True, True, True]
    changes = [e for e in ticket_events(complaint, "ticket.updated") if e.data.get("reason")]
    assert {e.data["reason"] for e in changes} == {"automation"}
    assert {e.data["details"]["rule"] for e in changes} == {rule.pk}
    assert list(
        Notification.objects.filter(event=applied[0]).values_list("recipient__username", flat=True)
    ) == ["supervisor"]
    assert ticket_events(inquiry, "automation.") == []


def test_two_rules_that_undo_each_other_stop_after_one_round(org: Any) -> None:
    down = make_rule(
        org.admin,
        "高改常规",
        "ticket.updated",
        [{"type": "set_priority", "value": 2}],
        conditions={"priority": 3},
    )
    up = make_rule(
        org.admin,
        "常规改高",
        "ticket.updated",
        [{"type": "set_priority", "value": 3}],
        conditions={"priority": 2},
    )
    ticket = new_ticket(team=org.presales, priority=1)  # neither rule matches it yet

    tickets.update_ticket(ticket, tickets.TicketChanges(priority=3), actor=org.agent)

    runs = list(RuleRun.objects.filter(ticket_id=ticket.pk).order_by("id"))
    assert [(r.rule_id, r.chain) for r in runs] == [(down.pk, [down.pk]), (up.pk, [down.pk, up.pk])]
    assert Ticket.objects.get(pk=ticket.pk).priority == 3
    priorities = [e.data["changes"]["priority"] for e in ticket_events(ticket, "ticket.updated")]
    assert priorities == [[1, 3], [3, 2], [2, 3]]


def test_a_customer_message_trigger_ignores_agents_replies(org: Any) -> None:
    make_rule(
        org.admin,
        "客户回复提醒",
        "ticket.customer_replied",
        [{"type": "add_tag", "value": "客户已回复"}],
    )
    ticket = new_ticket(team=org.presales)
    tickets.reply_to_customer(ticket, body="您好，请提供订单号。", actor=org.agent)
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == []

    tickets.add_customer_message(ticket, body="订单号 123456")

    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == [
        "客户已回复"
    ]


def test_a_refused_action_is_recorded_as_skipped_and_the_others_still_apply(org: Any) -> None:
    template = knowledge.create_template(
        knowledge.TemplateFields(title="收到", body="您好，已收到。", shared=True), actor=org.admin
    )
    make_rule(
        org.admin,
        "自动回复",
        "ticket.created",
        [{"type": "add_tag", "value": "已分拣"}, {"type": "send_template", "value": template.pk}],
    )
    knowledge.update_template(
        template,
        knowledge.TemplateFields(title="收到", body="您好，已收到。", shared=True),
        actor=org.admin,
        is_active=False,
    )

    ticket = new_ticket(team=org.presales)

    (applied,) = ticket_events(ticket, "automation.rule_applied")
    assert [a["done"] for a in applied.data["actions"]] == [True, False]
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["已分拣"]
    assert Ticket.objects.get(pk=ticket.pk).message_count == 1


def test_admins_edit_rules_on_the_page_and_bad_input_changes_nothing(org: Any) -> None:
    admin = Client()
    admin.force_login(org.admin)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0

    refused = admin.post(
        "/automation/rules/new/",
        {
            "name": "坏规则",
            "trigger": "time.in_status",
            "wait_status": "pending_customer",
            "add_tag": "x",
            "position": "0",
        },
    )
    saved = admin.post(
        "/automation/rules/new/",
        {
            "name": "VIP 投诉",
            "trigger": "ticket.created",
            "customer_tier": "vip",
            "set_priority": "4",
            "notify": "owner",
            "position": "1",
            "is_active": "on",
            "action": "save",
        },
    )

    assert refused.status_code == 422
    assert saved.status_code == 302
    rule = AutomationRule.objects.get()
    assert (rule.name, rule.conditions, rule.actions) == (
        "VIP 投诉",
        {"customer_tier": "vip"},
        [{"type": "set_priority", "value": 4}, {"type": "notify", "value": "owner"}],
    )
    assert list(Event.objects.filter(id__gt=before).values_list("verb", flat=True)) == [
        "automation.rule_created"
    ]
    page = admin.get(f"/automation/rules/{rule.pk}/")
    assert page.status_code == 200
    assert 'value="4" selected' in page.content.decode()


def test_only_admins_reach_the_rules_pages(org: Any) -> None:
    agent = Client()
    agent.force_login(org.supervisor)

    assert agent.get("/automation/rules/").status_code == 404
    assert (
        agent.post(
            "/automation/rules/new/",
            {"name": "x", "trigger": "ticket.created", "add_tag": "x", "position": "0"},
        ).status_code
        == 404
    )
    assert AutomationRule.objects.count() == 0


def test_the_preview_lists_the_open_tickets_the_rule_matches_now(org: Any) -> None:
    complaint = new_ticket("complaint", team=org.complaints)
    new_ticket("inquiry", team=org.complaints)
    admin = Client()
    admin.force_login(org.admin)

    with translation.override("en"):
        response = admin.post(
            "/automation/rules/new/",
            {
                "name": "预览",
                "trigger": "ticket.updated",
                "kind": "complaint",
                "add_tag": "x",
                "position": "0",
                "action": "preview",
            },
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="preview-row"') == 1
    assert f'data-ticket="{complaint.pk}"' in response.content.decode()
    assert AutomationRule.objects.count() == 0


def test_the_api_creates_and_lists_rules_for_admins_only(org: Any) -> None:
    body = {
        "name": "物流标签",
        "trigger": "ticket.created",
        "conditions": {"channel": "email"},
        "actions": [{"type": "add_tag", "value": "物流"}],
    }

    created = org.client("admin").post("/api/v1/automation/rules", json=body)
    refused = org.client("supervisor").post("/api/v1/automation/rules", json=body)
    bad = org.client("admin").post(
        "/api/v1/automation/rules", json={**body, "actions": [{"type": "explode"}]}
    )
    listed = org.client("admin").get("/api/v1/automation/rules")

    assert created.status_code == 201
    assert (refused.status_code, bad.status_code) == (404, 422)
    assert [r["name"] for r in listed.json()] == ["物流标签"]
    assert listed.json()[0]["actions"] == [{"type": "add_tag", "value": "物流"}]


def test_a_rule_asks_a_department_with_a_collaboration_task(org: Any) -> None:
    make_rule(
        org.admin,
        "故障转技术部",
        "ticket.updated",
        [{"type": "create_task", "value": org.tech.pk}],
        conditions={"tag": "故障"},
    )
    ticket = new_ticket(team=org.presales)
    tickets.reply_to_customer(ticket, body="收到，正在核查。", actor=org.agent)

    tickets.update_ticket(ticket, tickets.TicketChanges(tags=["故障"]), actor=org.agent)

    (task,) = CollaborationTask.objects.filter(ticket=ticket)
    assert (task.department_id, task.created_by_id, task.state) == (
        org.tech.pk,
        org.agent.pk,
        "open",
    )
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_collaboration"
    (applied,) = ticket_events(ticket, "automation.rule_applied")
    assert applied.data["actions"] == [{"type": "create_task", "value": org.tech.pk, "done": True}]


def test_the_rules_page_and_endpoint_cost_the_same_queries_for_1_and_50_rules(org: Any) -> None:
    admin = Client()
    admin.force_login(org.admin)
    make_rule(org.admin, "规则 0", "ticket.created", [{"type": "add_tag", "value": "x"}])

    def counted(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(path).status_code == 200
        return len(queries)

    one = (counted("/automation/rules/"), counted("/api/v1/automation/rules"))
    for n in range(1, 50):
        make_rule(org.admin, f"规则 {n}", "ticket.created", [{"type": "add_tag", "value": "x"}])
    fifty = (counted("/automation/rules/"), counted("/api/v1/automation/rules"))

    assert fifty == one
