"""The queries behind the customer's pages: a fixed number each, whatever the order's history.
The order's page is one object, `CustomerPage`, that the view renders."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import (
    Exists,
    F,
    Func,
    OuterRef,
    Subquery,
)
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from repaircenter.billing.models import Payment
from repaircenter.centers.models import Center
from repaircenter.consult import services as consult
from repaircenter.consult.models import AdviceRequest, AdviceStatus, ChatMessage
from repaircenter.core.fastformat import fast_reverse
from repaircenter.core.fragments import kept
from repaircenter.core.statements import KeptStatement, part_statement, read_parts
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders import workflow
from repaircenter.orders.credentials import portal_token_digest
from repaircenter.orders.dues import ZERO, amount_due
from repaircenter.orders.models import (
    Estimate,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    Order,
    OrderEvent,
    Status,
    Transfer,
)
from repaircenter.orders.selectors import events_stamp, has_part
from repaircenter.orders.transitions import DECISIONS, LAPSES, TRANSITIONS

from . import timeline
from .chat_log import chat_log_html
from .masking import initials

# A link token as credentials.portal_token() makes them (192 bits: 32 characters); anything else is
# answered 404 without asking the database. At least 22 characters: 128 bits.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")

# The events the page reads: the order's state changes (its timeline's dates, the last
# decision), not its payments, notes or messages.
TIMELINE_ACTIONS = tuple(TRANSITIONS)
# The decisions the note "you approved (refused) on this page" looks back to: the customer's,
# and the lapse of the estimate's own period (a supplement's lapse leaves the note standing).
PAGE_DECISIONS = DECISIONS | (LAPSES & timeline.MAIN_DECISIONS)


def customer_documents():
    """The documents a customer may download from their order's page: every kind about their
    order alone. A disposal act may list several customers' orders, so it is not offered."""
    return Document.objects.exclude(kind=DocumentKind.DISPOSAL_ACT)


def _by_token(token: str):
    if not TOKEN.match(token or ""):
        return None
    return Order.objects.filter(portal_token_digest=portal_token_digest(token))


def order_for_link(token: str) -> Order | None:
    """The order behind a link, with what every page behind it shows in its header."""
    orders = _by_token(token)
    if orders is None:
        return None
    return _opened(
        orders.select_related("center", "customer", "equipment", "equipment__kind").first(),
        token)


def _of_order(rows, function: str, field: str, order: str = "order") -> Subquery:
    """One value of the outer query's order's `rows` (`order`: the way from a row to its
    order): SUM, COUNT or MAX of `field`. Written as a plain function call, not an aggregate,
    the ORM builds it without a GROUP BY (a third of the time)."""
    return Subquery(rows.filter(**{order: OuterRef("pk")}).order_by()
                    .annotate(value=Func(F(field), function=function)).values("value"))


# The seldom parts the page reads only for the orders that have them (has_…; the parts are
# in _parts below, a parent before its "parent__child").
SELDOM_PARTS = ("condition_checks", "transfers")

# The order behind a link's digest, with what its page shows of its center, customer,
# equipment, chat thread and intake signature; whether it has transfers, condition checks or a
# chat question passed on; what was paid; its events' and its chat's stamps (count and last
# id); whether a consultant is online. Its SQL is
# compiled once per process (core/statements.py), and so is each part's below.
_ORDER = KeptStatement(lambda digest: (
    Order.objects.select_related("center", "customer", "equipment", "equipment__kind",
                                 "chat_thread", "intake_signature")
    .annotate(
        **{f"has_{name}": has_part(name) for name in SELDOM_PARTS},
        has_open_question=Exists(AdviceRequest.objects.filter(
            thread__order=OuterRef("pk"), status=AdviceStatus.OPEN)),
        # What was paid (payments less refunds), summed by the database.
        paid_total=_of_order(Payment.objects, "SUM", "amount"),
        # The stamp of its events (their count and last id): see timeline_events.
        **events_stamp(),
        # And of its chat's messages: see chat_log.py.
        chat_count=_of_order(ChatMessage.objects, "COUNT", "pk", order="thread__order"),
        chat_last=_of_order(ChatMessage.objects, "MAX", "pk", order="thread__order"),
        # Whether a consultant is online, by the database's clock (the same statement on
        # every request).
        consultant_online=Exists(consult.present_consultants()),
    )
    .filter(portal_token_digest=digest)), text=True)


