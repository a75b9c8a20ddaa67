"""billing.services: payments and refunds, their receipts, the balance, and what is refused."""

import uuid
from decimal import Decimal

import pytest

from repaircenter.billing import services
from repaircenter.billing.models import Payment
from repaircenter.conftest import make_user
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders import workflow
from repaircenter.orders.dues import balance_due, stored_balance_due, stored_paid_total
from repaircenter.orders.models import EquipmentKind, Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db

D = Decimal


def pay(order, user, amount, method="cash", key=None, note=""):
    return services.record_payment(order=order, actor=Actor.staff(user), amount=D(amount),
                                   method=method, idempotency_key=key or uuid.uuid4(), note=note)


def refund(order, user, amount, reason="Part not needed after all", method="cash", key=None):
    return services.record_refund(order=order, actor=Actor.staff(user), amount=D(amount),
                                  method=method, reason=reason,
                                  idempotency_key=key or uuid.uuid4())


def fresh(order) -> Order:
    return Order.objects.prefetch_related("estimates__lines", "payments").get(pk=order.pk)


def counts(order) -> tuple:
    return (Payment.objects.filter(order=order).count(),
            Document.objects.filter(kind=DocumentKind.RECEIPT).count(),
            OrderEvent.objects.filter(order=order).count())


# --- payments --------------------------------------------------------------------------------


def test_a_prepayment_then_the_rest_leaves_a_zero_balance(make_order, cashier):
    order = make_order(Status.APPROVED)  # one agreed line of 45.00
    assert balance_due(fresh(order)) == D("45.00")

    first = pay(order, cashier, "20.00", method="card", note="Prepayment for the part")
    assert not first.repeated
    assert balance_due(fresh(order)) == D("25.00")
    second = pay(order, cashier, "25", method="bank_transfer")

    assert balance_due(fresh(order)) == D("0.00")
    payments = list(order.payments.order_by("pk"))
    assert [(p.amount, p.method, p.taken_by) for p in payments] == [
        (D("20.00"), "card", cashier), (D("25.00"), "bank_transfer", cashier),
    ]
    assert payments[0].note == "Prepayment for the part"
    # Each payment has its receipt, numbered in the receipts' own sequence.
    receipts = [p.receipt for p in payments]
    assert [r.kind for r in receipts] == [DocumentKind.RECEIPT] * 2
    assert receipts[1].number == receipts[0].number + 1
    assert second.payment.receipt_number == f"RC-{receipts[1].number:06d}"
    assert list(receipts[0].orders.all()) == [order]


def test_each_payment_is_an_event_of_the_order(make_order, cashier):
    order = make_order(Status.REPAIRING)
    result = pay(order, cashier, "10.50", method="card", note="Deposit")
    event = OrderEvent.objects.filter(order=order).latest("pk")
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "payment", cashier, Status.REPAIRING, Status.REPAIRING,
    )
    assert event.evidence == {"amount": "10.50", "method": "card",
                              "receipt": result.payment.receipt_number}
    assert event.note == "Deposit"


def test_the_manager_takes_payments_too(make_order, manager):
    order = make_order(Status.READY_REPAIRED)
    pay(order, manager, "45.00")
    assert stored_balance_due(order) == 0


@pytest.mark.parametrize("role", ["receptionist", "technician", "consultant"])
def test_other_roles_may_not_take_money(request, make_order, role, cashier):
    order = make_order(Status.READY_REPAIRED)
    pay(order, cashier, "5.00")
    before = counts(order)
    user = request.getfixturevalue(role)
    with pytest.raises(workflow.NotAllowed):
        pay(order, user, "5.00")
    with pytest.raises(workflow.NotAllowed):
        refund(order, user, "5.00")
    assert counts(order) == before


