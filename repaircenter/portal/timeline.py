"""The steps of an order as the customer follows them, with the dates they happened or are
expected. Built from the order's fields and its state changes' events (given: no queries),
except the expected end of the repair, which reads the center's holidays once.

The registry says the rest: the steps, in order, are `orders.states.STEPS`; the step an order
is on is its state's `step`; a step's date is when the order left it for a later one, which
`orders.transitions` says. What is left here is presentation: an order not repaired has no
repair step, a supplementary estimate awaiting a decision keeps the repair current, and an
order ends either collected or, not collected in time, with the storage period's end.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from repaircenter.orders.models import (
    EstimateStatus,
    Order,
    PendingSupplement,
    Status,
    Transfer,
    UnrepairedReason,
)
from repaircenter.orders.states import STATES, STEPS
from repaircenter.orders.transitions import APPROVALS, DECISIONS, LAPSES, TRANSITIONS

DONE, CURRENT, LATER = "done", "current", "later"


def _position(status: str) -> int:
    return STEPS.index(STATES[status].step)


def _leaving(step: str) -> frozenset[str]:
    """The state changes that take an order from `step` on to a later step."""
    at = STEPS.index(step)
    return frozenset(
        t.name for t in TRANSITIONS.values()
        if _position(t.target) > at and any(_position(s) == at for s in t.sources)
    )


# When diagnostics ended (the estimate went out, not repairable, refused before any estimate),
# the works were finished (the last time: a failed test sends the order back), the test passed.
LEFT = {step: _leaving(step) for step in ("diagnostics", "repair", "test")}
# The customer's answer to the estimate itself (not to a supplement), or its lapse.
MAIN_DECISIONS = frozenset(
    name for name in DECISIONS | LAPSES
    if TRANSITIONS[name].pending is None or PendingSupplement.NONE in TRANSITIONS[name].pending
)
# An order returned unrepaired shows a repair step only if the repair had started.
REPAIR_STARTED = TRANSITIONS["start_repair"].name


@dataclass(frozen=True)
class Step:
    title: str
    state: str  # done, current or later
    at: datetime.datetime | datetime.date | None = None  # when it happened
    expected: datetime.datetime | datetime.date | None = None  # when it is expected by
    note: str = ""
    name: str = ""  # the step of orders.states.STEPS it draws


def _last(events, *actions: str):
    found = [e for e in events if e.action in actions]
    return found[-1] if found else None


def _first(events, *actions: str):
    return next((e for e in events if e.action in actions), None)


def _decision_word(action: str) -> str:
    if action in APPROVALS:
        return _("approved")
    if action in LAPSES:
        return _("no decision in time")
    return _("refused")


def awaits_supplement(order: Order) -> bool:
    """The order waits for a decision on a supplementary estimate, while its repair goes on."""
    return STATES[order.status].step == "decision" and bool(order.pending_supplement)


def current_step(order: Order) -> str:
    """The step the order is on: its state's, but the repair while a supplement awaits."""
    return "repair" if awaits_supplement(order) else STATES[order.status].step


def expected_ready(order: Order) -> datetime.date | None:
    """The end of the agreed repair: the repair time of the latest approved estimate, in working
    days from the decision."""
    approved = [e for e in order.estimates.all() if e.status == EstimateStatus.APPROVED]
    if not approved or order.decided_at is None:
        return None
    latest = max(approved, key=lambda e: e.number)
    if not latest.repair_days:
        return None
    center = order.center
    return center.working_days_after(center.local_date(latest.decided_at or order.decided_at),
                                     latest.repair_days)


def shows_expected_ready(order: Order) -> bool:
    """Whether the page may show the repair's expected end (expected_ready reads the center's
    holidays): before the order is ready, or while it was never marked ready (its ready step is
    then still to come). Past that, the steps say when things happened."""
    return STEPS.index(current_step(order)) < STEPS.index("ready") or not order.ready_at


def steps(order: Order, *, ready_by: datetime.date | None,
          travelling: Transfer | None = None, events: Sequence | None = None) -> list[Step]:
    """The customer's steps; equipment on its way between centers (`travelling`) is a step of
    its own, after the one the order is on. `events`: the order's state changes, oldest first
    (anything with .action and .at; by default the order's events)."""
    result = _steps(order, ready_by, order.events.all() if events is None else events)
    if travelling is not None:
        current = [i for i, step in enumerate(result) if step.state == CURRENT]
        done = [i for i, step in enumerate(result) if step.state == DONE]
        after = (current or done or [0])[-1] + 1
        result.insert(after, Step(
            _("On its way to %(center)s") % {"center": travelling.to_center.name}, CURRENT,
            at=travelling.sent_at, name="transfer"))
    return result


