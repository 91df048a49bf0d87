"""Remove text-direction controls from customer and organisation names stored before the
services neutralised them (``bihuan.core.bidi``). Irreversible: a no-op back."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import F, Value
from django.db.models.functions import Replace

CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


def neutralise(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for model_name in ("Customer", "Organisation"):
        model = apps.get_model("customers", model_name)
        for control in CONTROLS:
            model.objects.filter(name__contains=control).update(
                name=Replace(F("name"), Value(control), Value(""))
            )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [migrations.RunPython(neutralise, migrations.RunPython.noop)]
