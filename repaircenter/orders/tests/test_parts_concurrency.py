"""Two deliveries received at once, each bringing one of the two screens an order waits for:
both are received, the order gets both units and moves on once."""

import datetime
from decimal import Decimal

import pytest

from repaircenter.conftest import race
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EventChannel, Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor
from repaircenter.stock import purchasing
from repaircenter.stock.models import Part, PurchaseOrder, StockLevel, Supplier

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_deliveries_at_once_serve_the_waiting_order_once(
    separate_connections, make_order, technician, receptionist, manager
):
    part = Part.objects.create(sku="SCR-1", name="Screen", purchase_cost=Decimal("40.00"),
                               selling_price=Decimal("90.00"))
    order = make_order(Status.DIAGNOSING)
    tech = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=draft, actor=tech, repair_days=1, recommendation="",
                             internal_notes="")
    estimates.add_part(estimate=draft, actor=tech, part_id=part.pk, quantity=Decimal(2))
    workflow.send_estimate(order=order, actor=tech, estimate=draft)
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "yes"})
    supplier = Supplier.objects.create(name="S")
    ids = []
    for _ in range(2):
        po = purchasing.create(center_id=order.center_id, supplier=supplier, by=manager)
        purchasing.set_line(purchase_order=po, part=part, quantity=1)
        purchasing.send(purchase_order=po, expected_on=datetime.date.today())
        ids.append(po.pk)

    def receive(pk):
        def prepare():
            po = PurchaseOrder.objects.get(pk=pk)
            return lambda: workflow.receive_purchase_order(
                purchase_order=po, actor=Actor.staff(manager), quantities={part.pk: 1})
        return prepare

    assert race(receive(ids[0]), receive(ids[1])) == ["ok", "ok"]
    assert Order.objects.get(pk=order.pk).status == Status.APPROVED
    assert OrderEvent.objects.filter(order=order, action="parts_arrived").count() == 1
    level = StockLevel.objects.get(part=part)
    assert (level.on_hand, level.reserved) == (2, 2)
