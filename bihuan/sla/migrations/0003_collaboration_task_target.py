"""A collaboration-task target (24 hours, 24/7) on every default policy that lacks one."""

from typing import Any

from django.db import migrations, models

from bihuan.sla.defaults import install_task_targets

METRICS = [
    ("first_response", "First response"),
    ("next_response", "Next response"),
    ("resolution", "Resolution"),
    ("task", "Collaboration task"),
]


def seed(apps: Any, schema_editor: Any) -> None:
    always = apps.get_model("sla", "BusinessCalendar").objects.filter(name="全天候 24/7").first()
    if always is not None:
        install_task_targets(
            apps.get_model("sla", "SlaPolicy"), apps.get_model("sla", "SlaTarget"), always
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_seed_default_calendars_and_policies")]

    operations = [
        migrations.AlterField(
            model_name="slaclock",
            name="metric",
            field=models.CharField(choices=METRICS, max_length=16, verbose_name="metric"),
        ),
        migrations.AlterField(
            model_name="slatarget",
            name="metric",
            field=models.CharField(choices=METRICS, max_length=16, verbose_name="metric"),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
