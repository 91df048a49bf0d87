"""After the web form: the confirmation page and the acknowledgement mail both give the ticket
number and the way to follow it in the customer portal, in Chinese and in English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from bihuan.channels.tests.conftest import Sink
from bihuan.core.runner import Runner
from bihuan.tickets.models import Ticket

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


def _submit(language: str, capture: Callable[..., Any], settings: Any) -> tuple[Ticket, str]:
    settings.BIHUAN_PUBLIC_URL = "https://help.shop.example.cn/"
    with capture(execute=True):
        response = Client().post("/contact/", FORM, headers={"accept-language": language})
    assert response.status_code == 200
    return Ticket.objects.get(), response.content.decode()


def test_the_confirmation_links_to_the_portal_with_the_number(
    smtp: Sink, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket, page = _submit("en", django_capture_on_commit_callbacks, settings)

    assert f'data-testid="ticket-number">#{ticket.pk}</strong>' in page
    assert f'href="/portal/?number={ticket.pk}" data-testid="portal-link"' in page
    assert f"enter the number #{ticket.pk} and the phone or email you gave us" in page


def test_the_acknowledgement_mail_gives_the_number_and_the_portal_address(
    smtp: Sink, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket, _page = _submit("en", django_capture_on_commit_callbacks, settings)

    Runner("test").run_until_idle()  # the due delivery, over a real SMTP session

    [sent] = smtp.received
    assert smtp.recipients == [["zhaomin@example.cn"]]
    assert sent["Subject"] == f"[#{ticket.pk}] 退货申请"
    text = sent.get_body(("plain",))
    assert text is not None
    lines = text.get_content().replace("\r\n", "\n").splitlines()
    assert (
        f"Follow its progress in our customer portal with the number #{ticket.pk} and this "
        "email address:"
    ) in lines
    assert f"https://help.shop.example.cn/portal/?number={ticket.pk}" in lines


def test_both_say_it_in_chinese_for_a_chinese_visitor(
    smtp: Sink, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ticket, page = _submit("zh-hans", django_capture_on_commit_callbacks, settings)
    Runner("test").run_until_idle()

    [sent] = smtp.received
    text = sent.get_body(("plain",))
    assert text is not None
    # The same link and number, whatever wording the translators give them.
    assert '<html lang="zh-CN"' in page
    assert f'href="/portal/?number={ticket.pk}" data-testid="portal-link"' in page
    assert f'data-testid="ticket-number">#{ticket.pk}</strong>' in page
    assert f"https://help.shop.example.cn/portal/?number={ticket.pk}" in text.get_content()
