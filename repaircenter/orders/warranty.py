"""The warranty: each agreed line's period and end date, the device's history across orders,
and what a warranty claim may cover.

A line's period is its own (from the price list when it was added), else the kind of
equipment's. It runs from the day of issuance in the order's center's time zone; its end date
is fixed on the line at issuance, so the device's history and the reports read it, and a line
repaired under warranty later keeps the end date of the line it covers (no restart).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import F
from django.utils.translation import gettext as _

from .models import EstimateLine, EstimateStatus, Order, Status


def warranty_end(start: datetime.date, months: int) -> datetime.date | None:
    """The last day covered by `months` from `start` (both days included), or None for no
    warranty. Three months from 5 March run to 4 June; where the day does not exist in the
    last month (one month from 31 January), the period runs to that month's last day."""
    if months <= 0:
        return None
    same_day = start + relativedelta(months=months)
    if same_day.day < start.day:  # clamped: 31 Jan + 1 month is 28 (or 29) Feb
        last = calendar.monthrange(same_day.year, same_day.month)[1]
        return same_day.replace(day=last)
    return same_day - datetime.timedelta(days=1)


def line_months(line: EstimateLine, kind_months: int) -> int:
    return kind_months if line.warranty_months is None else line.warranty_months


def approved_lines(order: Order) -> list[EstimateLine]:
    """The lines of the approved estimates (from prefetched order.estimates.lines)."""
    return [line for estimate in order.estimates.all()
            if estimate.status == EstimateStatus.APPROVED for line in estimate.lines.all()]


def fix_warranty(order: Order, start: datetime.date) -> None:
    """At issuance of a repaired order: each agreed line's end date, from `start` (the day of
    issuance at the order's center) by its own period; a line repaired under an earlier order's
    warranty keeps that line's end date."""
    kind_months = order.equipment.kind.warranty_months
    lines = (EstimateLine.objects.filter(estimate__order=order,
                                         estimate__status=EstimateStatus.APPROVED)
             .select_related("covers"))
    changed = []
    for line in lines:
        if line.covers_id is not None:
            line.warranty_until = line.covers.warranty_until
        else:
            line.warranty_until = warranty_end(start, line_months(line, kind_months))
        changed.append(line)
    EstimateLine.objects.bulk_update(changed, ["warranty_until"])


# --- the device's history ---------------------------------------------------------------------


@dataclass(frozen=True)
class PastOrder:
    order: Order
    lines: list[EstimateLine]  # what was done (the agreed lines)
    running: list[EstimateLine]  # the lines whose warranty still runs today
    until: datetime.date | None  # the latest end date of its lines

    @property
    def repaired(self) -> bool:
        return self.order.status == Status.ISSUED and not self.order.unrepaired_reason

    @property
    def claimable(self) -> bool:
        return self.repaired and bool(self.running)


def history(device_ids, *, today: datetime.date, exclude: int | None = None) -> list[PastOrder]:
    """The orders of these devices, newest first, each with what was done (its agreed lines)
    and which warranties still run on `today`. Two queries however many orders and lines."""
    if not device_ids:
        return []
    orders = (Order.objects.select_related("customer", "center", "equipment", "warranty_of")
              .filter(equipment__device__in=list(device_ids)).exclude(pk=exclude)
              .order_by("-number"))
    lines = (EstimateLine.objects.filter(estimate__order__equipment__device__in=list(device_ids),
                                         estimate__status=EstimateStatus.APPROVED)
             .exclude(estimate__order=exclude).annotate(order_id=F("estimate__order_id"))
             .order_by("estimate__number", "position", "pk"))
    by_order: dict[int, list[EstimateLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    past = []
    for order in orders:
        done = by_order.get(order.pk, [])
        running = [line for line in done if line.warranty_until and line.warranty_until >= today
                   and order.status == Status.ISSUED]
        until = max((line.warranty_until for line in done if line.warranty_until), default=None)
        past.append(PastOrder(order, done, running, until))
    return past


# --- warranty claims --------------------------------------------------------------------------


class ClaimRefused(Exception):
    """The earlier order cannot be claimed under warranty; the message says why."""

    def __init__(self, message: str, until: datetime.date | None = None):
        super().__init__(message)
        self.message = message
        self.until = until


def check_claim(original: Order, today: datetime.date) -> list[EstimateLine]:
    """The original's lines still under warranty on `today`, or ClaimRefused with the reason:
    never issued, returned unrepaired, or every line's warranty over (with its end date)."""
    from django.utils.formats import date_format

    number = original.display_number
    if original.status != Status.ISSUED:
        raise ClaimRefused(_("Order %(number)s was never handed over (it is %(status)s): there "
                             "is no warranty to claim on it.")
                           % {"number": number, "status": original.get_status_display().lower()})
    if original.unrepaired_reason:
        raise ClaimRefused(_("Order %(number)s was returned unrepaired (%(reason)s): there is "
                             "no warranty to claim on it.")
                           % {"number": number,
                              "reason": original.get_unrepaired_reason_display().lower()})
    lines = list(EstimateLine.objects.filter(estimate__order=original,
                                             estimate__status=EstimateStatus.APPROVED))
    running = [line for line in lines if line.warranty_until and line.warranty_until >= today]
    if not running:
        until = max((line.warranty_until for line in lines if line.warranty_until), default=None)
        raise ClaimRefused(
            (_("The warranty of order %(number)s ended on %(date)s. Take the equipment in as an "
               "ordinary order.") % {"number": number, "date": date_format(until, "j F Y")})
            if until else
            (_("Order %(number)s carries no warranty. Take the equipment in as an ordinary "
               "order.") % {"number": number}),
            until,
        )
    return running


def coverable_lines(claim: Order) -> list[EstimateLine]:
    """The claimed order's lines a claim's technician may cover: those still under warranty
    on the day the claim was taken in."""
    if claim.warranty_of_id is None:
        return []
    today = claim.center.local_date(claim.received_at)
    return [line for line in EstimateLine.objects.filter(
        estimate__order_id=claim.warranty_of_id, estimate__status=EstimateStatus.APPROVED)
        if line.warranty_until and line.warranty_until >= today]


# --- what staff see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownDevice:
    device: object  # customers.Device
    past: list[PastOrder]


def device_panel(*, serial_number: str, imei: str, today: datetime.date) -> list[KnownDevice]:
    """At intake: the devices a typed or scanned serial number or IMEI matches, each with its
    earlier orders, what was done, and which warranties still run. Three queries."""
    from repaircenter.customers.devices import matching_devices

    devices = matching_devices(serial_number=serial_number, imei=imei)
    past = history([d.pk for d in devices], today=today)
    return [KnownDevice(d, [p for p in past if p.order.equipment.device_id == d.pk])
            for d in devices]


@dataclass(frozen=True)
class ClaimStart:
    """A warranty claim about to be taken in: the earlier order and its running lines, or the
    reason it cannot be claimed (`refused`, with the end date where the period is over)."""

    original: Order
    running: list[EstimateLine]
    refused: str = ""


def claim_start(number: int, today: datetime.date) -> ClaimStart | None:
    original = (Order.objects.select_related("customer", "equipment__kind", "equipment__device")
                .filter(number=number).first())
    if original is None:
        return None
    try:
        return ClaimStart(original, check_claim(original, today))
    except ClaimRefused as refused:
        return ClaimStart(original, [], refused.message)
