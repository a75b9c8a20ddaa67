"""The queries of the stock pages, one function per page, each scoped to the workplace."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from repaircenter.orders.models import EstimateLine, EstimateStatus, Order, Status
from repaircenter.orders.selectors import listed_orders
from repaircenter.orders.workflow.parts import SERVED_STATES
from repaircenter.orders.workplace import Workplace
from repaircenter.stock import purchasing
from repaircenter.stock.models import (
    BELOW_MINIMUM,
    PurchaseLine,
    PurchaseOrder,
    StockLevel,
    part_matching,
)


def _centers(place: Workplace, queryset: QuerySet, field_name: str = "center") -> QuerySet:
    if place.center is not None:
        return queryset.filter(**{field_name: place.center})
    if place.allowed is not None:
        return queryset.filter(**{f"{field_name}_id__in": place.allowed})
    return queryset


def stock_levels(place: Workplace, text: str = "", *, low_only: bool = False) -> list[StockLevel]:
    levels = _centers(place, StockLevel.objects.select_related("part", "center"))
    levels = levels.filter(part_matching(text, "part__"))
    if low_only:
        levels = levels.filter(BELOW_MINIMUM)
    return list(levels.order_by("center__name", "part__sku")[:500])


@dataclass
class WaitingOrder:
    order: Order
    missing: list[tuple[EstimateLine, int]] = field(default_factory=list)
    bringing: list[tuple[PurchaseOrder, int]] = field(default_factory=list)


def waiting_for_parts(place: Workplace) -> list[WaitingOrder]:
    """The orders waiting for parts, the soonest expected first, each with its missing parts
    and the purchase orders bringing them. Three queries, whatever the number of orders."""
    lines = EstimateLine.objects.filter(
        estimate__status=EstimateStatus.APPROVED, part__isnull=False, used=0,
        reserved__lt=F("quantity")).select_related("part")
    orders = list(place.listed(listed_orders()).filter(status=Status.WAITING_FOR_PARTS)
                  .prefetch_related(Prefetch("estimates__lines", queryset=lines))
                  .order_by(F("parts_due").asc(nulls_last=True), "decided_at")[:200])
    rows = []
    wanted: dict[int, set[int]] = {}
    for order in orders:
        row = WaitingOrder(order)
        for estimate in order.estimates.all():
            for line in estimate.lines.all():
                row.missing.append((line, int(line.quantity) - line.reserved))
                wanted.setdefault(order.center_id, set()).add(line.part_id)
        rows.append(row)
    incoming = {}
    if wanted:
        open_lines = PurchaseLine.objects.filter(
            purchase_order__status__in=purchasing.OPEN_PURCHASES, received__lt=F("quantity"),
        ).filter(Q(*[Q(purchase_order__center_id=c, part_id__in=p) for c, p in wanted.items()],
                   _connector=Q.OR)).select_related("purchase_order")
        for line in open_lines:
            incoming.setdefault((line.purchase_order.center_id, line.part_id), []).append(
                (line.purchase_order, line.outstanding))
    for row in rows:
        for line, _n in row.missing:
            for bringing in incoming.get((row.order.center_id, line.part_id), []):
                if bringing not in row.bringing:
                    row.bringing.append(bringing)
    return rows


def purchase_orders(place: Workplace) -> list[PurchaseOrder]:
    return list(_centers(place, PurchaseOrder.objects.select_related("supplier", "center"))
                .prefetch_related("lines")[:200])


def orders_waiting_for(po: PurchaseOrder) -> dict[int, list[Order]]:
    """Per part of the purchase order, the orders at its center still short of it, the oldest
    approval first (whom a delivery serves first). One query."""
    lines = EstimateLine.objects.filter(
        estimate__order__center_id=po.center_id, estimate__order__status__in=SERVED_STATES,
        estimate__status=EstimateStatus.APPROVED, used=0, reserved__lt=F("quantity"),
        part_id__in=[line.part_id for line in po.lines.all()],
    ).select_related("estimate__order").order_by("estimate__order__decided_at", "pk")
    waiting: dict[int, list[Order]] = {}
    for line in lines:
        orders = waiting.setdefault(line.part_id, [])
        if line.estimate.order not in orders:
            orders.append(line.estimate.order)
    return waiting


def purchase_order(place: Workplace, pk: int) -> PurchaseOrder:
    found = _centers(place, PurchaseOrder.objects.select_related("supplier", "center")
                     .prefetch_related(Prefetch("lines", PurchaseLine.objects
                                                .select_related("part"))))
    return get_object_or_404(found, pk=pk)
