"""The figures of the manager's reports, each computed in the database with aggregates (counts,
sums, percentiles), never by loading orders into Python.

A period is a range of the center's calendar days, first and last included. Percentiles are
continuous (interpolated between the two nearest values, as PostgreSQL's `percentile_cont`):
PostgreSQL computes them itself; SQLite, which has no such aggregate, reads the one or two
values around each percentile with an ordered query and OFFSET.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from repaircenter.billing.models import Payment
from repaircenter.centers.models import Center
from repaircenter.core.calendar import center_timezone
from repaircenter.notifications.models import Message, MessageStatus
from repaircenter.orders.models import (
    EquipmentKind,
    EstimateLine,
    EstimateStatus,
    Order,
    OrderEvent,
    Status,
    format_order_number,
)
from repaircenter.orders.states import STORED_STATES
from repaircenter.stock.models import BELOW_MINIMUM, StockLevel

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    first: datetime.date
    last: datetime.date
    # The centers the figures are of (the one the manager chose); None: the whole chain.
    centers: frozenset[int] | None = None

    def of(self, order: str = "") -> Q:
        """Rows of the chosen centers' orders; `order` is the path to the order ("order__")."""
        if self.centers is None:
            return Q()
        return Q(**{f"{order}center__in": self.centers})

    @property
    def start(self) -> datetime.datetime:
        """The first moment of the first day, in the center's time zone."""
        return _midnight(self.first)

    @property
    def end(self) -> datetime.datetime:
        """The first moment after the last day."""
        return _midnight(self.last + datetime.timedelta(days=1))

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min),
                               center_timezone())


# --- durations and percentiles ------------------------------------------------------------


