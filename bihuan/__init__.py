"""Bihuan (闭环): every customer contact closes its loop."""

from bihuan.celery import app as celery_app

__all__ = ["celery_app"]
