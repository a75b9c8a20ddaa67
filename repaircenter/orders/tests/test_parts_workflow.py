"""Parts in the order's life: the estimate picks catalogue parts, approval reserves them (or
the order waits for them), receiving a purchase order serves the waiting orders oldest first
and moves them on, finishing the works uses the parts with their serials, a refusal releases."""

import datetime
from decimal import Decimal

import pytest

from repaircenter.conftest import mark_all_done
from repaircenter.orders import estimates, repair, workflow
from repaircenter.orders.models import EstimateLine, EventChannel, Status
from repaircenter.orders.states import QUEUES
from repaircenter.orders.workflow import Actor, Refused
from repaircenter.stock import purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import Movement, MovementKind, Part, StockLevel, Supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def screen(db):
    return Part.objects.create(sku="SCR-S23", name="Screen Galaxy S23", fits="Galaxy S23",
                               purchase_cost=Decimal("40.00"), selling_price=Decimal("90.00"),
                               serial_tracked=True)


@pytest.fixture
def supplier(db):
    return Supplier.objects.create(name="Parts Ltd")


def with_part(make_order, technician, part, quantity="1"):
    """An order awaiting the decision on an estimate with a work line and `part`."""
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=actor)
    estimates.update_details(estimate=draft, actor=actor, repair_days=2, recommendation="Yes",
                             internal_notes="")
    estimates.add_line(estimate=draft, actor=actor, line_kind="work", description="Fit screen",
                       quantity=Decimal(1), unit_price=Decimal("30.00"))
    estimates.add_part(estimate=draft, actor=actor, part_id=part.pk, quantity=Decimal(quantity))
    workflow.send_estimate(order=order, actor=actor, estimate=draft)
    return order


def approve(order, receptionist):
    return workflow.approve(order=order, actor=Actor.staff(receptionist),
                            channel=EventChannel.PHONE, evidence={"said": "Yes"})


def level(order, part):
    return StockLevel.objects.get(center=order.center, part=part)


def test_the_part_line_takes_the_catalogue_price_and_shows_availability_at_the_center(
    make_order, technician, screen
):
    order = make_order(Status.DIAGNOSING)
    stock.receive(center_id=order.center_id, part_id=screen.pk, quantity=3)
    stock.reserve(center_id=order.center_id, part_id=screen.pk, quantity=1)
    found = list(estimates.parts_for(order, "s23 screen"))
    assert [(p.sku, p.on_hand, p.available) for p in found] == [("SCR-S23", 3, 2)]
    assert list(estimates.parts_for(order, "iphone")) == []
    draft = estimates.start_draft(order=order, actor=Actor.staff(technician))
    line = estimates.add_part(estimate=draft, actor=Actor.staff(technician), part_id=screen.pk)
    assert (line.line_kind, line.unit_price, line.part_id) == ("part", Decimal("90.00"),
                                                                 screen.pk)


@pytest.mark.parametrize("quantity", ["1.5", "0", "-1"])
def test_a_catalogue_part_takes_whole_units_only(make_order, technician, screen, quantity):
    order = make_order(Status.DIAGNOSING)
    draft = estimates.start_draft(order=order, actor=Actor.staff(technician))
    with pytest.raises(Refused, match="whole units"):
        estimates.add_part(estimate=draft, actor=Actor.staff(technician), part_id=screen.pk,
                           quantity=Decimal(quantity))
    assert not draft.lines.exists()


def test_approval_reserves_the_parts_in_stock(make_order, technician, receptionist, screen):
    order = with_part(make_order, technician, screen)
    stock.receive(center_id=order.center_id, part_id=screen.pk, quantity=2)
    order = approve(order, receptionist)
    assert order.status == Status.APPROVED
    assert (level(order, screen).on_hand, level(order, screen).reserved) == (2, 1)
    assert EstimateLine.objects.get(part=screen).reserved == 1


