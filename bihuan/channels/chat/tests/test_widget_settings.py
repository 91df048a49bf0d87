"""The widget's settings page: admins add and change widgets; a bad origin is refused on the
form and changes nothing; other roles do not find the page; the demo page is off by default."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bihuan.accounts.choices import Role
from bihuan.channels.chat.models import ChatWidget
from bihuan.core.models import Event
from bihuan.testing.factories import make_department, make_team, make_user

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    user = make_user(role)
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_adds_a_widget_and_gets_the_embed_code() -> None:
    team = make_team(make_department("客服部"), "在线客服组")
    client = _client(Role.ADMIN)

    response = client.post(
        "/chat/widgets/new/",
        {
            "name": "官网客服",
            "allowed_origins": "https://Shop.example.cn/\nhttps://m.example.cn",
            "team": str(team.pk),
            "greeting": "您好，有什么可以帮您？",
            "offline_message": "客服已下班，请留言。",
            "max_chats_per_agent": "3",
            "is_active": "on",
        },
    )

    widget = ChatWidget.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/chat/widgets/{widget.pk}/"
    assert widget.origins == ["https://shop.example.cn", "https://m.example.cn"]
    assert (widget.team, widget.max_chats_per_agent) == (team, 3)
    assert len(widget.public_key) == 24
    page = client.get(response["Location"]).content.decode()
    assert f'data-channel="{widget.public_key}"' in page
    assert "http://testserver/static/chat/widget.js" in page
    assert Event.objects.filter(verb="chat.widget_created").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("allowed_origins", "shop.example.cn/path"), ("max_chats_per_agent", "0"), ("name", " ")],
)
def test_a_refused_widget_is_shown_on_the_form_and_nothing_is_saved(field: str, value: str) -> None:
    client = _client(Role.ADMIN)
    data: dict[str, Any] = {
        "name": "官网客服",
        "allowed_origins": "https://shop.example.cn",
        "max_chats_per_agent": "3",
    }
    data[field] = value

    response = client.post("/chat/widgets/new/", data)

    assert response.status_code == 400
    assert 'data-testid="widget-form"' in response.content.decode()
    assert ChatWidget.objects.count() == 0
    assert not Event.objects.filter(verb__startswith="chat.").exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
def test_other_roles_do_not_find_the_widget_settings(role: str) -> None:
    client = _client(role)

    listed = client.get("/chat/widgets/")
    posted = client.post("/chat/widgets/new/", {"name": "x", "max_chats_per_agent": "1"})

    assert (listed.status_code, posted.status_code) == (404, 404)
    assert ChatWidget.objects.count() == 0


def test_the_demo_page_is_off_unless_debug_or_asked_for(settings: Any) -> None:
    client = _client(Role.ADMIN)
    client.post(
        "/chat/widgets/new/", {"name": "官网客服", "max_chats_per_agent": "2", "is_active": "on"}
    )
    key = ChatWidget.objects.get().public_key

    off = Client().get("/chat/demo/")
    settings.BIHUAN_CHAT_DEMO = True
    on = Client().get("/chat/demo/")

    assert off.status_code == 404
    assert on.status_code == 200
    assert f'data-channel="{key}"' in on.content.decode()
