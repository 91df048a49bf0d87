"""Routing rules, the VIP advisor, and each assignment strategy within capacity."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bihuan.accounts.choices import AssignmentStrategy, Availability, Role
from bihuan.accounts.models import Skill, Team, User
from bihuan.accounts.services import set_availability
from bihuan.core.models import Event
from bihuan.customers.models import Customer
from bihuan.testing.factories import make_team, make_ticket, make_user
from bihuan.tickets.choices import OPEN_STATUSES
from bihuan.tickets.models import Category, Ticket
from bihuan.triage import services
from bihuan.triage.models import RoutingRule


def _online(*users: User, capacity: int = 30) -> None:
    User.objects.filter(pk__in=[u.pk for u in users]).update(
        availability=Availability.ONLINE,
        availability_changed_at=timezone.now(),
        max_open_tickets=capacity,
    )


def _bare_tickets(team: Team, count: int, *, channel: str = "email") -> list[Ticket]:
    """Many unowned tickets at once (the strategy is under test, not ticket creation)."""
    now = timezone.now()
    customer = Customer.objects.create(name="批量客户", created_at=now, updated_at=now)
    Ticket.objects.bulk_create(
        Ticket(
            subject=f"工单 {i}",
            channel=channel,
            customer=customer,
            team=team,
            department=team.department,
            created_at=now,
            updated_at=now,
        )
        for i in range(count)
    )
    return list(Ticket.objects.filter(team=team, owner__isnull=True).order_by("id"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "strategy", [AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.LEAST_OPEN]
)
def test_over_a_thousand_assignments_every_available_agent_gets_a_fair_share(
    org: Any, strategy: str
) -> None:
    team = make_team(org.service, "公平队列")
    agents = [make_user(Role.AGENT, department=org.service, teams=[team]) for _ in range(4)]
    offline = make_user(Role.AGENT, department=org.service, teams=[team])
    _online(*agents, capacity=1000)
    team.assignment_strategy = strategy
    team.save(update_fields=["assignment_strategy"])

    for ticket in _bare_tickets(team, 1000):
        services.assign_owner(Ticket.objects.select_related("customer", "team").get(pk=ticket.pk))

    shares = Counter(Ticket.objects.filter(team=team).values_list("owner_id", flat=True))
    expected = 1000 / 4
    tolerance = 0.02 * 1000  # no agent's share differs from 250 by more than 20 tickets
    assert sum(shares.values()) == 1000
    assert offline.pk not in shares
    assert all(abs(shares[a.pk] - expected) <= tolerance for a in agents), shares
    assert Event.objects.filter(verb="ticket.assigned", data__reason=strategy).count() == 1000


@pytest.mark.django_db
def test_nobody_is_assigned_above_capacity(org: Any) -> None:
    team = make_team(org.service, "容量队列")
    small, large = (make_user(Role.AGENT, department=org.service, teams=[team]) for _ in range(2))
    _online(small, capacity=3)
    _online(large, capacity=5)
    team.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    team.save(update_fields=["assignment_strategy"])

    for ticket in _bare_tickets(team, 12):
        services.assign_owner(Ticket.objects.select_related("customer", "team").get(pk=ticket.pk))

    loads: Counter[int | None] = Counter(
        Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("owner_id", flat=True)
    )
    assert loads[small.pk] == 3
    assert loads[large.pk] == 5
    assert loads[None] == 4  # waiting in the queue for someone with room


@pytest.mark.django_db
def test_least_open_prefers_the_agent_with_the_lightest_load(org: Any) -> None:
    team = make_team(org.service, "负载队列")
    busy, idle = (make_user(Role.AGENT, department=org.service, teams=[team]) for _ in range(2))
    _online(busy, idle)
    team.assignment_strategy = AssignmentStrategy.LEAST_OPEN
    team.save(update_fields=["assignment_strategy"])
    for ticket in _bare_tickets(team, 3):
        Ticket.objects.filter(pk=ticket.pk).update(owner=busy)

    ticket = _bare_tickets(team, 1)[0]
    chosen = services.assign_owner(
        Ticket.objects.select_related("customer", "team").get(pk=ticket.pk)
    )

    assert chosen == idle


@pytest.mark.django_db
def test_skills_based_assignment_picks_only_agents_with_every_required_skill(org: Any) -> None:
    english = Skill.objects.create(name="英语")
    vip = Skill.objects.create(name="VIP")
    team = make_team(org.service, "技能队列")
    plain, bilingual, both = (
        make_user(Role.AGENT, department=org.service, teams=[team]) for _ in range(3)
    )
    bilingual.skills.add(english)
    both.skills.add(english, vip)
    _online(plain, bilingual, both)
    team.assignment_strategy = AssignmentStrategy.SKILLS
    team.save(update_fields=["assignment_strategy"])

    ticket = _bare_tickets(team, 1)[0]
    chosen = services.assign_owner(
        Ticket.objects.select_related("customer", "team").get(pk=ticket.pk), skills=[english, vip]
    )

    assert chosen == both


@pytest.mark.django_db
def test_a_manual_queue_leaves_tickets_for_agents_to_pick(org: Any) -> None:
    _online(org.agent)
    ticket = _bare_tickets(org.presales, 1)[0]

    assert (
        services.assign_owner(Ticket.objects.select_related("customer", "team").get(pk=ticket.pk))
        is None
    )


@pytest.mark.django_db(transaction=True)
def test_routing_rules_send_tickets_to_their_queue_and_vip_to_the_advisor(org: Any) -> None:
    logistics = Category.objects.create(name="物流/配送")
    services.install_default_rules()
    team = make_team(org.tech, "物流组")
    courier = make_user(Role.AGENT, department=org.tech, teams=[team])
    _online(courier, org.advisor)
    team.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    team.save(update_fields=["assignment_strategy"])
    RoutingRule.objects.create(name="物流进物流组", category=logistics, team=team, position=1)
    vip = make_ticket(subject="咨询", body="你好", phone="13900000001")
    Customer.objects.filter(pk=vip.customer_id).update(tier="vip", advisor=org.advisor)

    routed = make_ticket(
        subject="快递三天没更新", body="物流一直没更新，包裹在哪", phone="13900000002"
    )
    vip_ticket = make_ticket(subject="又一个问题", body="请问发票怎么开", phone="13900000001")

    routed.refresh_from_db()
    vip_ticket.refresh_from_db()
    assert (routed.team, routed.department, routed.owner) == (team, org.tech, courier)
    assert vip_ticket.owner == org.advisor
    reasons = set(
        Event.objects.filter(verb="ticket.assigned").values_list("data__reason", flat=True)
    )
    assert {"round_robin", "vip_advisor"} <= reasons


@pytest.mark.django_db
def test_tickets_of_an_owner_offline_too_long_go_back_to_the_queue(org: Any) -> None:
    team = make_team(org.service, "在线队列")
    leaving, staying = (
        make_user(Role.AGENT, department=org.service, teams=[team]) for _ in range(2)
    )
    _online(leaving, staying)
    team.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    team.offline_release_minutes = 30
    team.save(update_fields=["assignment_strategy", "offline_release_minutes"])
    ticket = _bare_tickets(team, 1)[0]
    Ticket.objects.filter(pk=ticket.pk).update(owner=leaving)
    set_availability(leaving, availability=Availability.OFFLINE, actor=leaving)

    early = services.release_tickets_of_offline_owners(now=timezone.now() + timedelta(minutes=10))
    late = services.release_tickets_of_offline_owners(now=timezone.now() + timedelta(minutes=31))

    ticket.refresh_from_db()
    assert (early, late) == (0, 1)
    assert ticket.owner == staying
    assert Event.objects.filter(verb="ticket.assigned", data__reason="owner_offline").exists()
