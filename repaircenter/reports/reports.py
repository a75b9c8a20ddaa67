"""The reports as the page and the CSV files show them: a title, columns and rows of text, and
a chart. The page's tables and the CSV files are written from the same rows, so they match."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repaircenter.customers.models import Channel
from repaircenter.orders.models import DisposalMethod, Status

from . import charts, figures
from .figures import Period, Spread


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chart: charts.Chart | None = None
    note: str = ""
    # Reports that describe now, whatever the period.
    now: bool = field(default=False)


SECONDS_PER_DAY = 86400


def _days(seconds: float | None) -> str:
    return "" if seconds is None else f"{Decimal(seconds / SECONDS_PER_DAY):.1f}"


def _percent(share: Decimal | None) -> str:
    return "" if share is None else f"{share:.1f}"


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def turnaround(period: Period) -> Report:
    found = figures.turnaround(period)
    measures: list[tuple[str, Spread]] = [
        (_("Received to ready"), found.to_ready),
        (_("Received to issued"), found.to_issued),
    ]
    rows = tuple((label, str(s.count), _days(s.median), _days(s.p90)) for label, s in measures)
    chart = charts.stacked(
        _("Turnaround in days: median, and 90th percentile"),
        [("main", _("median")), ("second", _("to the 90th percentile"))],
        [(label, [_in_days(s.median), _in_days(s.p90) - _in_days(s.median)],
          f"{_days(s.median) or '—'} / {_days(s.p90) or '—'}") for label, s in measures],
    )
    return Report(
        "turnaround", _("Turnaround"),
        (_("Measure"), _("Orders"), _("Median (days)"), _("90th percentile (days)")), rows,
        chart, _("Orders that became ready, or were issued, in the period."),
    )


def _in_days(seconds: float | None) -> float:
    return 0.0 if seconds is None else seconds / SECONDS_PER_DAY


def diagnostics(period: Period) -> Report:
    found = figures.diagnostics(period)
    rows = ((str(found.done), str(found.on_time), str(found.late), _percent(found.share)),)
    chart = charts.stacked(
        _("Diagnostics finished within the target"),
        [("good", _("within the target")), ("bad", _("late"))],
        [(_("Diagnostics"), [found.on_time, found.late],
          f"{_percent(found.share)} %" if found.share is not None else "—")],
    )
    return Report(
        "diagnostics", _("Diagnostics within the target"),
        (_("Finished"), _("Within the target"), _("Late"), _("Share within the target (%)")),
        rows, chart,
        _("Diagnostics finished in the period (estimate sent, or found not repairable), "
          "against the day each was due."),
    )


def approvals(period: Period) -> Report:
    found = figures.approvals(period)
    rows = ((str(found.decided), str(found.approved), str(found.refused), str(found.lapsed),
             _percent(found.rate)),)
    chart = charts.stacked(
        _("Estimate decisions"),
        [("good", _("approved")), ("bad", _("refused")), ("waiting", _("no decision"))],
        [(_("Estimates"), [found.approved, found.refused, found.lapsed],
          f"{_percent(found.rate)} %" if found.rate is not None else "—")],
    )
    return Report(
        "approvals", _("Estimate approval rate"),
        (_("Decided"), _("Approved"), _("Refused"), _("No decision in time"),
         _("Approval rate (%)")), rows, chart,
        _("Decisions on estimates in the period; supplementary estimates are not counted."),
    )


def _period_label(start, by: str) -> str:
    if by == "week":
        return _("Week of %(day)s") % {"day": date_format(start, "j M Y")}
    return date_format(start, "F Y")


def _revenue(period: Period, by: str) -> Report:
    lines = figures.revenue(period, by)
    rows = [(_period_label(line.start, by), str(line.payments), _money(line.received),
             _money(line.refunded), _money(line.net)) for line in lines]
    if lines:
        received = sum((line.received for line in lines), figures.ZERO)
        refunded = sum((line.refunded for line in lines), figures.ZERO)
        rows.append((_("The whole period"), str(sum(line.payments for line in lines)),
                     _money(received), _money(refunded), _money(received - refunded)))
    title = _("Revenue by week") if by == "week" else _("Revenue by month")
    currency = {"currency": settings.CURRENCY}
    chart = charts.bars(
        _("Payments less refunds (%(currency)s)") % currency,
        [(_period_label(line.start, by), max(float(line.net), 0.0), _money(line.net))
         for line in lines],
        colour="good",
    ) if lines else None
    return Report(
        "revenue-weeks" if by == "week" else "revenue-months", title,
        (_("Period"), _("Payments"), _("Received (%(currency)s)") % currency,
         _("Refunded (%(currency)s)") % currency, _("Net (%(currency)s)") % currency),
        tuple(rows), chart,
        _("Payments taken in the period less the refunds paid back, by the day they were "
          "taken; a week cut by the period counts only its days inside it."),
    )


def revenue_by_week(period: Period) -> Report:
    return _revenue(period, "week")


def revenue_by_month(period: Period) -> Report:
    return _revenue(period, "month")


def diagnostics_fees(period: Period) -> Report:
    lines = figures.diagnostics_fees(period)
    total = figures.FeeLine(
        _("All kinds"), sum(line.returned for line in lines),
        sum(line.charged for line in lines),
        sum((line.amount for line in lines), figures.ZERO),
    )
    shown = [*lines, total] if lines else []
    rows = tuple((line.kind, str(line.returned), str(line.charged), _money(line.amount))
                 for line in shown)
    chart = charts.bars(
        _("Diagnostics fees charged, by kind (%(currency)s)") % {"currency": settings.CURRENCY},
        [(line.kind, float(line.amount), _money(line.amount)) for line in lines],
    ) if lines else None
    return Report(
        "diagnostics-fees", _("Diagnostics fees charged"),
        (_("Kind of equipment"), _("Returned unrepaired"), _("With a fee"),
         _("Fees (%(currency)s)") % {"currency": settings.CURRENCY}), rows, chart,
        _("Equipment returned unrepaired in the period, and the diagnostics fee set on it."),
    )


def storage(period: Period) -> Report:
    lines = figures.in_storage(period)
    labels = dict(Status.choices)
    short = {Status.READY_REPAIRED: _("Ready, repaired"),
             Status.READY_UNREPAIRED: _("Ready, unrepaired"),
             Status.DISPOSAL_DUE: _("Due for disposal")}
    rows = tuple(
        (str(labels[line.status]), str(line.count),
         date_format(line.oldest, "Y-m-d") if line.oldest else "") for line in lines
    )
    chart = charts.bars(
        _("Equipment in storage now"),
        [(short[line.status], line.count, str(line.count)) for line in lines],
    )
    return Report(
        "storage", _("Equipment in storage"),
        (_("State"), _("Items"), _("Oldest ready since")), rows, chart,
        _("On the shelves now, whatever the period."), now=True,
    )


def disposals(period: Period) -> Report:
    lines = figures.disposals(period)
    labels = dict(DisposalMethod.choices)
    rows = tuple((str(labels.get(line.method, line.method)), str(line.acts), str(line.orders))
                 for line in lines)
    chart = charts.bars(
        _("Equipment disposed of, by method"),
        [(str(labels.get(line.method, line.method)), line.orders, str(line.orders))
         for line in lines],
        colour="neutral",
    ) if lines else None
    return Report(
        "disposals", _("Disposals"), (_("Method"), _("Acts"), _("Items")), rows, chart,
        _("Disposals confirmed in the period."),
    )


def messages(period: Period) -> Report:
    lines = figures.messages(period)
    labels = dict(Channel.choices)
    rows = tuple(
        (str(labels.get(line.channel, line.channel)), str(line.written), str(line.delivered),
         str(line.sent), str(line.failed), str(line.waiting)) for line in lines
    )
    chart = charts.stacked(
        _("Messages by channel"),
        [("good", _("delivered")), ("sent", _("sent")), ("bad", _("failed")),
         ("waiting", _("waiting"))],
        [(str(labels.get(line.channel, line.channel)),
          [line.delivered, line.sent, line.failed, line.waiting], str(line.written))
         for line in lines],
    ) if lines else None
    return Report(
        "messages", _("Messages sent and failed"),
        (_("Channel"), _("Written"), _("Delivered"), _("Sent, not confirmed"), _("Failed"),
         _("Waiting")), rows, chart,
        _("Messages written in the period, by channel, as they stand now. Delivered: the "
          "provider confirmed it, the mail server took it, or the customer answered the call."),
    )


def centers(period: Period) -> Report:
    lines = figures.by_center(period)
    rows = tuple(
        (line.center, str(line.received), str(line.decided), _percent(line.approval_rate),
         _money(line.net), str(line.stored), str(line.disposed)) for line in lines
    )
    chart = charts.bars(
        _("Payments less refunds by center (%(currency)s)") % {"currency": settings.CURRENCY},
        [(line.center, float(max(line.net, 0)), _money(line.net)) for line in lines],
    )
    return Report(
        "centers", _("Centers side by side"),
        (_("Center"), _("Taken in"), _("Estimates decided"), _("Approved (%)"),
         _("Payments less refunds (%(currency)s)") % {"currency": settings.CURRENCY},
         _("In storage now"), _("Disposed of")), rows, chart,
        _("Each center's orders in the period; storage as it stands now."),
    )


def _returns(slug: str, title: str, heading: str, lines: list[figures.ReturnLine],
             counted: str, note: str) -> Report:
    rows = tuple((line.name, str(line.issued), str(line.returned), _percent(line.rate))
                 for line in lines)
    chart = charts.bars(
        _("Return rate under warranty (%)"),
        [(line.name, float(line.rate or 0), f"{_percent(line.rate) or '—'} %") for line in lines],
        colour="bad",
    ) if lines else None
    return Report(slug, title, (heading, counted, _("Came back"), _("Rate (%)")), rows, chart,
                  note)


def returns_by_kind(period: Period) -> Report:
    return _returns(
        "warranty-kinds", _("Warranty returns by kind of equipment"), _("Kind of equipment"),
        figures.returns_by(period, "equipment__kind__name"), _("Repaired"),
        _("Orders repaired and handed over in the period, and how many came back with a "
          "warranty claim since."))


def returns_by_technician(period: Period) -> Report:
    return _returns(
        "warranty-technicians", _("Warranty returns by technician"), _("Technician"),
        figures.returns_by(period, "technician__username"), _("Repaired"),
        _("Orders repaired and handed over in the period, by the technician who took them, and "
          "how many came back with a warranty claim since."))


def returns_by_line(period: Period) -> Report:
    return _returns(
        "warranty-lines", _("Warranty returns by work and part"), _("Work or part"),
        figures.returns_by_line(period), _("Fitted"),
        _("The works and parts of the orders repaired and handed over in the period, and how "
          "many a warranty claim covered since (repaired again free of charge)."))


# The warranty page (reports/warranty/): returns and their rate.
WARRANTY_REPORTS = {
    "warranty-kinds": returns_by_kind,
    "warranty-lines": returns_by_line,
    "warranty-technicians": returns_by_technician,
}
def _margin_report(slug: str, title, heading, key):
    def build(period: Period) -> Report:
        groups: dict[str, list] = {}
        for line in figures.margins(period):
            group = groups.setdefault(key(line) or "—", [0, Decimal("0.00"), Decimal("0.00")])
            group[0] += 1
            group[1] += line.revenue
            group[2] += line.parts_cost
        rows = tuple((name, str(n), _money(revenue), _money(cost), _money(revenue - cost))
                     for name, (n, revenue, cost) in sorted(groups.items()))
        chart = charts.bars(
            _("Margin after parts (%(currency)s)") % {"currency": settings.CURRENCY},
            [(row[0], float(max(Decimal(row[4]), 0)), row[4]) for row in rows])
        return Report(
            slug, str(title),
            (str(heading), _("Repairs"), _("Agreed works and parts"), _("Parts cost"),
             _("Margin")), rows, chart,
            _("Repairs whose works were finished in the period: what the customer agreed to "
              "pay, less the purchase cost of the parts fitted."),
        )
    return build


margin_orders = _margin_report("margin-orders", gettext_lazy("Margin per repair"),
                               gettext_lazy("Order"), lambda line: line.order)
margin_kinds = _margin_report("margin-kinds", gettext_lazy("Margin per kind of equipment"),
                              gettext_lazy("Kind"), lambda line: line.kind)
margin_technicians = _margin_report("margin-technicians", gettext_lazy("Margin per technician"),
                                    gettext_lazy("Technician"), lambda line: line.technician)
margin_centers = _margin_report("margin-centers", gettext_lazy("Margin per center"),
                                gettext_lazy("Center"), lambda line: line.center)


def stock_value(period: Period) -> Report:
    lines = figures.stock_value(period)
    rows = tuple((line.center, str(line.units), _money(line.value), str(line.below_minimum))
                 for line in lines)
    chart = charts.bars(
        _("Stock value by center (%(currency)s)") % {"currency": settings.CURRENCY},
        [(line.center, float(line.value), _money(line.value)) for line in lines])
    return Report(
        "stock-value", _("Stock value"),
        (_("Center"), _("Units on hand"), _("Value at purchase cost"), _("Parts below minimum")),
        rows, chart, _("The stock as it is now, whatever the period."), now=True,
    )


REPORTS = {
    "centers": centers,
    "turnaround": turnaround,
    "diagnostics": diagnostics,
    "approvals": approvals,
    "revenue-weeks": revenue_by_week,
    "revenue-months": revenue_by_month,
    "diagnostics-fees": diagnostics_fees,
    "storage": storage,
    "disposals": disposals,
    "messages": messages,
    "margin-orders": margin_orders,
    "margin-kinds": margin_kinds,
    "margin-technicians": margin_technicians,
    "margin-centers": margin_centers,
    "stock-value": stock_value,
}


def all_reports(period: Period) -> list[Report]:
    return [build(period) for build in REPORTS.values()]
