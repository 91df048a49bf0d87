"""Customers named after their phone or email (no name was given) get the masked value as
their name, and the audit log's ``customer.identity_added`` events keep the value masked:
both show in lists and in the admin, where full contacts must not appear.

The masking is copied here (a migration does not import the app): 138****5678,
z***@example.com. Irreversible (the full values stay on the identity rows): a no-op back.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import F


def _mask(value: str) -> str:
    local, at, domain = value.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    text = value.strip()
    if len(text) < 7:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


def mask(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    identity = apps.get_model("customers", "CustomerIdentity")
    customer = apps.get_model("customers", "Customer")
    named_after = identity.objects.filter(customer__name=F("value")).values_list(
        "customer_id", "value"
    )
    for customer_id, value in named_after.iterator():
        customer.objects.filter(pk=customer_id).update(name=_mask(value)[:200])
    event = apps.get_model("core", "Event")
    for row in event.objects.filter(verb="customer.identity_added").iterator():
        value = str((row.data or {}).get("value", ""))
        if value and "*" not in value:
            row.data = {**row.data, "value": _mask(value)}
            row.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_neutralise_direction_controls"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop)]
