"""The HTTP side of the live workspace: unread markers and counts, newer timeline entries,
the notification settings; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from bihuan.core.models import Event
from bihuan.live import services
from bihuan.live.models import LiveSettings, TicketRead
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from conftest import Org

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_colleagues_note_makes_a_ticket_unread_until_its_page_has_shown_it(org: Org) -> None:
    old = make_ticket(subject="发票抬头开错了", team=org.presales)
    client = _client(org.agent)
    client.get("/live/settings/")
    assert not LiveSettings.objects.filter(user=org.agent).exists()  # a page view never writes
    services.ensure_live_settings(org.agent)  # the first live socket: read tracking starts
    ticket = make_ticket(subject="订单还没发货", team=org.presales)
    ticket_services.add_internal_note(ticket, body="客户又来电催了", actor=org.supervisor)
    ticket_services.add_internal_note(old, body="我自己记一笔", actor=org.agent)

    unread = client.get(f"/live/unread/?tickets={ticket.pk},{old.pk}").json()

    assert unread["tickets"] == [ticket.pk]  # not the one with only the agent's own note
    assert unread["views"]["open"]["unread"] == "1"
    assert unread["views"]["open"]["total"] == "2"
    assert unread["views"]["solved"]["unread"] == ""
    newest = Event.objects.filter(ticket_id=ticket.pk).latest("id").pk
    services.mark_ticket_read(org.agent, ticket_id=ticket.pk)
    services.mark_ticket_read(org.agent, ticket_id=ticket.pk, event_id=1)  # never back
    assert TicketRead.objects.get(user=org.agent, ticket=ticket).last_event_id == newest
    after = client.get(f"/live/unread/?tickets={ticket.pk}").json()
    assert after["tickets"] == []
    assert after["views"]["open"]["unread"] == ""


def test_unread_state_is_only_of_tickets_in_the_viewers_scope(org: Org) -> None:
    client = _client(org.agent)
    services.ensure_live_settings(org.agent)
    foreign = make_ticket(subject="投诉：快递员态度差", team=org.complaints)

    unread = client.get(f"/live/unread/?tickets={foreign.pk}").json()

    assert unread["tickets"] == []
    assert all(view["unread"] == "" for view in unread["views"].values())


def test_bad_unread_or_timeline_parameters_are_refused(org: Org) -> None:
    ticket = make_ticket(subject="订单还没发货", team=org.presales)
    client = _client(org.agent)

    assert client.get("/live/unread/?tickets=1,x").status_code == 422
    assert client.get(f"/live/unread/?tickets={',' * 5}{'1,' * 201}").status_code == 422
    assert client.get(f"/live/tickets/{ticket.pk}/timeline/?after=-1").status_code == 422
    assert client.get(f"/live/tickets/{ticket.pk}/timeline/").status_code == 422
    assert client.get(f"/live/tickets/{10**30}/timeline/?after=0").status_code == 404
    assert TicketRead.objects.count() == 0


def test_the_timeline_fragment_holds_only_the_entries_after_the_cursor(org: Org) -> None:
    ticket = make_ticket(subject="订单还没发货", team=org.presales)
    seen = Event.objects.filter(ticket_id=ticket.pk).latest("id").pk
    ticket_services.add_internal_note(ticket, body="已联系仓库", actor=org.supervisor)
    newest = Event.objects.filter(ticket_id=ticket.pk).latest("id").pk
    foreign = make_ticket(subject="投诉：快递员态度差", team=org.complaints)
    client = _client(org.agent)

    response = client.get(f"/live/tickets/{ticket.pk}/timeline/?after={seen}")
    hidden = client.get(f"/live/tickets/{foreign.pk}/timeline/?after=0")

    assert response.status_code == 200
    html = response.content.decode()
    assert "已联系仓库" in html
    assert "我上周下的订单" not in html  # the first message is before the cursor
    assert html.count("<li") == 1
    assert response["X-Live-Cursor"] == str(newest)
    assert response["X-Live-Complete"] == "1"
    assert hidden.status_code == 404


def test_an_agent_turns_the_desktop_notification_and_the_sound_on_and_off(org: Org) -> None:
    client = _client(org.agent)

    page = client.get("/live/settings/")
    saved = client.post("/live/settings/", {"desktop_notifications": "on", "sound": "on"})

    assert page.status_code == 200
    assert saved.status_code == 302
    row = LiveSettings.objects.get(user=org.agent)
    assert (row.desktop_notifications, row.sound) == (True, True)
    inbox = client.get("/").content.decode()
    assert 'data-desktop="1" data-sound="1"' in inbox
    client.post("/live/settings/", {"sound": "on"})
    row.refresh_from_db()
    assert (row.desktop_notifications, row.sound) == (False, True)
