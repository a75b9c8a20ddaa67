"""What the public site changes besides chats and questions: sending an order's link again."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from repaircenter.customers.models import Channel
from repaircenter.notifications.channels import enabled
from repaircenter.notifications.models import Event, Message
from repaircenter.notifications.outbox import queue_customer_message
from repaircenter.orders import workflow
from repaircenter.orders.selectors import printed_as


@transaction.atomic
def resend_link(*, number: tuple[str | None, int], phone: str) -> Message | None:
    """Send the order's link again by text to the phone on the order, if `number` (as printed:
    the center's prefix, or None, and its count) and `phone` (E.164) name an order; at most
    LINK_RESENDS_PER_DAY times a day for an order, whoever asks. None when nothing was sent;
    the caller tells the asker the same either way."""
    order = (
        printed_as(*number).select_for_update(of=("self",))  # the order row only
        .select_related("center", "customer", "equipment", "equipment__kind")
        .filter(customer__phone=phone)
        .order_by("-received_at")
        .first()
    )
    if order is None:
        return None
    since = timezone.now() - datetime.timedelta(days=1)
    if order.messages.filter(event=Event.LINK_RESENT, created_at__gte=since).count() >= (
        settings.LINK_RESENDS_PER_DAY
    ):
        return None
    # To the phone that was typed; by email only where texts are switched off.
    if enabled(Channel.SMS):
        channel = Channel.SMS
    elif enabled(Channel.EMAIL) and order.customer.email:
        channel = Channel.EMAIL
    else:
        return None
    # A link from before tokens were derived cannot be written: a new one is sent (the old
    # link stops working, as when staff replace it).
    workflow.renew_unwritable_link(order=order)
    return queue_customer_message(order=order, event=Event.LINK_RESENT, channel=channel)
