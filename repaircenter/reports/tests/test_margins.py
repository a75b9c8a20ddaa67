"""Each repair's parts cost, and the margins and stock value the reports show."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from repaircenter.conftest import mark_all_done
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EstimateLine, EventChannel, Status
from repaircenter.orders.workflow import Actor
from repaircenter.reports import figures, reports
from repaircenter.stock import services as stock
from repaircenter.stock.models import Part

pytestmark = pytest.mark.django_db


def test_a_finished_repair_has_its_parts_cost_and_margin_in_every_grouping(
    make_order, technician, receptionist
):
    part = Part.objects.create(sku="BAT-1", name="Battery", purchase_cost=Decimal("12.30"),
                               selling_price=Decimal("35.00"))
    order = make_order(Status.DIAGNOSING)
    stock.receive(center_id=order.center_id, part_id=part.pk, quantity=5)
    tech = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=draft, actor=tech, repair_days=1, recommendation="",
                             internal_notes="")
    estimates.add_line(estimate=draft, actor=tech, line_kind="work", description="Fit",
                       quantity=Decimal(1), unit_price=Decimal("20.00"))
    estimates.add_part(estimate=draft, actor=tech, part_id=part.pk, quantity=Decimal(2))
    workflow.send_estimate(order=order, actor=tech, estimate=draft)
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "yes"})
    workflow.start_repair(order=order, actor=tech)
    mark_all_done(order, technician)
    workflow.finish_works(order=order, actor=tech)
    assert EstimateLine.objects.get(part=part).unit_cost == Decimal("12.30")

    today = timezone.localdate()
    period = figures.Period(today - datetime.timedelta(days=1), today)
    [line] = figures.margins(period)
    assert (line.revenue, line.parts_cost, line.margin) == (
        Decimal("90.00"), Decimal("24.60"), Decimal("65.40"))
    assert line.technician == technician.username and line.kind == "Phone"
    for build in (reports.margin_orders, reports.margin_kinds, reports.margin_technicians,
                  reports.margin_centers):
        [row] = build(period).rows
        assert row[1:] == ("1", "90.00", "24.60", "65.40")
    [value] = figures.stock_value(period)
    assert (value.units, value.value) == (3, Decimal("36.90"))
    # Outside the period: nothing.
    earlier = figures.Period(today - datetime.timedelta(days=30),
                             today - datetime.timedelta(days=20))
    assert figures.margins(earlier) == []
