"""WebSocket routes of this app; ``bihuan.asgi`` mounts them."""

from typing import Any, cast

from django.urls import URLPattern, path

from bihuan.live.consumers import WorkspaceConsumer

# ``path`` is typed for Django views; Channels' URLRouter takes ASGI applications.
websocket_urlpatterns: list[URLPattern] = [
    path("ws/live/", cast(Any, WorkspaceConsumer.as_asgi()), name="live_workspace"),
]