class SecondsBetween(Func):
    """The seconds from one moment to another, as a number."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"

    def __init__(self, later: str, earlier: str):
        super().__init__(F(later), F(earlier))

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps moments in SQLite as UTC text, which julianday() reads.
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(", **extra_context,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of an ordered set."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float):
        super().__init__(expression, fraction=float(fraction))


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None  # seconds
    p90: float | None


def spread(orders: QuerySet, later: str, earlier: str) -> Spread:
    """How many, and the median and 90th percentile of the time from `earlier` to `later`."""
    seconds = SecondsBetween(later, earlier)
    if connection.vendor == "postgresql":
        figures = orders.aggregate(
            count=Count("pk"), median=PercentileCont(seconds, 0.5),
            p90=PercentileCont(seconds, 0.9),
        )
        return Spread(figures["count"], figures["median"], figures["p90"])
    count = orders.count()
    if not count:
        return Spread(0, None, None)
    ordered = orders.annotate(seconds=seconds).order_by("seconds").values_list(
        "seconds", flat=True)

    def percentile(fraction: float) -> float:
        position = fraction * (count - 1)
        below = math.floor(position)
        values = list(ordered[below:below + 2])  # LIMIT 2 OFFSET below
        upper = values[-1]
        return values[0] + (upper - values[0]) * (position - below)

    return Spread(count, percentile(0.5), percentile(0.9))


# --- the reports' figures -------------------------------------------------------------------


@dataclass(frozen=True)
class Turnaround:
    to_ready: Spread
    to_issued: Spread


def turnaround(period: Period) -> Turnaround:
    """Received to ready, for the orders that became ready in the period; received to issued,
    for those issued in it."""
    return Turnaround(
        to_ready=spread(Order.objects.filter(period.within("ready_at"), period.of()),
                        "ready_at", "received_at"),
        to_issued=spread(Order.objects.filter(period.within("issued_at"), period.of()),
                         "issued_at", "received_at"),
    )


# The moment diagnostics end: the estimate goes to the customer, or the equipment is found not
# repairable. (A customer who takes it back during diagnostics ends nothing measured.)
DIAGNOSTICS_DONE = ("send_estimate", "declare_not_repairable")


@dataclass(frozen=True)
class Diagnostics:
    done: int
    on_time: int

    @property
    def late(self) -> int:
        return self.done - self.on_time

    @property
    def share(self) -> Decimal | None:
        return _share(self.on_time, self.done)


def diagnostics(period: Period) -> Diagnostics:
    """Diagnostics finished in the period, and how many by the day they were due (the center's
    target in working days, fixed on each order at intake)."""
    figures = (
        OrderEvent.objects.filter(period.within("at"), period.of("order__"),
                                  from_status=Status.DIAGNOSING,
                                  action__in=DIAGNOSTICS_DONE)
        .annotate(day=TruncDate("at", tzinfo=center_timezone()))
        .aggregate(done=Count("pk"), on_time=Count("pk", filter=Q(
            day__lte=F("order__diagnosis_due"))))
    )
    return Diagnostics(figures["done"], figures["on_time"])


@dataclass(frozen=True)
class Approvals:
    approved: int
    refused: int
    lapsed: int

    @property
    def decided(self) -> int:
        return self.approved + self.refused + self.lapsed

    @property
    def rate(self) -> Decimal | None:
        return _share(self.approved, self.decided)


def approvals(period: Period) -> Approvals:
    """Estimates decided in the period (not supplements): approved, refused, or no decision
    in time."""
    figures = OrderEvent.objects.filter(
        period.within("at"), period.of("order__"), from_status=Status.AWAITING_DECISION,
        action__in=("approve", "refuse", "lapse_decision"),
    ).aggregate(
        approved=Count("pk", filter=Q(action="approve")),
        refused=Count("pk", filter=Q(action="refuse")),
        lapsed=Count("pk", filter=Q(action="lapse_decision")),
    )
    return Approvals(figures["approved"], figures["refused"], figures["lapsed"])


@dataclass(frozen=True)
class FeeLine:
    kind: str
    returned: int
    charged: int
    amount: Decimal


def diagnostics_fees(period: Period) -> list[FeeLine]:
    """Equipment returned unrepaired in the period, by kind: how many, on how many the
    diagnostics fee was charged, and the fees (fixed on each order at intake)."""
    rows = (
        Order.objects.filter(period.within("ready_at"), period.of())
        .exclude(unrepaired_reason="")
        .values("equipment__kind__name")
        .annotate(returned=Count("pk"), charged=Count("pk", filter=Q(diagnostics_fee__gt=0)),
                  amount=Sum("diagnostics_fee"))
        .order_by("equipment__kind__name")
    )
    return [FeeLine(EquipmentKind.label(r["equipment__kind__name"]), r["returned"],
                    r["charged"], r["amount"] or ZERO) for r in rows]




@dataclass(frozen=True)
class StorageLine:
    status: str
    count: int
    oldest: datetime.datetime | None  # ready since


def in_storage(period: Period) -> list[StorageLine]:
    """Equipment on the shelves now (of the period's centers), by state, and since when the
    oldest has waited."""
    rows = {
        row["status"]: row
        for row in Order.objects.filter(period.of(), status__in=STORED_STATES)
        .values("status").annotate(count=Count("pk"), oldest=Min("ready_at")).order_by()
    }
    return [StorageLine(status, rows.get(status, {}).get("count", 0),
                        rows.get(status, {}).get("oldest")) for status in STORED_STATES]


@dataclass(frozen=True)
class DisposalLine:
    method: str
    acts: int
    orders: int


def disposals(period: Period) -> list[DisposalLine]:
    """Disposals confirmed in the period, by method."""
    rows = (
        Order.objects.filter(period.within("disposed_at"), period.of(), status=Status.DISPOSED)
        .values("disposal_act__method")
        .annotate(acts=Count("disposal_act", distinct=True), orders=Count("pk"))
        .order_by("disposal_act__method")
    )
    return [DisposalLine(r["disposal_act__method"] or "", r["acts"], r["orders"]) for r in rows]


@dataclass(frozen=True)
class ChannelLine:
    channel: str
    written: int
    delivered: int
    sent: int  # sent and not (yet) confirmed delivered
    failed: int
    waiting: int


def messages(period: Period) -> list[ChannelLine]:
    """Messages written in the period, by channel, and where each stands now."""
    S = MessageStatus
    rows = (
        Message.objects.filter(period.within("created_at"), period.of("order__"))
        .exclude(channel="")
        .values("channel")
        .annotate(
            written=Count("pk"),
            delivered=Count("pk", filter=Q(status=S.DELIVERED)),
            sent=Count("pk", filter=Q(status=S.SENT)),
            failed=Count("pk", filter=Q(status=S.FAILED)),
            waiting=Count("pk", filter=Q(status__in=(S.PENDING, S.QUEUED, S.SENDING))),
        )
        .order_by("channel")
    )
    return [ChannelLine(r["channel"], r["written"], r["delivered"], r["sent"], r["failed"],
                        r["waiting"]) for r in rows]


@dataclass(frozen=True)
class RevenueLine:
    start: datetime.date  # the Monday of the week, or the first of the month
    payments: int
    received: Decimal
    refunded: Decimal  # a positive amount: what went back

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


def revenue(period: Period, by: str) -> list[RevenueLine]:
    """Payments less refunds taken in the period, by week (Monday to Sunday) or by month, in
    the center's time zone. A week or month cut by the period counts only its days inside."""
    trunc = {"week": TruncWeek, "month": TruncMonth}[by]
    rows = (
        Payment.objects.filter(period.within("taken_at"), period.of("order__"))
        .annotate(start=trunc("taken_at", tzinfo=center_timezone()))
        .values("start")
        .annotate(
            payments=Count("pk", filter=Q(amount__gt=0)),
            received=Sum("amount", filter=Q(amount__gt=0)),
            refunded=Sum("amount", filter=Q(amount__lt=0)),
        )
        .order_by("start")
    )
    return [
        RevenueLine(_as_date(r["start"]), r["payments"], r["received"] or ZERO,
                    -(r["refunded"] or ZERO))
        for r in rows
    ]


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, center_timezone()).date()
    return value


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class CenterLine:
    center: str
    received: int
    approved: int
    decided: int
    net: Decimal
    stored: int
    disposed: int

    @property
    def approval_rate(self) -> Decimal | None:
        return _share(self.approved, self.decided)


