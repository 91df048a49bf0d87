"""Macros: a template plus field changes applied to a ticket as one service call, with one
event per change; a refused change undoes the whole macro."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.core.errors import Conflict, PermissionDenied, ValidationFailed
from bihuan.core.models import Event
from bihuan.knowledge import services
from bihuan.knowledge.models import Macro, ReplyTemplate
from bihuan.testing.factories import make_ticket
from bihuan.tickets.models import Category, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund_approved(org: Any) -> Macro:
    template = services.create_template(
        services.TemplateFields(
            title="退款已受理", body="{{ customer.name }}，您的退款已受理。", shared=True
        ),
        actor=org.supervisor,
    )
    return services.save_macro(
        services.MacroFields(
            title="退款已批准",
            template=template,
            status="pending_customer",
            category=Category.objects.create(name="退款"),
            add_tags="已退款",
        ),
        actor=org.supervisor,
    )


def test_applying_a_macro_replies_and_changes_the_fields_with_one_event_each(
    org: Any, refund_approved: Macro, client: Client
) -> None:
    ticket = make_ticket(team=org.presales, name="王芳", tags=["加急"])
    before = Event.objects.filter(ticket_id=ticket.pk).count()
    client.force_login(org.agent)

    response = client.post(f"/knowledge/tickets/{ticket.pk}/macros/{refund_approved.pk}/apply/")

    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "pending_customer"
    assert ticket.category == Category.objects.get(name="退款")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["加急", "已退款"]
    assert (
        Message.objects.filter(ticket=ticket, kind="reply").get().body == "王芳，您的退款已受理。"
    )
    verbs = list(
        Event.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("verb", flat=True)
    )[before:]
    assert verbs == [
        "ticket.message_added",  # the reply, which (the first one) also opens and assigns
        "ticket.status_changed",
        "ticket.assigned",
        "ticket.updated",  # the category
        "ticket.updated",  # the tags
        "ticket.status_changed",  # waiting for the customer
        "knowledge.macro_applied",
    ]
    refund_approved.refresh_from_db()
    assert refund_approved.use_count == 1
    assert ReplyTemplate.objects.get(title="退款已受理").use_count == 1


def test_a_macro_refused_by_the_ticket_changes_nothing(org: Any, refund_approved: Macro) -> None:
    ticket = make_ticket(team=org.presales)
    # New → closed skips the loop (solved, confirmed): the state machine refuses it.
    Macro.objects.filter(pk=refund_approved.pk).update(status="closed")
    refund_approved.refresh_from_db()
    events = Event.objects.count()

    with pytest.raises(Conflict):
        services.apply_macro(refund_approved, ticket=ticket, actor=org.agent)

    assert Event.objects.count() == events
    assert not Message.objects.filter(ticket=ticket, kind="reply").exists()
    assert ReplyTemplate.objects.get(title="退款已受理").use_count == 0


def test_only_editors_write_macros_and_an_empty_one_is_refused(org: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.save_macro(services.MacroFields(title="x", status="solved"), actor=org.agent)
    with pytest.raises(ValidationFailed):
        services.save_macro(services.MacroFields(title="x"), actor=org.supervisor)

    assert Macro.objects.count() == 0


def test_the_panel_offers_the_macros_and_the_macros_page_saves_one(
    org: Any, refund_approved: Macro, client: Client
) -> None:
    ticket = make_ticket(team=org.presales)
    client.force_login(org.agent)
    panel = client.get(f"/knowledge/tickets/{ticket.pk}/panel/").content.decode()
    client.force_login(org.supervisor)

    saved = client.post("/knowledge/macros/", {"title": "转技术部", "priority": "2"})

    assert "退款已批准" in panel
    assert saved.status_code == 302
    assert Macro.objects.get(title="转技术部").priority == 2
