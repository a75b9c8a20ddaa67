"""Purchase orders made, sent and cancelled through the API, by the staff pages' own functions:
bad input is 400 naming the field with nothing written, a status that does not allow the change
409, another center's purchase order 404, a token without the buyer's role 403; a purchase order
made and sent here, received, serves the order waiting for its part."""

import datetime
import uuid
from decimal import Decimal

import pytest

from repaircenter.accounts.roles import Role
from repaircenter.api.models import IdempotentRequest
from repaircenter.centers.models import Center
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EventChannel, Order, Status
from repaircenter.orders.workflow import Actor
from repaircenter.stock import purchasing
from repaircenter.stock.models import Part, PurchaseLine, PurchaseOrder, PurchaseStatus, Supplier

from .conftest import error

pytestmark = pytest.mark.django_db

URL = "/api/v1/purchase-orders/"
DUE = datetime.date(2026, 12, 10)


@pytest.fixture
def screen(db):
    return Part.objects.create(sku="SCR-S23", name="Screen", fits="Galaxy S23",
                               purchase_cost=Decimal("40.00"), selling_price=Decimal("90.00"))


@pytest.fixture
def battery(db):
    return Part.objects.create(sku="BAT-S23", name="Battery", fits="Galaxy S23",
                               purchase_cost=Decimal("12.00"), selling_price=Decimal("30.00"))


@pytest.fixture
def supplier(db):
    return Supplier.objects.create(name="Parts Direct Ltd")


@pytest.fixture
def body(screen, battery, supplier):
    return {"supplier": supplier.name, "expected_on": DUE.isoformat(), "note": "Urgent",
            "lines": [{"part": "SCR-S23", "quantity": 2, "unit_cost": "38.50"},
                      {"part": "BAT-S23", "quantity": 3}]}


def create(client, body, key=None):
    return client.post(URL, body, format="json",
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def nothing_written():
    return (PurchaseOrder.objects.count(), PurchaseLine.objects.count(),
            IdempotentRequest.objects.count()) == (0, 0, 0)


def draft(manager, supplier, *parts, expected_on=None, center=None) -> PurchaseOrder:
    po = purchasing.create(center_id=(center or Center.default()).pk, supplier=supplier,
                           by=manager, expected_on=expected_on)
    for part in parts:
        purchasing.set_line(purchase_order=po, part=part, quantity=1)
    return po


# --- making one ---------------------------------------------------------------------------------


def test_a_manager_token_makes_a_draft_with_its_lines(api, body, screen, battery):
    response = create(api, body)
    assert response.status_code == 201, response.json()
    made = response.json()
    po = PurchaseOrder.objects.get()
    assert made["id"] == po.pk and made["number"] == po.display_number
    assert (made["status"], made["supplier"], made["expected_on"], made["note"]) == (
        "draft", "Parts Direct Ltd", "2026-12-10", "Urgent")
    # The token's first center, as nothing else was said; the cost given, or the part's own.
    assert made["center"] == Center.default().pk
    assert [(line["sku"], line["quantity"], line["received"], line["unit_cost"])
            for line in made["lines"]] == [("SCR-S23", 2, 0, "38.50"), ("BAT-S23", 3, 0, "12.00")]
    assert po.created_by == api.token.user
    assert {(line.part_id, line.quantity, line.unit_cost) for line in po.lines.all()} == {
        (screen.pk, 2, Decimal("38.50")), (battery.pk, 3, Decimal("12.00"))}
    assert api.get(f"{URL}{po.pk}/").json() == made


def test_only_the_lines_and_the_supplier_are_needed(api, screen, supplier):
    response = create(api, {"supplier": supplier.name, "lines": [{"part": "SCR-S23",
                                                                   "quantity": 1}]})
    assert response.status_code == 201, response.json()
    made = response.json()
    assert (made["expected_on"], made["note"], made["lines"][0]["unit_cost"]) == (
        None, "", "40.00")


def test_a_center_of_the_chain_may_be_named(api, body, east, west):
    response = create(api, {**body, "center": west.pk})
    assert response.status_code == 201, response.json()
    assert PurchaseOrder.objects.get().center_id == west.pk


@pytest.mark.parametrize(("change", "field"), [
    ({"supplier": "Nobody Ltd"}, "supplier"),
    ({"supplier": ""}, "supplier"),
    ({"center": 999_999}, "center"),
    ({"expected_on": "10/12/2026"}, "expected_on"),
    ({"lines": []}, "lines"),
    ({"lines": [{"part": "NOPE", "quantity": 1}]}, "lines.0.part"),
    ({"lines": [{"part": "OLD-1", "quantity": 1}]}, "lines.0.part"),
    ({"lines": [{"part": "SCR-S23"}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": 0}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": -2}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": 1.5}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": "2"}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": True}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": 1_000_001}]}, "lines.0.quantity"),
    ({"lines": [{"part": "SCR-S23", "quantity": 1, "unit_cost": "-1.00"}]}, "lines.0.unit_cost"),
    ({"lines": [{"part": "SCR-S23", "quantity": 1, "unit_cost": "1.001"}]},
     "lines.0.unit_cost"),
    ({"lines": [{"part": "SCR-S23", "quantity": 1, "unit_cost": 5}]}, "lines.0.unit_cost"),
    ({"lines": [{"part": "BAT-S23", "quantity": 1}, {"part": "SCR-S23", "quantity": 1},
                {"part": "BAT-S23", "quantity": 2}]}, "lines"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, body, change, field):
    Part.objects.create(sku="OLD-1", name="Withdrawn", purchase_cost=1, selling_price=2,
                        active=False)
    response = create(api, {**body, **change})
    assert response.status_code == 400, response.json()
    problem = error(response)
    assert (problem["code"], list(problem["fields"])) == ("invalid", [field])
    assert nothing_written()


