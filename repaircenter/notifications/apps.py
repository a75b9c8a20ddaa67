from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "repaircenter.notifications"
    label = "notifications"

    def ready(self):
        from repaircenter.orders import events

        from . import outbox

        # The customer hears of their order's changes, in the transaction of each change.
        events.on_order_event(outbox.queue_notice)
        events.on_orders_changed(outbox.queue_notices)
        events.on_deadline_near(outbox.queue_pending_reminders)
