"""The payment and refund forms of the staff order page (POST staff:take_payment)."""

import html
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from repaircenter.billing.models import Payment
from repaircenter.conftest import flashes
from repaircenter.orders.dues import stored_balance_due, stored_paid_total
from repaircenter.orders.models import Status

pytestmark = pytest.mark.django_db


def url(order):
    return reverse("staff:take_payment", args=[order.number])


def submit(client, order, **data):
    response = client.post(url(order), data)
    assert response.status_code == 302
    assert response.url.endswith("#payments")
    return client.get(response.url.split("#")[0])


def form_key(content: str, form_class: str) -> str:
    form = content.split(f'class="{form_class}"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', form).group(1)


def test_the_page_offers_the_balance_with_a_fresh_key_each_time(client, make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(cashier)
    first = client.get(reverse("staff:order", args=[order.number])).content.decode()
    second = client.get(reverse("staff:order", args=[order.number])).content.decode()
    assert form_key(first, "payment-form") != form_key(second, "payment-form")
    form = first.split('class="payment-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="amount" inputmode="decimal" value="45.00"' in form
    assert '<td class="num" id="balance">45.00 GBP</td>' in first
    assert "Refund" not in first.split('<section id="payments">')[1].split("</section>")[0]


def test_a_payment_through_the_form_and_the_same_form_again(client, make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(cashier)
    key = str(uuid.uuid4())
    page = submit(client, order, idempotency_key=key, amount="45.00", method="card",
                  note="Paid at the counter")
    [payment] = Payment.objects.filter(order=order)
    assert flashes(page) == [
        ("success", f"Payment of 45.00 GBP recorded: receipt {payment.receipt_number}.")]
    content = html.unescape(page.content.decode())
    assert payment.receipt_number in content and "Paid at the counter" in content
    assert '<td class="num" id="balance">0.00 GBP</td>' in content
    # The browser resends the form (back and submit again, a retried request): one payment.
    page = submit(client, order, idempotency_key=key, amount="45.00", method="card")
    assert flashes(page) == [
        ("info", f"This form was already submitted: receipt {payment.receipt_number} records "
                 "it once.")]
    assert Payment.objects.filter(order=order).count() == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [({"amount": "abc"}, "Enter an amount"), ({"amount": "0"}, "greater than or equal to 0.01"),
     ({"amount": "-5"}, "greater than or equal to 0.01"), ({"amount": "1.234"}, "two decimals"),
     ({"method": "cheque"}, "cheque"), ({"idempotency_key": "not-a-key"}, "UUID"),
     ({"amount": "50.00"}, "more than the balance due of 45.00 GBP")],
)
def test_bad_input_is_told_and_nothing_is_recorded(client, make_order, cashier, data, words):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(cashier)
    page = submit(client, order, **{"idempotency_key": uuid.uuid4(), "amount": "10",
                                    "method": "cash", **data})
    [(level, text)] = flashes(page)
    assert level == "error" and words in text, text
    assert not Payment.objects.filter(order=order).exists()


def test_a_refund_through_the_form_needs_its_reason(client, make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(cashier)
    submit(client, order, idempotency_key=uuid.uuid4(), amount="45.00", method="card")
    page = submit(client, order, idempotency_key=uuid.uuid4(), amount="5", method="cash",
                  refund="True", reason="  ")
    assert flashes(page)[0] == ("error", "Give the reason for the refund.")
    page = submit(client, order, idempotency_key=uuid.uuid4(), amount="50", method="cash",
                  refund="True", reason="Too much")
    assert "cannot be more than was paid: 45.00 GBP" in flashes(page)[0][1]
    page = submit(client, order, idempotency_key=uuid.uuid4(), amount="5", method="cash",
                  refund="True", reason="Goodwill for the wait")
    assert flashes(page)[0][1].startswith("Refund of 5.00 GBP recorded: receipt RC-")
    assert stored_paid_total(order) == Decimal("40.00")
    assert stored_balance_due(order) == Decimal("5.00")
    content = html.unescape(page.content.decode())
    assert "Goodwill for the wait" in content and "-5.00 GBP" in content


@pytest.mark.parametrize("role", ["receptionist", "technician", "consultant"])
def test_other_roles_get_403_and_no_form(client, request, make_order, role):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(request.getfixturevalue(role))
    response = client.post(url(order), {"idempotency_key": uuid.uuid4(), "amount": "45",
                                        "method": "cash"})
    assert response.status_code == 403
    assert not Payment.objects.exists()
    content = client.get(reverse("staff:order", args=[order.number])).content.decode()
    assert 'class="payment-form"' not in content
    assert '<td class="num" id="balance">45.00 GBP</td>' in content  # everyone sees the balance


def test_strangers_are_sent_to_log_in(client, make_order):
    order = make_order(Status.READY_REPAIRED)
    response = client.post(url(order), {"idempotency_key": uuid.uuid4(), "amount": "45",
                                        "method": "cash"})
    assert response.status_code == 302 and reverse("login") in response.url
    assert not Payment.objects.exists()


def test_get_is_refused(client, make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(cashier)
    assert client.get(url(order)).status_code == 405


def test_before_approval_no_form_and_a_clear_refusal(client, make_order, cashier):
    order = make_order(Status.AWAITING_DECISION)
    client.force_login(cashier)
    content = client.get(reverse("staff:order", args=[order.number])).content.decode()
    assert 'class="payment-form"' not in content
    page = submit(client, order, idempotency_key=uuid.uuid4(), amount="10", method="cash")
    assert "no payment can be taken now" in flashes(page)[0][1]
