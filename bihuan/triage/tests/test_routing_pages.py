"""Routing rules, skills and the team's availability in the UI (admins and supervisors)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.accounts.choices import Availability
from bihuan.accounts.models import Skill, User
from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.triage.models import RoutingRule

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _routing_data(org: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "name": "投诉进投诉处理组",
        "team": str(org.complaints.pk),
        "department": "",
        "category": "",
        "kind": "complaint",
        "channel": "",
        "customer_tier": "",
        "language": "any",
        "min_urgency": "",
        "position": "10",
        "is_active": "on",
    }
    data.update(extra)
    return data


def test_an_admin_creates_a_routing_rule_with_a_required_skill_and_it_is_an_event(
    org: Any,
) -> None:
    english = Skill.objects.create(name="英语")

    response = _client(org.admin).post(
        "/routing/rules/new/",
        {**_routing_data(org), "skills": [str(english.pk)], "action": "save"},
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.name, rule.team_id, rule.kind, rule.position) == (
        "投诉进投诉处理组",
        org.complaints.pk,
        "complaint",
        10,
    )
    assert list(rule.required_skills.all()) == [english]
    event = Event.objects.get(verb="routing.rule_created")
    assert (event.actor_id, event.data["team"], event.data["skills"]) == (
        org.admin.pk,
        org.complaints.pk,
        [english.pk],
    )


def test_the_routing_list_names_conditions_with_labels_not_codes(org: Any) -> None:
    RoutingRule.objects.create(
        name="投诉规则", kind="complaint", channel="phone", team=org.complaints
    )

    html = _client(org.admin).get("/routing/rules/").content.decode()

    assert "诉求类型: 投诉" in html
    assert "渠道: 电话" in html
    assert "complaint" not in html


def test_the_routing_preview_shows_where_recent_tickets_would_go_and_saves_nothing(
    org: Any,
) -> None:
    make_ticket(subject="我要投诉快递员", body="快递员态度太差", kind="complaint")
    make_ticket(subject="发票怎么开", body="请问怎么开发票", kind="inquiry")

    response = _client(org.admin).post(
        "/routing/rules/new/",
        {**_routing_data(org), "action": "preview"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("table-warning") == 1
    assert "投诉处理组" in html
    assert RoutingRule.objects.count() == 0
    assert not Event.objects.filter(verb__startswith="routing.").exists()


def test_a_routing_rule_without_destination_is_refused_and_keeps_what_was_typed(org: Any) -> None:
    response = _client(org.admin).post(
        "/routing/rules/new/",
        {**_routing_data(org, team="", name="没有去处的规则"), "action": "save"},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="没有去处的规则"' in html
    assert '<option value="complaint" selected>' in html
    assert RoutingRule.objects.count() == 0


def test_agents_and_supervisors_cannot_reach_routing_rules_or_skills(org: Any) -> None:
    rule = RoutingRule.objects.create(name="规则", team=org.complaints)

    for user in (org.agent, org.supervisor):
        client = _client(user)
        assert client.get("/routing/rules/").status_code == 404
        assert client.get(f"/routing/rules/{rule.pk}/").status_code == 404
        assert client.post("/routing/skills/", {"name": "英语"}).status_code == 404
    assert not Skill.objects.exists()


def test_an_admin_adds_a_skill_and_gives_it_to_an_agent(org: Any) -> None:
    client = _client(org.admin)

    added = client.post("/routing/skills/", {"name": "英语"})
    skill = Skill.objects.get(name="英语")
    given = client.post(f"/routing/agents/{org.agent.pk}/skills/", {"skills": [str(skill.pk)]})

    assert (added.status_code, given.status_code) == (302, 302)
    assert list(org.agent.skills.all()) == [skill]
    assert Event.objects.filter(verb="skill.created", actor=org.admin).count() == 1
    changed = Event.objects.get(verb="agent.skills_changed")
    assert (changed.subject_id, changed.data) == (org.agent.pk, {"from": [], "to": [skill.pk]})
    assert "英语" in client.get("/routing/skills/").content.decode()


def test_a_duplicate_skill_is_refused_on_the_form(org: Any) -> None:
    Skill.objects.create(name="英语")

    response = _client(org.admin).post("/routing/skills/", {"name": "英语"})

    assert response.status_code == 422
    assert Skill.objects.count() == 1


def test_an_agent_goes_online_from_the_top_bar_and_it_is_an_event(org: Any) -> None:
    client = _client(org.agent)
    assert org.agent.availability == Availability.OFFLINE
    assert 'data-testid="availability-menu"' in client.get("/").content.decode()

    response = client.post(
        "/routing/availability/", {"availability": "online", "next": "/tickets/kanban/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/tickets/kanban/"
    org.agent.refresh_from_db()
    assert org.agent.availability == Availability.ONLINE
    event = Event.objects.get(verb="agent.availability_changed")
    assert (event.actor_id, event.subject_id, event.data) == (
        org.agent.pk,
        org.agent.pk,
        {"from": "offline", "to": "online"},
    )


def test_a_supervisor_sees_and_changes_the_team_availability(org: Any) -> None:
    client = _client(org.supervisor)

    page = client.get("/routing/agents/")
    changed = client.post(f"/routing/agents/{org.agent.pk}/availability/", {"availability": "away"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="agent-zhangwei"' in html
    assert 'data-testid="agent-lina"' in html
    assert 'data-testid="agent-wangqiang"' not in html  # another department, not an agent
    assert changed.status_code == 302
    assert User.objects.get(pk=org.agent.pk).availability == Availability.AWAY
    assert (
        Event.objects.filter(verb="agent.availability_changed", actor=org.supervisor).count() == 1
    )


def test_an_agent_cannot_see_or_change_a_colleague_availability(org: Any) -> None:
    client = _client(org.agent)

    page = client.get("/routing/agents/")
    changed = client.post(
        f"/routing/agents/{org.other_agent.pk}/availability/", {"availability": "online"}
    )

    assert (page.status_code, changed.status_code) == (404, 404)
    assert User.objects.get(pk=org.other_agent.pk).availability == Availability.OFFLINE
    assert not Event.objects.filter(verb="agent.availability_changed").exists()


def test_the_team_page_has_the_same_queries_for_one_and_many_agents(
    org: Any, django_assert_max_num_queries: Any
) -> None:
    from bihuan.testing.factories import make_user

    client = _client(org.admin)
    client.get("/routing/agents/")  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get("/routing/agents/")
    for _ in range(20):
        make_user(department=org.service, teams=[org.presales])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/routing/agents/")


def test_an_admin_sets_a_queue_to_assign_automatically(org: Any) -> None:
    client = _client(org.admin)
    assert org.presales.assignment_strategy == "manual"

    page = client.get("/routing/queues/")
    response = client.post(
        f"/routing/queues/{org.presales.pk}/",
        {"assignment_strategy": "least_open", "offline_release_minutes": "15"},
    )

    assert page.status_code == 200
    assert f'data-testid="queue-{org.presales.pk}"' in page.content.decode()
    assert response.status_code == 302
    org.presales.refresh_from_db()
    assert (org.presales.assignment_strategy, org.presales.offline_release_minutes) == (
        "least_open",
        15,
    )
    event = Event.objects.get(verb="queue.configured")
    assert (event.actor_id, event.data["changes"]) == (
        org.admin.pk,
        {"assignment_strategy": ["manual", "least_open"], "offline_release_minutes": [30, 15]},
    )


def test_queue_settings_are_refused_to_others_and_when_invalid(org: Any) -> None:
    path = f"/routing/queues/{org.presales.pk}/"

    as_supervisor = _client(org.supervisor).post(
        path, {"assignment_strategy": "round_robin", "offline_release_minutes": "30"}
    )
    invalid = _client(org.admin).post(
        path, {"assignment_strategy": "random", "offline_release_minutes": "30"}
    )

    assert as_supervisor.status_code == 404
    assert invalid.status_code == 302
    org.presales.refresh_from_db()
    assert org.presales.assignment_strategy == "manual"
    assert not Event.objects.filter(verb="queue.configured").exists()


@pytest.mark.django_db(transaction=True)  # triage routes and assigns after the commit
def test_set_up_only_through_the_pages_a_new_ticket_is_routed_and_assigned(org: Any) -> None:
    admin = _client(org.admin)
    admin.post(
        f"/routing/queues/{org.complaints.pk}/",
        {"assignment_strategy": "round_robin", "offline_release_minutes": "30"},
    )
    admin.post(
        "/routing/rules/new/",
        {**_routing_data(org, channel="", kind="complaint"), "action": "save"},
    )
    _client(org.other_agent).post("/routing/availability/", {"availability": "online"})

    ticket = make_ticket(
        subject="我要投诉快递员",
        body="快递员态度太差，还把包裹扔在门口",
        kind="complaint",
        explicit_fields=("kind",),
    )

    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.owner_id) == (org.complaints.pk, org.other_agent.pk)
