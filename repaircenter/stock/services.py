"""Every change of stock: one compare-and-set UPDATE of the level and its ledger line, in one
transaction. A change that would take on hand or reserved below zero, or reserve more than is
available, matches no row and raises `StockError`; nothing is written.

The compare-and-set (`filter(on_hand__gte=F("reserved") + n).update(...)`) is what makes two
orders reserving the last unit at once safe on SQLite (one writer at a time) and on PostgreSQL
(the second UPDATE waits for the first's row lock, then re-checks its condition).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Movement, MovementKind, Part, StockLevel

# Who hears that a part fell below its minimum at a center (webhooks registers in its ready()):
# handler(level=StockLevel, at=datetime), inside the transaction of the change.
_low_handlers: list = []


def on_stock_low(handler) -> None:
    if handler not in _low_handlers:
        _low_handlers.append(handler)


def _check_low(center_id: int, part_id: int, dropped: int) -> None:
    """Announce the level if this change (`dropped` units less available) took it below its
    part's minimum: once when it crosses, not at every change while it stays below."""
    if not _low_handlers or dropped <= 0:
        return
    level = StockLevel.objects.select_related("part", "center").get(
        center_id=center_id, part_id=part_id)
    if level.available < level.part.minimum <= level.available + dropped:
        for handler in _low_handlers:
            handler(level=level, at=timezone.now())


# The most units one change (a line of a purchase order, a delivery, a count) may move.
MAX_UNITS = 1_000_000


class StockError(Exception):
    """A stock change refused; the message says why, for the person who asked. `field` names
    what was asked for wrongly when the change was refused for its input (e.g. a date missing),
    empty when it was refused for the state of things."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def whole_units(quantity, *, allow_zero: bool = False) -> int:
    """`quantity` as a whole number of units, or StockError (negative, fractional, not a
    number)."""
    try:
        value = Decimal(str(quantity).strip())
    except Exception:
        raise StockError(_("The quantity must be a whole number of units.")) from None
    if not value.is_finite() or value != value.to_integral_value():
        raise StockError(_("The quantity must be a whole number of units."))
    if value < 0 or (value == 0 and not allow_zero):
        raise StockError(_("The quantity must be more than zero."))
    if value > MAX_UNITS:
        raise StockError(_("The quantity is too large."))
    return int(value)


def level_of(center_id: int, part_id: int) -> StockLevel:
    """The part's level at the center, made (empty) the first time it is needed."""
    level = StockLevel.objects.filter(center_id=center_id, part_id=part_id).first()
    if level is not None:
        return level
    try:
        with transaction.atomic():
            return StockLevel.objects.create(center_id=center_id, part_id=part_id)
    except IntegrityError:  # made by someone else a moment ago
        return StockLevel.objects.get(center_id=center_id, part_id=part_id)


def _move(*, center_id, part_id, kind, on_hand=0, reserved=0, when=None, **ledger) -> Movement:
    return Movement.objects.create(
        center_id=center_id, part_id=part_id, kind=kind, on_hand_change=on_hand,
        reserved_change=reserved, at=when or timezone.now(), **ledger,
    )


def _part_name(part_id: int) -> str:
    part = Part.objects.filter(pk=part_id).first()
    return str(part) if part else str(part_id)


# --- orders: reserve, release, use ----------------------------------------------------------


@transaction.atomic
def reserve(*, center_id: int, part_id: int, quantity: int, order_ref: int | None = None,
            line_ref: int | None = None, by=None, partial: bool = False) -> int:
    """Reserve `quantity` units for an order; with `partial`, as many as are available (up to
    `quantity`). Returns how many were reserved (0 if none; StockError without `partial`)."""
    quantity = whole_units(quantity)
    level_of(center_id, part_id)
    levels = StockLevel.objects.filter(center_id=center_id, part_id=part_id)
    for _attempt in range(20):
        if partial:
            current = levels.values_list("on_hand", "reserved").get()
            wanted = min(quantity, current[0] - current[1])
            if wanted <= 0:
                return 0
        else:
            wanted = quantity
        if levels.filter(on_hand__gte=F("reserved") + wanted).update(
            reserved=F("reserved") + wanted
        ):
            _move(center_id=center_id, part_id=part_id, kind=MovementKind.RESERVED,
                  reserved=wanted, order_ref=order_ref, line_ref=line_ref, by=by)
            _check_low(center_id, part_id, wanted)
            return wanted
        if not partial:
            raise StockError(
                _("Not enough %(part)s available: %(wanted)s wanted.")
                % {"part": _part_name(part_id), "wanted": wanted}
            )
        # Someone reserved in between: look again.
    return 0


