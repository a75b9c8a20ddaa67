"""Two submissions at the same moment, on two real database connections.

The same payment form sent twice at once (a double click that beat the button's disabling, a
retried request) records one payment; two cashiers each taking the last payment of the same
order leave the order paid once, never overpaid. See orders/tests/test_workflow_concurrency.py
for how SQLite and PostgreSQL serialize the writers; `separate_connections` and `race` are in
repaircenter/conftest.py.
"""

import uuid
from decimal import Decimal

import pytest

from repaircenter.billing import services
from repaircenter.billing.models import Payment
from repaircenter.conftest import race
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders import workflow
from repaircenter.orders.dues import stored_balance_due, stored_paid_total
from repaircenter.orders.models import Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

ROUNDS = 4
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def paying(order, user, amount, key):
    def prepare():
        page = Order.objects.get(pk=order.pk)  # each cashier's own page
        return lambda: services.record_payment(
            order=page, actor=Actor.staff(user), amount=Decimal(amount), method="card",
            idempotency_key=key,
        )
    return prepare


def test_the_same_payment_form_sent_twice_at_once_records_one_payment(
    separate_connections, make_order, cashier
):
    for _ in range(ROUNDS):
        order = make_order(Status.READY_REPAIRED)  # 45.00 due
        key = uuid.uuid4()
        results = race(paying(order, cashier, "45.00", key), paying(order, cashier, "45.00", key))

        assert results == ["ok", "ok"], results
        [payment] = Payment.objects.filter(order=order)
        assert payment.idempotency_key == key
        assert stored_paid_total(order) == Decimal("45.00")
        assert OrderEvent.objects.filter(order=order, action="payment").count() == 1
        assert Document.objects.filter(kind=DocumentKind.RECEIPT, orders=order).count() == 1


def test_two_cashiers_paying_the_balance_at_once_pay_it_once(
    separate_connections, make_order, cashier, manager
):
    for _ in range(ROUNDS):
        order = make_order(Status.READY_REPAIRED)
        results = race(paying(order, cashier, "45.00", uuid.uuid4()),
                       paying(order, manager, "45.00", uuid.uuid4()))

        assert [r == "ok" for r in results].count(True) == 1, results
        [lost] = [r for r in results if r != "ok"]
        assert isinstance(lost, workflow.Refused), repr(lost)
        assert "Nothing is due" in lost.message
        assert stored_balance_due(order) == 0
        assert Payment.objects.filter(order=order).count() == 1


def test_two_partial_payments_at_once_never_overpay(
    separate_connections, make_order, cashier, manager
):
    """30.00 and 30.00 against 45.00 due: the first in goes through, the second is more than
    what is left and is refused; the balance is right either way."""
    for _ in range(ROUNDS):
        order = make_order(Status.READY_REPAIRED)
        results = race(paying(order, cashier, "30.00", uuid.uuid4()),
                       paying(order, manager, "30.00", uuid.uuid4()))

        assert sorted(r == "ok" for r in results) == [False, True], results
        [lost] = [r for r in results if r != "ok"]
        assert "more than the balance due of 15.00 GBP" in lost.message
        assert stored_paid_total(order) == Decimal("30.00")
        assert stored_balance_due(order) == Decimal("15.00")


def test_a_refund_and_the_issue_at_once_never_issue_an_unpaid_order(
    separate_connections, make_order, cashier, receptionist
):
    """Paid in full, then a refund and the issue race: either the order is issued paid in
    full and the refund is refused (the order is closed), or the refund goes through and the
    issue is refused for the balance it left."""
    seen = set()
    for _ in range(ROUNDS):
        order = make_order(Status.READY_REPAIRED)
        services.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("45"),
                                method="cash", idempotency_key=uuid.uuid4())

        def refunding():
            page = Order.objects.get(pk=order.pk)
            return lambda: services.record_refund(
                order=page, actor=Actor.staff(cashier), amount=Decimal("5.00"), method="cash",
                reason="Goodwill", idempotency_key=uuid.uuid4())

        def issuing():
            page = Order.objects.get(pk=order.pk)
            return lambda: workflow.issue(order=page, actor=Actor.staff(receptionist),
                                          pickup_code=order._pickup_code)

        results = race(refunding, issuing)
        order.refresh_from_db()
        assert [r == "ok" for r in results].count(True) == 1, results
        if results[1] == "ok":
            assert order.status == Status.ISSUED
            assert isinstance(results[0], workflow.WrongState)
            assert stored_balance_due(order) == 0
            seen.add("issued")
        else:
            assert order.status == Status.READY_REPAIRED
            assert "5.00 GBP is still due" in results[1].message
            assert stored_balance_due(order) == Decimal("5.00")
            seen.add("refunded")
    assert seen
