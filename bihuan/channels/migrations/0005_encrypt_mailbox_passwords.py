"""Encrypt the mailbox passwords stored so far, then let the field encrypt every write.

The data step runs while the column is still a plain CharField (the historical model), so
it reads the plain text and writes the token; reversing decrypts them back.
"""

import django.core.validators
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

import bihuan.channels.secrets


def encrypt_passwords(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Mailbox = apps.get_model("bihuan_channels", "Mailbox")
    rows = Mailbox.objects.exclude(imap_password="").values_list("pk", "imap_password")
    for pk, plain in list(rows):
        token = bihuan.channels.secrets.encrypt(plain)
        Mailbox.objects.filter(pk=pk).update(imap_password=token)


def decrypt_passwords(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Mailbox = apps.get_model("bihuan_channels", "Mailbox")
    rows = Mailbox.objects.exclude(imap_password="").values_list("pk", "imap_password")
    for pk, token in list(rows):
        plain = bihuan.channels.secrets.decrypt(token)
        Mailbox.objects.filter(pk=pk).update(imap_password=plain)


class Migration(migrations.Migration):
    dependencies = [("bihuan_channels", "0004_files_notification_emails_longer_password")]

    operations = [
        migrations.RunPython(encrypt_passwords, decrypt_passwords),
        migrations.AlterField(
            model_name="mailbox",
            name="imap_password",
            field=bihuan.channels.secrets.EncryptedCharField(
                blank=True,
                max_length=1000,
                validators=[django.core.validators.MaxLengthValidator(255)],
                verbose_name="IMAP password",
            ),
        ),
    ]
