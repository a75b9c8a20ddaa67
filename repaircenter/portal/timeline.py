"""The steps of an order as the customer follows them, with the dates they happened or are
expected. Built from the order's fields and its timeline events (prefetched: no queries),
except the expected end of the repair, which reads the center's holidays once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repaircenter.core.calendar import center_date, working_days_after
from repaircenter.orders.models import (
    EstimateKind,
    EstimateStatus,
    Order,
    PendingSupplement,
    Status,
    UnrepairedReason,
)

DONE, CURRENT, LATER = "done", "current", "later"
S = Status

DECISIONS = {"approve": gettext_lazy("approved"), "refuse": gettext_lazy("refused"),
             "lapse_decision": gettext_lazy("no decision in time")}


@dataclass(frozen=True)
class Step:
    title: str
    state: str  # done, current or later
    at: datetime.datetime | datetime.date | None = None  # when it happened
    expected: datetime.datetime | datetime.date | None = None  # when it is expected by
    note: str = ""


def _last(order: Order, *actions: str):
    found = [e for e in order.events.all() if e.action in actions]
    return found[-1] if found else None


def _first(order: Order, *actions: str):
    return next((e for e in order.events.all() if e.action in actions), None)


def expected_ready(order: Order) -> datetime.date | None:
    """The end of the agreed repair: the repair time of the latest approved estimate, in working
    days from the decision."""
    approved = [e for e in order.estimates.all() if e.status == EstimateStatus.APPROVED]
    if not approved or order.decided_at is None:
        return None
    latest = max(approved, key=lambda e: e.number)
    if not latest.repair_days:
        return None
    return working_days_after(center_date(latest.decided_at or order.decided_at),
                              latest.repair_days)


def steps(order: Order, *, ready_by: datetime.date | None) -> list[Step]:
    status = order.status
    unrepaired = bool(order.unrepaired_reason)
    result = [Step(_("Received at the center"), DONE, at=order.received_at)]

    # Diagnostics: until the estimate went out, the equipment was found not repairable, or the
    # customer refused before any estimate.
    diagnosed = _first(order, "send_estimate", "declare_not_repairable", "refuse")
    if status in (S.RECEIVED, S.DIAGNOSING):
        result.append(Step(_("Diagnostics"), CURRENT, expected=order.diagnosis_due))
    else:
        result.append(Step(_("Diagnostics"), DONE, at=diagnosed.at if diagnosed else None))

    if order.unrepaired_reason == UnrepairedReason.NOT_REPAIRABLE:
        result.append(Step(_("Found not worth repairing"), DONE,
                           at=diagnosed.at if diagnosed else None))
    elif status in (S.RECEIVED, S.DIAGNOSING):
        result.append(Step(_("Estimate and your decision"), LATER))
    elif status == S.AWAITING_DECISION and not order.pending_supplement:
        result.append(Step(_("Your decision on the estimate"), CURRENT,
                           expected=order.decision_due))
    else:
        decision = _first(order, *DECISIONS)
        note = str(DECISIONS[decision.action]) if decision else ""
        result.append(Step(_("Your decision on the estimate"), DONE,
                           at=decision.at if decision else order.decided_at, note=note))

    repair_started = _first(order, "start_repair") is not None
    if unrepaired and not repair_started:
        pass  # no repair: straight to collection
    elif status in (S.RECEIVED, S.DIAGNOSING) or (
        status == S.AWAITING_DECISION and not order.pending_supplement
    ):
        result.append(Step(_("Repair"), LATER))
        result.append(Step(_("Stress test"), LATER))
    elif status in (S.APPROVED, S.REPAIRING) or status == S.AWAITING_DECISION:
        note = ""
        if status == S.AWAITING_DECISION:
            note = _("waiting for your decision on the extra work")
        result.append(Step(_("Repair"), CURRENT, expected=ready_by, note=note))
        result.append(Step(_("Stress test"), LATER))
    else:
        finished = _last(order, "finish_works")
        if unrepaired:
            result.append(Step(_("Repair"), DONE, note=_("stopped: the extra work was refused")))
        else:
            result.append(Step(_("Repair"), DONE, at=finished.at if finished else None))
            tested = _last(order, "pass_test")
            if status == S.TESTING:
                result.append(Step(_("Stress test"), CURRENT))
            else:
                result.append(Step(_("Stress test"), DONE, at=tested.at if tested else None,
                                   note=_("passed")))

    ready_title = _("Ready to collect, not repaired") if unrepaired else _("Ready to collect")
    if status in (S.READY_REPAIRED, S.READY_UNREPAIRED):
        result.append(Step(ready_title, CURRENT, at=order.ready_at, expected=order.storage_due))
    elif order.ready_at:
        result.append(Step(ready_title, DONE, at=order.ready_at))
    else:
        result.append(Step(ready_title, LATER, expected=ready_by))

    if status == S.DISPOSAL_DUE:
        result.append(Step(_("Storage period ended"), CURRENT, at=order.storage_due))
    elif status == S.DISPOSED:
        result.append(Step(_("Storage period ended"), DONE, at=order.storage_due))
        result.append(Step(_("Disposed of"), DONE, at=order.disposed_at))
    elif status == S.ISSUED:
        result.append(Step(_("Collected"), DONE, at=order.issued_at))
    else:
        result.append(Step(_("Collected"), LATER))
    return result


def current_supplement(order: Order):
    """The supplementary estimate awaiting a decision, if that is what the order waits for."""
    if order.status != S.AWAITING_DECISION or order.pending_supplement == PendingSupplement.NONE:
        return None
    current = order.current_estimate
    return current if current and current.kind == EstimateKind.SUPPLEMENT else None
