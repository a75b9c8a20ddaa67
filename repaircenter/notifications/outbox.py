"""Writing messages to the outbox, inside the transaction of the change that causes the
message; the worker (delivery.py) sends it later. Nothing here talks to the outside world.

The order's events reach this module through orders/events.py (registered in apps.py): an
order that reaches a state with a notice (orders/states.py) gets that message; a deadline the
sweep finds near gets its reminder.

A change made to many orders at once (the deadline sweep) writes its messages with one
INSERT … SELECT in the same transaction, as `pending` rows without a channel or text; the
worker writes them (`write_pending`) before it sends them. So the rule "a message is written in
the transaction of its cause" holds for the sweep too, in a fixed number of statements.
"""

import datetime
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from repaircenter.core import bulk
from repaircenter.customers.channels import ADVICE_ANSWER_CHANNELS, address_of
from repaircenter.customers.models import Channel, Customer
from repaircenter.orders.events import changes_state
from repaircenter.orders.models import EstimateLine, EstimateStatus, Order, OrderEvent
from repaircenter.orders.states import STATES

from . import rendering
from .channels import enabled
from .models import Event, Message, MessageStatus

log = logging.getLogger("repaircenter.worker")
ZERO = Decimal("0.00")

# An answer to a question goes by text or email: a call cannot carry a written answer.
ADVICE_CHANNELS = ADVICE_ANSWER_CHANNELS


def address(customer: Customer, channel: str) -> str:
    return address_of(customer, channel)


def usable_channels(customer: Customer) -> list[str]:
    """The customer's preferred channels, in order, that are switched on and have an address."""
    return [c for c in customer.preferred_channels if enabled(c) and address(customer, c)]


def _text(order: Order, event: str, channel: str, estimate_total=None):
    """The message in the customer's language: its text, and the dates, amounts and status it
    shows."""
    language = order.customer.language
    with translation.override(language):
        template, subject, body = rendering.template_for(event, channel, language)
        context = rendering.order_context(order, estimate_total=estimate_total)
        return template, rendering.render(subject, body, context, channel)


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
    template, text = _text(order, event, channel, estimate_total)
    return Message.objects.create(
        order=order, customer=customer, event=event, channel=channel, template=template,
        recipient=address(customer, channel), subject=text.subject, body=text.body,
        replaces=replaces,
    )


def queue_notice(event: OrderEvent) -> Message | None:
    """The message that tells the customer their order reached its state, if that state has
    one (the order was received, an estimate awaits their decision, it is ready…)."""
    if not changes_state(event.action):
        return None
    notice = STATES[event.to_status].notice
    if not notice:
        return None
    order = event.order
    total = None
    if notice == Event.ESTIMATE_READY:  # the estimate just sent, whatever the order prefetched
        total = sum((line.total for line in EstimateLine.objects.filter(
            estimate__order=order, estimate__status=EstimateStatus.SENT)), ZERO)
    return queue_customer_message(order=order, event=notice, total=total)


def queue_notices(*, order_ids: list[int], action: str, at: datetime.datetime,
                  to_status: str) -> int:
    """The notices of many orders changed at once (the sweep's): one statement."""
    notice = STATES[to_status].notice
    return queue_pending_messages(ids=order_ids, event=notice, now=at) if notice else 0


# Who hears of a message that failed for good (webhooks, from its apps.py).
_failure_handlers = []


def on_message_failed(handler) -> None:
    if handler not in _failure_handlers:
        _failure_handlers.append(handler)


def announce_failure(message: Message, *, answer: str, at: datetime.datetime) -> None:
    """A message failed for good: tell whoever registered, in this transaction."""
    for handler in _failure_handlers:
        handler(message, answer=answer, at=at)


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
    # Someone with an order is answered in their language; a visitor in the page's they asked on.
    language = advice.order.customer.language if advice.order_id else advice.language
    with translation.override(language):
        template, subject, body = rendering.template_for(event, channel, language)
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


# --- messages for many orders at once ----------------------------------------------------------

# The columns every message row needs, and what a pending one holds in them.
_PENDING_COLUMNS = (
    "order", "customer", "event", "channel", "recipient", "subject", "body", "status", "key",
    "attempt_count", "next_attempt_at", "claim", "provider_ref", "last_answer", "created_at",
)


def _pending_insert(extra_columns: tuple[str, ...] = ()) -> str:
    """INSERT INTO message (…) SELECT <the pending row of order o>; the caller adds FROM o…"""
    columns = ", ".join(bulk.column(Message, name) for name in _PENDING_COLUMNS + extra_columns)
    return (
        f"INSERT INTO {bulk.table(Message)} ({columns}) "  # noqa: S608 — names from the models
        f"SELECT o.{bulk.column(Order, 'id')}, o.{bulk.column(Order, 'customer')}, %s, '', '', "
        f"'', '', %s, {bulk.random_uuid_sql()}, 0, %s, '', '', '', %s"
    )


