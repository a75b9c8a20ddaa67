"""The repair: started once approved, finished when every agreed line is done, then the stress
test, whose pass makes the order ready and whose failure sends it back to repair."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import EstimateLine, EstimateStatus, Order, StressTest, TestProcedure
from ..transitions import TRANSITIONS
from . import parts
from .base import (
    Actor,
    Refused,
    actor_channel,
    change_state,
    check,
    lock_order,
    require_unchanged_state,
)


@transaction.atomic
@transaction.atomic
def start_repair(
    *, order: Order, actor: Actor, expected_version: int | None = None, note: str = ""
) -> Order:
    return change_state(
        "start_repair", order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note,
    )


def lines_not_done(order: Order) -> list[EstimateLine]:
    """The agreed lines (of approved estimates) nobody has marked done, as stored now."""
    return list(
        EstimateLine.objects.filter(
            estimate__order=order, estimate__status=EstimateStatus.APPROVED, done__isnull=True
        ).select_related("estimate").order_by("estimate__number", "position", "pk")
    )


@transaction.atomic
def finish_works(
    *, order: Order, actor: Actor, expected_version: int | None = None, note: str = ""
) -> Order:
    """The works are done: to the stress test. Every agreed line must be marked done."""
    check(TRANSITIONS["finish_works"], order, actor)
    lock_order(order)
    require_unchanged_state(TRANSITIONS["finish_works"], order)
    missing = lines_not_done(order)
    if missing:
        raise Refused(
            _("Not every agreed line is done. Still to do: %(lines)s.")
            % {"lines": "; ".join(f"“{line.description}”" for line in missing)}
        )
    parts.use_parts(order, actor)  # the reserved parts leave the stock, with their serials
    return change_state(
        "finish_works", order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note,
    )


@dataclass(frozen=True)
class TestRun:
    """What the technician records of one stress test run, besides its result."""

    procedure: str
    duration_minutes: int | None = None
    measurements: str = ""
    name: str = ""
    template_id: int | None = None


@transaction.atomic
def record_test(
    *,
    order: Order,
    actor: Actor,
    passed: bool,
    note: str,
    run: TestRun | None = None,
    expected_version: int | None = None,
) -> Order:
    """The stress test's result: passed makes the order ready (and tells the customer), failed
    sends it back to repair with the failure on record. Either way the run is kept."""
    name = "pass_test" if passed else "fail_test"
    check(TRANSITIONS[name], order, actor)
    if not note.strip():
        raise Refused(
            _("Describe the outcome: what was measured and how the equipment behaved.")
            if passed else _("Describe the failure: what went wrong and when.")
        )
    run = run or TestRun(procedure=note)
    if not run.procedure.strip():
        raise Refused(_("Describe the test procedure, or choose one from the list."))
    if run.duration_minutes is not None and not 1 <= run.duration_minutes <= 10080:
        raise Refused(_("The duration is in minutes, from 1 to 10080 (a week)."))
    template = None
    if run.template_id is not None:
        template = TestProcedure.objects.filter(pk=run.template_id).first()
        if template is None:
            raise Refused(_("That test procedure no longer exists; choose another."))
    now = timezone.now()
    change_state(
        name, order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note, now=now,
        changes={"ready_at": now} if passed else None,
    )
    StressTest.objects.create(
        order=order, procedure_template=template,
        name=run.name.strip() or (template.name if template else ""),
        procedure=run.procedure.strip(), duration_minutes=run.duration_minutes,
        # The outcome joins what was measured, unless it is the procedure itself (a caller
        # that gave only a note).
        measurements="\n\n".join(
            p for p in (run.measurements.strip(), note.strip())
            if p and p != run.procedure.strip()
        ),
        passed=passed, run_by=actor.user, recorded_at=now,
    )
    return order

