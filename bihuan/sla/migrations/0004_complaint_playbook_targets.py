"""The complaint playbook's targets (stage due times and the first progress update) as
policy targets, seeded on every default policy with the times the playbook used until now
(24/7): acceptance 1 h, diagnosis 24 h, plan 24 h, execution 72 h, review 7 days, progress
update 24 h."""

from typing import Any

from django.db import migrations, models

from bihuan.sla.defaults import install_playbook_targets

METRICS = [
    ("first_response", "First response"),
    ("next_response", "Next response"),
    ("resolution", "Resolution"),
    ("task", "Collaboration task"),
    ("stage_acceptance", "Complaint stage: acceptance"),
    ("stage_diagnosis", "Complaint stage: diagnosis"),
    ("stage_plan", "Complaint stage: plan"),
    ("stage_execution", "Complaint stage: execution"),
    ("stage_review", "Complaint stage: review"),
    ("progress_update", "Complaint: first progress update"),
]
PLAYBOOK = [value for value, _label in METRICS[4:]]


def seed(apps: Any, schema_editor: Any) -> None:
    always = apps.get_model("sla", "BusinessCalendar").objects.filter(name="全天候 24/7").first()
    if always is not None:
        install_playbook_targets(
            apps.get_model("sla", "SlaPolicy"), apps.get_model("sla", "SlaTarget"), always
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("sla", "SlaTarget").objects.filter(metric__in=PLAYBOOK).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_collaboration_task_target")]

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
        migrations.RunPython(seed, unseed),
    ]
