"""The ticket timeline is read by key, a page at a time: the query, the ticket page with its
"older messages" button, and the API's ``?cursor=`` pages."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bihuan.core.models import Event
from bihuan.testing.factories import make_ticket
from bihuan.tickets import queries
from bihuan.tickets import services as tickets
from bihuan.tickets.models import Ticket
from bihuan.tickets.views import TIMELINE_PAGE_SIZE

pytestmark = pytest.mark.django_db

FORGED_CURSORS = [
    "not-a-cursor",
    base64.urlsafe_b64encode(b'["n",{"dt":"9999-12-31T23:59:59"},1]').decode(),
    base64.urlsafe_b64encode(json.dumps(["n", 1, 2**70]).encode()).decode(),
]


def _long_ticket(org: Any, entries: int) -> Ticket:
    """A ticket with exactly ``entries`` timeline entries: its opening, then notes and
    customer messages in turn."""
    ticket = make_ticket(team=org.presales, subject="长工单")
    for number in range(entries - Event.objects.filter(ticket_id=ticket.pk).count()):
        if number % 2:
            tickets.add_customer_message(ticket, body=f"追问 {number}")
        else:
            tickets.add_internal_note(ticket, body=f"备注 {number}", actor=org.agent)
    assert Event.objects.filter(ticket_id=ticket.pk).count() == entries
    return ticket


def _event_ids(ticket: Ticket) -> list[int]:
    return list(
        Event.objects.filter(ticket_id=ticket.pk).order_by("id").values_list("pk", flat=True)
    )


def _signed_in(org: Any) -> Client:
    client = Client()
    client.force_login(org.agent)
    return client


def _api(org: Any, path: str, **params: str) -> Any:
    """GET an API path as the agent (the test client, so the test's transaction is seen)."""
    token = org.tokens["zhangwei"]
    return Client().get(path, params, headers={"Authorization": f"Bearer {token}"})


def _count(client: Client, url: str, **headers: str) -> int:
    client.get(url, headers=headers)  # warm: token last-used, session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    return len(captured)


def test_the_timeline_pages_by_key_and_the_pages_add_up_to_the_whole_history(org: Any) -> None:
    ticket = make_ticket(team=org.presales)
    for number in range(7):
        tickets.add_internal_note(ticket, body=f"备注 {number}", actor=org.agent)
    whole = [entry.event.pk for entry in queries.timeline(ticket)]

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        with CaptureQueriesContext(connection) as queries_run:
            page = queries.timeline_page(ticket, cursor=cursor, limit=3)
        assert len(queries_run) == 2
        seen += [entry.event.pk for entry in page.entries]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == whole == sorted(whole)
    assert pages == -(-len(whole) // 3)
    assert all(e.message is not None for e in queries.timeline_page(ticket, limit=50).entries[:1])


def test_newest_first_pages_walk_back_from_the_end_each_page_oldest_first(org: Any) -> None:
    ticket = _long_ticket(org, 8)
    whole = _event_ids(ticket)

    pages: list[list[int]] = []
    cursor = None
    while True:
        page = queries.timeline_page(ticket, newest_first=True, cursor=cursor, limit=3)
        pages.append([entry.event.pk for entry in page.entries])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert pages == [whole[5:8], whole[2:5], whole[0:2]]


# --- The ticket page -------------------------------------------------------------------------


def test_the_ticket_page_costs_the_same_for_one_and_for_two_hundred_timeline_entries(
    org: Any,
) -> None:
    client = _signed_in(org)
    short = _long_ticket(org, 1)
    one = _count(client, reverse("tickets:detail", kwargs={"number": short.pk}))

    long = _long_ticket(org, 200)
    two_hundred = _count(client, reverse("tickets:detail", kwargs={"number": long.pk}))
    older = client.get(reverse("tickets:detail", kwargs={"number": long.pk})).context[
        "older_cursor"
    ]
    older_url = reverse("tickets:timeline_older", kwargs={"number": long.pk})
    an_older_page = _count(client, f"{older_url}?cursor={older}", HX_Request="true")

    assert one == two_hundred
    assert an_older_page < one


def test_the_ticket_page_shows_the_newest_entries_and_older_pages_load_each_entry_once(
    org: Any,
) -> None:
    client = _signed_in(org)
    ticket = _long_ticket(org, 120)
    bodies = [m.body for m in ticket.messages.order_by("id")]

    response = client.get(reverse("tickets:detail", kwargs={"number": ticket.pk}))
    first = [item.message.body for item in response.context["timeline"] if item.message]
    html = response.content.decode()
    pages = [first]
    cursor = response.context["older_cursor"]
    url = reverse("tickets:timeline_older", kwargs={"number": ticket.pk})
    while cursor:
        older = client.get(url, {"cursor": cursor}, headers={"HX-Request": "true"})
        assert older.status_code == 200
        pages.insert(0, [item.message.body for item in older.context["timeline"] if item.message])
        cursor = older.context["older_cursor"]
        assert ('data-testid="timeline-older"' in older.content.decode()) == bool(cursor)

    assert len(first) == TIMELINE_PAGE_SIZE
    assert first == bodies[-TIMELINE_PAGE_SIZE:]
    assert 'data-testid="timeline-older"' in html
    assert f"?cursor={response.context['older_cursor']}" in html
    assert [body for page in pages for body in page] == bodies
    assert len(pages) == 3


def test_a_short_ticket_page_has_no_older_messages_button(org: Any) -> None:
    client = _signed_in(org)
    ticket = _long_ticket(org, 3)

    response = client.get(reverse("tickets:detail", kwargs={"number": ticket.pk}))

    assert response.context["older_cursor"] is None
    assert 'data-testid="timeline-older"' not in response.content.decode()


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_a_forged_cursor_for_older_messages_is_a_clear_422(org: Any, cursor: str) -> None:
    client = _signed_in(org)
    ticket = _long_ticket(org, 3)
    url = reverse("tickets:timeline_older", kwargs={"number": ticket.pk})

    page = client.get(url, {"cursor": cursor})
    fragment = client.get(url, {"cursor": cursor}, headers={"HX-Request": "true"})

    assert page.status_code == fragment.status_code == 422
    # The interface speaks Chinese by default.
    assert "分页游标无效。" in page.content.decode()
    assert "分页游标无效。" in fragment.content.decode()
    assert fragment.headers["HX-Retarget"] == "#flash"


def test_older_messages_of_a_ticket_outside_the_viewers_scope_are_a_404(org: Any) -> None:
    ticket = _long_ticket(org, 3)
    client = Client()
    client.force_login(org.other_agent)

    response = client.get(reverse("tickets:timeline_older", kwargs={"number": ticket.pk}))

    assert response.status_code == 404


# --- The API ---------------------------------------------------------------------------------


def test_the_timeline_api_costs_the_same_for_one_and_for_two_hundred_entries(org: Any) -> None:
    client = Client()
    auth = f"Bearer {org.tokens['zhangwei']}"
    short = _long_ticket(org, 1)
    one = _count(client, f"/api/v1/tickets/{short.pk}/messages", Authorization=auth)

    long = _long_ticket(org, 200)
    two_hundred = _count(client, f"/api/v1/tickets/{long.pk}/messages", Authorization=auth)

    assert one == two_hundred


def test_paging_through_the_timeline_api_returns_every_entry_once_in_order(org: Any) -> None:
    ticket = _long_ticket(org, 200)

    seen: list[int] = []
    sizes: list[int] = []
    params = {"limit": "60"}
    while True:
        response = _api(org, f"/api/v1/tickets/{ticket.pk}/messages", **params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["event_id"] for item in body["items"]]
        sizes.append(len(body["items"]))
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]

    assert seen == _event_ids(ticket)
    assert sizes == [60, 60, 60, 20]


def test_the_first_timeline_api_page_is_the_oldest_hundred(org: Any) -> None:
    ticket = _long_ticket(org, 120)

    body = _api(org, f"/api/v1/tickets/{ticket.pk}/messages").json()

    assert [item["event_id"] for item in body["items"]] == _event_ids(ticket)[:100]
    assert body["items"][0]["verb"] == "ticket.created"
    assert body["next_cursor"] is not None


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_a_forged_timeline_api_cursor_is_a_422_with_code_and_message(org: Any, cursor: str) -> None:
    ticket = _long_ticket(org, 3)

    response = _api(org, f"/api/v1/tickets/{ticket.pk}/messages", cursor=cursor)

    assert response.status_code == 422
    assert response.json() == {"code": "invalid_cursor", "message": "分页游标无效。"}


def test_the_openapi_schema_documents_the_timeline_cursor(org: Any) -> None:
    schema = _api(org, "/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/tickets/{number}/messages"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"cursor", "limit", "number"} <= set(parameters)
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/TimelinePageOut"}
    page = schema["components"]["schemas"]["TimelinePageOut"]
    assert set(page["properties"]) == {"items", "next_cursor"}
