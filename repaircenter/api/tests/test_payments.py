"""Payments through the API and the Idempotency-Key rules."""

import uuid

import pytest
from django.db import connection

from repaircenter.api.models import IdempotentRequest
from repaircenter.billing.models import Payment
from repaircenter.conftest import race

from .conftest import error
from .helpers import approve, intake, pay, to_awaiting_decision


@pytest.fixture
def approved(api):
    number = intake(api)["order"]["number"]
    to_awaiting_decision(api, number)
    approve(api, number)
    return number


def test_same_key_and_same_body_gets_the_first_answer_and_pays_once(api, approved):
    key = str(uuid.uuid4())
    first = pay(api, approved, "20.00", key=key)
    assert first.status_code == 201
    again = pay(api, approved, "20.00", key=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert first.json()["balance"]["balance_due"] == "25.00"


def test_same_key_with_another_body_is_409_and_pays_nothing_more(api, approved):
    key = str(uuid.uuid4())
    assert pay(api, approved, "20.00", key=key).status_code == 201
    for amount, method in (("25.00", "card"), ("20.00", "cash")):
        response = pay(api, approved, amount, key=key, method=method)
        assert response.status_code == 409
        assert error(response)["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_the_same_key_from_another_token_is_another_payment(api, make_client, approved):
    key = str(uuid.uuid4())
    assert pay(api, approved, "20.00", key=key).status_code == 201
    other = make_client("cashier")
    assert pay(other, approved, "20.00", key=key).status_code == 201
    assert Payment.objects.count() == 2


def test_a_refused_payment_leaves_the_key_free(api, approved):
    key = str(uuid.uuid4())
    too_much = pay(api, approved, "50.00", key=key)
    assert too_much.status_code == 409
    assert error(too_much)["code"] == "refused"
    assert "more than the balance due" in error(too_much)["message"]
    assert pay(api, approved, "45.00", key=key).status_code == 201
    assert Payment.objects.count() == 1


def test_the_key_is_required_and_checked(api, approved):
    response = api.post(f"/api/v1/orders/{approved}/payments/",
                        {"amount": "10.00", "method": "card"}, format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "idempotency_key_missing"
    response = pay(api, approved, "10.00", key="no spaces allowed")
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_money_is_a_decimal_string_and_bad_amounts_are_400(api, approved):
    for amount in ("0", "-5", "1.234", "abc", 12.5):
        response = pay(api, approved, amount)
        assert response.status_code == 400, amount
        assert "amount" in error(response)["fields"]
    paid = pay(api, approved, "12.50").json()
    assert paid["payment"]["amount"] == "12.50"
    assert isinstance(paid["balance"]["paid"], str)


def test_no_payment_before_approval(api):
    number = intake(api)["order"]["number"]
    response = pay(api, number, "10.00")
    assert response.status_code == 409
    assert error(response)["code"] == "wrong_state"
    assert "no payment can be taken now" in error(response)["message"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_at_once_with_one_key_pay_once(api, approved, separate_connections):
    key = str(uuid.uuid4())
    answers = []

    def attempt():
        def go():
            response = pay(api, approved, "20.00", key=key)
            answers.append((response.status_code, response.json()))
        return go

    results = race(attempt, attempt)
    assert results == ["ok", "ok"], results
    assert Payment.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1
    assert [status for status, _body in answers] == [201, 201]
    assert answers[0][1] == answers[1][1], (connection.vendor, answers)
