"""The manager confirms a disposal through the API: the order's `dispose` operation."""

import pytest

from repaircenter.accounts.roles import Role
from repaircenter.documents.models import DocumentKind
from repaircenter.orders.models import DisposalAct, Order, Status

from .conftest import error
from .helpers import post

BODY = {"method": "recycled", "note": "Collected by GreenCycle, receipt 4411."}


def _url(order) -> str:
    return f"/api/v1/orders/{order.number}/dispose/"


def _unchanged(order) -> bool:
    fresh = Order.objects.get(pk=order.pk)
    return (fresh.status, fresh.version) == (order.status, order.version) and not (
        DisposalAct.objects.exists())


def test_a_manager_disposes_of_an_order_due_for_disposal(make_client, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    api = make_client(Role.MANAGER)
    answer = post(api, _url(order), {**BODY, "expected_version": order.version})
    assert answer["status"] == Status.DISPOSED
    assert answer["disposed_at"]
    event = answer["events"][-1]
    assert (event["action"], event["actor_kind"]) == ("confirm_disposal", "api")
    assert event["actor"] == f"API: {api.token.name}"
    assert event["note"] == BODY["note"]
    act = DisposalAct.objects.get()
    assert (act.method, act.note) == ("recycled", BODY["note"])
    assert event["evidence"] == {"act": act.display_number, "method": "recycled"}
    assert DocumentKind.DISPOSAL_ACT in {document["kind"] for document in answer["documents"]}
    # Sent again: the order is disposed of already.
    response = api.post(_url(order), BODY, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "wrong_state"
    assert DisposalAct.objects.count() == 1


def test_a_disposal_through_the_api_is_recorded_on_the_api_channel(make_client, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    answer = post(make_client(Role.MANAGER), _url(order), BODY)
    assert answer["events"][-1]["channel"] == "api"


def test_only_a_manager_may_dispose(make_client, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    counter = make_client(Role.RECEPTIONIST, Role.TECHNICIAN, Role.CONSULTANT, Role.CASHIER)
    response = counter.post(_url(order), BODY, format="json")
    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert "manager" in error(response)["message"]
    assert _unchanged(order)


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.READY_REPAIRED])
def test_an_order_not_due_for_disposal_is_409(make_client, make_order, status):
    order = make_order(status)
    response = make_client(Role.MANAGER).post(_url(order), BODY, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "wrong_state"
    assert order.display_number in error(response)["message"]
    assert _unchanged(order)


def test_a_stale_version_is_a_conflict(make_client, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    response = make_client(Role.MANAGER).post(
        _url(order), {**BODY, "expected_version": order.version - 1}, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    assert _unchanged(order)


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"method", "note"}),
    ({"method": "recycled"}, {"note"}),
    ({"method": "recycled", "note": "   "}, {"note"}),
    ({"note": "Scrapped"}, {"method"}),
    ({"method": "burnt", "note": "Scrapped"}, {"method"}),
])
def test_the_method_and_a_note_are_required(make_client, make_order, body, fields):
    order = make_order(Status.DISPOSAL_DUE)
    response = make_client(Role.MANAGER).post(_url(order), body, format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"
    assert set(error(response)["fields"]) == fields
    assert _unchanged(order)
