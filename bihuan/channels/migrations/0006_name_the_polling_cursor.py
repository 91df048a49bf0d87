"""Names for the polling cursor on the mailbox settings page."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bihuan_channels", "0005_encrypt_mailbox_passwords"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mailbox",
            name="last_uid",
            field=models.BigIntegerField(
                default=0, editable=False, verbose_name="last IMAP UID stored"
            ),
        ),
        migrations.AlterField(
            model_name="mailbox",
            name="uidvalidity",
            field=models.BigIntegerField(
                blank=True, editable=False, null=True, verbose_name="IMAP UIDVALIDITY"
            ),
        ),
    ]
