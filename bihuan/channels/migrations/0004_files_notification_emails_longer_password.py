"""Files sent with web forms and email replies, notification emails, room for encrypted
mailbox passwords."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bihuan_channels', '0003_outbound_email_purpose'),
        ('core', '0003_event_subject_type_with_app_label'),
        ('tickets', '0007_collaboration_tasks_call_backs_and_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='outboundemail',
            name='notification',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.notification'),
        ),
        migrations.AlterField(
            model_name='mailbox',
            name='imap_password',
            # Room for the Fernet token; 0005 encrypts the stored passwords into it.
            field=models.CharField(blank=True, max_length=1000, verbose_name='IMAP password'),
        ),
        migrations.CreateModel(
            name='NotificationEmailPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_enabled', models.BooleanField(default=False, verbose_name='email me my notifications')),
                ('updated_at', models.DateTimeField(verbose_name='updated at')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'notification email preference',
                'verbose_name_plural': 'notification email preferences',
            },
        ),
        migrations.CreateModel(
            name='MessageFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('filename', models.CharField(max_length=255, verbose_name='file name')),
                ('content_type', models.CharField(max_length=255, verbose_name='content type')),
                ('size', models.PositiveIntegerField(verbose_name='size')),
                ('file', models.FileField(max_length=255, upload_to='')),
                ('created_at', models.DateTimeField(verbose_name='uploaded at')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.ticket')),
                ('ticket_message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='files', to='tickets.message')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'file',
                'verbose_name_plural': 'files',
                'indexes': [models.Index(fields=['ticket_message', 'id'], name='file_message_idx'), models.Index(fields=['ticket', 'uploaded_by', 'ticket_message'], name='file_draft_idx')],
            },
        ),
    ]