@pytest.mark.parametrize(
    "status", [Status.RECEIVED, Status.DIAGNOSING, Status.AWAITING_DECISION, Status.ISSUED,
               Status.DISPOSED],
)
def test_no_payment_before_approval_or_after_the_order_is_closed(make_order, cashier, status):
    order = make_order(status)
    before = counts(order)
    with pytest.raises(workflow.WrongState) as raised:
        pay(order, cashier, "1.00")
    assert order.display_number in raised.value.message
    assert counts(order) == before


def test_a_prepayment_while_a_supplement_awaits_a_decision(make_order, cashier, technician):
    from repaircenter.conftest import send_new_estimate

    order = make_order(Status.REPAIRING)
    send_new_estimate(order, technician, lines=(("Replace the battery", "1", "30.00"),))
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DECISION
    # Only the agreed works can be paid: the supplement is not agreed yet.
    with pytest.raises(workflow.Refused):
        pay(order, cashier, "75.00")
    pay(order, cashier, "45.00")
    assert stored_balance_due(order) == 0


@pytest.mark.parametrize("amount", ["45.01", "100", "999999.99"])
def test_more_than_the_balance_is_refused(make_order, cashier, amount):
    order = make_order(Status.READY_REPAIRED)
    before = counts(order)
    with pytest.raises(workflow.Refused) as raised:
        pay(order, cashier, amount)
    assert "more than the balance due of 45.00 GBP" in raised.value.message
    assert counts(order) == before


