"""Orders through the API: transitions the table forbids, errors, lists, pages, queries."""

import datetime

import pytest
from django.utils import timezone

from repaircenter.api.models import ApiToken
from repaircenter.orders.models import Order, Status

from .conftest import error
from .helpers import approve, intake, post, to_awaiting_decision


def test_a_transition_the_table_forbids_is_409_with_the_reason(api):
    number = intake(api)["order"]["number"]
    response = api.post(f"/api/v1/orders/{number}/finish-works/", {}, format="json")
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "wrong_state"
    assert body["message"] == (f"Order R-{number:06d} is received; “Works done, to stress test” "
                               "is not possible now.")
    assert Order.objects.get(number=number).status == Status.RECEIVED


def test_a_stale_version_is_a_conflict(api):
    order = intake(api)["order"]
    response = api.post(f"/api/v1/orders/{order['number']}/start-diagnosis/",
                        {"expected_version": order["version"] + 5}, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"
    assert "changed by someone else" in error(response)["message"]


def test_a_decision_needs_its_evidence(api):
    number = intake(api)["order"]["number"]
    to_awaiting_decision(api, number)
    response = api.post(f"/api/v1/orders/{number}/decisions/",
                        {"decision": "approve", "channel": "email"}, format="json")
    assert response.status_code == 400
    assert error(response)["message"] == "Paste the text of the customer's email."
    assert error(response)["fields"] == {"email_text": ["Paste the text of the customer's email."]}
    # By telephone without what was said, a refusal without its reason: 400 naming the field.
    response = api.post(f"/api/v1/orders/{number}/decisions/",
                        {"decision": "approve", "channel": "phone"}, format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["said"]
    response = api.post(f"/api/v1/orders/{number}/decisions/",
                        {"decision": "refuse", "channel": "phone", "said": "No"}, format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["note"]
    response = api.post(f"/api/v1/orders/{number}/decisions/",
                        {"decision": "refuse", "channel": "order_page"}, format="json")
    assert response.status_code == 400
    assert "channel" in error(response)["fields"]
    # A refusal by email, with its text and the reason.
    order = post(api, f"/api/v1/orders/{number}/decisions/", {
        "decision": "refuse", "channel": "email", "email_text": "No thanks, too dear.",
        "note": "Too expensive"})
    assert order["status"] == Status.READY_UNREPAIRED
    assert order["events"][-1]["evidence"]["email_text"] == "No thanks, too dear."
    assert order["events"][-1]["channel"] == "email"


def test_a_decision_on_an_estimate_no_longer_awaited_is_refused(api):
    number = intake(api)["order"]["number"]
    to_awaiting_decision(api, number)
    response = api.post(f"/api/v1/orders/{number}/decisions/", {
        "decision": "approve", "channel": "phone", "said": "yes", "estimate": 2,
    }, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "estimate_replaced"


def test_issuance_needs_the_right_pickup_code(api):
    made = intake(api)
    number = made["order"]["number"]
    post(api, f"/api/v1/orders/{number}/start-diagnosis/")
    post(api, f"/api/v1/orders/{number}/not-repairable/", {"note": "Board burnt"})
    response = api.post(f"/api/v1/orders/{number}/issue/", {"pickup_code": "WRONG-CODE"},
                        format="json")
    assert response.status_code == 409
    assert "does not match" in error(response)["message"]
    order = post(api, f"/api/v1/orders/{number}/issue/", {"pickup_code": made["pickup_code"]})
    assert order["status"] == Status.ISSUED


def test_validation_errors_name_each_field(api):
    response = api.post("/api/v1/orders/", {"customer": {"phone": "12"}, "equipment": {}},
                        format="json")
    assert response.status_code == 400
    fields = error(response)["fields"]
    assert {"customer.phone", "customer.name", "equipment.kind", "equipment.brand",
            "equipment.condition", "equipment.fault"} <= set(fields)
    number = intake(api)["order"]["number"]
    post(api, f"/api/v1/orders/{number}/start-diagnosis/")
    response = api.post(f"/api/v1/orders/{number}/estimates/", {
        "repair_days": 0, "lines": [{"line_kind": "work", "description": "x",
                                     "quantity": "0", "unit_price": "1.00"}]}, format="json")
    assert response.status_code == 400
    assert {"repair_days", "lines.0.quantity"} <= set(error(response)["fields"])


def test_other_errors_have_the_same_shape(api):
    assert error(api.get("/api/v1/orders/999999/"))["code"] == "not_found"
    assert error(api.get("/api/v1/no-such-thing/"))["code"] == "not_found"
    response = api.delete("/api/v1/orders/")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    response = api.post("/api/v1/orders/", "phone=1",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"
    response = api.post("/api/v1/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "parse_error"


def test_the_rate_limit_is_per_token(api, make_client, settings, monkeypatch):
    settings.API_REQUESTS_PER_MINUTE = 3
    # Early in one minute, so that the count does not start again mid-test.
    monkeypatch.setattr("repaircenter.core.ratelimit._now", lambda: 1_800_000_010.0)
    for _ in range(3):
        assert api.get("/api/v1/equipment-kinds/").status_code == 200
    response = api.get("/api/v1/equipment-kinds/")
    assert response.status_code == 429
    assert error(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token has its own count.
    assert make_client("manager").get("/api/v1/equipment-kinds/").status_code == 200


# --- the list ------------------------------------------------------------------------------


def just_used(api) -> None:
    """The token's last use is a moment ago: this request does not write it again."""
    ApiToken.objects.filter(pk=api.token.pk).update(last_used_at=timezone.now())


def _numbers(page) -> list[int]:
    return [order["number"] for order in page["results"]]


def test_cursor_pages_are_stable_while_orders_are_added(api):
    first_batch = [intake(api, phone=f"+4420794601{i:02d}", name=f"Customer {i}")
                   ["order"]["number"] for i in range(7)]
    page = api.get("/api/v1/orders/", {"page_size": 3}).json()
    seen = _numbers(page)
    assert seen == first_batch[::-1][:3]
    while page["next"]:
        # Orders taken in between pages: newer than the cursor, so not on later pages.
        intake(api, phone=f"+4420794602{len(seen):02d}", name="Walk-in")
        page = api.get(page["next"]).json()
        seen += _numbers(page)
    assert seen == first_batch[::-1]
    assert len(seen) == len(set(seen))
    # Going back from the last page is stable too.
    assert page["previous"]


def test_filters_by_state_dates_and_search(api):
    old = intake(api, phone="+442079460150", name="Dora Old")["order"]["number"]
    Order.objects.filter(number=old).update(
        received_at=timezone.now() - datetime.timedelta(days=40))
    waiting = intake(api, phone="+442079460151", name="Eve Waiting")["order"]["number"]
    to_awaiting_decision(api, waiting)
    fresh = intake(api, phone="+442079460152", name="Finn Fresh")["order"]["number"]

    def numbers(**query):
        response = api.get("/api/v1/orders/", query)
        assert response.status_code == 200, response.json()
        return _numbers(response.json())

    assert numbers(status="awaiting_decision") == [waiting]
    assert numbers(status=["received", "awaiting_decision"]) == [fresh, waiting, old]
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert numbers(received_from=since) == [fresh, waiting]
    until = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    assert numbers(received_to=until) == [old]
    assert numbers(search="Finn") == [fresh]
    assert numbers(search="020 7946 0151") == [waiting]
    assert numbers(search=f"R-{old:06d}") == [old]
    assert numbers(search="x") == []
    response = api.get("/api/v1/orders/", {"status": "lost", "received_from": "yesterday"})
    assert response.status_code == 400
    assert {"status", "received_from"} <= set(error(response)["fields"])


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_takes_the_same_queries_however_many_orders(api, count,
                                                             django_assert_num_queries):
    for i in range(count):
        intake(api, phone=f"+4420794601{i:02d}", name=f"Customer {i}")
    just_used(api)
    # token, rate count, one page of orders with customers and equipment (the token's centers
    # are kept: orders/workplace.py)
    with django_assert_num_queries(3):
        response = api.get("/api/v1/orders/")
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("lines", [1, 5])
def test_the_detail_takes_the_same_queries_however_much_it_holds(api, lines,
                                                                 django_assert_num_queries):
    number = intake(api)["order"]["number"]
    post(api, f"/api/v1/orders/{number}/start-diagnosis/")
    post(api, f"/api/v1/orders/{number}/estimates/", {"repair_days": 2, "lines": [
        {"line_kind": "work", "description": f"Work {i}", "quantity": "1", "unit_price": "10"}
        for i in range(lines)]}, status=201)
    post(api, f"/api/v1/orders/{number}/estimates/1/send/")
    approve(api, number)
    just_used(api)
    # token, rate count (the token's centers are kept), the order (which asks which of its
    # seldom-filled parts exist: none here, so no photos, checklist, tests, transfers, claims
    # or payments are read), then one query per kind of thing it holds: events, estimates,
    # lines, documents, messages (not their delivery records, which it does not give); + 2: the
    # device's other orders and their lines.
    with django_assert_num_queries(8 + 2):
        response = api.get(f"/api/v1/orders/{number}/")
    assert len(response.json()["estimates"][0]["lines"]) == lines
