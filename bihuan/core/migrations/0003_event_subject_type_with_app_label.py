"""Event.subject_type carries the app label ("ticket" → "tickets.ticket")."""

from django.db import migrations


def add_app_label(apps, schema_editor):
    Event = apps.get_model("core", "Event")
    labels: dict[str, list[str]] = {}
    for model in apps.get_models():
        labels.setdefault(model._meta.model_name, []).append(model._meta.label_lower)
    for name in Event.objects.exclude(subject_type__contains=".").values_list(
        "subject_type", flat=True
    ).distinct():
        candidates = labels.get(name, [])
        if len(candidates) == 1:
            Event.objects.filter(subject_type=name).update(subject_type=candidates[0])


def drop_app_label(apps, schema_editor):
    Event = apps.get_model("core", "Event")
    for label in Event.objects.filter(subject_type__contains=".").values_list(
        "subject_type", flat=True
    ).distinct():
        Event.objects.filter(subject_type=label).update(subject_type=label.split(".", 1)[1][:32])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_reactions_and_due_work"),
        ("accounts", "0001_initial"),
        ("customers", "0001_initial"),
        ("tickets", "0001_initial"),
        ("triage", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_app_label, drop_app_label)]
