"""The stock through the API: parts, levels, movements, purchase orders, and receiving a
delivery that serves the waiting orders."""

import datetime
from decimal import Decimal

import pytest

from repaircenter.centers.models import Center
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EventChannel, Order, Status
from repaircenter.orders.workflow import Actor
from repaircenter.stock import purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import Part, Supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def screen(db):
    return Part.objects.create(sku="SCR-S23", name="Screen", fits="Galaxy S23",
                               purchase_cost=Decimal("40.00"), selling_price=Decimal("90.00"),
                               minimum=2)


def test_parts_levels_and_movements(api, screen, make_client):
    center = Center.default()
    stock.receive(center_id=center.pk, part_id=screen.pk, quantity=1)
    parts = api.get("/api/v1/parts/", {"search": "galaxy"}).json()["results"]
    assert [(p["sku"], p["purchase_cost"], p["selling_price"]) for p in parts] == [
        ("SCR-S23", "40.00", "90.00")]
    [level] = api.get("/api/v1/stock/", {"low": "true"}).json()["results"]
    assert (level["sku"], level["on_hand"], level["available"], level["minimum"]) == (
        "SCR-S23", 1, 1, 2)
    [move] = api.get("/api/v1/stock/movements/").json()["results"]
    assert (move["kind"], move["on_hand_change"]) == ("received", 1)
    assert make_client("cashier").get("/api/v1/stock/").status_code == 403


def test_receiving_through_the_api_serves_the_waiting_order(
    api, screen, make_order, technician, receptionist, manager
):
    order = make_order(Status.DIAGNOSING)
    tech = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=draft, actor=tech, repair_days=1, recommendation="",
                             internal_notes="")
    estimates.add_part(estimate=draft, actor=tech, part_id=screen.pk)
    workflow.send_estimate(order=order, actor=tech, estimate=draft)
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "yes"})
    po = purchasing.create(center_id=order.center_id,
                           supplier=Supplier.objects.create(name="S"), by=manager)
    purchasing.set_line(purchase_order=po, part=screen, quantity=1)
    purchasing.send(purchase_order=po, expected_on=datetime.date.today())
    url = f"/api/v1/purchase-orders/{po.pk}/receive/"
    bad = api.post(url, {"quantities": {"NOPE": 1}}, format="json")
    assert bad.status_code == 400
    too_many = api.post(url, {"quantities": {"SCR-S23": 5}}, format="json")
    assert too_many.status_code == 409 and "reason" in too_many.json()["error"]["message"]
    done = api.post(url, {"quantities": {"SCR-S23": 1}}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "received"
    assert done.json()["orders_ready"] == [order.number]
    assert Order.objects.get(pk=order.pk).status == Status.APPROVED
    assert api.get(f"/api/v1/purchase-orders/{po.pk}/").json()["lines"][0]["received"] == 1


def test_an_estimate_through_the_api_takes_catalogue_parts(api, screen, make_order):
    order = make_order(Status.DIAGNOSING)
    url = f"/api/v1/orders/{order.number}/estimates/"
    line = {"line_kind": "part", "description": "Screen", "quantity": "1",
            "unit_price": "90.00", "part": "SCR-S23"}
    body = {"repair_days": 2, "recommendation": "", "lines": [line]}
    wrong_kind = api.post(url, {**body, "lines": [{**line, "line_kind": "work"}]},
                          format="json")
    assert wrong_kind.status_code == 400 and "lines.0.part" in wrong_kind.json()["error"]["fields"]
    unknown = api.post(url, {**body, "lines": [{**line, "part": "NOPE"}]}, format="json")
    assert unknown.status_code == 400
    half = api.post(url, {**body, "lines": [{**line, "quantity": "0.5"}]}, format="json")
    assert half.status_code == 409 and "whole units" in half.json()["error"]["message"]
    made = api.post(url, body, format="json")
    assert made.status_code == 201, made.json()
    from repaircenter.orders.models import EstimateLine

    assert EstimateLine.objects.get(estimate__order=order).part_id == screen.pk
