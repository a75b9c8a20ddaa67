"""The stock's webhooks: `order.waiting_for_parts` when an approved order waits for parts, and
`stock.low` once when a part falls below its minimum at a center."""

from decimal import Decimal

import pytest

from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EventChannel, Status
from repaircenter.orders.workflow import Actor
from repaircenter.stock import services as stock
from repaircenter.stock.models import Part
from repaircenter.webhooks.models import Delivery, EventType

from .conftest import subscribe

pytestmark = pytest.mark.django_db


def test_an_order_waiting_for_parts_is_announced_with_the_parts_missing(
    make_order, technician, receptionist
):
    subscribe("http://127.0.0.1:9/hook", EventType.WAITING_FOR_PARTS)
    part = Part.objects.create(sku="CAM-1", name="Camera", purchase_cost=Decimal("8.00"),
                               selling_price=Decimal("30.00"))
    order = make_order(Status.DIAGNOSING)
    tech = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=draft, actor=tech, repair_days=1, recommendation="",
                             internal_notes="")
    estimates.add_part(estimate=draft, actor=tech, part_id=part.pk, quantity=Decimal(2))
    workflow.send_estimate(order=order, actor=tech, estimate=draft)
    assert not Delivery.objects.exists()
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "yes"})
    [delivery] = Delivery.objects.all()
    assert delivery.event == "order.waiting_for_parts"
    assert delivery.payload["order"]["number"] == order.display_number
    assert delivery.payload["order"]["status"] == "waiting_for_parts"
    assert delivery.payload["data"]["missing"] == {"CAM-1": 2}


def test_stock_low_is_announced_once_when_the_level_crosses_its_minimum(manager):
    from repaircenter.centers.models import Center

    subscribe("http://127.0.0.1:9/hook", EventType.STOCK_LOW)
    center = Center.default()
    part = Part.objects.create(sku="BAT-1", name="Battery", purchase_cost=Decimal("5.00"),
                               selling_price=Decimal("20.00"), minimum=2)
    stock.receive(center_id=center.pk, part_id=part.pk, quantity=3)
    stock.reserve(center_id=center.pk, part_id=part.pk, quantity=1)  # 2 left: not below
    assert not Delivery.objects.exists()
    stock.write_off(center_id=center.pk, part_id=part.pk, quantity=1, by=manager,
                    reason="Swollen")  # 1 left: below
    stock.reserve(center_id=center.pk, part_id=part.pk, quantity=1)  # still below: no more
    [delivery] = Delivery.objects.all()
    assert delivery.event == "stock.low"
    data = delivery.payload["data"]
    assert (data["part"]["sku"], data["available"], data["part"]["minimum"]) == ("BAT-1", 1, 2)
    assert data["center"]["id"] == center.pk
