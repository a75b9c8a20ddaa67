"""Writing messages to the outbox. The workflow calls this inside the transaction of the change
that causes the message; the worker (delivery.py) sends it later. Nothing here talks to the
outside world."""

from repaircenter.customers.models import Channel, Customer
from repaircenter.orders.models import Order

from . import rendering
from .channels import enabled
from .models import Event, Message

# An answer to a question goes by text or email: a call cannot carry a written answer.
ADVICE_CHANNELS = (Channel.SMS, Channel.EMAIL)


def address(customer: Customer, channel: str) -> str:
    if channel == Channel.EMAIL:
        return customer.email
    return str(customer.phone) if customer.phone else ""


def usable_channels(customer: Customer) -> list[str]:
    """The customer's preferred channels, in order, that are switched on and have an address."""
    return [c for c in customer.preferred_channels if enabled(c) and address(customer, c)]


def advice_channels(advice) -> list[str]:
    """The asker's chosen channel first, then the other one if they gave its address too."""
    ordered = [advice.reply_channel, *(c for c in ADVICE_CHANNELS if c != advice.reply_channel)]
    return [c for c in ordered if enabled(c) and advice.address(c)]


def current_address(message: Message) -> str:
    """Where the message would go now: the address its customer or asker has today."""
    if message.advice_id:
        return message.advice.address(message.channel)
    return address(message.customer, message.channel)


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


def write_advice_answer(*, advice, channel: str, replaces: Message | None = None) -> Message:
    """The consultant's answer to `advice`, to the asker's address on `channel`."""
    event = Event.ADVICE_ANSWERED
    template, subject, body = rendering.template_for(event, channel)
    text = rendering.render(subject, body, rendering.advice_context(advice), channel)
    return Message.objects.create(
        advice=advice, customer=advice.order.customer if advice.order_id else None,
        event=event, channel=channel, template=template, recipient=advice.address(channel),
        subject=text.subject, body=text.body, replaces=replaces,
    )


def queue_advice_answer(*, advice) -> Message | None:
    """The answer on the asker's first usable channel; None when no channel can reach them."""
    channels = advice_channels(advice)
    if not channels:
        return None
    return write_advice_answer(advice=advice, channel=channels[0])


def queue_next_channel(failed: Message) -> Message | None:
    """After a message failed for good: the same news on the customer's (or asker's) next
    channel not tried yet for it, or None when there is none left."""
    if failed.order_id is None and failed.advice_id is None:
        return None
    tried = {failed.channel}
    earlier = failed
    while earlier.replaces_id is not None:
        earlier = Message.objects.only("channel", "replaces").get(pk=earlier.replaces_id)
        tried.add(earlier.channel)
    if failed.advice_id:
        for channel in advice_channels(failed.advice):
            if channel not in tried:
                return write_advice_answer(advice=failed.advice, channel=channel, replaces=failed)
        return None
    for channel in usable_channels(failed.customer):
        if channel not in tried:
            return write_message(
                order=failed.order, event=failed.event, channel=channel, replaces=failed
            )
    return None
