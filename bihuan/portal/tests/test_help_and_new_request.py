"""Public help articles and a new request from the portal (issue 16, customer portal)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from bihuan.channels.models import MessageFile
from bihuan.knowledge import services as knowledge
from bihuan.knowledge.models import Article
from bihuan.tickets.choices import Channel, TicketStatus
from bihuan.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _article(org: Any, title: str, body: str, *, audience: str, language: str = "zh",
             publish: bool = True) -> Article:  # fmt: skip
    article = knowledge.create_article(
        knowledge.ArticleFields(title=title, body=body, audience=audience, language=language),
        actor=org.admin,
    )
    if publish:
        article = knowledge.change_article_status(article, to="published", actor=org.admin)
    return article


@pytest.fixture
def articles(org: Any) -> dict[str, Article]:
    return {
        "public": _article(
            org, "退款多久到账", "退款审核通过后 **3 个工作日** 内原路退回。", audience="public"
        ),
        "internal": _article(
            org, "退款审批内部流程", "退款超过 500 元需主管审批。", audience="internal"
        ),
        "draft": _article(org, "退款新政策草稿", "退款草稿", audience="public", publish=False),
        "english": _article(
            org,
            "How long does a refund take",
            "Refunds arrive within 3 working days.",
            audience="public",
            language="en",
        ),
    }


def test_the_help_page_lists_only_published_public_articles_in_the_visitors_language(
    articles: dict[str, Article],
) -> None:
    client = Client()

    chinese = client.get("/portal/help/").content.decode()
    with translation.override("en"):
        english = client.get("/portal/help/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'data-testid="article-{articles["public"].pk}"' in chinese
    for hidden in ("internal", "draft", "english"):
        assert f'data-testid="article-{articles[hidden].pk}"' not in chinese
    assert f'data-testid="article-{articles["english"].pk}"' in english


def test_searching_finds_public_articles_and_never_internal_ones(
    articles: dict[str, Article],
) -> None:
    client = Client()

    found = client.get("/portal/help/", {"q": "退款"}).content.decode()
    fragment = client.get("/portal/help/", {"q": "退款"}, HTTP_HX_REQUEST="true")

    assert f'data-testid="article-{articles["public"].pk}"' in found
    assert "退款审批内部流程" not in found
    assert "退款新政策草稿" not in found
    assert "<html" not in fragment.content.decode()  # htmx gets the result list alone
    assert f'data-testid="article-{articles["public"].pk}"' in fragment.content.decode()


def test_an_article_shows_its_markdown_and_an_internal_one_is_not_found(
    articles: dict[str, Article],
) -> None:
    client = Client()

    public = client.get(f"/portal/help/{articles['public'].pk}/")
    internal = client.get(f"/portal/help/{articles['internal'].pk}/")
    draft = client.get(f"/portal/help/{articles['draft'].pk}/")

    assert "<strong>3 个工作日</strong>" in public.content.decode()
    assert (internal.status_code, draft.status_code) == (404, 404)
    assert "退款超过 500 元" not in internal.content.decode()


def test_a_new_request_goes_through_the_web_form_channel(org: Any) -> None:
    client = Client(REMOTE_ADDR="10.7.0.1")

    response = client.post(
        "/portal/requests/new/",
        {
            "subject": "快递显示签收但没收到",
            "description": "快递昨天显示签收，但我没有收到。",
            "name": "赵敏",
            "email": "zhao.min@example.cn",
            "phone": "",
            "website": "",
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 200
    assert f'data-testid="new-number">#{ticket.pk}<' in response.content.decode()
    assert (ticket.subject, ticket.channel, ticket.status) == (
        "快递显示签收但没收到",
        Channel.WEB,
        TicketStatus.NEW,
    )


def test_a_new_request_without_any_contact_is_refused_and_nothing_is_written(org: Any) -> None:
    response = Client(REMOTE_ADDR="10.7.0.2").post(
        "/portal/requests/new/",
        {"subject": "问题", "description": "内容", "name": "赵敏", "email": "", "phone": ""},
    )

    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_the_new_request_form_knows_a_signed_in_customer(
    customer_ticket: Ticket, open_portal: Any
) -> None:
    client = open_portal(email="wang.fang@example.cn")

    page = client.get("/portal/requests/new/").content.decode()

    assert 'value="wang.fang@example.cn"' in page
    assert 'value="王芳"' in page


def test_a_new_request_keeps_its_attachments_like_the_contact_form(
    org: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path

    Client(REMOTE_ADDR="10.7.0.3").post(
        "/portal/requests/new/",
        {
            "subject": "屏幕有坏点",
            "description": "新买的显示器有坏点，见照片。",
            "name": "赵敏",
            "phone": "13900001111",
            "attachments": [SimpleUploadedFile("坏点.jpg", b"\xff\xd8\xff", "image/jpeg")],
        },
    )

    ticket = Ticket.objects.get()
    assert list(MessageFile.objects.filter(ticket=ticket).values_list("filename", "size")) == [
        ("坏点.jpg", 3)
    ]
