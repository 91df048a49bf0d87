"""WebSocket routes of this app; ``bihuan.asgi`` mounts them."""

from typing import Any, cast

from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import URLPattern, path

from bihuan.live.consumers import WorkspaceConsumer

# ``path`` is typed for Django views; Channels' URLRouter takes ASGI applications. The origin
# check refuses a page of another site that opens the socket with the agent's cookie (a
# WebSocket is not bound by the same-origin policy): only ALLOWED_HOSTS origins connect.
websocket_urlpatterns: list[URLPattern] = [
    path(
        "ws/live/",
        cast(Any, AllowedHostsOriginValidator(WorkspaceConsumer.as_asgi())),
        name="live_workspace",
    ),
]
