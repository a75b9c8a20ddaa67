"""The counter at collection time, in Debian's Chromium through Playwright: the cashier takes
the final payment, then the receptionist, on a tablet, issues the order by typing the pickup
code and pressing Enter (what a USB scanner does), after one mistyped code is refused.

Screenshots go to $SCREENSHOT_DIR when it is set, else to the test's tmp_path:
    SCREENSHOT_DIR=/tmp/shots pytest repaircenter/orders/tests/test_browser_payment_issue.py
"""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.billing import services as billing
from repaircenter.conftest import TABLET, log_in
from repaircenter.orders.credentials import format_pickup_code
from repaircenter.orders.models import Order, Status
from repaircenter.orders.workflow import Actor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def ready_order(make_order, cashier):
    """Repaired and tested, 45.00 agreed, 20.00 prepaid: 25.00 left to pay."""
    order = make_order(Status.READY_REPAIRED)
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("20.00"),
                           method="card", idempotency_key=uuid.uuid4(), note="Prepayment")
    return order


def test_the_cashier_takes_the_final_payment_and_the_receptionist_issues(
    ready_order, cashier, receptionist, shots, new_page
):
    order_path = reverse("staff:order", args=[ready_order.number])
    code = ready_order._pickup_code

    # --- the cashier -------------------------------------------------------------------------
    till = new_page()
    log_in(till, cashier.username)
    till.goto(order_path)
    payments = till.locator("#payments")
    expect(payments.locator("#balance")).to_have_text("25.00 GBP")
    form = payments.locator("form.payment-form")
    expect(form.get_by_label("Amount (GBP)")).to_have_value("25.00")
    form.get_by_label("Method").select_option("cash")
    payments.scroll_into_view_if_needed()
    till.screenshot(path=shots / "payment-before.png", full_page=True)
    form.get_by_role("button", name="Record the payment").click()
    expect(till.locator(".flash-success")).to_contain_text("Payment of 25.00 GBP recorded")
    expect(till.locator("#balance")).to_have_text("0.00 GBP")
    expect(till.locator("#payments table.payments tbody tr")).to_have_count(2)
    expect(till.locator("form.payment-form")).to_have_count(0)  # nothing left to pay
    till.screenshot(path=shots / "payment-after.png", full_page=True)

    # --- the receptionist, on a tablet ---------------------------------------------------------
    desk = new_page(TABLET)
    log_in(desk, receptionist.username)
    desk.goto(order_path)
    panel = desk.locator("details.issuance")
    expect(panel).to_have_attribute("open", "")
    field = panel.get_by_label("Pickup code: scan the barcode on the customer's copy or type "
                               "it, then Enter")
    expect(field).to_be_focused()  # ready for the scanner
    desk.screenshot(path=shots / "issuance-panel-tablet.png", full_page=True)

    wrong = ("B" if code[0] != "B" else "C") + code[1:]
    field.type(format_pickup_code(wrong))
    field.press("Enter")
    expect(desk.locator(".flash-error")).to_contain_text("4 more wrong codes lock issuance")
    expect(desk.locator("h1 .badge-state")).to_have_text("Ready for collection (repaired)")
    expect(desk.locator("details.issuance")).to_contain_text("1 wrong pickup code typed so far.")

    field = desk.locator("details.issuance input[name=pickup_code]")
    field.type(format_pickup_code(code).lower())
    field.press("Enter")
    expect(desk.locator(".flash-success")).to_have_text("Issue to the customer: done.")
    expect(desk.locator("h1 .badge-state")).to_have_text("Issued")
    documents = desk.locator("#documents")
    expect(documents).to_contain_text("Completion certificate")
    expect(documents).to_contain_text("Warranty card")
    expect(documents.locator("tbody tr")).to_have_count(6)
    desk.screenshot(path=shots / "issued-tablet.png", full_page=True)

    order = Order.objects.get(pk=ready_order.pk)
    assert order.status == Status.ISSUED
    assert order.pickup_failures == 0

    # The warranty card opens as the page it was printed from.
    card = order.documents.get(kind="warranty_card")
    desk.goto(reverse("staff:document_page", args=[order.number, card.pk]))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Warranty card")
    desk.screenshot(path=shots / "warranty-card-page.png", full_page=True)
