from django.apps import AppConfig
from django.db.models.signals import post_migrate


def add_missing_templates(sender, *, apps, using, **kwargs):
    """After every migrate: a template row with the built-in text for each event and channel
    that has none yet (a new channel or event), so the manager can edit it. Rows that exist,
    edited or not, are left as they are. (Migrations 0003 and 0006 did this once each.)"""
    from .default_templates import DEFAULTS

    try:
        MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    except LookupError:  # migrated back to before templates existed
        return
    rows = MessageTemplate.objects.using(using)
    existing = set(rows.values_list("event", "channel"))
    rows.bulk_create([
        MessageTemplate(event=event, channel=channel, subject=subject, body=body)
        for (event, channel), (subject, body) in DEFAULTS.items()
        if (event, channel) not in existing
    ], ignore_conflicts=True)  # another server migrating at the same moment


class NotificationsConfig(AppConfig):
    name = "repaircenter.notifications"
    label = "notifications"

    def ready(self):
        post_migrate.connect(add_missing_templates, sender=self)
