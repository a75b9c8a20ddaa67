"""The parts of an order's agreed lines (stock app): reserved at approval, waited for, served
when they arrive, used when the works are finished, released when the repair is refused.

- approval reserves what is available at the order's center for the approved estimate's part
  lines; if anything is missing, the order moves on to "waiting for parts" (`await_parts`, the
  system's transition) in the same transaction, its `parts_due` the latest expected date of the
  purchase orders bringing the missing parts;
- `receive_purchase_order` adds the units delivered and serves the orders waiting for them,
  oldest approval first, in one transaction; an order with every part reserved moves back to
  "approved" (`parts_arrived`, by the system), the technician's queue;
- finishing the works uses each line's reserved units (with the serials of serial-numbered
  parts, typed when the line was marked done) at the part's purchase cost;
- a refusal releases what was reserved.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role
from repaircenter.stock import purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import PurchaseOrder
from repaircenter.stock.services import StockError

from ..models import Estimate, EstimateLine, EstimateStatus, EventChannel, Order, Status
from ..transitions import TRANSITIONS
from .base import Actor, NotAllowed, Refused, change_state, check, lock_order

# Who receives deliveries and keeps the storeroom.
STOREKEEPERS = frozenset({Role.MANAGER, Role.RECEPTIONIST, Role.TECHNICIAN})
# Who orders from suppliers: makes, sends and cancels purchase orders.
BUYERS = frozenset({Role.MANAGER})
# Orders whose agreed lines may still be short of parts, and get served when they arrive.
SERVED_STATES = (Status.WAITING_FOR_PARTS, Status.APPROVED, Status.REPAIRING,
                 Status.AWAITING_DECISION)


def units(line: EstimateLine) -> int:
    return int(line.quantity)


def part_lines(order: Order):
    """The agreed (approved) lines of the order that take a catalogue part."""
    return EstimateLine.objects.filter(
        estimate__order=order, estimate__status=EstimateStatus.APPROVED, part__isnull=False
    ).select_related("part").order_by("estimate__number", "position", "pk")


def missing_parts(order: Order) -> list[tuple[EstimateLine, int]]:
    """(line, units still to reserve) for each agreed part line not fully reserved."""
    return [(line, units(line) - line.reserved) for line in part_lines(order)
            if not line.used and line.reserved < units(line)]


def _reserve_line(order: Order, line: EstimateLine, by) -> int:
    want = units(line) - line.reserved
    if want <= 0 or line.used:
        return 0
    got = stock.reserve(center_id=order.center_id, part_id=line.part_id, quantity=want,
                        order_ref=order.pk, line_ref=line.pk, by=by, partial=True)
    if got:
        EstimateLine.objects.filter(pk=line.pk).update(reserved=F("reserved") + got)
        line.reserved += got
    return got


def reserve_estimate(order: Order, estimate: Estimate, actor: Actor) -> None:
    """At approval: reserve at the order's center what is available for the estimate's parts."""
    for line in estimate.lines.filter(part__isnull=False).order_by("position", "pk"):
        _reserve_line(order, line, actor.user)


def release_parts(order: Order, actor: Actor, reason: str) -> None:
    """Give back every unit reserved for the order (refused, returned unrepaired)."""
    for line in EstimateLine.objects.filter(estimate__order=order, reserved__gt=0):
        stock.release(center_id=order.center_id, part_id=line.part_id, quantity=line.reserved,
                      order_ref=order.pk, line_ref=line.pk, by=actor.user, reason=reason)
        EstimateLine.objects.filter(pk=line.pk).update(reserved=0)


def release_for_changed_orders(*, order_ids, action, at, to_status) -> None:
    """A set-based change (the sweep) that returned orders unrepaired releases their parts."""
    if to_status != Status.READY_UNREPAIRED:
        return
    holding = Order.objects.filter(pk__in=EstimateLine.objects.filter(
        estimate__order_id__in=order_ids, reserved__gt=0).values("estimate__order_id"))
    for order in holding:
        release_parts(order, Actor.system(), _("No decision in time"))


def parts_expected(order: Order):
    """The date the last missing part is expected (open purchase orders), or None."""
    missing = missing_parts(order)
    incoming = purchasing.incoming(order.center_id, {line.part_id for line, _n in missing})
    dates = []
    for line, _n in missing:
        bringing = [po.expected_on for po, _left in incoming.get(line.part_id, [])]
        if not bringing or None in bringing:
            return None
        dates.append(min(bringing))
    return max(dates) if dates else None


@transaction.atomic
def await_parts(*, order: Order, note: str = "") -> Order:
    """The system's: an approved order whose parts are not all at its center waits for them."""
    check(TRANSITIONS["await_parts"], order, Actor.system())
    missing = missing_parts(order)
    return change_state(
        "await_parts", order=order, actor=Actor.system(), channel=EventChannel.SYSTEM,
        expected_version=None, note=note or "; ".join(
            f"{line.part.sku} × {n}" for line, n in missing),
        evidence={"missing": {line.part.sku: n for line, n in missing}},
        changes={"parts_due": parts_expected(order)},
    )


