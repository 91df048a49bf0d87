"""ASGI entry point: ``uvicorn bihuan.asgi:application`` (several workers in production).

HTTP goes to Django; WebSocket connections to the Channels consumers that the apps route in
their ``routing.py`` (the agents' live workspace, the chat widget's visitors).
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application

from bihuan.core.memory import limit_malloc_arenas

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")
limit_malloc_arenas()

# Django is set up before anything imports models (the consumers do).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from bihuan.channels.chat.routing import websocket_urlpatterns as chat_routes  # noqa: E402
from bihuan.live.routing import websocket_urlpatterns as live_routes  # noqa: E402

# ``path()`` patterns whose callbacks are consumers' ``as_asgi()`` applications.
websocket_routes: list[Any] = [*live_routes, *chat_routes]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # Each consumer checks who may connect (staff session, or a widget's channel key and
        # origin); the session middleware only makes the signed-in user available.
        "websocket": AuthMiddlewareStack(URLRouter(websocket_routes)),
    }
)
