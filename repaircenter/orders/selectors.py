"""The queries behind each staff page: one function per page, a fixed number of queries each."""

import re
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from repaircenter.billing.models import Payment
from repaircenter.customers.lookup import normalize_phone
from repaircenter.customers.models import name_search_key
from repaircenter.notifications.models import DeliveryRecord

from .models import (
    READY_STATES,
    Estimate,
    EstimateLine,
    Order,
    OrderEvent,
    Status,
    StressTest,
)

SEARCH_LIMIT = 50
QUEUE_PAGE_SIZE = 100


def _listing() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "equipment", "equipment__kind", "technician")


def order_page(number: int) -> Order:
    """The order with everything its staff page shows, in a fixed number of queries."""
    return get_object_or_404(
        _listing()
        .select_related("received_by", "chat_thread")
        .prefetch_related(
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
            "photos",
            Prefetch("estimates", queryset=Estimate.objects.select_related("sent_by")),
            Prefetch("estimates__lines",
                     queryset=EstimateLine.objects.select_related("done__done_by")),
            Prefetch(
                "messages__records", queryset=DeliveryRecord.objects.select_related("by")
            ),
            Prefetch("stress_tests", queryset=StressTest.objects.select_related("run_by")),
            Prefetch("payments", queryset=Payment.objects.select_related("taken_by", "receipt")),
            "documents",
        ),
        number=number,
    )


def estimate_editor(number: int) -> Order:
    """The order with its estimates and their lines, for the editor and the decision slip."""
    return get_object_or_404(
        _listing().prefetch_related(
            Prefetch("estimates", queryset=Estimate.objects.select_related("sent_by")),
            "estimates__lines",
        ),
        number=number,
    )


ORDER_NUMBER = re.compile(r"^\s*R?-?\s*0*(\d{1,9})\s*$", re.IGNORECASE)


def search_orders(text: str) -> list[Order]:
    """Orders matching an order number, a phone number however typed, a serial number or IMEI,
    or part of the customer's name; newest first, in one query."""
    text = text.strip()
    if not text:
        return []
    conditions = Q()
    number = ORDER_NUMBER.match(text)
    if number:
        conditions |= Q(number=int(number.group(1)))
    phone = normalize_phone(text)
    if phone:
        conditions |= Q(customer__phone=phone)
    compact = "".join(text.split()).upper()
    if 4 <= len(compact) <= 64:
        conditions |= Q(equipment__serial_number=compact)
    digits = compact.replace("-", "").replace("/", "")
    if len(digits) == 15 and digits.isdigit():
        conditions |= Q(equipment__imei=digits)
    if len(text) >= 2 and not text.replace("+", "").replace(" ", "").isdigit():
        conditions |= Q(customer__name_key__contains=name_search_key(text))
    if not conditions:
        return []  # one letter, a lone "+": no kind of search, so no results rather than all
    return list(_listing().filter(conditions).order_by("-received_at")[:SEARCH_LIMIT])


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str
    statuses: tuple[str, ...]
    ordering: tuple[str, ...]


QUEUES = {
    q.slug: q
    for q in [
        Queue("to-diagnose", _("To diagnose"), (Status.RECEIVED, Status.DIAGNOSING),
              ("diagnosis_due", "received_at")),
        Queue("awaiting-decision", _("Awaiting decision"), (Status.AWAITING_DECISION,),
              ("decision_due",)),
        Queue("in-repair", _("In repair"), (Status.APPROVED, Status.REPAIRING, Status.TESTING),
              ("decided_at",)),
        Queue("ready", _("Ready for collection"), READY_STATES, ("ready_at",)),
        Queue("disposal", _("Due for disposal"), (Status.DISPOSAL_DUE,), ("storage_due",)),
    ]
}


def queue_orders(queue: Queue) -> QuerySet[Order]:
    """The queue's orders, oldest deadline first (overdue diagnostics lead their queue)."""
    return _listing().filter(status__in=queue.statuses).order_by(*queue.ordering, "pk")


def queue_counts() -> dict[str, int]:
    """How many orders each queue holds, and how many diagnostics are overdue: one query."""
    today = timezone.localdate()
    aggregates = {
        slug: Count("pk", filter=Q(status__in=queue.statuses)) for slug, queue in QUEUES.items()
    }
    aggregates["overdue"] = Count(
        "pk", filter=Q(status__in=QUEUES["to-diagnose"].statuses, diagnosis_due__lt=today)
    )
    in_queues = {status for queue in QUEUES.values() for status in queue.statuses}
    return Order.objects.filter(status__in=in_queues).aggregate(**aggregates)