@functools.cache
def _parts() -> list[tuple[str, KeptStatement]]:
    not_draft = Estimate.objects.exclude(status=EstimateStatus.DRAFT)
    return [(path, part_statement(Order, path, queryset)) for path, queryset in (
        ("estimates", not_draft),
        ("estimates__lines", EstimateLine.objects.exclude(estimate__status=EstimateStatus.DRAFT)),
        # The document's own HTML (its stored copy, kilobytes each) is not shown here.
        ("documents", customer_documents().defer("html").order_by("issued_at", "pk")),
        ("condition_checks", None),
        ("transfers", Transfer.objects.select_related("to_center")),
    )]


def order_page(token: str) -> Order | None:
    """The order with its estimates (no drafts) and their lines, its documents, its chat thread,
    its transfers and its intake's condition, what was paid, and the stamp of its events: one
    statement for the order, one for each part it has, each compiled once."""
    if not TOKEN.match(token or ""):
        return None
    found = _ORDER.objects(portal_token_digest(token))
    if not found:
        return None
    order = found[0]
    read_parts(order, _parts(),
               lacking=[name for name in SELDOM_PARTS if not getattr(order, f"has_{name}")])
    return _opened(order, token)


class PastEvent(NamedTuple):
    """What the customer's page shows of one of the order's state changes."""

    action: str
    at: datetime.datetime
    channel: str


def timeline_events(order: Order) -> tuple[PastEvent, ...]:
    """The order's state changes its timeline dates, oldest first. An event never changes once
    written (orders/workflow/base.py writes it, nothing edits it), so they are read once for
    each set of the order's events (order_page's stamp: their count and last id) and kept per
    server in the "fragments" cache, as staff/history.py keeps the staff's history."""
    key = f"portal-events:{order.pk}:{order.event_count or 0}:{order.last_event_id}"
    return kept(key, lambda: tuple(PastEvent(*row) for row in (
        OrderEvent.objects.filter(order=order, action__in=TIMELINE_ACTIONS)
        .order_by("at", "pk").values_list("action", "at", "channel"))))


def _opened(order: Order | None, token: str) -> Order | None:
    """The order, knowing the token it was opened with (the pages behind it link to it)."""
    if order is not None:
        order.link_token = token
    return order


def document_of(order: Order, pk: int) -> Document | None:
    """One of the order's own documents, or None (another order's, a disposal act, none)."""
    return customer_documents().filter(pk=pk, orders=order).first()


# --- the customer's order page ---------------------------------------------------------------


def days_left(moment: datetime.datetime | None, center: Center) -> int | None:
    """Whole days from today to the deadline's day, in the center's calendar (0: today)."""
    if moment is None:
        return None
    return (center.local_date(moment) - center.local_date(timezone.now())).days


def awaited_estimate(order: Order) -> Estimate | None:
    """The estimate waiting for the customer's decision, if the order waits for one."""
    return order.current_estimate if order.status == Status.AWAITING_DECISION else None


def can_withdraw(order: Order) -> bool:
    """Approved, not started: the customer may still refuse the repair."""
    return order.status == Status.APPROVED


