"""The public contact form: a ticket with its number, an acknowledgement, no bots, no floods."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bihuan.channels.email.outbound import build_message
from bihuan.channels.models import MessageFile, OutboundEmail
from bihuan.channels.services import UPLOAD_MAX_FILE_BYTES
from bihuan.core.models import Event
from bihuan.tickets.choices import Channel
from bihuan.tickets.models import Category, Ticket
from conftest import Org

pytestmark = pytest.mark.django_db

FORM = {
    "subject": "退货申请",
    "description": "收到的鞋子尺码不对，想退货。",
    "name": "赵敏",
    "email": "zhaomin@example.cn",
    "phone": "",
    "website": "",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    cache.clear()


def test_the_form_opens_a_web_ticket_and_shows_its_number(org: Org, settings: Any) -> None:
    settings.BIHUAN_MAIL_FROM = "support@shop.example.cn"
    category = Category.objects.create(name="退款/退货")

    response = Client().post("/contact/", {**FORM, "category": category.pk})

    ticket = Ticket.objects.get()
    assert response.status_code == 200
    assert f"#{ticket.pk}" in response.content.decode()
    assert (ticket.subject, ticket.channel, ticket.category_id) == (
        "退货申请",
        Channel.WEB,
        category.pk,
    )
    assert ticket.messages.get().body == "收到的鞋子尺码不对，想退货。"
    acknowledgement = OutboundEmail.objects.get()
    assert (acknowledgement.to_address, acknowledgement.subject) == (
        "zhaomin@example.cn",
        f"[#{ticket.pk}] 退货申请",
    )
    built = build_message(acknowledgement).message()
    assert built["Auto-Submitted"] == "auto-replied"
    assert f"#{ticket.pk}" in acknowledgement.body_text


def test_the_form_is_shown_in_english_too(db: None) -> None:
    response = Client().get("/contact/", headers={"accept-language": "en"})

    assert response.status_code == 200
    assert "Contact us" in response.content.decode()


def test_a_filled_honeypot_pretends_success_and_stores_nothing(db: None) -> None:
    events = Event.objects.count()

    response = Client().post("/contact/", {**FORM, "website": "http://spam.example"})

    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert Event.objects.count() == events


def test_a_form_without_any_contact_is_refused_and_nothing_changes(db: None) -> None:
    response = Client().post("/contact/", {**FORM, "email": "", "phone": ""})

    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_the_sixth_submission_in_ten_minutes_is_refused(org: Org) -> None:
    client = Client()
    for number in range(5):
        assert client.post("/contact/", {**FORM, "subject": f"问题 {number}"}).status_code == 200

    refused = client.post("/contact/", {**FORM, "subject": "第六个"})

    assert refused.status_code == 429
    assert Ticket.objects.count() == 5


def test_files_sent_with_the_form_are_on_the_ticket_and_download_as_attachments(
    org: Org,
) -> None:
    photo = b"\xff\xd8\xff\xe0" + b"\x01" * 100

    response = Client().post(
        "/contact/",
        {
            **FORM,
            "attachments": [
                SimpleUploadedFile("鞋码照片.jpg", photo, "image/jpeg"),
                SimpleUploadedFile("订单截图.pdf", b"%PDF-1.4 order", "application/pdf"),
            ],
        },
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    first = ticket.messages.get()
    files = list(MessageFile.objects.order_by("id"))
    assert [(f.filename, f.content_type, f.size, f.ticket_message_id) for f in files] == [
        ("鞋码照片.jpg", "image/jpeg", len(photo), first.pk),
        ("订单截图.pdf", "application/pdf", 14, first.pk),
    ]
    assert files[0].uploaded_by is None
    agent = Client()
    agent.force_login(org.supervisor)
    page = agent.get(f"/tickets/{ticket.pk}/").content.decode()
    assert page.count('data-testid="message-file"') == 2
    download = agent.get(f"/mail/files/{files[0].pk}/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == photo  # type: ignore[attr-defined]
    event = Event.objects.get(verb="email.files_attached")
    assert event.data == {
        "files": ["鞋码照片.jpg", "订单截图.pdf"],
        "draft": False,
        "message": first.pk,
    }


@pytest.mark.parametrize(
    "attachments",
    [
        [SimpleUploadedFile(f"{n}.jpg", b"\xff\xd8" + bytes([n])) for n in range(6)],
        [SimpleUploadedFile("huge.zip", b"x" * (UPLOAD_MAX_FILE_BYTES + 1))],
        [SimpleUploadedFile("empty.txt", b"")],
    ],
)
def test_too_many_or_too_large_files_are_refused_and_nothing_changes(
    org: Org, settings: Any, attachments: list[SimpleUploadedFile]
) -> None:
    settings.BIHUAN_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
    events = Event.objects.count()

    response = Client().post("/contact/", {**FORM, "attachments": attachments})

    assert response.status_code == 422
    assert response.context["form"].errors
    assert (Ticket.objects.count(), MessageFile.objects.count()) == (0, 0)
    assert Event.objects.count() == events