def test_nothing_due_is_said_so(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    pay(order, cashier, "45.00")
    with pytest.raises(workflow.Refused) as raised:
        pay(order, cashier, "0.01")
    assert "Nothing is due" in raised.value.message


@pytest.mark.parametrize(
    ("amount", "words"),
    [("0", "more than zero"), ("-5", "more than zero"), ("1.005", "two decimals"),
     ("abc", "as a number"), ("NaN", "more than zero"), ("Infinity", "more than zero"),
     ("1000000", "too large")],
)
def test_bad_amounts_are_refused_with_a_clear_message(make_order, cashier, amount, words):
    order = make_order(Status.READY_REPAIRED)
    before = counts(order)
    with pytest.raises(workflow.Refused) as raised:
        services.record_payment(order=order, actor=Actor.staff(cashier), amount=amount,
                                method="cash", idempotency_key=uuid.uuid4())
    assert words in raised.value.message
    assert counts(order) == before


def test_an_unknown_method_is_refused(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    with pytest.raises(workflow.Refused) as raised:
        pay(order, cashier, "5", method="cheque")
    assert "cash, card or bank transfer" in raised.value.message


# --- the same form twice ---------------------------------------------------------------------


def test_the_same_key_twice_records_one_payment(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    key = uuid.uuid4()
    first = pay(order, cashier, "20.00", key=key)
    before = counts(order)
    again = pay(order, cashier, "20.00", key=key)
    assert again.repeated and not first.repeated
    assert again.payment.pk == first.payment.pk
    assert counts(order) == before
    assert stored_paid_total(order) == D("20.00")


def test_the_same_key_with_another_amount_is_refused(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    key = uuid.uuid4()
    first = pay(order, cashier, "20.00", key=key)
    before = counts(order)
    for amount, method in (("25.00", "cash"), ("20.00", "card")):
        with pytest.raises(workflow.Refused) as raised:
            pay(order, cashier, amount, method=method, key=key)
        assert first.payment.receipt_number in raised.value.message
    assert counts(order) == before


def test_the_same_key_on_another_order_is_refused(make_order, cashier):
    one, other = make_order(Status.READY_REPAIRED), make_order(Status.READY_REPAIRED)
    key = uuid.uuid4()
    pay(one, cashier, "20.00", key=key)
    with pytest.raises(workflow.Refused):
        pay(other, cashier, "20.00", key=key)
    assert stored_paid_total(other) == 0


# --- refunds ---------------------------------------------------------------------------------


def test_a_refund_is_a_negative_payment_with_its_reason_and_receipt(make_order, cashier):
    order = make_order(Status.APPROVED)
    pay(order, cashier, "45.00")
    result = refund(order, cashier, "15.00", reason="The part was cheaper than quoted")
    payment = result.payment
    assert (payment.amount, payment.reason, payment.is_refund) == (
        D("-15.00"), "The part was cheaper than quoted", True,
    )
    assert payment.receipt.kind == DocumentKind.RECEIPT
    assert stored_paid_total(order) == D("30.00")
    assert stored_balance_due(order) == D("15.00")
    event = OrderEvent.objects.filter(order=order).latest("pk")
    assert (event.action, event.note) == ("refund", "The part was cheaper than quoted")
    assert event.evidence["amount"] == "-15.00"


def test_a_refund_larger_than_what_was_paid_is_refused(make_order, cashier, manager):
    order = make_order(Status.READY_REPAIRED)
    pay(order, cashier, "30.00")
    refund(order, manager, "10.00")
    before = counts(order)
    with pytest.raises(workflow.Refused) as raised:
        refund(order, manager, "20.01")
    assert "cannot be more than was paid: 20.00 GBP" in raised.value.message
    assert counts(order) == before
    refund(order, manager, "20.00")
    assert stored_paid_total(order) == 0


def test_nothing_paid_nothing_to_refund(make_order, cashier):
    order = make_order(Status.APPROVED)
    with pytest.raises(workflow.Refused):
        refund(order, cashier, "0.01")


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_refund_needs_a_reason(make_order, cashier, reason):
    order = make_order(Status.READY_REPAIRED)
    pay(order, cashier, "30.00")
    before = counts(order)
    with pytest.raises(workflow.Refused) as raised:
        refund(order, cashier, "10.00", reason=reason)
    assert "reason" in raised.value.message
    assert counts(order) == before


def test_refused_after_prepayment_the_overpayment_is_refunded(make_order, cashier, receptionist):
    """Approved, 40.00 paid for parts, then refused before the repair started: only the
    diagnostics fee is due, so the center owes the difference back."""
    EquipmentKind.objects.filter(name="Phone").update(diagnostics_fee=D("15.00"))
    order = make_order(Status.APPROVED)
    Order.objects.filter(pk=order.pk).update(diagnostics_fee=D("15.00"))
    pay(order, cashier, "40.00")
    workflow.refuse(order=Order.objects.get(pk=order.pk), actor=Actor.staff(receptionist),
                    channel="phone", evidence={"said": "Not worth it"}, note="Changed mind")
    assert stored_balance_due(order) == D("-25.00")
    # Paying is refused (nothing due); refunding the difference is what is left to do.
    with pytest.raises(workflow.Refused):
        pay(order, cashier, "1.00")
    refund(order, cashier, "25.00", reason="Repair refused; the prepayment less the fee")
    assert stored_balance_due(order) == 0


# --- returned unrepaired: the diagnostics fee ------------------------------------------------


def test_returned_unrepaired_the_diagnostics_fee_is_due(make_order, cashier):
    EquipmentKind.objects.filter(name="Phone").update(diagnostics_fee=D("15.00"))
    order = make_order(Status.READY_UNREPAIRED)
    assert stored_balance_due(order) == D("15.00")
    with pytest.raises(workflow.Refused):
        pay(order, cashier, "15.01")
    pay(order, cashier, "15.00")
    assert stored_balance_due(order) == 0


def test_payments_are_never_changed_or_deleted(make_order, cashier):
    from django.core.exceptions import ValidationError

    order = make_order(Status.READY_REPAIRED)
    payment = pay(order, cashier, "5.00").payment
    payment.amount = D("1.00")
    with pytest.raises(ValidationError):
        payment.save()
    with pytest.raises(ValidationError):
        payment.delete()
    assert Payment.objects.get(pk=payment.pk).amount == D("5.00")


def test_a_user_without_roles_is_refused(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    nobody = make_user("nobody")
    with pytest.raises(workflow.NotAllowed):
        pay(order, nobody, "1.00")
