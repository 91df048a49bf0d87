"""The ticket page's fast widget renderer writes exactly Django's widget HTML."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import get_default_renderer

from bihuan.testing.factories import make_ticket
from bihuan.tickets import services
from bihuan.tickets.forms import (
    CallBackForm,
    CommitmentForm,
    HandlingForm,
    InboxFilterForm,
    NewTicketForm,
    TaskForm,
    TicketPropertiesForm,
    load_options,
)
from bihuan.tickets.views_widgets import FAST_WIDGETS

pytestmark = pytest.mark.django_db


def _both(form: forms.Form) -> list[tuple[str, str, str]]:
    """Each field's HTML with Django's renderer and with the fast one."""
    rendered = []
    for name in form.fields:
        form.renderer = get_default_renderer()
        django_html = str(form[name])
        form.renderer = FAST_WIDGETS
        rendered.append((name, django_html, str(form[name])))
    return rendered


def test_every_widget_of_the_ticket_page_renders_as_django_renders_it(org: Any) -> None:
    ticket = make_ticket(subject='引号 "<b>" & 标签', phone="13900000001", tags=["加急", "<x>"])
    services.update_ticket(
        ticket,
        services.TicketChanges(owner=org.agent, priority=3, shared_departments=[org.tech]),
        actor=org.agent,
    )
    ticket.refresh_from_db()
    ticket.need_statement = "客户要 <退款> & 补发"
    options = load_options()
    page_forms: list[forms.Form] = [
        TicketPropertiesForm(ticket=ticket, options=options),
        TicketPropertiesForm({"status": "bogus", "tags": "a, <b>"}, ticket=ticket, options=options),
        HandlingForm(ticket=ticket),
        CommitmentForm(),
        CommitmentForm({"description": "<明天>", "due_at": "not a time"}),
        TaskForm(departments=options.departments, members=options.members),
        CallBackForm(),
        InboxFilterForm({"status": ["open", "new"], "tag": '"x"'}, options=options),
        NewTicketForm(teams=options.teams),
    ]
    for form in page_forms:
        form.is_bound and form.is_valid()  # errors add aria-invalid

        for name, django_html, fast_html in _both(form):
            assert fast_html == django_html, (type(form).__name__, name)
