"""What each staff page shows, as one object per page: the views render them. A fixed number of
queries each (the tests pin them)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from repaircenter.accounts.roles import CALLERS, Role
from repaircenter.billing.models import PaymentMethod
from repaircenter.billing.services import can_take_payments
from repaircenter.consult.selectors import waiting_count
from repaircenter.consult.services import CONSULT_ROLES
from repaircenter.notifications.models import Message
from repaircenter.notifications.selectors import message_counts
from repaircenter.orders import repair, workflow
from repaircenter.orders.credentials import portal_url_hint
from repaircenter.orders.documents import COLLECTION_NOTICES, agreed_lines, disposal_warning_told
from repaircenter.orders.dues import amount_due, paid_total
from repaircenter.orders.estimates import WRITERS, can_write_estimate
from repaircenter.orders.models import DisposalMethod, Estimate, EstimateLine, Order, Status
from repaircenter.orders.selectors import (
    at_place,
    is_overdue,
    listed_orders,
    order_page,
    procedures_for,
    queue_counts,
)
from repaircenter.orders.states import (
    CLOSED_STATES,
    QUEUES,
    STATES,
    STORED_STATES,
    Queue,
    is_payable,
)
from repaircenter.orders.transitions import Transition
from repaircenter.orders.warranty import PastOrder, history
from repaircenter.orders.workplace import Workplace

from .customer_messages import customer_messages_html
from .forms import DECISION_CHANNEL_CHOICES
from .history import history_html
from .order_documents import order_documents_html


@dataclass(frozen=True)
class HomePage:
    queues: list[Queue]
    counts: dict[str, int]
    # Each queue's orders past their state's target (states.Target), by the queue's slug.
    overdue: dict[str, int]
    # Only for those who make calls, and for consultants: None hides the panel.
    message_counts: dict[str, int] | None
    questions_waiting: int | None


def home_page(user, place: Workplace) -> HomePage:
    counts = queue_counts(place)
    return HomePage(
        queues=list(QUEUES.values()),
        counts=counts,
        overdue={slug: counts[f"{slug}:overdue"] for slug in QUEUES},
        message_counts=message_counts() if user.has_role(*CALLERS) else None,
        questions_waiting=waiting_count() if user.has_role(*CONSULT_ROLES) else None,
    )


@dataclass(frozen=True)
class OrderPage:
    """The staff order page: the order with everything about it, the money, and what the
    person looking may do now."""

    order: Order
    current_estimate: Estimate | None
    amount_due: Decimal
    paid: Decimal
    balance: Decimal
    refund_due: Decimal
    payable: bool
    can_take_payment: bool
    agreed_lines: list[EstimateLine]
    lines_done: int
    can_mark_lines: bool
    can_record_test: bool
    procedures: QuerySet | tuple
    issuance_locked: bool
    is_manager: bool
    can_write_estimate: bool
    can_record_findings: bool
    actions: list[Transition]
    link_hint: str
    can_manage_link: bool
    stored: bool
    can_store: bool
    can_chat: bool
    # Where the equipment is (None while on its way), the transfer under way, and where it may
    # be sent (empty in a chain of one center).
    location: object
    transfer: object
    transfer_targets: tuple
    can_transfer: bool
    transfer_overdue: bool
    now: datetime.datetime
    today: datetime.date
    # The device's other orders (customers/devices.py), newest first; and whether this order's
    # own warranty still runs, so that a claim on it can be taken in.
    device_history: list[PastOrder]
    warranty_running: bool
    can_take_in: bool
    decision_channels: list = field(default_factory=lambda: DECISION_CHANNEL_CHOICES)
    payment_methods: list = field(default_factory=lambda: PaymentMethod.choices)
    disposal_methods: list = field(default_factory=lambda: DisposalMethod.choices)
    # A new key each time the page is drawn: one form, one payment.
    payment_key: uuid.UUID = field(default_factory=uuid.uuid4)
    refund_key: uuid.UUID = field(default_factory=uuid.uuid4)
    # Past its state's target (states.Target).
    overdue: bool = False
    # The history, drawn (staff/history.py).
    history: str = ""
    # The messages to the customer, drawn (staff/customer_messages.py).
    customer_messages: str = ""
    # The documents, drawn (staff/order_documents.py).
    order_documents: str = ""


def _is_done(line: EstimateLine) -> bool:
    try:
        return line.done is not None
    except ObjectDoesNotExist:
        return False


def staff_order_page(number: int, actor: workflow.Actor,
                     place: Workplace | None = None) -> OrderPage:
    order = order_page(number, stamped=True)
    location, transfer = workflow.where_is(order)
    late = is_overdue(order)
    roles = actor.roles
    lines = agreed_lines(order)
    due, paid = amount_due(order), paid_total(order)
    can_record_test = order.status == Status.TESTING and bool(roles & repair.REPAIRERS)
    return OrderPage(
        order=order,
        current_estimate=order.current_estimate,
        amount_due=due,
        paid=paid,
        balance=due - paid,
        refund_due=paid - due,
        payable=is_payable(order),
        can_take_payment=is_payable(order) and can_take_payments(actor),
        agreed_lines=lines,
        lines_done=sum(1 for line in lines if _is_done(line)),
        can_mark_lines=repair.can_mark_lines(order, actor),
        can_record_test=can_record_test,
        procedures=procedures_for(order) if can_record_test else (),
        issuance_locked=workflow.issuance_locked(order),
        is_manager=Role.MANAGER in roles,
        can_write_estimate=can_write_estimate(order, actor),
        can_record_findings=bool(roles & WRITERS) and STATES[order.status].bench,
        actions=workflow.allowed_transitions(order, actor),
        link_hint=portal_url_hint(order.portal_token_prefix),
        can_manage_link=bool(roles & workflow.LINK_ROLES),
        stored=order.status in STORED_STATES,
        can_store=bool(roles & workflow.STORAGE_ROLES),
        can_chat=bool(roles & CONSULT_ROLES),
        location=location,
        transfer=transfer,
        transfer_targets=tuple(c for c in (place.chain if place else ())
                               if location is None or c.pk != location.pk),
        can_transfer=bool(roles & workflow.TRANSFER_ROLES) and order.status not in CLOSED_STATES,
        transfer_overdue=bool(transfer and workflow.is_overdue(transfer)),
        overdue=late,
        now=timezone.now(),
        today=timezone.localdate(),
        device_history=history([order.equipment.device_id] if order.equipment.device_id else [],
                               today=order.center.local_date(timezone.now()), exclude=order.pk),
        warranty_running=order.status == Status.ISSUED and not order.unrepaired_reason and any(
            line.warranty_until and line.warranty_until >= order.center.local_date(timezone.now())
            for line in lines),
        can_take_in=bool(roles & workflow.INTAKE_ROLES),
        history=history_html(order),
        customer_messages=customer_messages_html(order),
        order_documents=order_documents_html(order),
    )


def _notices() -> Prefetch:
    """What the customer was told about collecting the equipment, oldest first."""
    return Prefetch(
        "messages",
        queryset=Message.objects.filter(event__in=COLLECTION_NOTICES).order_by("created_at", "pk"),
        to_attr="notices",
    )


def disposal_list(place: Workplace | None = None) -> list[Order]:
    """Orders due for disposal, the longest over first, with what the customer was told and
    whether a notice reached them (`reached`): two queries."""
    orders = list(
        at_place(place, listed_orders())
        .filter(status=Status.DISPOSAL_DUE)
        .annotate(reached=workflow.customer_reached())
        .prefetch_related(_notices())
        .order_by("storage_due", "pk")
    )
    for order in orders:
        order.warning_told = disposal_warning_told(order.notices)
    return orders
