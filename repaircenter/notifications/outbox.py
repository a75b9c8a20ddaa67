"""Writing messages to the outbox. The workflow calls this inside the transaction of the change
that causes the message; the worker (delivery.py) sends it later. Nothing here talks to the
outside world."""

from repaircenter.customers.models import Channel, Customer
from repaircenter.orders.models import Order

from . import rendering
from .channels import enabled
from .models import Message


def address(customer: Customer, channel: str) -> str:
    if channel == Channel.EMAIL:
        return customer.email
    return str(customer.phone) if customer.phone else ""


def usable_channels(customer: Customer) -> list[str]:
    """The customer's preferred channels, in order, that are switched on and have an address."""
    return [c for c in customer.preferred_channels if enabled(c) and address(customer, c)]


def write_message(
    *, order: Order, event: str, channel: str, replaces: Message | None = None,
    estimate_total=None,
) -> Message:
    customer = order.customer
    template, subject, body = rendering.template_for(event, channel)
    context = rendering.order_context(order, estimate_total=estimate_total)
    text = rendering.render(subject, body, context, channel)
    return Message.objects.create(
        order=order, customer=customer, event=event, channel=channel, template=template,
        recipient=address(customer, channel), subject=text.subject, body=text.body,
        replaces=replaces,
    )


def queue_customer_message(
    *, order: Order, event: str, total=None, channel: str | None = None
) -> Message | None:
    """One message on the customer's first usable channel (or on `channel` when staff choose
    it); None when the customer has none."""
    if channel is None:
        channels = usable_channels(order.customer)
        if not channels:
            return None
        channel = channels[0]
    return write_message(order=order, event=event, channel=channel, estimate_total=total)


def queue_next_channel(failed: Message) -> Message | None:
    """After a message failed for good: the same news on the customer's next preferred channel
    not tried yet for it, or None when there is none left."""
    if failed.order_id is None:
        return None
    tried = {failed.channel}
    earlier = failed
    while earlier.replaces_id is not None:
        earlier = Message.objects.only("channel", "replaces").get(pk=earlier.replaces_id)
        tried.add(earlier.channel)
    for channel in usable_channels(failed.customer):
        if channel not in tried:
            return write_message(
                order=failed.order, event=failed.event, channel=channel, replaces=failed
            )
    return None
