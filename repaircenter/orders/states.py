"""Every state an order can be in, declared once with what it means.

A state says whether the equipment waits on the center's shelf for the customer (`stored`),
whether money may change hands (`payable`), whether the order's life is over (`closed`), which
staff queue lists it, which step of the customer's timeline it is, by which stored date it
should have moved on (`deadline`: past it, the queue flags it overdue), and which message tells
the customer the order got there (`notice`, a message event of notifications).

Everything else derives from this table: the model's choices (`Status`), the queues, the
timeline's steps, the payable and stored states. To add a state: declare it here, write its
transitions in transitions.py, write its templates (its message, if it has a notice).
"""

from __future__ import annotations

from dataclasses import dataclass

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


# The customer's timeline, in the order the customer lives it (portal/timeline.py draws it).
STEPS = ("received", "diagnostics", "decision", "repair", "test", "ready", "storage_ended",
         "collected", "disposed")


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
              deadline="diagnosis_due", notice="order_received"),
        State("diagnosing", _("Diagnosing"),
              _("Diagnostics under way"), "diagnostics", queue="to-diagnose",
              deadline="diagnosis_due", bench=True),
        # While a supplementary estimate awaits a decision the repair goes on, and may be paid
        # for (`is_payable`).
        State("awaiting_decision", _("Awaiting decision"),
              _("Waiting for your decision"), "decision",
              queue="awaiting-decision", deadline="decision_due", notice="estimate_ready"),
        State("approved", _("Approved"),
              _("Approved, the repair starts soon"), "repair", queue="in-repair", payable=True),
        # Approved, but not every part is in stock at the order's center: its purchase order's
        # expected date (`parts_due`) is the overdue target; receiving the parts moves it on.
        State("waiting_for_parts", _("Waiting for parts"),
              _("Approved, waiting for parts"), "repair", queue="waiting-for-parts",
              deadline="parts_due", payable=True),
        State("repairing", _("Repairing"),
              _("Being repaired"), "repair", queue="in-repair", payable=True,
              bench=True),
        State("testing", _("Stress test"),
              _("Repaired, being tested"), "test", queue="in-repair", payable=True),
        State("ready_repaired", _("Ready for collection (repaired)"),
              _("Repaired and ready to collect"), "ready", queue="ready",
              deadline="storage_due", notice="ready_repaired", stored=True, payable=True,
              ready=True),
        State("ready_unrepaired", _("Ready for collection (unrepaired)"),
              _("Ready to collect, not repaired"), "ready",
              queue="ready", deadline="storage_due", notice="ready_unrepaired", stored=True,
              payable=True, ready=True),
        State("issued", _("Issued"),
              _("Collected"), "collected", closed=True),
        State("disposal_due", _("Due for disposal"),
              _("Storage period ended"), "storage_ended", queue="disposal",
              notice="disposal_warning", stored=True, payable=True),
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
