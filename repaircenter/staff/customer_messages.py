"""The order page's messages to the customer, drawn once for each state of them and then kept.

A delivery record is only ever added (notifications/delivery.py writes it, nothing edits it), and
a message's row shows its own columns and its records. So a table drawn for the same columns of
the same messages, with the same count and last id of each one's records, is still right: the
page reads the messages with that count and id (notifications/selectors.with_records_stamp)
instead of their records with who made each, and draws them again only when one of them has
changed. Kept per language and time zone, in the "fragments" cache (settings.CACHES), as the
history is (staff/history.py)."""

import hashlib

from django.utils.safestring import SafeString

from repaircenter.core.fragments import kept_drawing
from repaircenter.core.statements import attach_grouped
from repaircenter.notifications.models import DeliveryRecord
from repaircenter.orders.models import Order

# What a message's row shows (staff/jinja2/staff/_customer_messages.html), and its records'
# stamp: a row drawn is kept while all of these are the same. A column the row comes to show
# belongs here too.
SHOWN = ("pk", "created_at", "event", "subject", "body", "channel", "replaces_id", "recipient",
         "status", "attempt_count", "next_attempt_at", "record_count", "last_record_id")


def customer_messages_html(order: Order) -> SafeString:
    """`order` as orders/selectors.order_page reads it: with its messages and their stamps."""
    messages = list(order.messages.all())
    shown = repr([tuple(getattr(message, name) for name in SHOWN) for message in messages])

    def values() -> dict:
        if messages:
            attach_grouped(messages, "records", DeliveryRecord.objects.filter(
                message__in=messages).select_related("by"))
        return {"messages_sent": messages}

    return kept_drawing(f"staff-messages:{order.pk}:{hashlib.sha256(shown.encode()).hexdigest()}",
                        "staff/_customer_messages.html", values)