def by_center(period: Period) -> list[CenterLine]:
    """The centers side by side: orders taken in, estimates decided and approved, payments less
    refunds, equipment in storage now, disposals: one GROUP BY each, whatever the chain's size."""
    def count(rows, key="center"):
        return {r[key]: r for r in rows}

    received = count(Order.objects.filter(period.within("received_at"), period.of())
                     .values("center").annotate(n=Count("pk")).order_by())
    decided = count(OrderEvent.objects.filter(
        period.within("at"), period.of("order__"), from_status=Status.AWAITING_DECISION,
        action__in=("approve", "refuse", "lapse_decision"),
    ).values("order__center").annotate(
        n=Count("pk"), approved=Count("pk", filter=Q(action="approve"))).order_by(),
        "order__center")
    paid = count(Payment.objects.filter(period.within("taken_at"), period.of("order__"))
                 .values("order__center").annotate(net=Sum("amount")).order_by(),
                 "order__center")
    stored = count(Order.objects.filter(period.of(), status__in=STORED_STATES)
                   .values("center").annotate(n=Count("pk")).order_by())
    disposed = count(Order.objects.filter(period.within("disposed_at"), period.of(),
                                          status=Status.DISPOSED)
                     .values("center").annotate(n=Count("pk")).order_by())
    centers = Center.objects.order_by("name")
    if period.centers is not None:
        centers = centers.filter(pk__in=period.centers)
    return [
        CenterLine(
            center.name, received.get(center.pk, {}).get("n", 0),
            decided.get(center.pk, {}).get("approved", 0), decided.get(center.pk, {}).get("n", 0),
            paid.get(center.pk, {}).get("net") or ZERO, stored.get(center.pk, {}).get("n", 0),
            disposed.get(center.pk, {}).get("n", 0),
        )
        for center in centers
    ]


# --- warranty returns -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnLine:
    name: str
    issued: int  # repaired and handed over in the period (lines fitted, for parts and works)
    returned: int  # of those, brought back under warranty (lines: covered by a claim)

    @property
    def rate(self) -> Decimal | None:
        return _share(self.returned, self.issued)