def queue_pending_messages(*, ids: list[int], event: str, now: datetime.datetime) -> int:
    """One pending message about `event` for each order in `ids`, in one statement."""
    if not ids:
        return 0
    id_sql, id_params = bulk.ids_sql(ids)
    when = bulk.db_value(Message, "created_at", now)
    sql = (
        f"{_pending_insert()} FROM {bulk.table(Order)} o "
        f"WHERE o.{bulk.column(Order, 'id')} IN ({id_sql})"
    )
    return bulk.execute(sql, [event, MessageStatus.PENDING, when, when, *id_params])


def queue_pending_reminders(
    *, event: str, statuses: tuple[str, ...], deadline_field: str, days_before: int,
    due_by: datetime.datetime, later_than: datetime.datetime, now: datetime.datetime,
    center_ids: list[int] | None = None,
) -> int:
    """A pending reminder for every order in `statuses` (of the centers `center_ids`, or of
    every center) whose deadline falls in (later_than, due_by], unless that order already has
    this reminder for this deadline (the unique constraint turns the repeat into nothing, also
    when two sweeps run at once).

    Every sweep until the next reminder's day finds the reminded orders again; ON CONFLICT
    drops them at the index, cheaply (40,000 orders in the windows: 0.03 s on SQLite, 0.17 s on
    PostgreSQL). A NOT EXISTS filter was tried: with statistics not yet updated after a sweep
    PostgreSQL planned it as a nested loop over every reminder, seconds instead."""
    deadline = bulk.column(Order, deadline_field)
    when = bulk.db_value(Message, "created_at", now)
    placeholders = ", ".join(["%s"] * len(statuses))
    sql = (
        f"{_pending_insert(('deadline', 'days_before'))}, o.{deadline}, %s "
        f"FROM {bulk.table(Order)} o "
        f"WHERE o.{bulk.column(Order, 'status')} IN ({placeholders}) "
        f"AND o.{deadline} <= %s AND o.{deadline} > %s "
        + (f"AND o.{bulk.column(Order, 'center')} IN ({', '.join(['%s'] * len(center_ids))}) "
           if center_ids is not None else "")
        + "ON CONFLICT DO NOTHING"
    )
    params = [
        event, MessageStatus.PENDING, when, when, days_before, *statuses,
        bulk.db_value(Order, deadline_field, due_by),
        bulk.db_value(Order, deadline_field, later_than),
        *(center_ids or ()),
    ]
    return bulk.execute(sql, params)


def pending_batch(limit: int = 100) -> list[Message]:
    """The oldest pending messages, with what their texts need."""
    return list(
        Message.objects.filter(status=MessageStatus.PENDING)
        .select_related("order__center", "order__customer", "order__equipment__kind")
        .prefetch_related("order__estimates__lines")
        .order_by("created_at", "pk")[:limit]
    )


def write_pending(*, limit: int = 100, now: datetime.datetime | None = None) -> int:
    """Choose the channel of each pending message and write its text from the template, so that
    it joins the queue; a customer with no usable channel gets a failed message that staff see.
    Returns how many this call wrote. Two workers may do this at once: each row is changed only
    while still pending, and counted only by the one that changed it."""
    return write_messages(pending_batch(limit), now=now)[1]


def write_messages(pending: list[Message], *, now: datetime.datetime | None = None
                   ) -> tuple[int, int]:
    """Write `pending` (see write_pending): how many were looked at, and how many this call
    changed (the others had been written meanwhile by someone else)."""
    now = now or timezone.now()
    written = 0
    for message in pending:
        order = message.order
        with transaction.atomic():
            channels = usable_channels(order.customer)
            still_pending = Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING)
            if not channels:
                channel = (order.customer.preferred_channels or [Channel.PHONE])[0]
                answer = _("The customer has no channel we can use: their preferred channels "
                           "are switched off or have no address.")
                if still_pending.update(
                    channel=channel, recipient=address(order.customer, channel),
                    status=MessageStatus.FAILED, failed_at=now, last_answer=answer,
                ):
                    written += 1
                    message.channel = channel
                    announce_failure(message, answer=answer, at=now)
                continue
            channel = channels[0]
            try:
                template, text = _text(order, message.event, channel)
            except Exception as error:  # a broken template must not stop the worker
                log.exception("worker: message %s: its text could not be written", message.pk)
                answer = _("The text could not be written from the template: %(error)s") % {
                    "error": str(error)[:300]}
                if still_pending.update(
                    channel=channel, recipient=address(order.customer, channel),
                    status=MessageStatus.FAILED, failed_at=now, last_answer=answer,
                ):
                    written += 1
                    message.channel = channel
                    announce_failure(message, answer=answer, at=now)
                continue
            written += still_pending.update(
                channel=channel, template=template, recipient=address(order.customer, channel),
                subject=text.subject, body=text.body, status=MessageStatus.QUEUED,
                next_attempt_at=now,
            )
    return len(pending), written


def write_all_pending() -> int:
    """Write every pending message; how many this call wrote (not those another worker or
    sweep running at the same time wrote)."""
    written = 0
    while pending := pending_batch():
        written += write_messages(pending)[1]
    return written
