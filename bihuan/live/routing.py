"""WebSocket routes of this app; ``bihuan.asgi`` mounts them."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