def test_missing_parts_send_the_order_to_wait_and_a_delivery_moves_it_on(
    make_order, technician, receptionist, manager, screen, supplier
):
    order = with_part(make_order, technician, screen, quantity="2")
    stock.receive(center_id=order.center_id, part_id=screen.pk, quantity=1)
    order = approve(order, receptionist)
    assert order.status == Status.WAITING_FOR_PARTS
    assert [e.action for e in order.events.order_by("pk")][-2:] == ["approve", "await_parts"]
    assert order.status in QUEUES["waiting-for-parts"].statuses
    assert [(line.part_id, n) for line, n in workflow.missing_parts(order)] == [(screen.pk, 1)]
    # The purchase order bringing it gives the expected date (the overdue target).
    po = purchasing.create(center_id=order.center_id, supplier=supplier, by=manager)
    purchasing.set_line(purchase_order=po, part=screen, quantity=1)
    due = datetime.date.today() + datetime.timedelta(days=5)
    purchasing.send(purchase_order=po, expected_on=due)
    workflow.after_purchase_sent(po)
    order.refresh_from_db()
    assert order.parts_due == due
    moved = workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                            quantities={screen.pk: 1})
    order.refresh_from_db()
    assert [o.pk for o in moved] == [order.pk]
    assert (order.status, order.parts_due) == (Status.APPROVED, None)
    arrived = order.events.order_by("pk").last()
    assert (arrived.action, arrived.actor_kind) == ("parts_arrived", "system")
    assert order.status in QUEUES["in-repair"].statuses
    assert (level(order, screen).on_hand, level(order, screen).reserved) == (2, 2)
    po.refresh_from_db()
    assert po.status == "received"


def test_a_delivery_serves_the_waiting_orders_oldest_first(
    make_order, technician, receptionist, manager, screen, supplier
):
    older = approve(with_part(make_order, technician, screen), receptionist)
    newer = approve(with_part(make_order, technician, screen), receptionist)
    assert older.status == newer.status == Status.WAITING_FOR_PARTS
    po = purchasing.create(center_id=older.center_id, supplier=supplier, by=manager)
    purchasing.set_line(purchase_order=po, part=screen, quantity=2)
    purchasing.send(purchase_order=po, expected_on=datetime.date.today())
    workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                    quantities={screen.pk: 1})
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, newer.status) == (Status.APPROVED, Status.WAITING_FOR_PARTS)
    po.refresh_from_db()
    assert po.status == "partly_received"
    workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                    quantities={screen.pk: 1})
    newer.refresh_from_db()
    assert newer.status == Status.APPROVED


def test_receiving_more_than_ordered_needs_a_reason_and_nothing_is_received_without(
    make_order, manager, screen, supplier, technician
):
    order = make_order(Status.RECEIVED)
    po = purchasing.create(center_id=order.center_id, supplier=supplier, by=manager)
    purchasing.set_line(purchase_order=po, part=screen, quantity=1)
    purchasing.send(purchase_order=po, expected_on=datetime.date.today())
    with pytest.raises(Refused, match="reason"):
        workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                        quantities={screen.pk: 3})
    assert not Movement.objects.exists()
    for bad in ("-1", "1.5", "many"):
        with pytest.raises(Refused):
            workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                            quantities={screen.pk: bad})
    assert not Movement.objects.exists()
    workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                    quantities={screen.pk: 3}, reason="Supplier sent a box")
    assert level(order, screen).on_hand == 3
    with pytest.raises(Refused, match="received"):  # closed now
        workflow.receive_purchase_order(purchase_order=po, actor=Actor.staff(manager),
                                        quantities={screen.pk: 1})


def test_a_refusal_while_waiting_releases_what_was_reserved(
    make_order, technician, receptionist, screen
):
    order = with_part(make_order, technician, screen, quantity="2")
    stock.receive(center_id=order.center_id, part_id=screen.pk, quantity=1)
    order = approve(order, receptionist)
    assert level(order, screen).reserved == 1
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence={"said": "No"}, note="Takes too long")
    assert level(order, screen).reserved == 0
    assert Movement.objects.filter(kind=MovementKind.RELEASED, order_ref=order.pk).exists()
    assert EstimateLine.objects.get(part=screen).reserved == 0


