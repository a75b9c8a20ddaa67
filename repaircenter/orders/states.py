"""Every state an order can be in, declared once with what it means.

A state says whether the equipment waits on the center's shelf for the customer (`stored`),
whether money may change hands (`payable`), whether the order's life is over (`closed`), which
staff queue lists it, which step of the customer's timeline it is, by which stored date it
should have moved on (`target`: past it, the queue flags it overdue and lists it first; see
`Target`), and which message tells the customer the order got there (`notice`, a message event
of notifications). `deadline` names the stored date the queues print beside the order.

Everything else derives from this table: the model's choices (`Status`), the queues, the
timeline's steps, the payable and stored states. To add a state: declare it here, write its
transitions in transitions.py, write its templates (its message, if it has a notice).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Queue:
    """A staff queue: the orders in its states, the most pressing first."""

    slug: str
    title: Promise
    ordering: tuple[str, ...]

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(state.value for state in STATES.values() if state.queue == self.slug)

    @property
    def sorted_by_target(self) -> bool:
        """Its ordering already lists the overdue first: every state's target is the stored
        moment it sorts by, earliest first (the queues need not sort on `late` then, and read
        their index alone)."""
        targets = [STATES[status].target for status in self.statuses]
        return all(t is not None and t.field == self.ordering[0] and not t.until
                   for t in targets)


# The customer's timeline, in the order the customer lives it (portal/timeline.py draws it).
STEPS = ("received", "diagnostics", "decision", "repair", "test", "ready", "storage_ended",
         "collected", "disposed")


@dataclass(frozen=True)
class Target:
    """By when an order should have left its state. Past it, the order is overdue: flagged in
    its queue, listed first there, and counted on the staff home page (selectors.py).

    A target names one of two things:

    - `field`: a moment the order already stores (a date: overdue from the day after; a
      datetime: from that moment), plus `grace_days`; and `until`, a field whose being set
      ends the wait (the customer reached…). A query alone tells what is overdue, however the
      order got there (a set-based sweep too).
    - `due`: a function `(order, now) -> datetime | None`, called as the order enters the state
      (workflow/base.py `change_state`, with the transition's changes already on `order`), its
      answer stored in `Order.due_at`. For a moment known only then: the repair in the
      estimate's days, a purchase order's expected date (a state "waiting for parts" names
      `due=lambda order, now: <its purchase order's expected date>`).
    """

    field: str = ""
    grace_days: int = 0
    until: str = ""
    due: Callable[[Any, datetime.datetime], datetime.datetime | None] | None = None
    # What the queues say of it ("Diagnostics by", "Repair by"…).
    label: Promise | str = ""

    @property
    def computed(self) -> bool:
        """The due moment is stored in Order.due_at (templates call `due`, so ask this)."""
        return self.due is not None


def _end_of_working_days(order, start: datetime.datetime, days: int) -> datetime.datetime:
    """The end of the `days`-th working day after `start` at the order's center."""
    day = order.center.working_days_after(order.center.local_date(start), days)
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(),
                                     tzinfo=order.center.zone)


# Working days for what has no number of its own: a repair whose estimate gives no days, the
# stress test.
REPAIR_DEFAULT_DAYS = 5
STRESS_TEST_DAYS = 1
# Days to reach the customer once the equipment is ready (the calls to make), and for a
# manager to confirm a disposal once the storage period is over.
REACH_CUSTOMER_DAYS = 2
CONFIRM_DISPOSAL_DAYS = 30


def repair_due(order, now: datetime.datetime) -> datetime.datetime:
    """The repair: the estimate's repair days (the longest of those decided), in working days
    from the customer's approval."""
    days = [e.repair_days for e in order.estimates.all()
            if e.status in ("sent", "approved") and e.repair_days]
    return _end_of_working_days(order, order.decided_at or now,
                                max(days, default=REPAIR_DEFAULT_DAYS))


def stress_test_due(order, now: datetime.datetime) -> datetime.datetime:
    return _end_of_working_days(order, now, STRESS_TEST_DAYS)


DIAGNOSTICS = Target(field="diagnosis_due", label=_("Diagnostics by"))
REPAIR = Target(due=repair_due, label=_("Repair by"))
READY = Target(field="ready_at", grace_days=REACH_CUSTOMER_DAYS, until="customer_reached_at",
               label=_("Customer to be reached by"))


@dataclass(frozen=True)
class State:
    value: str
    label: Promise  # as staff read it
    told: Promise  # as the customer's page says it
    step: str
    queue: str = ""
    deadline: str = ""
    notice: str = ""
    stored: bool = False
    payable: bool = False
    closed: bool = False
    # Ready for collection: the first notice that reaches the customer starts the storage clock.
    ready: bool = False
    # The equipment is on the technician's bench: findings may be written.
    bench: bool = False
    # By when the order should have left this state (None: it waits on no one, or is closed).
    target: Target | None = None