@transaction.atomic
def release(*, center_id: int, part_id: int, quantity: int, order_ref: int | None = None,
            line_ref: int | None = None, by=None, reason: str = "") -> None:
    quantity = whole_units(quantity)
    if not StockLevel.objects.filter(
        center_id=center_id, part_id=part_id, reserved__gte=quantity
    ).update(reserved=F("reserved") - quantity):
        raise StockError(_("Fewer units of %(part)s are reserved than are to be released.")
                         % {"part": _part_name(part_id)})
    _move(center_id=center_id, part_id=part_id, kind=MovementKind.RELEASED, reserved=-quantity,
          order_ref=order_ref, line_ref=line_ref, by=by, reason=reason)


@transaction.atomic
def use(*, center_id: int, part_id: int, quantity: int, order_ref: int | None = None,
        line_ref: int | None = None, by=None, serials: str = "",
        unit_cost: Decimal | None = None) -> None:
    """Reserved units fitted in a repair: they leave on hand and reserved together."""
    quantity = whole_units(quantity)
    if not StockLevel.objects.filter(
        center_id=center_id, part_id=part_id, reserved__gte=quantity, on_hand__gte=quantity
    ).update(reserved=F("reserved") - quantity, on_hand=F("on_hand") - quantity):
        raise StockError(_("%(part)s: fewer units are reserved for this order than were "
                           "fitted.") % {"part": _part_name(part_id)})
    _move(center_id=center_id, part_id=part_id, kind=MovementKind.USED, on_hand=-quantity,
          reserved=-quantity, order_ref=order_ref, line_ref=line_ref, by=by, serials=serials,
          unit_cost=unit_cost)


# --- the storeroom: receive, return, write off, count -----------------------------------------


@transaction.atomic
def receive(*, center_id: int, part_id: int, quantity: int, by=None, purchase_order=None,
            unit_cost: Decimal | None = None, reason: str = "",
            when: datetime.datetime | None = None) -> None:
    quantity = whole_units(quantity)
    level_of(center_id, part_id)
    StockLevel.objects.filter(center_id=center_id, part_id=part_id).update(
        on_hand=F("on_hand") + quantity
    )
    _move(center_id=center_id, part_id=part_id, kind=MovementKind.RECEIVED, on_hand=quantity,
          by=by, purchase_order=purchase_order, unit_cost=unit_cost, reason=reason, when=when)


def _take_out(kind, *, center_id, part_id, quantity, by, reason, purchase_order=None):
    quantity = whole_units(quantity)
    if not reason.strip():
        raise StockError(_("Give the reason."))
    level_of(center_id, part_id)
    if not StockLevel.objects.filter(
        center_id=center_id, part_id=part_id, on_hand__gte=F("reserved") + quantity
    ).update(on_hand=F("on_hand") - quantity):
        level = StockLevel.objects.get(center_id=center_id, part_id=part_id)
        raise StockError(
            _("Only %(available)s of %(part)s can be taken out here (%(on_hand)s on hand, "
              "%(reserved)s reserved for orders); nothing was changed.")
            % {"available": level.available, "part": _part_name(part_id),
               "on_hand": level.on_hand, "reserved": level.reserved}
        )
    _move(center_id=center_id, part_id=part_id, kind=kind, on_hand=-quantity, by=by,
          reason=reason.strip(), purchase_order=purchase_order)
    _check_low(center_id, part_id, quantity)


@transaction.atomic
def write_off(*, center_id: int, part_id: int, quantity: int, by, reason: str) -> None:
    """Damaged, lost, faulty units leave the stock; never the units promised to orders."""
    _take_out(MovementKind.WRITTEN_OFF, center_id=center_id, part_id=part_id,
              quantity=quantity, by=by, reason=reason)


@transaction.atomic
def return_to_supplier(*, center_id: int, part_id: int, quantity: int, by, reason: str,
                       purchase_order=None) -> None:
    _take_out(MovementKind.RETURNED, center_id=center_id, part_id=part_id, quantity=quantity,
              by=by, reason=reason, purchase_order=purchase_order)


@transaction.atomic
def count(*, center_id: int, part_id: int, counted, by, reason: str) -> int:
    """A stock count: on hand becomes what was counted (never fewer than are reserved).
    Returns the correction."""
    counted = whole_units(counted, allow_zero=True)
    if not reason.strip():
        raise StockError(_("Give the reason for the correction."))
    level_of(center_id, part_id)
    levels = StockLevel.objects.filter(center_id=center_id, part_id=part_id)
    for _attempt in range(20):
        on_hand, reserved = levels.values_list("on_hand", "reserved").get()
        if counted < reserved:
            raise StockError(
                _("%(counted)s counted, but %(reserved)s are reserved for orders: release them "
                  "first or count again; nothing was changed.")
                % {"counted": counted, "reserved": reserved}
            )
        if levels.filter(on_hand=on_hand).update(on_hand=counted):
            if counted != on_hand:
                _move(center_id=center_id, part_id=part_id, kind=MovementKind.COUNTED,
                      on_hand=counted - on_hand, by=by, reason=reason.strip())
                _check_low(center_id, part_id, on_hand - counted)
            return counted - on_hand
    raise StockError(_("The stock changed while it was counted; count again."))
