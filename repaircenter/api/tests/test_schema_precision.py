"""The schema says what the server enforces, and is itself valid OpenAPI; bad input answers 400
naming the field."""

import re

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

from .conftest import error
from .helpers import intake, to_awaiting_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi(schema):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OpenAPIV30SpecValidator(schema).iter_errors()]
    assert errors == []


def test_the_schema_states_the_limits_of_an_estimate_and_of_amounts(schema):
    components = schema["components"]["schemas"]
    lines = components["EstimateInRequest"]["properties"]["lines"]
    assert (lines["minItems"], lines["maxItems"]) == (1, 100)
    amount = components["PaymentInRequest"]["properties"]["amount"]["pattern"]
    assert re.search(amount, "45.00") and re.search(amount, "45")
    for bad in ("", "-", ".", "45.", ".5", "45.001", "1e2", " 45", "+45", "-45"):
        assert not re.search(amount, bad), bad
    channels = components["IntakeCustomerRequest"]["properties"]["preferred_channels"]
    assert channels["uniqueItems"] is True


def test_the_server_refuses_what_the_pattern_refuses(api):
    number = intake(api)["order"]["number"]
    to_awaiting_decision(api, number)
    for index, amount in enumerate(("", "1e2", " 45.00", "+45", "45.001", "45.", "-")):
        response = api.post(f"/api/v1/orders/{number}/payments/",
                            {"amount": amount, "method": "card"}, format="json",
                            headers={"Idempotency-Key": f"key-{index}"})
        assert response.status_code == 400, (amount, response.json())
        assert list(error(response)["fields"]) == ["amount"]


def test_an_estimate_without_lines_or_with_too_many_is_400(api):
    number = intake(api)["order"]["number"]
    api.post(f"/api/v1/orders/{number}/start-diagnosis/", {}, format="json")
    line = {"line_kind": "work", "description": "Port", "quantity": "1", "unit_price": "5.00"}
    for lines in ([], [line] * 101):
        response = api.post(f"/api/v1/orders/{number}/estimates/",
                            {"repair_days": 2, "lines": lines}, format="json")
        assert response.status_code == 400
        assert list(error(response)["fields"]) == ["lines"]


@pytest.mark.parametrize(("path", "parameter"), [
    ("/api/v1/orders/", "search"), ("/api/v1/customers/", "phone"),
])
def test_an_empty_filter_is_400_naming_it(api, path, parameter):
    response = api.get(f"{path}?{parameter}=")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == [parameter]


def test_a_cursor_the_api_did_not_give_is_400(api):
    response = api.get("/api/v1/orders/?cursor=not-a-cursor")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["cursor"]


def test_an_unknown_list_parameter_is_400(api):
    response = api.get("/api/v1/orders/?stauts=received")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["stauts"]
    assert api.get("/api/v1/orders/?status=received&page_size=5").status_code == 200