def _repaired_in(period: Period) -> QuerySet:
    return Order.objects.filter(period.within("issued_at"), period.of(), status=Status.ISSUED,
                                unrepaired_reason="")


def returns_by(period: Period, field: str) -> list[ReturnLine]:
    """Orders repaired and handed over in the period, grouped by `field` (the kind of
    equipment's name, the technician's username), and how many of them came back with a
    warranty claim (taken in at any time since): one GROUP BY."""
    rows = (
        _repaired_in(period).values(field)
        .annotate(issued=Count("pk", distinct=True),
                  returned=Count("pk", filter=Q(warranty_claims__isnull=False), distinct=True))
        .order_by(field)
    )
    return [ReturnLine(row[field] or "—", row["issued"], row["returned"]) for row in rows]


def returns_by_line(period: Period) -> list[ReturnLine]:
    """The agreed works and parts of the orders repaired and handed over in the period, by
    description and kind: how many were fitted, and how many of them a warranty claim covered
    (repaired again free of charge): one GROUP BY."""
    from repaircenter.orders.models import EstimateLine, EstimateStatus, LineKind

    rows = (
        EstimateLine.objects.filter(estimate__status=EstimateStatus.APPROVED,
                                    estimate__order__in=_repaired_in(period))
        .values("description", "line_kind")
        .annotate(fitted=Count("pk", distinct=True),
                  covered=Count("pk", filter=Q(warranty_repairs__isnull=False), distinct=True))
        .order_by("line_kind", "description")
    )
    return [ReturnLine(f"{row['description']} ({LineKind(row['line_kind']).label})",
                       row["fitted"], row["covered"]) for row in rows]
# --- parts and margins ------------------------------------------------------------------------


@dataclass(frozen=True)
class MarginLine:
    """One repair whose works were finished in the period: what the customer agreed to pay for
    its works and parts, and what its parts cost."""

    order: str
    center: str
    kind: str
    technician: str
    revenue: Decimal
    parts_cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.parts_cost


def _cents(value) -> Decimal:
    # SQLite sums decimals as floats: back to cents through their text.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def margins(period: Period) -> list[MarginLine]:
    """The repairs finished in the period (their works finished), one query."""
    finished = OrderEvent.objects.filter(
        period.within("at"), period.of("order__"), action="finish_works").values("order_id")
    rows = (
        EstimateLine.objects.filter(estimate__status=EstimateStatus.APPROVED,
                                    estimate__order_id__in=finished)
        .values("estimate__order_id", "estimate__order__number_prefix",
                "estimate__order__center_number", "estimate__order__center__name",
                "estimate__order__equipment__kind__name",
                "estimate__order__technician__username")
        .annotate(revenue=Sum(F("quantity") * F("unit_price")),
                  cost=Sum(F("used") * F("unit_cost")))
        .order_by("estimate__order_id")
    )
    return [
        MarginLine(
            order=format_order_number(row["estimate__order__number_prefix"],
                                      row["estimate__order__center_number"]),
            center=row["estimate__order__center__name"],
            kind=row["estimate__order__equipment__kind__name"] or "",
            technician=row["estimate__order__technician__username"] or "",
            revenue=_cents(row["revenue"]), parts_cost=_cents(row["cost"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class StockValueLine:
    center: str
    units: int
    value: Decimal
    below_minimum: int


def stock_value(period: Period) -> list[StockValueLine]:
    """Now: the units on hand per center and their value at the catalogue's purchase cost, and
    how many parts are below their minimum there. One query."""
    levels = StockLevel.objects.all()
    if period.centers is not None:
        levels = levels.filter(center__in=period.centers)
    rows = (levels.values("center__name")
            .annotate(units=Sum("on_hand"), value=Sum(F("on_hand") * F("part__purchase_cost")),
                      low=Count("pk", filter=BELOW_MINIMUM))
            .order_by("center__name"))
    return [StockValueLine(row["center__name"], row["units"] or 0, _cents(row["value"]),
                           row["low"]) for row in rows]