@transaction.atomic
def parts_arrived(*, order: Order, note: str = "") -> Order:
    """The system's: every part of the order is reserved now; on to the technician's queue."""
    check(TRANSITIONS["parts_arrived"], order, Actor.system())
    if missing_parts(order):
        raise Refused(_("Order %(number)s still misses parts.")
                      % {"number": order.display_number})
    return change_state("parts_arrived", order=order, actor=Actor.system(),
                        channel=EventChannel.SYSTEM, expected_version=None, note=note,
                        changes={"parts_due": None})


def after_approval(order: Order, estimate: Estimate, actor: Actor) -> Order:
    """Reserve the approved estimate's parts; the main estimate's order waits if any is
    missing. Inside the approval's transaction."""
    reserve_estimate(order, estimate, actor)
    if order.status == Status.APPROVED and missing_parts(order):
        return await_parts(order=order)
    return order


def serve_waiting(center_id: int, part_ids) -> list[Order]:
    """Reserve newly available units for the orders short of them at the center, the oldest
    approval first; orders waiting for parts that have them all now move on. Returns those."""
    lines = EstimateLine.objects.filter(
        estimate__order__center_id=center_id, estimate__order__status__in=SERVED_STATES,
        estimate__status=EstimateStatus.APPROVED, part_id__in=list(part_ids), used=0,
        reserved__lt=F("quantity"),
    ).select_related("estimate__order").order_by(
        "estimate__order__decided_at", "estimate__order_id", "estimate__number", "position")
    touched: dict[int, Order] = {}
    for line in lines:
        order = line.estimate.order
        _reserve_line(order, line, None)
        touched.setdefault(order.pk, order)
    moved = []
    for order in touched.values():
        # As stored now, held: another delivery serving it at once waits here (PostgreSQL).
        order = lock_order(order)
        if order.status != Status.WAITING_FOR_PARTS:
            continue
        if not missing_parts(order):
            moved.append(parts_arrived(order=order, note=_("Parts received")))
        else:
            Order.objects.filter(pk=order.pk).update(parts_due=parts_expected(order))
    return moved


@transaction.atomic
def receive_purchase_order(*, purchase_order: PurchaseOrder, actor: Actor,
                           quantities: dict[int, object], reason: str = "") -> list[Order]:
    """A delivery: stock added, then the orders waiting for those parts served, oldest first,
    all in one transaction. Returns the orders that moved on to the technician."""
    if not actor.roles & STOREKEEPERS:
        raise NotAllowed(_("Your role does not allow receiving deliveries."))
    try:
        received = purchasing.receive(purchase_order=purchase_order, quantities=quantities,
                                      by=actor.user, reason=reason)
    except StockError as error:
        raise Refused(error.message) from None
    return serve_waiting(purchase_order.center_id, received)


def after_purchase_sent(purchase_order: PurchaseOrder) -> None:
    """The waiting orders at its center learn when their parts are expected."""
    for order in Order.objects.filter(center_id=purchase_order.center_id,
                                      status=Status.WAITING_FOR_PARTS):
        Order.objects.filter(pk=order.pk).update(parts_due=parts_expected(order))


SERIAL_SPLIT = re.compile(r"[\s,;]+")


def use_parts(order: Order, actor: Actor) -> None:
    """Finishing the works: each agreed part line's reserved units are used, at the part's
    cost now; serial-numbered parts need one serial per unit, typed when the line was done."""
    lines = list(part_lines(order).select_related("done"))
    for line in lines:
        if line.used:
            continue
        if line.reserved < units(line):
            raise Refused(
                _("“%(line)s”: only %(reserved)s of %(units)s units are reserved for this "
                  "order. Wait for the part to arrive.")
                % {"line": line.description, "reserved": line.reserved, "units": units(line)})
        serials = getattr(line, "done", None)
        serials = serials.part_serials if serials else ""
        if line.part.serial_tracked and len(
            [s for s in SERIAL_SPLIT.split(serials) if s]
        ) != units(line):
            raise Refused(
                _("“%(line)s”: type the serial number of each of the %(units)s units fitted "
                  "(undo the line and mark it done again with them).")
                % {"line": line.description, "units": units(line)})
        try:
            stock.use(center_id=order.center_id, part_id=line.part_id, quantity=units(line),
                      order_ref=order.pk, line_ref=line.pk, by=actor.user, serials=serials,
                      unit_cost=line.part.purchase_cost)
        except StockError as error:  # e.g. reserved at another center before a transfer
            raise Refused(error.message) from None
        EstimateLine.objects.filter(pk=line.pk).update(
            reserved=0, used=units(line), unit_cost=line.part.purchase_cost)


def parts_wanted(center_id: int) -> dict[int, int]:
    """Units still missing per part for the orders at the center (for "what to order")."""
    wanted: dict[int, int] = {}
    for line in EstimateLine.objects.filter(
        estimate__order__center_id=center_id, estimate__order__status__in=SERVED_STATES,
        estimate__status=EstimateStatus.APPROVED, part__isnull=False, used=0,
        reserved__lt=F("quantity"),
    ).only("part_id", "quantity", "reserved"):
        wanted[line.part_id] = wanted.get(line.part_id, 0) + units(line) - line.reserved
    return wanted


