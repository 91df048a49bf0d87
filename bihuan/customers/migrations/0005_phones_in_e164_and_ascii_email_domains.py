"""Phones stored before E.164 (``13800138000``, ``02162345678``, ``14155550100``) become E.164
(``+8613800138000``), and email domains become ASCII (IDNA), as ``customers.identity`` now
writes them. A value that does not parse is left as it is, and so is one whose new spelling
another identity already holds (two customers had the same number in two spellings): the
lookups read both spellings, and the pair shows as a likely duplicate to merge.

The rules are copied here (a migration does not import the app). Reversible: back to the
digits without ``+86`` (without ``+`` abroad) and Unicode domains.
"""

import phonenumbers
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import idna


def _e164(value: str) -> str | None:
    digits = "".join(c for c in value if c.isascii() and c.isdigit())
    if not digits:
        return None
    for candidate in (value, f"+{digits}"):
        try:
            number = phonenumbers.parse(candidate, "CN")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _old_phone(value: str) -> str | None:
    if not value.startswith("+"):
        return None
    if value.startswith("+86"):
        national = value[3:]
        # Landlines were typed with their trunk 0 ((021) 6234 5678): keep it on the way back.
        return national if national.startswith("1") else f"0{national}"
    return value[1:]


def _ascii_email(value: str) -> str | None:
    local, at, domain = value.rpartition("@")
    if not at or domain.isascii():
        return None
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError):
        return None


def _unicode_email(value: str) -> str | None:
    local, at, domain = value.rpartition("@")
    if not at or "xn--" not in domain:
        return None
    try:
        return f"{local}@{idna.decode(domain)}"
    except (idna.IDNAError, UnicodeError):
        return None


def _convert(apps: StateApps, rules: dict[str, object]) -> None:
    identity = apps.get_model("customers", "CustomerIdentity")
    for kind, rule in rules.items():
        taken = set(identity.objects.filter(kind=kind).values_list("value", flat=True))
        for pk, value in identity.objects.filter(kind=kind).values_list("pk", "value").iterator():
            new = rule(value)  # type: ignore[operator]
            if new is None or new == value or new in taken:
                continue
            identity.objects.filter(pk=pk).update(value=new)
            taken.discard(value)
            taken.add(new)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _convert(apps, {"phone": _e164, "email": _ascii_email})


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _convert(apps, {"phone": _old_phone, "email": _unicode_email})


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_identity_sources_and_merges")]

    operations = [migrations.RunPython(forwards, backwards)]
