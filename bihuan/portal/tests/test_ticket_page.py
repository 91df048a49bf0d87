"""A customer's ticket in the portal: the public timeline, the status in plain words, the
commitment, replying with files, confirming a solution or reopening it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from bihuan.channels import services as channel_services
from bihuan.core.models import Event
from bihuan.feedback.choices import ResponseSource
from bihuan.feedback.models import SurveyResponse
from bihuan.portal.models import PortalFile
from bihuan.portal.tests.conftest import OpenPortal
from bihuan.tickets import services
from bihuan.tickets.choices import Channel, MessageKind, TicketStatus
from bihuan.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(org: Any, customer_ticket: Ticket) -> Ticket:
    services.reply_to_customer(customer_ticket, body="您好，请问是哪副耳机？", actor=org.agent)
    services.add_internal_note(customer_ticket, body="内部：疑似批次质量问题", actor=org.agent)
    services.update_ticket(customer_ticket, services.TicketChanges(priority=4), actor=org.agent)
    services.add_commitment(
        customer_ticket,
        description="周五前寄出新耳机",
        due_at=datetime(2030, 12, 6, 2, tzinfo=UTC),
        actor=org.agent,
    )
    return Ticket.objects.get(pk=customer_ticket.pk)


def _solve(org: Any, ticket: Ticket) -> None:
    services.change_status(ticket, status=TicketStatus.SOLVED, actor=org.agent)


def test_the_page_shows_the_public_timeline_the_status_and_the_commitment(
    answered: Ticket, open_portal: OpenPortal
) -> None:
    client = open_portal(answered)

    with translation.override("en"):
        page = client.get(f"/portal/requests/{answered.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()

    assert page.status_code == 200
    assert "我上周下的订单" in html
    assert "您好，请问是哪副耳机？" in html
    assert "周五前寄出新耳机" in html
    assert 'datetime="2030-12-06T10:00:00+08:00"' in html  # the due time, in Beijing time
    assert "We are working on your request." in html
    assert html.count('data-testid="message"') == 2
    assert "内部" not in html
    assert "张伟" in html  # the agent who answered signs the reply


def test_a_reply_with_files_becomes_the_customers_message_on_the_web_channel(
    org: Any, answered: Ticket, open_portal: OpenPortal, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = open_portal(answered)
    services.change_status(answered, status=TicketStatus.PENDING_CUSTOMER, actor=org.agent)

    response = client.post(
        f"/portal/requests/{answered.pk}/reply/",
        {
            "body": "是上个月买的蓝牙耳机",
            "files": [
                SimpleUploadedFile("发票.pdf", b"%PDF-1.4 invoice", "application/pdf"),
                SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", "image/jpeg"),
            ],
        },
    )

    message = Message.objects.filter(ticket=answered).latest("id")
    assert response.status_code == 302
    assert (message.kind, message.channel, message.body, message.customer_id) == (
        MessageKind.CUSTOMER,
        Channel.WEB,
        "是上个月买的蓝牙耳机",
        answered.customer_id,
    )
    assert Ticket.objects.get(pk=answered.pk).status == TicketStatus.OPEN  # resumed
    files = list(PortalFile.objects.filter(message=message).order_by("id"))
    assert [(f.name, f.size) for f in files] == [("发票.pdf", 16), ("photo.jpg", 3)]
    page = client.get(f"/portal/requests/{answered.pk}/").content.decode()
    assert page.count('data-testid="file"') == 2
    download = client.get(f"/portal/requests/{answered.pk}/files/{files[0].pk}/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 invoice"  # type: ignore[attr-defined]
    assert download["Content-Disposition"].startswith("attachment")


def test_the_agent_sees_the_customers_portal_files_on_the_ticket_page(
    org: Any, answered: Ticket, open_portal: OpenPortal, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = open_portal(answered)
    client.post(
        f"/portal/requests/{answered.pk}/reply/",
        {"body": "", "files": [SimpleUploadedFile("截图.png", b"\x89PNG", "image/png")]},
    )
    stored = PortalFile.objects.get()
    agent = Client()
    agent.force_login(org.agent)

    page = agent.get(f"/tickets/{answered.pk}/")

    assert f"/tickets/{answered.pk}/portal-files/{stored.pk}/" in page.content.decode()
    assert agent.get(f"/tickets/{answered.pk}/portal-files/{stored.pk}/").status_code == 200


def test_too_many_or_too_large_files_are_refused_and_nothing_is_written(
    answered: Ticket,
    open_portal: OpenPortal,
    settings: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(channel_services, "UPLOAD_MAX_FILE_BYTES", 1024 * 1024)
    client = open_portal(answered)
    before = (Message.objects.count(), Event.objects.count())

    too_many = client.post(
        f"/portal/requests/{answered.pk}/reply/",
        {"body": "x", "files": [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(6)]},
    )
    too_large = client.post(
        f"/portal/requests/{answered.pk}/reply/",
        {"body": "x", "files": [SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))]},
    )

    assert too_many.status_code == too_large.status_code == 302
    assert (Message.objects.count(), Event.objects.count()) == before
    assert PortalFile.objects.count() == 0


def test_the_customer_confirms_a_solved_ticket_once(
    org: Any, answered: Ticket, open_portal: OpenPortal
) -> None:
    _solve(org, answered)
    client = open_portal(answered)

    first = client.post(f"/portal/requests/{answered.pk}/confirm/")
    second = client.post(f"/portal/requests/{answered.pk}/confirm/")
    page = client.get(f"/portal/requests/{answered.pk}/").content.decode()

    assert first.status_code == second.status_code == 302
    assert Event.objects.filter(verb="portal.solution_confirmed").count() == 1
    assert Ticket.objects.get(pk=answered.pk).status == TicketStatus.SOLVED
    assert 'data-testid="confirmed"' in page


def test_an_open_ticket_cannot_be_confirmed(answered: Ticket, open_portal: OpenPortal) -> None:
    client = open_portal(answered)

    client.post(f"/portal/requests/{answered.pk}/confirm/")

    assert not Event.objects.filter(verb="portal.solution_confirmed").exists()


def test_not_solved_reopens_the_ticket_with_the_customers_words(
    org: Any, answered: Ticket, open_portal: OpenPortal
) -> None:
    _solve(org, answered)
    client = open_portal(answered)

    client.post(f"/portal/requests/{answered.pk}/not-solved/", {"body": "换的耳机还是没声音"})

    ticket = Ticket.objects.get(pk=answered.pk)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.messages.latest("id").body == "换的耳机还是没声音"
    change = Event.objects.filter(verb="ticket.status_changed").latest("id")
    assert change.data["reopened"] is True
    assert Event.objects.filter(verb="portal.solution_rejected").count() == 1


def test_not_solved_needs_a_reason(org: Any, answered: Ticket, open_portal: OpenPortal) -> None:
    _solve(org, answered)
    client = open_portal(answered)
    before = Event.objects.count()

    client.post(f"/portal/requests/{answered.pk}/not-solved/", {"body": "  "})

    assert Ticket.objects.get(pk=answered.pk).status == TicketStatus.SOLVED
    assert Event.objects.count() == before


def test_a_closed_ticket_takes_no_reply(
    org: Any, answered: Ticket, open_portal: OpenPortal
) -> None:
    for commitment in answered.commitments.all():
        services.complete_commitment(commitment, actor=org.agent)
    _solve(org, answered)
    services.change_status(
        answered, status=TicketStatus.CLOSED, actor=org.agent, close_reason="客户已确认"
    )
    client = open_portal(answered)
    before = Message.objects.count()

    page = client.get(f"/portal/requests/{answered.pk}/").content.decode()
    refused = client.post(f"/portal/requests/{answered.pk}/reply/", {"body": "还在吗"})

    assert 'data-testid="closed"' in page
    assert 'data-testid="reply"' not in page
    assert refused.status_code == 302
    assert Message.objects.count() == before


def test_the_customer_rates_a_solved_ticket_as_its_csat_answer(
    org: Any, answered: Ticket, open_portal: OpenPortal
) -> None:
    _solve(org, answered)
    client = open_portal(answered)

    client.post(f"/portal/requests/{answered.pk}/rating/", {"score": "4", "comment": "挺快的"})
    page = client.get(f"/portal/requests/{answered.pk}/").content.decode()

    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.source) == (4, "挺快的", ResponseSource.PORTAL)
    assert answer.invitation.ticket_id == answered.pk
    assert 'data-testid="rated" data-score="4"' in page


@pytest.mark.parametrize("score", ["0", "6", "five", ""])
def test_a_rating_outside_one_to_five_is_refused(
    org: Any, answered: Ticket, open_portal: OpenPortal, score: str
) -> None:
    _solve(org, answered)
    client = open_portal(answered)
    before = Event.objects.count()

    client.post(f"/portal/requests/{answered.pk}/rating/", {"score": score})

    assert SurveyResponse.objects.count() == 0
    assert Event.objects.count() == before


def test_an_unsolved_ticket_cannot_be_rated(answered: Ticket, open_portal: OpenPortal) -> None:
    client = open_portal(answered)

    response = client.post(f"/portal/requests/{answered.pk}/rating/", {"score": "5"})

    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 0
