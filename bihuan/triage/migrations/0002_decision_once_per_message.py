"""One triage decision per message and field, enforced by the database.

Duplicates left by reactions that ran twice before this constraint are removed first (the
earliest decision is kept: it is the one that was applied).
"""

from django.db import migrations, models
from django.db.models import Min


def drop_duplicates(apps, schema_editor):
    TriageDecision = apps.get_model("triage", "TriageDecision")
    duplicated = (
        TriageDecision.objects.filter(message__isnull=False)
        .values("message_id", "field")
        .annotate(first=Min("id"), count=models.Count("id"))
        .filter(count__gt=1)
    )
    for row in duplicated.iterator():
        TriageDecision.objects.filter(message_id=row["message_id"], field=row["field"]).exclude(
            pk=row["first"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("triage", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="triagedecision",
            constraint=models.UniqueConstraint(
                fields=("message", "field"), name="decision_once_per_message"
            ),
        ),
    ]
