"""The Celery application: production workers run ``celery -A bihuan worker``.

In the embedded mode (no REDIS_URL) tasks run eagerly in-process after commit.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")

app = Celery("bihuan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    # Tickets of an agent who went offline are offered to the queue again.
    "triage-release-offline-owners": {
        "task": "bihuan.triage.tasks.release_tickets_of_offline_owners",
        "schedule": 60.0,
    },
    # The models learn from the week's corrections every Sunday night (Asia/Shanghai).
    "triage-retrain-models": {
        "task": "bihuan.triage.tasks.retrain_models",
        "schedule": crontab(hour=3, minute=0, day_of_week=0),
    },
}
