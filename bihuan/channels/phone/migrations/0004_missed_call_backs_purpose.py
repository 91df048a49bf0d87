"""The call-backs of missed calls made before call-backs had a purpose say so: the tickets
app then schedules a solved ticket's 24-hour follow-up beside them."""

from typing import Any

from django.db import migrations


def mark_missed_call_backs(apps: Any, schema_editor: Any) -> None:
    call_back = apps.get_model("tickets", "CallBack")
    missed = apps.get_model("bihuan_phone", "MissedCallBack")
    call_back.objects.filter(pk__in=missed.objects.values("call_back_id")).update(
        purpose="missed_call"
    )


def unmark(apps: Any, schema_editor: Any) -> None:
    apps.get_model("tickets", "CallBack").objects.filter(purpose="missed_call").update(
        purpose="follow_up"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bihuan_phone", "0003_outbound_sms_survey_purpose"),
        ("tickets", "0010_call_back_purpose"),
    ]

    operations = [migrations.RunPython(mark_missed_call_backs, unmark)]