def test_a_part_given_twice_is_named_in_the_message(api, body):
    lines = [{"part": "SCR-S23", "quantity": 1}, {"part": "SCR-S23", "quantity": 4}]
    problem = error(create(api, {**body, "lines": lines}))
    assert "SCR-S23" in problem["fields"]["lines"][0]
    assert nothing_written()


def test_a_center_the_token_does_not_work_at_is_refused(make_client, body, east, west):
    """Only a manager buys, and a manager's token works at every center; a center that closed
    (inactive) is no longer one of them."""
    Center.objects.filter(pk=west.pk).update(active=False)
    response = create(make_client(Role.MANAGER), {**body, "center": west.pk})
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["center"]
    assert nothing_written()


def test_the_same_key_and_body_answer_once_and_make_one_purchase_order(api, body):
    first = create(api, body, key="po-1")
    again = create(api, body, key="po-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert PurchaseOrder.objects.count() == 1
    other = create(api, {**body, "note": "Another"}, key="po-1")
    assert other.status_code == 409
    assert error(other)["code"] == "idempotency_key_reused"
    assert PurchaseOrder.objects.count() == 1


def test_a_refused_request_leaves_its_key_free(api, body):
    assert create(api, {**body, "supplier": "Nobody Ltd"}, key="po-2").status_code == 400
    assert create(api, body, key="po-2").status_code == 201
    assert PurchaseOrder.objects.count() == 1


def test_making_one_needs_an_idempotency_key(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "idempotency_key_missing"
    assert nothing_written()


@pytest.mark.parametrize("roles", [
    (Role.RECEPTIONIST, Role.TECHNICIAN), (Role.CASHIER,), (Role.CONSULTANT,)])
def test_only_a_buyer_makes_sends_or_cancels(make_client, body, manager, supplier, screen,
                                              roles):
    """As on the staff pages: only a manager orders from suppliers (storekeepers receive)."""
    client = make_client(*roles)
    response = create(client, body)
    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert nothing_written()
    po = draft(manager, supplier, screen, expected_on=DUE)
    for action in ("send", "cancel"):
        refused = client.post(f"{URL}{po.pk}/{action}/", {}, format="json")
        assert refused.status_code == 403, action
    po.refresh_from_db()
    assert po.status == PurchaseStatus.DRAFT


def test_without_a_token_it_is_401(client, body):
    assert client.post(URL, body, content_type="application/json").status_code == 401
    assert nothing_written()


# --- sending and cancelling ---------------------------------------------------------------------


def test_sending_a_draft(api, manager, supplier, screen):
    po = draft(manager, supplier, screen)
    response = api.post(f"{URL}{po.pk}/send/", {"expected_on": "2026-12-10"}, format="json")
    assert response.status_code == 200, response.json()
    sent = response.json()
    assert (sent["status"], sent["expected_on"]) == ("sent", "2026-12-10")
    assert sent["sent_at"] is not None
    po.refresh_from_db()
    assert (po.status, po.expected_on) == (PurchaseStatus.SENT, DUE)


def test_sending_keeps_the_date_the_purchase_order_has(api, manager, supplier, screen):
    po = draft(manager, supplier, screen, expected_on=DUE)
    response = api.post(f"{URL}{po.pk}/send/", format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["expected_on"] == "2026-12-10"


def test_sending_without_a_date_is_400_naming_it(api, manager, supplier, screen):
    po = draft(manager, supplier, screen)
    response = api.post(f"{URL}{po.pk}/send/", {}, format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["expected_on"]
    bad = api.post(f"{URL}{po.pk}/send/", {"expected_on": "soon"}, format="json")
    assert bad.status_code == 400 and list(error(bad)["fields"]) == ["expected_on"]
    po.refresh_from_db()
    assert (po.status, po.sent_at) == (PurchaseStatus.DRAFT, None)


def test_a_draft_without_lines_is_not_sent(api, manager, supplier):
    po = draft(manager, supplier, expected_on=DUE)  # the staff page makes an empty draft first
    response = api.post(f"{URL}{po.pk}/send/", {}, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "refused"
    po.refresh_from_db()
    assert po.status == PurchaseStatus.DRAFT


def test_sending_twice_is_409_and_changes_nothing(api, manager, supplier, screen):
    po = draft(manager, supplier, screen, expected_on=DUE)
    assert api.post(f"{URL}{po.pk}/send/", {}, format="json").status_code == 200
    sent_at = PurchaseOrder.objects.get(pk=po.pk).sent_at
    again = api.post(f"{URL}{po.pk}/send/", {"expected_on": "2027-01-05"}, format="json")
    assert again.status_code == 409
    problem = error(again)
    assert problem["code"] == "wrong_state" and po.display_number in problem["message"]
    po.refresh_from_db()
    assert (po.status, po.sent_at, po.expected_on) == (PurchaseStatus.SENT, sent_at, DUE)


@pytest.mark.parametrize("sent", [False, True])
def test_cancelling_a_draft_or_a_sent_purchase_order(api, manager, supplier, screen, sent):
    po = draft(manager, supplier, screen, expected_on=DUE)
    if sent:
        purchasing.send(purchase_order=po)
    response = api.post(f"{URL}{po.pk}/cancel/", format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    po.refresh_from_db()
    assert po.status == PurchaseStatus.CANCELLED and po.closed_at is not None


def test_what_is_cancelled_or_received_is_not_cancelled_or_sent(api, manager, supplier, screen):
    cancelled = draft(manager, supplier, screen, expected_on=DUE)
    purchasing.cancel(purchase_order=cancelled)
    for action in ("cancel", "send"):
        response = api.post(f"{URL}{cancelled.pk}/{action}/", {}, format="json")
        assert response.status_code == 409 and error(response)["code"] == "wrong_state"
    partly = draft(manager, supplier, screen, expected_on=DUE)
    PurchaseLine.objects.filter(purchase_order=partly).update(quantity=2)
    purchasing.send(purchase_order=partly)
    purchasing.receive(purchase_order=partly, quantities={screen.pk: 1}, by=manager)
    received = draft(manager, supplier, screen, expected_on=DUE)
    purchasing.send(purchase_order=received)
    purchasing.receive(purchase_order=received, quantities={screen.pk: 1}, by=manager)
    for po, status in ((partly, PurchaseStatus.PARTLY_RECEIVED),
                       (received, PurchaseStatus.RECEIVED)):
        for action in ("cancel", "send"):
            response = api.post(f"{URL}{po.pk}/{action}/", {}, format="json")
            assert response.status_code == 409, (status, action)
            assert error(response)["code"] == "wrong_state"
        assert PurchaseOrder.objects.get(pk=po.pk).status == status
    assert PurchaseOrder.objects.get(pk=cancelled.pk).status == PurchaseStatus.CANCELLED


def test_no_such_purchase_order_is_404(api):
    for pk in (987_654, 2**31):
        for action in ("send", "cancel"):
            response = api.post(f"{URL}{pk}/{action}/", {}, format="json")
            assert response.status_code == 404, (pk, action)
            assert error(response)["code"] == "not_found"


def test_another_centers_purchase_order_is_404(make_client, manager, supplier, screen, east,
                                               west):
    """A storekeeper's token working at East does not see West's purchase orders; buying is a
    manager's, whose token works at every center, so sending or cancelling there is 403 first."""
    east_token = make_client(Role.RECEPTIONIST, Role.TECHNICIAN)
    east_token.token.user.centers.set([east])
    po = draft(manager, supplier, screen, expected_on=DUE, center=west)
    purchasing.send(purchase_order=po)
    assert east_token.get(f"{URL}{po.pk}/").status_code == 404
    response = east_token.post(f"{URL}{po.pk}/receive/", {"quantities": {"SCR-S23": 1}},
                               format="json")
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert PurchaseOrder.objects.get(pk=po.pk).status == PurchaseStatus.SENT
    mine = draft(manager, supplier, screen, expected_on=DUE, center=east)
    assert east_token.get(f"{URL}{mine.pk}/").status_code == 200


# --- the whole way, through the API -------------------------------------------------------------


def test_made_sent_and_received_through_the_api_it_serves_the_waiting_order(
    api, screen, supplier, make_order, technician, receptionist
):
    order = make_order(Status.DIAGNOSING)
    tech = Actor.staff(technician)
    estimate = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=estimate, actor=tech, repair_days=1, recommendation="",
                             internal_notes="")
    estimates.add_part(estimate=estimate, actor=tech, part_id=screen.pk)
    workflow.send_estimate(order=order, actor=tech, estimate=estimate)
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "yes"})
    order.refresh_from_db()
    assert (order.status, order.parts_due) == (Status.WAITING_FOR_PARTS, None)

    made = create(api, {"supplier": supplier.name,
                        "lines": [{"part": "SCR-S23", "quantity": 1}]})
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    sent = api.post(f"{URL}{pk}/send/", {"expected_on": "2026-12-10"}, format="json")
    assert sent.status_code == 200, sent.json()
    order.refresh_from_db()
    assert order.parts_due == DUE  # the waiting order learns when its part comes
    received = api.post(f"{URL}{pk}/receive/", {"quantities": {"SCR-S23": 1}}, format="json")
    assert received.status_code == 200, received.json()
    assert (received.json()["status"], received.json()["orders_ready"]) == (
        "received", [order.number])
    order.refresh_from_db()
    assert (order.status, order.parts_due) == (Status.APPROVED, None)
    assert api.post(f"{URL}{pk}/cancel/", format="json").status_code == 409
    assert Order.objects.get(pk=order.pk).status == Status.APPROVED


def test_the_schema_has_the_new_operations(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/purchase-orders/"]) == {"get", "post"}
    made = paths["/api/v1/purchase-orders/"]["post"]
    assert {"201", "400", "403", "409"} <= set(made["responses"])
    assert [p["name"] for p in made["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    for action in ("send", "cancel"):
        operation = paths[f"/api/v1/purchase-orders/{{id}}/{action}/"]["post"]
        assert {"200", "403", "404", "409"} <= set(operation["responses"])
    line = schema["components"]["schemas"]["PurchaseLineInRequest"]["properties"]["quantity"]
    assert (line["type"], line["minimum"], line["maximum"]) == ("integer", 1, 1_000_000)
