"""ASGI entry point: ``uvicorn bihuan.asgi:application`` (several workers in production)."""

import os

from django.core.asgi import get_asgi_application

from bihuan.core.memory import limit_malloc_arenas

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")
limit_malloc_arenas()

application = get_asgi_application()
