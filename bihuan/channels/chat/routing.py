"""WebSocket routes of this app; ``bihuan.asgi`` mounts them."""

from typing import Any, cast

from django.urls import URLPattern, path

from bihuan.channels.chat.consumers import VisitorConsumer

# ``path`` is typed for Django views; Channels' URLRouter takes ASGI applications.
websocket_urlpatterns: list[URLPattern] = [
    path(
        "ws/chat/<str:public_key>/",
        cast(Any, VisitorConsumer.as_asgi()),
        name="chat_visitor",
    ),
]
