"""Helpers for feedback tests: time moved by time-machine, due work run as a worker would,
and solved tickets of a customer with an email address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps

from bihuan.core.models import DueItem
from bihuan.feedback.models import (
    NegativeAnalysis,
    Rectification,
    SurveyInvitation,
    SurveyResponse,
)
from bihuan.feedback.services import survey_token
from bihuan.sla.defaults import install_default_policies
from bihuan.sla.tests.conftest import Clock, open_ticket
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket
from tests.security.state import db_state


@pytest.fixture
def clock() -> Iterator[Clock]:
    moving = Clock()
    yield moving
    moving.stop()


@pytest.fixture
def mail_from(settings: Any) -> None:
    settings.BIHUAN_MAIL_FROM = "闭环客服 <support@example.cn>"
    settings.BIHUAN_PUBLIC_URL = "https://help.example.cn"


def solved_ticket(
    org: Any, *, kind: str = "inquiry", email: str = "wangfang@example.com"
) -> Ticket:
    """A ticket of the presales queue, owned by zhangwei, solved (its consumer has run)."""
    ticket = open_ticket(kind, team=org.presales, email=email, name="王芳")
    tickets.update_ticket(ticket, tickets.TicketChanges(owner=org.agent), actor=org.supervisor)
    tickets.change_status(ticket, status="solved", actor=org.agent)
    return Ticket.objects.get(pk=ticket.pk)


def csat_of(ticket: Ticket) -> SurveyInvitation:
    return SurveyInvitation.objects.get(ticket=ticket, kind="csat")


def link_of(ticket: Ticket) -> str:
    return f"/survey/{survey_token(csat_of(ticket))}/"


@pytest.fixture
def policies(db: None) -> None:
    """The seeded calendars (a transactional test empties the tables)."""
    install_default_policies()


def feedback_state() -> dict[str, Any]:
    """``db_state`` with every feedback row and the fields an answer or a move would change."""
    state = db_state()
    for model in apps.get_app_config("feedback").get_models():
        state[model._meta.label] = model._default_manager.count()
    state["responses"] = list(
        SurveyResponse.objects.order_by("pk").values_list("pk", "score", "comment", "edit_count")
    )
    state["invitations"] = list(
        SurveyInvitation.objects.order_by("pk").values_list("pk", "state", "answered_at")
    )
    state["rectifications"] = list(
        Rectification.objects.order_by("pk").values_list("pk", "state", "updated_at")
    )
    state["analyses"] = list(
        NegativeAnalysis.objects.order_by("pk").values_list("pk", "state", "owner_id")
    )
    state["due"] = list(
        DueItem.objects.filter(state="pending").order_by("pk").values_list("kind", "key", "due_at")
    )
    return state
