"""Files on email replies: the composer uploads them as drafts, the next email reply carries
them as MIME parts over a real SMTP session, and the ticket shows and serves them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bihuan.channels import services
from bihuan.channels.models import MessageFile, OutboundEmail
from bihuan.channels.tests.conftest import Sink
from bihuan.core.models import Event
from bihuan.core.runner import Runner
from bihuan.testing.factories import make_ticket
from bihuan.tickets import services as ticket_services
from bihuan.tickets.models import Ticket
from conftest import Org
from tests.security.state import db_state

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, ticket: Ticket, *files: tuple[str, bytes, str]) -> Any:
    return client.post(
        f"/mail/tickets/{ticket.pk}/files/",
        {"attachments": [SimpleUploadedFile(name, data, kind) for name, data, kind in files]},
        headers={"HX-Request": "true"},
    )


def test_files_attached_in_the_composer_go_out_with_the_email_reply(org: Org, smtp: Sink) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    agent = _client(org.agent)

    uploaded = _upload(
        agent,
        ticket,
        ("退货单.pdf", PDF, "application/pdf"),
        ("故障照片.png", PNG, "image/png"),
    )
    agent.post(f"/tickets/{ticket.pk}/reply/", {"body": "您好，附件是退货单。", "channel": "email"})
    Runner("test").run_until_idle()

    assert uploaded.status_code == 200
    assert uploaded.content.decode().count('data-testid="reply-draft"') == 2
    [sent] = smtp.received
    assert sent.get_content_type() == "multipart/mixed"
    parts = [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in sent.iter_attachments()
    ]
    assert parts == [("退货单.pdf", "application/pdf", PDF), ("故障照片.png", "image/png", PNG)]
    text = sent.get_body(("plain",))
    assert text is not None
    assert "您好，附件是退货单。" in text.get_content()
    reply = ticket.messages.get(kind="reply")
    assert list(MessageFile.objects.order_by("id").values_list("filename", "ticket_message")) == [
        ("退货单.pdf", reply.pk),
        ("故障照片.png", reply.pk),
    ]
    assert OutboundEmail.objects.get().ticket_message == reply


def test_the_ticket_shows_the_files_of_a_reply_and_serves_them_as_downloads(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    agent = _client(org.agent)
    _upload(agent, ticket, ("<script>.html", b"<script>alert(1)</script>", "text/html"))
    agent.post(f"/tickets/{ticket.pk}/reply/", {"body": "见附件", "channel": "email"})
    Runner("test").run_until_idle()
    stored = MessageFile.objects.get()

    page = agent.get(reverse("tickets:detail", kwargs={"number": ticket.pk})).content.decode()
    download = agent.get(f"/mail/files/{stored.pk}/")

    assert f'href="/mail/files/{stored.pk}/" data-testid="message-file">&lt;script&gt;.html' in page
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"<script>alert(1)</script>"  # type: ignore[attr-defined]


def test_a_reply_by_another_channel_leaves_the_files_for_the_next_email_reply(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(email="wangfang@example.cn", phone="13800000000", team=org.presales)
    agent = _client(org.agent)
    _upload(agent, ticket, ("发票.pdf", PDF, "application/pdf"))

    agent.post(f"/tickets/{ticket.pk}/reply/", {"body": "电话里说过了", "channel": "phone"})
    Runner("test").run_until_idle()

    assert smtp.received == []
    assert MessageFile.objects.get().is_draft
    fragment = agent.get(f"/mail/tickets/{ticket.pk}/files/").content.decode()
    assert "发票.pdf" in fragment


def test_drafts_are_the_uploaders_own_until_they_are_sent(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    _upload(_client(org.agent), ticket, ("草稿.pdf", PDF, "application/pdf"))
    draft = MessageFile.objects.get()
    supervisor = _client(org.supervisor)
    before = db_state()

    fragment = supervisor.get(f"/mail/tickets/{ticket.pk}/files/").content.decode()
    download = supervisor.get(f"/mail/files/{draft.pk}/")
    removed = supervisor.post(f"/mail/files/{draft.pk}/remove/", headers={"HX-Request": "true"})

    assert "草稿.pdf" not in fragment
    assert (download.status_code, removed.status_code) == (404, 404)
    assert MessageFile.objects.filter(pk=draft.pk).exists()
    assert db_state() == before


def test_an_agent_removes_a_draft_before_sending(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    agent = _client(org.agent)
    _upload(agent, ticket, ("错的.pdf", PDF, "application/pdf"))
    draft = MessageFile.objects.get()

    response = agent.post(f"/mail/files/{draft.pk}/remove/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert 'data-testid="reply-draft"' not in response.content.decode()
    assert MessageFile.objects.count() == 0
    assert list(
        Event.objects.filter(verb__startswith="email.file").order_by("id").values_list("verb")
    ) == [("email.files_attached",), ("email.file_removed",)]


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([("空.pdf", b"", "application/pdf")], "empty_file"),
        (
            [("大.bin", b"x" * (services.UPLOAD_MAX_FILE_BYTES + 1), "application/zip")],
            "file_too_large",
        ),
        ([(f"{n}.pdf", PDF, "application/pdf") for n in range(6)], "too_many_files"),
        ([], "no_file"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_changes(
    org: Org, settings: Any, files: list[tuple[str, bytes, str]], code: str
) -> None:
    settings.BIHUAN_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    before = db_state()

    response = _client(org.agent).post(
        f"/mail/tickets/{ticket.pk}/files/",
        {"attachments": [SimpleUploadedFile(n, d, k) for n, d, k in files]},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert MessageFile.objects.count() == 0
    assert db_state() == before


def test_the_files_of_one_reply_are_limited_together(org: Org, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "REPLY_MAX_TOTAL_BYTES", 100)
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    agent = _client(org.agent)
    _upload(agent, ticket, ("一.bin", b"x" * 60, "application/octet-stream"))

    response = agent.post(
        f"/mail/tickets/{ticket.pk}/files/",
        {"attachments": [SimpleUploadedFile("二.bin", b"y" * 60)]},
        headers={"accept": "application/json"},
    )

    assert (response.status_code, response.json()["code"]) == (422, "files_too_large")
    assert MessageFile.objects.count() == 1


def test_a_notes_only_role_cannot_attach_files_and_nothing_changes(org: Org) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    ticket_services.update_ticket(
        ticket, ticket_services.TicketChanges(shared_departments=[org.tech]), actor=org.admin
    )
    member = _client(org.tech_member)
    before = db_state()

    fragment = member.get(f"/mail/tickets/{ticket.pk}/files/")
    response = member.post(
        f"/mail/tickets/{ticket.pk}/files/",
        {"attachments": [SimpleUploadedFile("x.pdf", PDF)]},
        headers={"accept": "application/json"},
    )

    assert fragment.status_code == 200
    assert 'data-testid="reply-attachments"' not in fragment.content.decode()
    assert (response.status_code, response.json()["code"]) == (403, "read_only_role")
    assert MessageFile.objects.count() == 0
    assert db_state() == before


def test_a_file_name_keeps_no_path_and_no_control_characters() -> None:
    assert services.clean_filename("C:\\Users\\王\\..\\发票\u202egpj.exe") == "发票gpj.exe"
    assert services.clean_filename("../../etc/passwd") == "passwd"
    assert services.clean_filename("...") == "file"
    long = services.clean_filename("长" * 300 + ".pdf")
    assert (len(long), long[-4:]) == (255, ".pdf")


def test_the_ticket_page_costs_the_same_with_one_and_with_many_replies_with_files(
    org: Org, smtp: Sink
) -> None:
    ticket = make_ticket(email="wangfang@example.cn", team=org.presales)
    agent = _client(org.agent)
    url = reverse("tickets:detail", kwargs={"number": ticket.pk})

    def reply_with_file(number: int) -> None:
        _upload(agent, ticket, (f"{number}.pdf", PDF + bytes([number]), "application/pdf"))
        agent.post(f"/tickets/{ticket.pk}/reply/", {"body": f"第 {number} 次", "channel": "email"})
        Runner("test").run_until_idle()

    def count() -> int:
        agent.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = agent.get(url)
        assert response.status_code == 200
        return len(captured)

    reply_with_file(0)
    with_one = count()
    for number in range(1, 8):
        reply_with_file(number)
    with_eight = count()

    assert with_one == with_eight
    assert MessageFile.objects.filter(ticket_message__isnull=False).count() == 8
