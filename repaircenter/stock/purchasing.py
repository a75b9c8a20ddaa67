"""Suppliers' purchase orders: draft → sent → partly received → received, or cancelled.

Receiving adds the units to the center's stock (one ledger line per part, at the line's cost).
The orders waiting for those parts are served by `orders.workflow.receive_purchase_order`,
which calls `receive` here and then reserves for them, oldest first, in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services
from .models import (
    BELOW_MINIMUM,
    OPEN_PURCHASES,
    Part,
    PurchaseLine,
    PurchaseOrder,
    PurchaseStatus,
    StockLevel,
    Supplier,
)
from .services import StockError


class WrongStatus(StockError):
    """The purchase order is no longer in a status that allows the change (sent already,
    cancelled, received…)."""


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise StockError(_("The cost must be an amount of money, such as 12.50.")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("10000000000"):
        raise StockError(_("The cost must be an amount of money, such as 12.50."))
    return amount.quantize(Decimal("0.01"))


def _hold(purchase_order: PurchaseOrder, *statuses: str) -> PurchaseOrder:
    """The purchase order as stored, held (compare-and-set on its status) until the commit, or
    StockError if it is no longer in one of `statuses`."""
    if not PurchaseOrder.objects.filter(pk=purchase_order.pk, status__in=statuses).update(
        status=F("status")
    ):
        current = PurchaseOrder.objects.get(pk=purchase_order.pk)
        raise WrongStatus(
            _("Purchase order %(number)s is %(status)s: that is not possible now.")
            % {"number": current.display_number,
               "status": current.get_status_display().lower()}
        )
    return PurchaseOrder.objects.select_related("supplier").get(pk=purchase_order.pk)


@transaction.atomic
def create(*, center_id: int, supplier: Supplier, by, expected_on: datetime.date | None = None,
           note: str = "", lines: Iterable[tuple[Part, object, object]] = ()) -> PurchaseOrder:
    """A draft, with `lines` (part, quantity, unit cost or None for the part's purchase cost)
    put on it by `set_line`'s rules. A part given twice is refused; all or nothing."""
    lines = list(lines)
    seen: set[int] = set()
    for part, _quantity, _cost in lines:
        if part.pk in seen:
            raise StockError(_("%(part)s is given twice: give each part once, with all its "
                               "units.") % {"part": part.sku}, field="lines")
        seen.add(part.pk)
    purchase_order = PurchaseOrder.objects.create(
        center_id=center_id, supplier=supplier, created_by=by, expected_on=expected_on,
        note=note)
    for part, quantity, unit_cost in lines:
        set_line(purchase_order=purchase_order, part=part, quantity=quantity,
                 unit_cost=unit_cost)
    return purchase_order


@transaction.atomic
def set_line(*, purchase_order: PurchaseOrder, part: Part, quantity, unit_cost=None
             ) -> PurchaseLine:
    """Add a part to a draft, or change its quantity and cost."""
    _hold(purchase_order, PurchaseStatus.DRAFT)
    quantity = services.whole_units(quantity)
    cost = part.purchase_cost if unit_cost in (None, "") else _money(unit_cost)
    try:
        with transaction.atomic():
            line, _made = PurchaseLine.objects.update_or_create(
                purchase_order=purchase_order, part=part,
                defaults={"quantity": quantity, "unit_cost": cost})
    except IntegrityError:
        raise StockError(_("That part was added a moment ago; look again.")) from None
    return line


@transaction.atomic
def remove_line(*, purchase_order: PurchaseOrder, line_id: int) -> None:
    _hold(purchase_order, PurchaseStatus.DRAFT)
    PurchaseLine.objects.filter(purchase_order=purchase_order, pk=line_id).delete()


@transaction.atomic
def send(*, purchase_order: PurchaseOrder, expected_on: datetime.date | None = None
         ) -> PurchaseOrder:
    purchase_order = _hold(purchase_order, PurchaseStatus.DRAFT)
    expected_on = expected_on or purchase_order.expected_on
    if not purchase_order.lines.exists():
        raise StockError(_("Add at least one part before sending the purchase order."))
    if expected_on is None:
        raise StockError(_("Say when the supplier is expected to deliver."),
                         field="expected_on")
    PurchaseOrder.objects.filter(pk=purchase_order.pk).update(
        status=PurchaseStatus.SENT, sent_at=timezone.now(), expected_on=expected_on)
    purchase_order.refresh_from_db()
    return purchase_order


@transaction.atomic
def cancel(*, purchase_order: PurchaseOrder) -> PurchaseOrder:
    purchase_order = _hold(purchase_order, PurchaseStatus.DRAFT, PurchaseStatus.SENT)
    PurchaseOrder.objects.filter(pk=purchase_order.pk).update(
        status=PurchaseStatus.CANCELLED, closed_at=timezone.now())
    purchase_order.refresh_from_db()
    return purchase_order


@transaction.atomic
def receive(*, purchase_order: PurchaseOrder, quantities: dict[int, object], by,
            reason: str = "") -> dict[int, int]:
    """Units delivered, per part id. More than is still outstanding on a line only with a
    reason. Returns the units received per part id. All or nothing."""
    purchase_order = _hold(purchase_order, *OPEN_PURCHASES)
    lines = {line.part_id: line for line in purchase_order.lines.select_related("part")}
    received: dict[int, int] = {}
    for part_id, quantity in quantities.items():
        if str(quantity).strip() in ("", "0"):
            continue
        line = lines.get(int(part_id))
        if line is None:
            raise StockError(_("That part is not on purchase order %(number)s.")
                             % {"number": purchase_order.display_number})
        units = services.whole_units(quantity)
        if units > line.outstanding and not reason.strip():
            raise StockError(
                _("%(part)s: %(units)s received but only %(outstanding)s outstanding. Give the "
                  "reason to receive more than was ordered; nothing was received.")
                % {"part": line.part, "units": units, "outstanding": line.outstanding}
            )
        received[line.part_id] = units
    if not received:
        raise StockError(_("Type how many units of each part arrived."))
    now = timezone.now()
    for part_id, units in received.items():
        line = lines[part_id]
        PurchaseLine.objects.filter(pk=line.pk).update(received=F("received") + units)
        services.receive(center_id=purchase_order.center_id, part_id=part_id, quantity=units,
                         by=by, purchase_order=purchase_order, unit_cost=line.unit_cost,
                         reason=reason.strip(), when=now)
    complete = not PurchaseLine.objects.filter(purchase_order=purchase_order,
                                               received__lt=F("quantity")).exists()
    PurchaseOrder.objects.filter(pk=purchase_order.pk).update(
        status=PurchaseStatus.RECEIVED if complete else PurchaseStatus.PARTLY_RECEIVED,
        closed_at=now if complete else None)
    return received


def incoming(center_id: int, part_ids) -> dict[int, list[tuple[PurchaseOrder, int]]]:
    """The open purchase orders bringing each part to the center: (order, units outstanding),
    the earliest expected first."""
    found: dict[int, list] = {}
    lines = PurchaseLine.objects.filter(
        purchase_order__center_id=center_id, purchase_order__status__in=OPEN_PURCHASES,
        part_id__in=list(part_ids), received__lt=F("quantity"),
    ).select_related("purchase_order", "purchase_order__supplier").order_by(
        F("purchase_order__expected_on").asc(nulls_last=True), "purchase_order_id")
    for line in lines:
        found.setdefault(line.part_id, []).append((line.purchase_order, line.outstanding))
    return found


@dataclass(frozen=True)
class Suggestion:
    part: Part
    on_hand: int
    reserved: int
    wanted_by_orders: int
    on_order: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def to_order(self) -> int:
        """Enough to bring the available units back to the minimum and serve the orders
        waiting, less what is already on its way."""
        short = max(self.part.minimum - self.available, 0) + self.wanted_by_orders
        return max(short - self.on_order, 0)


def what_to_order(center_id: int, wanted_by_orders: dict[int, int]) -> list[Suggestion]:
    """Parts below their minimum at the center, and parts orders are waiting for
    (`wanted_by_orders`: part id → units still missing), less what open purchase orders bring."""
    below = StockLevel.objects.filter(BELOW_MINIMUM, center_id=center_id, part__active=True)
    part_ids = set(below.values_list("part_id", flat=True)) | set(wanted_by_orders)
    # Parts with a minimum that this center has never stocked are below it too.
    never = Part.objects.filter(active=True, minimum__gt=0).exclude(
        levels__center_id=center_id)
    part_ids |= set(never.values_list("pk", flat=True))
    levels = {level.part_id: level for level in StockLevel.objects.filter(
        center_id=center_id, part_id__in=part_ids)}
    on_order = dict(PurchaseLine.objects.filter(
        purchase_order__center_id=center_id,
        purchase_order__status__in=(PurchaseStatus.DRAFT, *OPEN_PURCHASES),
        part_id__in=part_ids,
    ).values("part_id").annotate(n=Sum(F("quantity") - F("received"))).values_list("part_id", "n"))
    result = []
    for part in Part.objects.filter(pk__in=part_ids).order_by("sku"):
        level = levels.get(part.pk)
        suggestion = Suggestion(
            part=part, on_hand=level.on_hand if level else 0,
            reserved=level.reserved if level else 0,
            wanted_by_orders=wanted_by_orders.get(part.pk, 0),
            on_order=on_order.get(part.pk, 0) or 0,
        )
        if suggestion.to_order > 0:
            result.append(suggestion)
    return result


def low_stock(center_id: int | None):
    """The levels below their part's minimum (at one center, or every center)."""
    levels = StockLevel.objects.filter(BELOW_MINIMUM, part__active=True)
    if center_id is not None:
        levels = levels.filter(center_id=center_id)
    return levels.select_related("part", "center").order_by("center_id", "part__sku")



