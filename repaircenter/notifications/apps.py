from django.apps import AppConfig
from django.db.models.signals import post_migrate


def add_missing_templates(sender, *, apps, using, **kwargs):
    """After every migrate: a template row with the built-in text for each event and channel
    that has none yet (a new channel or event), so the manager can edit it. Rows that exist,
    edited or not, are left as they are. (Migrations 0003 and 0006 did this once each.)"""
    from django.conf import settings

    from .default_templates import DEFAULTS, builtin

    try:
        MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    except LookupError:  # migrated back to before templates existed
        return
    # The default language's texts; the manager adds the other languages' (the admin's action
    # "Write the missing languages") and until then their customers get these.
    language = settings.LANGUAGE_CODE
    rows = MessageTemplate.objects.using(using)
    fields = {f.name for f in MessageTemplate._meta.get_fields()}
    if "language" in fields:
        rows = rows.filter(language=language)
    existing = set(rows.values_list("event", "channel"))
    extra = {"language": language} if "language" in fields else {}
    new = []
    for event, channel in DEFAULTS:
        if (event, channel) not in existing:
            subject, body = builtin(event, channel, language)
            new.append(MessageTemplate(event=event, channel=channel, subject=subject, body=body,
                                       **extra))
    rows.bulk_create(new, ignore_conflicts=True)  # another server migrating at the same moment


class NotificationsConfig(AppConfig):
    name = "repaircenter.notifications"
    label = "notifications"

    def ready(self):

        from repaircenter.core.worker import register_round
        from repaircenter.orders import events
        from repaircenter.orders.selectors import include_in_order_detail

        from . import delivery, outbox
        from .models import Message
        from .selectors import with_records_stamp

        # The customer hears of their order's changes, in the transaction of each change.
        events.on_order_event(outbox.queue_notice)
        events.on_orders_changed(outbox.queue_notices)
        events.on_deadline_near(outbox.queue_pending_reminders)
        # The order with everything about it shows its messages; their delivery records are
        # read only to draw them anew (staff/customer_messages.py).
        include_in_order_detail("messages", with_records_stamp(Message.objects.all()))

        def write_pending(stop) -> int:
            outbox.write_all_pending()  # the sweep's messages get their channel and text
            return 0

        register_round("write messages", write_pending, position=20)
        register_round("send messages", delivery.run_round, position=30)
        post_migrate.connect(add_missing_templates, sender=self)