def test_finishing_uses_the_reserved_parts_with_one_serial_per_unit(
    make_order, technician, receptionist, screen
):
    order = with_part(make_order, technician, screen)
    stock.receive(center_id=order.center_id, part_id=screen.pk, quantity=1)
    order = approve(order, receptionist)
    tech = Actor.staff(technician)
    workflow.start_repair(order=order, actor=tech)
    mark_all_done(order, technician)  # no serials typed
    with pytest.raises(Refused, match="serial number"):
        workflow.finish_works(order=order, actor=tech)
    assert level(order, screen).on_hand == 1
    line = EstimateLine.objects.get(part=screen)
    repair.undo_line_done(order=order, actor=tech, line_id=line.pk)
    repair.mark_line_done(order=order, actor=tech, line_id=line.pk, part_serials="SN-0001")
    workflow.finish_works(order=order, actor=tech)
    line.refresh_from_db()
    assert (line.used, line.reserved, line.unit_cost) == (1, 0, Decimal("40.00"))
    assert (level(order, screen).on_hand, level(order, screen).reserved) == (0, 0)
    used = Movement.objects.get(kind=MovementKind.USED)
    assert (used.serials, used.order_ref) == ("SN-0001", order.pk)


def test_the_repair_cannot_finish_while_a_part_is_missing(
    make_order, technician, receptionist, screen
):
    order = approve(with_part(make_order, technician, screen), receptionist)
    assert order.status == Status.WAITING_FOR_PARTS
    with pytest.raises(workflow.WrongState):
        workflow.start_repair(order=order, actor=Actor.staff(technician))


def test_the_customers_page_says_the_order_waits_for_parts_with_the_expected_date(
    make_order, technician, receptionist, manager, screen, supplier
):
    from repaircenter.portal.selectors import customer_page

    order = approve(with_part(make_order, technician, screen), receptionist)
    po = purchasing.create(center_id=order.center_id, supplier=supplier, by=manager)
    purchasing.set_line(purchase_order=po, part=screen, quantity=1)
    purchasing.send(purchase_order=po, expected_on=datetime.date(2031, 3, 14))
    workflow.after_purchase_sent(po)
    order.refresh_from_db()
    repair_step = next(s for s in customer_page(order.link_token).steps if s.name == "repair")
    assert repair_step.state == "current"
    assert "14 March 2031" in repair_step.note and "parts" in repair_step.note


def test_the_sweep_returning_an_order_unrepaired_releases_its_parts(
    make_order, technician, receptionist, screen
):
    from django.utils import timezone

    from repaircenter.conftest import send_new_estimate
    from repaircenter.orders.models import Order
    from repaircenter.orders.sweep import run_sweep

    order = with_part(make_order, technician, screen)
    stock.receive(center_id=order.center_id, part_id=screen.pk, quantity=1)
    order = approve(order, receptionist)
    workflow.start_repair(order=order, actor=Actor.staff(technician))
    send_new_estimate(order, technician, lines=(("Replace the battery", "1", "30.00"),),
                      required_to_finish=True)
    assert level(order, screen).reserved == 1
    Order.objects.filter(pk=order.pk).update(
        decision_due=timezone.now() - datetime.timedelta(days=1))
    run_sweep()
    order.refresh_from_db()
    assert order.status == Status.READY_UNREPAIRED
    assert level(order, screen).reserved == 0


def test_a_part_line_carries_the_parts_warranty_else_the_kinds(make_order, technician, screen):
    order = make_order(Status.DIAGNOSING)
    draft = estimates.start_draft(order=order, actor=Actor.staff(technician))
    kinds = estimates.add_part(estimate=draft, actor=Actor.staff(technician), part_id=screen.pk)
    assert kinds.warranty_months is None  # the kind of equipment's, counted at issuance
    Part.objects.filter(pk=screen.pk).update(warranty_months=12)
    screen.refresh_from_db()
    own = estimates.add_part(estimate=draft, actor=Actor.staff(technician), part_id=screen.pk)
    assert own.warranty_months == 12
