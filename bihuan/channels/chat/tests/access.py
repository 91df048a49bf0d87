"""The chat app's routes for the access matrix (tests/security/test_access_matrix.py): widget
settings are for admins only; the demo page is public (and off unless DEBUG or
BIHUAN_CHAT_DEMO); the visitor's WebSocket is tested in ``test_visitor_socket.py``."""

from __future__ import annotations

from typing import Any

from bihuan.channels.chat import services
from bihuan.testing.access import AccessSpec


def _objects(org: Any, built: dict[str, Any]) -> dict[str, Any]:
    widget = services.create_widget(
        services.WidgetFields(name="官网客服", allowed_origins="https://shop.example.cn"),
        actor=org.admin,
    )
    return {"chat_widget": widget}


ACCESS = AccessSpec(
    parameter_kinds={"widget_id": "chat_widget"},
    web_post_data={
        "chat:widget": {
            "name": "官网客服",
            "allowed_origins": "https://shop.example.cn",
            "max_chats_per_agent": "3",
            "is_active": "on",
        },
        "chat:replace_key": {},
    },
    get_and_post=frozenset({"chat:widget"}),
    make_objects=_objects,
    public_prefixes=("/chat/demo/",),
    db_apps=frozenset({"bihuan_chat"}),
)
