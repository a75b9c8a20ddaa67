"""Issue 16 through the API: the device's history, warranty claims and the link between
orders."""

import pytest

from repaircenter.conftest import write_estimate
from repaircenter.orders import estimates
from repaircenter.orders.models import EstimateLine, Order, Status
from repaircenter.orders.workflow import Actor

from .conftest import error
from .helpers import intake, pay, post, to_ready

pytestmark = pytest.mark.django_db


def _issue(api, number: int, pickup_code: str) -> dict:
    return post(api, f"/api/v1/orders/{number}/issue/", {"pickup_code": pickup_code})


def test_devices_by_serial_with_their_orders_and_running_warranties(api):
    made = intake(api)
    number = made["order"]["number"]
    to_ready(api, number)
    assert pay(api, number, "45.00").status_code == 201
    issued = _issue(api, number, made["pickup_code"])
    [line] = issued["estimates"][0]["lines"]
    assert line["warranty_until"] and line["warranty_months"] is None and line["covers"] is None

    response = api.get("/api/v1/devices/", {"serial_number": "R5CW-31ABCDE"})
    assert response.status_code == 200
    [device] = response.json()
    assert device["serial_number"] == "R5CW31ABCDE"
    [past] = device["orders"]
    assert past["number"] == number and past["under_warranty"] is True
    assert past["lines"][0]["description"] == "Replace the charging port"
    assert past["warranty_until"] == line["warranty_until"]
    assert api.get("/api/v1/devices/", {"serial_number": "nothing"}).json() == []
    assert api.get("/api/v1/devices/").json() == []


def test_a_claim_through_the_api_is_linked_both_ways_and_repaired_free(api, technician):
    made = intake(api)
    number = made["order"]["number"]
    to_ready(api, number)
    pay(api, number, "45.00")
    _issue(api, number, made["pickup_code"])
    original_line = EstimateLine.objects.get(estimate__order__number=number)

    claim = intake(api, warranty_of=None)  # an ordinary intake of the same device first
    assert claim["order"]["warranty_of"] is None
    assert [p["number"] for p in claim["order"]["device_history"]] == [number]

    response = api.post("/api/v1/orders/", {
        "customer": {"phone": "+442079460101", "name": "Alice Brown"},
        "equipment": {"kind": claim["order"]["equipment"]["kind"], "brand": "Samsung",
                      "serial_number": "R5CW31ABCDE", "condition": "As before",
                      "fault": "Does not charge again"},
        "warranty_of": number,
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()["order"]
    assert body["warranty_of"]["number"] == number
    claim_number = body["number"]
    assert api.get(f"/api/v1/orders/{number}/").json()["warranty_claims"] == [
        {"number": claim_number, "display_number": body["display_number"]}]

    post(api, f"/api/v1/orders/{claim_number}/start-diagnosis/")
    claim_order = Order.objects.get(number=claim_number)
    # The verdict is the technician's on the staff page; the API sends the covered draft.
    draft = write_estimate(claim_order, technician, lines=())
    estimates.assess_warranty(estimate=draft, actor=Actor.staff(technician),
                              covered=[original_line.pk], not_covered=[])
    result = post(api, f"/api/v1/orders/{claim_number}/estimates/{draft.number}/"
                       "repair-under-warranty/")
    assert result["status"] == Status.REPAIRING
    [estimate] = result["estimates"]
    assert estimate["status"] == "approved" and estimate["total"] == "0.00"
    assert estimate["lines"][0]["covers"] == original_line.pk
    assert result["balance"]["amount_due"] == "0.00"


def test_a_claim_on_an_order_not_issued_is_refused_with_the_reason(api):
    number = intake(api)["order"]["number"]
    response = api.post("/api/v1/orders/", {
        "customer": {"phone": "+442079460101", "name": "Alice Brown"},
        "equipment": {"kind": Order.objects.get(number=number).equipment.kind_id,
                      "brand": "Samsung", "serial_number": "R5CW31ABCDE",
                      "condition": "As before", "fault": "Again"},
        "warranty_of": number,
    }, format="json")
    assert response.status_code in (409, 422), response.json()
    assert "never handed over" in error(response)["message"]
    assert Order.objects.count() == 1
    response = api.post("/api/v1/orders/", {
        "customer": {"phone": "+442079460101", "name": "Alice Brown"},
        "equipment": {"kind": Order.objects.get(number=number).equipment.kind_id,
                      "brand": "Samsung", "condition": "x", "fault": "y"},
        "warranty_of": 999999,
    }, format="json")
    assert response.status_code == 404


def test_a_serial_of_several_devices_asks_which_through_the_api(api):
    from repaircenter.customers.models import Device

    Device.objects.create(serial_number="R5CW31ABCDE", brand="Samsung")
    lenovo = Device.objects.create(serial_number="R5CW31ABCDE", brand="Lenovo")
    listed = api.get("/api/v1/devices/", {"serial_number": "R5CW31ABCDE"}).json()
    assert [d["brand"] for d in listed] == ["Samsung", "Lenovo"]
    from repaircenter.orders.models import EquipmentKind

    kind = EquipmentKind.objects.get_or_create(name="Phone")[0]
    body = {"customer": {"phone": "+442079460101", "name": "Alice Brown"},
            "equipment": {"kind": kind.pk, "brand": "Lenovo", "serial_number": "R5CW31ABCDE",
                          "condition": "ok", "fault": "no power"}}
    response = api.post("/api/v1/orders/", body, format="json")
    assert response.status_code in (409, 422)
    assert "Choose which one" in error(response)["message"]
    assert not Order.objects.exists()
    body["equipment"]["device"] = lenovo.pk
    response = api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201
    assert Order.objects.get().equipment.device == lenovo
