"""Remove text-direction controls from subjects, bodies and commitments stored before the
services neutralised them (``bihuan.core.bidi``), so that no old row displays reversed.

One filtered UPDATE per control character and column, with the database's REPLACE: no row is
read into Python. Irreversible (the controls are not worth keeping): a no-op back.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import F, Value
from django.db.models.functions import Replace

CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
COLUMNS = [("Ticket", "subject"), ("Message", "body"), ("Commitment", "description")]


def neutralise(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for model_name, column in COLUMNS:
        model = apps.get_model("tickets", model_name)
        for control in CONTROLS:
            model.objects.filter(**{f"{column}__contains": control}).update(
                **{column: Replace(F(column), Value(control), Value(""))}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_commitment_cancel_and_date_repair"),
    ]

    operations = [migrations.RunPython(neutralise, migrations.RunPython.noop)]
