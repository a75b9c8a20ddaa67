"""Steps of an order through the API alone, for the tests."""

import uuid

from repaircenter.orders.models import EquipmentKind


def intake(api, phone="+442079460101", name="Alice Brown", **equipment) -> dict:
    kind = EquipmentKind.objects.get_or_create(name="Phone")[0]
    response = api.post("/api/v1/orders/", {
        "customer": {"phone": phone, "name": name, "email": "alice@example.com",
                     "preferred_channels": ["sms", "email"]},
        "equipment": {"kind": kind.pk, "brand": "Samsung", "model": "Galaxy S23",
                      "serial_number": "r5cw 31abcde", "condition": "Scratched back",
                      "accessories": "Case", "fault": "Does not charge", **equipment},
    }, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post(api, path, data=None, status=200, **headers):
    response = api.post(path, data or {}, format="json", headers=headers or None)
    assert response.status_code == status, (response.status_code, response.json())
    return response.json()


def to_awaiting_decision(api, number: int, price="45.00") -> dict:
    post(api, f"/api/v1/orders/{number}/start-diagnosis/")
    post(api, f"/api/v1/orders/{number}/estimates/", {
        "repair_days": 2, "recommendation": "Worth repairing.",
        "lines": [{"line_kind": "work", "description": "Replace the charging port",
                   "quantity": "1", "unit_price": price}],
    }, status=201)
    return post(api, f"/api/v1/orders/{number}/estimates/1/send/")


def approve(api, number: int) -> dict:
    return post(api, f"/api/v1/orders/{number}/decisions/", {
        "decision": "approve", "channel": "phone", "said": "Yes, go ahead",
    })


def to_ready(api, number: int) -> dict:
    to_awaiting_decision(api, number)
    approve(api, number)
    order = post(api, f"/api/v1/orders/{number}/start-repair/")
    for estimate in order["estimates"]:
        for line in estimate["lines"]:
            post(api, f"/api/v1/orders/{number}/lines/{line['id']}/done/")
    post(api, f"/api/v1/orders/{number}/finish-works/")
    return post(api, f"/api/v1/orders/{number}/tests/",
                {"passed": True, "note": "60 minutes charging under load, 38°C at most"},
                status=201)


def pay(api, number: int, amount: str, key: str | None = None, method="card"):
    return api.post(f"/api/v1/orders/{number}/payments/", {"amount": amount, "method": method},
                    format="json", headers={"Idempotency-Key": key or str(uuid.uuid4())})
