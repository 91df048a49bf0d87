"""Commitments can be cancelled with a reason; due times outside 2000–2100 are repaired.

A due time near year 9999 with a negative offset was stored on PostgreSQL as year 10000,
which no reader can load. The repair moves every due time outside the window the services
now enforce (``bihuan.core.time_window``) to the window's nearest end with one UPDATE per end,
so no out-of-range row is ever read into Python.
"""

from datetime import UTC, datetime

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)


def repair_due_times(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    commitment = apps.get_model("tickets", "Commitment")
    commitment.objects.filter(due_at__gt=LATEST).update(due_at=LATEST)
    commitment.objects.filter(due_at__lt=EARLIEST).update(due_at=EARLIEST)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_category_english_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="commitment",
            name="cancel_reason",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason for cancelling"
            ),
        ),
        migrations.AddField(
            model_name="commitment",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cancelled at"),
        ),
        # The repair cannot be undone (the original values were unreadable): a no-op back.
        migrations.RunPython(repair_due_times, migrations.RunPython.noop),
    ]
