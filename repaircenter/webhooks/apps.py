from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "repaircenter.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from repaircenter.core.worker import register_round
        from repaircenter.notifications.outbox import on_message_failed
        from repaircenter.orders import events
        from repaircenter.stock.services import on_stock_low

        from . import delivery, outbox

        # Other systems hear of the order's events and failed messages, in their transaction.
        events.on_order_event(outbox.queue_for_event)
        events.on_orders_changed(outbox.queue_for_changed_orders)
        on_message_failed(outbox.queue_for_message_failed)
        on_stock_low(outbox.queue_for_stock_low)
        register_round("post webhooks", delivery.run_round, position=40)
