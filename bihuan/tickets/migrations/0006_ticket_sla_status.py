"""The ticket's copy of its most urgent SLA clock: state, due instant and sort key.

SQLite adds a non-null column by rebuilding the table, which drops the triggers that keep the
subject's full-text index in sync (migration 0002): they are created again after the rebuild
(and, going back, after the rebuild that removes the columns).
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

SUBJECT_TRIGGERS = [
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "CREATE TRIGGER tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(rowid, subject_tokens) "
    "VALUES (new.id, new.subject_tokens); END",
    "CREATE TRIGGER tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject_tokens) "
    "VALUES ('delete', old.id, old.subject_tokens); END",
    "CREATE TRIGGER tickets_ticket_fts_au AFTER UPDATE OF subject_tokens ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject_tokens) "
    "VALUES ('delete', old.id, old.subject_tokens); "
    "INSERT INTO tickets_ticket_fts(rowid, subject_tokens) "
    "VALUES (new.id, new.subject_tokens); END",
]


def restore_subject_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SUBJECT_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team_supervisor"),
        ("core", "0003_event_subject_type_with_app_label"),
        ("customers", "0003_mask_names_and_audited_identities"),
        ("tickets", "0005_neutralise_direction_controls"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Going back, the triggers are restored after the columns are removed.
        migrations.RunPython(migrations.RunPython.noop, restore_subject_triggers),
        migrations.AddField(
            model_name="ticket",
            name="sla_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next SLA due time"),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_sort_key",
            field=models.BigIntegerField(default=4611686018427387904, editable=False),
        ),
        migrations.AddField(
            model_name="ticket",
            name="sla_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("running", "Running"),
                    ("paused", "Paused"),
                    ("warning", "At risk"),
                    ("breached", "Breached"),
                    ("met", "Met"),
                ],
                default="",
                max_length=16,
                verbose_name="SLA state",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "sla_sort_key", "id"], name="ticket_sla_due_idx"),
        ),
        migrations.RunPython(restore_subject_triggers, migrations.RunPython.noop),
    ]