def _steps(order: Order, ready_by: datetime.date | None, events: Sequence) -> list[Step]:
    on = current_step(order)
    now, closed = STEPS.index(on), STATES[order.status].closed

    def state(step: str) -> str:
        """Before the order's step: done; its step: current (done, once the order is closed)."""
        at = STEPS.index(step)
        if at < now or (at == now and closed):
            return DONE
        return CURRENT if at == now else LATER

    unrepaired = bool(order.unrepaired_reason)
    result = [Step(_("Received at the center"), state("received"), at=order.received_at,
                   name="received")]

    diagnosed = _first(events, *LEFT["diagnostics"])
    if state("diagnostics") == CURRENT:
        result.append(Step(_("Diagnostics"), CURRENT, expected=order.diagnosis_due,
                           name="diagnostics"))
    else:
        result.append(Step(_("Diagnostics"), DONE, at=diagnosed.at if diagnosed else None,
                           name="diagnostics"))

    decision_state = state("decision")
    if order.unrepaired_reason == UnrepairedReason.NOT_REPAIRABLE:
        result.append(Step(_("Found not worth repairing"), DONE,
                           at=diagnosed.at if diagnosed else None, name="decision"))
    elif decision_state == LATER:
        result.append(Step(_("Estimate and your decision"), LATER, name="decision"))
    elif decision_state == CURRENT:
        result.append(Step(_("Your decision on the estimate"), CURRENT,
                           expected=order.decision_due, name="decision"))
    else:
        decision = _first(events, *MAIN_DECISIONS)
        result.append(Step(_("Your decision on the estimate"), DONE,
                           at=decision.at if decision else order.decided_at,
                           note=_decision_word(decision.action) if decision else "",
                           name="decision"))

    repair_state = state("repair")
    if unrepaired and _first(events, REPAIR_STARTED) is None:
        pass  # no repair: straight to collection
    elif repair_state == LATER:
        result.append(Step(_("Repair"), LATER, name="repair"))
        result.append(Step(_("Stress test"), LATER, name="test"))
    elif repair_state == CURRENT:
        note = _("waiting for your decision on the extra work") if awaits_supplement(order) else ""
        if order.status == Status.WAITING_FOR_PARTS:
            note = (_("waiting for parts, expected by %(date)s")
                    % {"date": formats.date_format(order.parts_due, "j F Y")}
                    if order.parts_due else _("waiting for parts"))
        result.append(Step(_("Repair"), CURRENT, expected=ready_by, note=note, name="repair"))
        result.append(Step(_("Stress test"), LATER, name="test"))
    elif unrepaired:
        result.append(Step(_("Repair"), DONE, note=_("stopped: the extra work was refused"),
                           name="repair"))
    else:
        finished = _last(events, *LEFT["repair"])
        result.append(Step(_("Repair"), DONE, at=finished.at if finished else None,
                           name="repair"))
        if state("test") == CURRENT:
            result.append(Step(_("Stress test"), CURRENT, name="test"))
        else:
            tested = _last(events, *LEFT["test"])
            result.append(Step(_("Stress test"), DONE, at=tested.at if tested else None,
                               note=_("passed"), name="test"))

    ready_title = _("Ready to collect, not repaired") if unrepaired else _("Ready to collect")
    if state("ready") == CURRENT:
        result.append(Step(ready_title, CURRENT, at=order.ready_at, expected=order.storage_due,
                           name="ready"))
    elif order.ready_at:
        result.append(Step(ready_title, DONE, at=order.ready_at, name="ready"))
    else:
        result.append(Step(ready_title, LATER, expected=ready_by, name="ready"))

    # The end: collected, or not collected in time: the storage period's end, then disposal.
    if on in ("storage_ended", "disposed"):
        result.append(Step(_("Storage period ended"), state("storage_ended"),
                           at=order.storage_due, name="storage_ended"))
        if on == "disposed":
            result.append(Step(_("Disposed of"), state("disposed"), at=order.disposed_at,
                               name="disposed"))
    else:
        result.append(Step(_("Collected"), state("collected"), at=order.issued_at,
                           name="collected"))
    return result
