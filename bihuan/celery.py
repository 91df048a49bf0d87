"""The Celery application: production workers run ``celery -A bihuan worker``.

In the embedded mode (no REDIS_URL) tasks run eagerly in-process after commit.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")

app = Celery("bihuan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
