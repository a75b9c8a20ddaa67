"""The migration of issue 16 links the equipment taken in before it to devices, and fixes the
warranty end date of each line of the orders issued repaired before it."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from repaircenter.conftest import order_in_state, take_in
from repaircenter.customers.models import Customer, Device
from repaircenter.orders.models import Equipment, EstimateLine, Order, Status
from repaircenter.orders.warranty import warranty_end

MINE = "warranty_per_line_devices_claims"


def _before(executor) -> list[tuple[str, str | None]]:
    """The orders and customers migrations just before this issue's."""
    graph = executor.loader.graph
    mine = next(key for key in graph.nodes if key[0] == "orders" and key[1].endswith(MINE))
    parents = graph.node_map[mine].parents
    orders = next(p.key for p in parents if p.key[0] == "orders")
    customers = next(p.key for p in parents if p.key[0] == "customers")
    customers_before = next(p.key for p in graph.node_map[customers].parents
                            if p.key[0] == "customers")
    return [orders, customers_before]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_equipment_is_linked_to_devices_and_issued_lines_get_their_end_date(
    customer, receptionist, technician, manager
):
    issued = order_in_state(Status.ISSUED, customer=customer, receptionist=receptionist,
                            technician=technician, manager=manager)
    other_owner = Customer.objects.create(name="Second Owner", phone="+447700900333")
    same = take_in(receptionist, other_owner).order  # the same serial, another customer
    by_imei = take_in(receptionist, customer, serial="", imei="490154203237518").order
    no_number = take_in(receptionist, customer, serial="").order
    # As an older release stored it: with a dash.
    Equipment.objects.filter(order=same).update(serial_number="R5CW-31ABCDE")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(_before(executor))
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)

    devices = {o: Equipment.objects.get(order=o).device for o in (issued, same, by_imei,
                                                                  no_number)}
    assert devices[issued] == devices[same]
    assert devices[issued].serial_number == "R5CW31ABCDE"
    assert devices[by_imei].imei == "490154203237518"
    assert devices[no_number] is None
    assert Device.objects.count() == 2
    order = Order.objects.get(pk=issued.pk)
    start = order.center.local_date(order.issued_at)
    line = EstimateLine.objects.get(estimate__order=order)
    assert line.warranty_until == warranty_end(start, 3)
    assert line.warranty_until > start + datetime.timedelta(days=80)
    # Lines of orders not issued have none.
    assert not EstimateLine.objects.exclude(estimate__order=order).exclude(
        warranty_until=None).exists()
