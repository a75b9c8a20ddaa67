import uuid

from django.db import migrations, models


def give_each_message_a_key(apps, schema_editor):
    Message = apps.get_model("notifications", "Message")
    for message in Message.objects.filter(key__isnull=True).only("pk"):
        Message.objects.filter(pk=message.pk).update(key=uuid.uuid4())


def add_default_templates(apps, schema_editor):
    from repaircenter.notifications.default_templates import DEFAULTS

    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for (event, channel), (subject, body) in DEFAULTS.items():
        MessageTemplate.objects.get_or_create(
            event=event, channel=channel, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_deliveryrecord_messagetemplate_and_more")]

    operations = [
        migrations.AddField(
            model_name="message", name="key", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.RunPython(give_each_message_a_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="message",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RunPython(add_default_templates, migrations.RunPython.noop),
    ]