@dataclass(frozen=True)
class CustomerPage:
    """What the customer's order page shows, worked out once from the order and its chat."""

    order: Order
    center: Center  # the order's: the page shows where to collect and when it is open
    # Where the equipment is when not at its center: on its way (a transfer), or elsewhere.
    travelling: Transfer | None
    elsewhere: Center | None
    initials: str
    # The decision awaited: on the estimate (or a supplement), by when, and whether it is open.
    estimate: Estimate | None
    is_supplement: bool
    decision_open: bool
    decision_days_left: int | None
    last_decision: PastEvent | None  # the page says when it was taken here
    can_withdraw: bool
    refusable: bool  # the repair may still be refused (the page says what that costs)
    agreed: tuple[Estimate, ...]  # the estimates the customer approved
    steps: tuple[timeline.Step, ...]
    ready_by: datetime.date | None
    # Money: what the order costs, what was paid, what is owed (refund: what the center owes).
    charged: Decimal
    paid: Decimal
    balance: Decimal
    refund: Decimal
    documents: tuple[Document, ...]
    replaced: frozenset[int]  # the documents a correction replaced
    storage_days_left: int | None
    # The chat: its last messages (drawn, chat_log.py), who answers (online, waiting, passed on
    # as an advice request).
    chat_log: SafeString
    chat_state: str
    passed_on: AdviceRequest | None
    chat_poll_url: str
    chat_send_url: str
    poll_seconds: int

    def as_context(self) -> dict:
        """The template's names: one per field (a shallow copy: the order stays itself)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def customer_page(token: str) -> CustomerPage | None:
    """The order page behind a link, or None: the order's queries (order_page), its chat's
    last messages, the question passed on (if one is open), and the center's holidays while the
    repair's end is expected."""
    order = order_page(token)
    if order is None:
        return None
    estimate = awaited_estimate(order)
    ready_by = timeline.expected_ready(order) if timeline.shows_expected_ready(order) else None
    # As dues.balance_due, with the payments' sum the order's row brought.
    charged, paid = amount_due(order), order.paid_total or ZERO
    balance = charged - paid
    documents = tuple(order.documents.all())
    state, passed_on = consult.chat_state(getattr(order, "chat_thread", None),
                                          online=order.consultant_online,
                                          maybe_passed_on=order.has_open_question)
    # Never moved: at its own center, as where_is would say after reading no transfers.
    here, travelling = workflow.where_is(order) if order.has_transfers else (order.center, None)
    # The progress's words are written now: in the customer's language, as the page is.
    events = timeline_events(order)
    with translation.override(order.customer.language):
        steps = tuple(timeline.steps(order, ready_by=ready_by, travelling=travelling,
                                     events=events))
    return CustomerPage(
        order=order,
        center=order.center,
        travelling=travelling,
        elsewhere=here if here is not None and here.pk != order.center_id else None,
        initials=initials(order.customer.name),
        estimate=estimate,
        is_supplement=bool(estimate and estimate.kind == EstimateKind.SUPPLEMENT),
        decision_open=workflow.decision_open(order),
        decision_days_left=days_left(order.decision_due, order.center),
        last_decision=next(
            (e for e in reversed(events) if e.action in PAGE_DECISIONS), None),
        can_withdraw=can_withdraw(order),
        refusable=order.status in TRANSITIONS["refuse"].sources,
        agreed=tuple(e for e in order.estimates.all() if e.status == EstimateStatus.APPROVED),
        steps=steps,
        ready_by=ready_by,
        charged=charged,
        paid=paid,
        balance=balance,
        refund=-balance,
        documents=documents,
        replaced=frozenset(d.replaces_id for d in documents if d.replaces_id),
        storage_days_left=days_left(order.storage_due, order.center),
        chat_log=chat_log_html(getattr(order, "chat_thread", None),
                               stamp=(order.chat_count or 0, order.chat_last)),
        chat_state=state,
        passed_on=passed_on,
        chat_poll_url=fast_reverse("portal:order_chat_poll", order.link_token),
        chat_send_url=fast_reverse("portal:order_chat_send", order.link_token),
        poll_seconds=settings.CHAT_POLL_SECONDS,
    )
