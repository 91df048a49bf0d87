"""The public contact form: a ticket with its number, an acknowledgement, no bots, no floods."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from bihuan.channels.email.outbound import build_message
from bihuan.channels.models import OutboundEmail
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
