"""Seed the default calendars and policies (see ``bihuan.sla.defaults``)."""

from typing import Any

from django.db import migrations

from bihuan.sla.defaults import install_defaults


def seed(apps: Any, schema_editor: Any) -> None:
    install_defaults(
        apps.get_model("sla", "BusinessCalendar"),
        apps.get_model("sla", "WorkingHours"),
        apps.get_model("sla", "SlaPolicy"),
        apps.get_model("sla", "SlaTarget"),
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_calendars_policies_and_clocks")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