QUEUES: dict[str, Queue] = {
    queue.slug: queue
    for queue in [
        Queue("to-diagnose", _("To diagnose"), ("diagnosis_due", "received_at")),
        Queue("awaiting-decision", _("Awaiting decision"), ("decision_due",)),
        Queue("waiting-for-parts", _("Waiting for parts"), ("parts_due", "decided_at")),
        Queue("in-repair", _("In repair"), ("decided_at",)),
        Queue("ready", _("Ready for collection"), ("ready_at",)),
        Queue("disposal", _("Due for disposal"), ("storage_due",)),
    ]
}

STATES: dict[str, State] = {
    state.value: state
    for state in [
        State("received", _("Received"),
              _("Received, waiting for diagnostics"), "diagnostics", queue="to-diagnose",
              deadline="diagnosis_due", notice="order_received", target=DIAGNOSTICS),
        State("diagnosing", _("Diagnosing"),
              _("Diagnostics under way"), "diagnostics", queue="to-diagnose",
              deadline="diagnosis_due", bench=True, target=DIAGNOSTICS),
        # While a supplementary estimate awaits a decision the repair goes on, and may be paid
        # for (`is_payable`).
        State("awaiting_decision", _("Awaiting decision"),
              _("Waiting for your decision"), "decision",
              queue="awaiting-decision", deadline="decision_due", notice="estimate_ready",
              target=Target(field="decision_due", label=_("Decision by"))),
        State("approved", _("Approved"),
              _("Approved, the repair starts soon"), "repair", queue="in-repair", payable=True,
              target=REPAIR),
        # Approved, but not every part is in stock at the order's center: its purchase order's
        # expected date (`parts_due`) is the overdue target; receiving the parts moves it on.
        State("waiting_for_parts", _("Waiting for parts"),
              _("Approved, waiting for parts"), "repair", queue="waiting-for-parts",
              deadline="parts_due", payable=True,
              target=Target(field="parts_due", label=_("Parts expected"))),
        State("repairing", _("Repairing"),
              _("Being repaired"), "repair", queue="in-repair", payable=True,
              bench=True, target=REPAIR),
        State("testing", _("Stress test"),
              _("Repaired, being tested"), "test", queue="in-repair", payable=True,
              target=Target(due=stress_test_due, label=_("Test done by"))),
        State("ready_repaired", _("Ready for collection (repaired)"),
              _("Repaired and ready to collect"), "ready", queue="ready",
              deadline="storage_due", notice="ready_repaired", stored=True, payable=True,
              ready=True, target=READY),
        State("ready_unrepaired", _("Ready for collection (unrepaired)"),
              _("Ready to collect, not repaired"), "ready",
              queue="ready", deadline="storage_due", notice="ready_unrepaired", stored=True,
              payable=True, ready=True, target=READY),
        State("issued", _("Issued"),
              _("Collected"), "collected", closed=True),
        State("disposal_due", _("Due for disposal"),
              _("Storage period ended"), "storage_ended", queue="disposal",
              notice="disposal_warning", stored=True, payable=True,
              target=Target(field="storage_due", grace_days=CONFIRM_DISPOSAL_DAYS,
                            label=_("Disposal to confirm by"))),
        State("disposed", _("Disposed"),
              _("Disposed of"), "disposed", closed=True),
    ]
}

# The model's choices: Status.RECEIVED == "received", Status.RECEIVED.label == "Received".
Status = models.TextChoices(
    "Status", [(state.value.upper(), (state.value, state.label)) for state in STATES.values()]
)

READY_STATES = tuple(Status(s.value) for s in STATES.values() if s.ready)
STORED_STATES = tuple(Status(s.value) for s in STATES.values() if s.stored)
PAYABLE_STATES = frozenset(Status(s.value) for s in STATES.values() if s.payable)
CLOSED_STATES = tuple(Status(s.value) for s in STATES.values() if s.closed)
# Each state's label, for lists of many orders: get_status_display() rebuilds a dict of every
# choice on each call, a seventh of a queue page's time.
STATUS_LABELS = dict(Status.choices)


class PendingSupplement(models.TextChoices):
    """While awaiting a decision: is it on a supplementary estimate, and is it needed to finish?"""

    NONE = "", _("No supplementary estimate")
    OPTIONAL = "optional", _("Supplementary estimate; the repair can finish without it")
    REQUIRED = "required", _("Supplementary estimate; the repair cannot finish without it")


def is_payable(order) -> bool:
    """The order's state lets money change hands. A decision awaited on a supplementary
    estimate does not stop a prepayment on the works already agreed."""
    return order.status in PAYABLE_STATES or (
        order.status == Status.AWAITING_DECISION and bool(order.pending_supplement)
    )
