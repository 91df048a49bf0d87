"""The Celery application. It carries wake-ups only (``bihuan.core.tasks.wake``).

Work and timers are rows in the database (``bihuan.core.runner``): ``bihuan worker`` takes
them, and reads the wake-up queue so that work sent from a web process starts within
milliseconds. There is no beat schedule: periodic jobs are due items (``core.due_work``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")

app = Celery("bihuan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
