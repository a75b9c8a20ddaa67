"""The queries behind the staff pages about messages: one function per page."""

from django.db.models import Count, OuterRef, Q, QuerySet

from repaircenter.orders.models import READY_STATES, Order
from repaircenter.orders.selectors import count_and_last

from .models import DeliveryRecord, Message, MessageStatus

S = MessageStatus


def _messages() -> QuerySet[Message]:
    return Message.objects.select_related("order", "customer", "advice", "order__equipment",
                                          "order__equipment__kind")


def with_records_stamp(messages: QuerySet[Message]) -> QuerySet[Message]:
    """`messages`, each with how many delivery records it has and the last one's id
    (`record_count`, `last_record_id`): records are only ever added, so with the columns a
    message's row shows they say whether a row drawn before is still right
    (staff/customer_messages.py), without reading the records."""
    return messages.annotate(**count_and_last(
        DeliveryRecord.objects.filter(message=OuterRef("pk")), "id",
        ("record_count", "last_record_id"), parent="message"))


def calls_to_make() -> QuerySet[Message]:
    """Calls waiting for a person: oldest first."""
    return _messages().filter(channel="phone", status=S.SENT).order_by("sent_at", "pk")


def failed_messages() -> QuerySet[Message]:
    """Failed messages nobody has dealt with and no other channel took over."""
    return (
        _messages()
        .filter(status=S.FAILED, handled_at=None, replaced_by=None)
        .order_by("-failed_at", "-pk")
    )


def unreached_ready_orders() -> QuerySet[Order]:
    """Orders ready for collection whose customer no notice has reached yet (no storage clock)."""
    return (
        Order.objects.select_related("customer", "equipment", "equipment__kind")
        .filter(status__in=READY_STATES, customer_reached_at=None)
        .annotate(
            notices=Count("messages", filter=Q(messages__event__in=("ready_repaired",
                                                                     "ready_unrepaired"))),
            calls_waiting=Count("messages", filter=Q(messages__channel="phone",
                                                     messages__status__in=(S.QUEUED, S.SENDING,
                                                                           S.SENT))),
        )
        .order_by("ready_at", "pk")
    )


def message_counts() -> dict[str, int]:
    """For the home page: calls to make, and messages needing attention."""
    return {
        "calls": calls_to_make().count(),
        "failed": failed_messages().count(),
        "unreached": unreached_ready_orders().count(),
    }
