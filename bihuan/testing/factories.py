"""Factories that build test data through the real services, so events exist as in life."""

from __future__ import annotations

import itertools
from typing import Any

from bihuan.accounts.choices import Role
from bihuan.accounts.models import Department, Team, User
from bihuan.customers.services import ContactDetails
from bihuan.tickets import services
from bihuan.tickets.models import Ticket

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"  # noqa: S105  (test users only)


def make_department(name: str | None = None, *, head: User | None = None) -> Department:
    return Department.objects.create(name=name or f"部门{next(_counter)}", head=head)


def make_team(department: Department, name: str | None = None, members: list[User] = ()) -> Team:  # type: ignore[assignment]
    team = Team.objects.create(name=name or f"队列{next(_counter)}", department=department)
    if members:
        team.members.add(*members)
    return team


def make_user(
    role: str = Role.AGENT,
    *,
    username: str | None = None,
    department: Department | None = None,
    teams: list[Team] = (),  # type: ignore[assignment]
    **extra: Any,
) -> User:
    name = username or f"user{next(_counter)}"
    user = User.objects.create_user(
        username=name,
        password=PASSWORD,
        role=role,
        department=department,
        display_name=extra.pop("display_name", name),
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        **extra,
    )
    if teams:
        user.teams.add(*teams)
    return user


def make_ticket(
    *,
    subject: str = "订单还没发货",
    body: str = "我上周下的订单到现在还没发货，请帮忙查一下。",
    team: Team | None = None,
    actor: User | None = None,
    phone: str = "",
    email: str = "",
    name: str = "王芳",
    **extra: Any,
) -> Ticket:
    return services.create_ticket(
        services.NewTicket(
            subject=subject,
            body=body,
            team=team,
            contact=ContactDetails(name=name, phone=phone, email=email),
            **extra,
        ),
        actor=actor,
    )
