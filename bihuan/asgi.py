"""ASGI entry point: ``uvicorn bihuan.asgi:application`` (several workers in production)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")

application = get_asgi_application()
