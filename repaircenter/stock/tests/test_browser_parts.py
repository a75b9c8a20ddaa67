"""A part from estimate to certificate, in Debian's Chromium through Playwright.

The technician puts a screen that is not in stock on the estimate; the receptionist records the
customer's approval by telephone and the order waits for parts; the manager orders the screen
from the supplier and receives it; the order moves on by itself; the technician repairs it with
the screen's serial number, which the completion certificate prints.

Screenshots go to $SCREENSHOT_DIR when it is set, else to the test's tmp_path.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import log_in, pay_balance
from repaircenter.orders import workflow
from repaircenter.orders.models import Order, Status
from repaircenter.orders.workflow import Actor
from repaircenter.stock.models import Part, StockLevel, Supplier

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def badge(page):
    return page.get_by_role("heading", level=1).locator(".badge-state")


def test_a_missing_part_from_the_estimate_to_the_completion_certificate(
    technician, receptionist, manager, make_order, shots, new_page
):
    part = Part.objects.create(sku="SCR-S23", name="Screen Galaxy S23", fits="Galaxy S23",
                               purchase_cost=Decimal("41.00"), selling_price=Decimal("95.00"),
                               serial_tracked=True, minimum=1)
    Supplier.objects.create(name="Mobile Parts Ltd")
    order = make_order(Status.DIAGNOSING)
    order_path = reverse("staff:order", args=[order.number])

    # --- the technician: the estimate with a part from the catalogue ---------------------------
    tech = new_page()
    log_in(tech, technician.username)
    tech.goto(reverse("staff:estimate", args=[order.number]))
    tech.get_by_role("button", name="Write the estimate").click()
    search = tech.get_by_label("Search the parts catalogue")
    search.fill("s23 screen")
    search.press("Enter")
    found = tech.locator("table.parts-found tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("none: the order will wait")
    found.get_by_role("button", name="Add SCR-S23").click()
    expect(tech.locator(".flash-success")).to_have_text("Part added from the catalogue.")
    expect(tech.locator("#estimate-total")).to_have_text("95.00 GBP")
    expect(tech.locator("form.line-form")).to_have_count(1)
    tech.get_by_label("Expected repair time (working days)").fill("3")
    tech.get_by_role("button", name="Save the details").click()
    tech.screenshot(path=shots / "estimate-with-part.png", full_page=True)
    tech.get_by_role("button", name="Send the estimate to the customer").click()
    expect(badge(tech)).to_have_text("Awaiting decision")

    # --- the receptionist: approved by telephone; the order waits for its part -----------------
    desk = new_page()
    log_in(desk, receptionist.username)
    desk.goto(order_path)
    approval = desk.locator("details.decision").filter(
        has=desk.locator("summary", has_text=re.compile("^Record approval$")))
    approval.locator("summary").click()
    phone = approval.locator("form.decision-form").filter(
        has=desk.locator("input[name=channel][value=phone]"))
    phone.get_by_label("What the customer said (required)").fill("Yes, replace the screen.")
    phone.get_by_role("button", name="Record approval · Telephone").click()
    expect(badge(desk)).to_have_text("Waiting for parts")

    # --- the manager: orders the part and receives it --------------------------------------------
    boss = new_page()
    log_in(boss, manager.username)
    boss.goto(reverse("staff:waiting_for_parts"))
    row = boss.locator("table.waiting tbody tr")
    expect(row).to_contain_text(order.display_number)
    expect(row).to_contain_text("SCR-S23 × 1")
    expect(row).to_contain_text("not ordered yet")
    boss.goto(reverse("staff:what_to_order"))
    expect(boss.locator('tr[data-sku="SCR-S23"]')).to_contain_text("2")  # 1 waited + minimum 1
    boss.goto(reverse("staff:purchase_orders"))
    boss.get_by_label("Supplier").select_option(label="Mobile Parts Ltd")
    boss.get_by_role("button", name="New purchase order").click()
    boss.get_by_label("Part", exact=True).select_option(label="SCR-S23 Screen Galaxy S23")
    boss.get_by_label("Units", exact=True).fill("2")
    boss.get_by_role("button", name="Add the part").click()
    expect(boss.locator(".flash-success")).to_have_text("Line saved.")
    expected = datetime.date.today() + datetime.timedelta(days=4)
    boss.get_by_label("Expected delivery").fill(expected.isoformat())
    boss.get_by_role("button", name="Mark as sent to the supplier").click()
    expect(boss.locator(".flash-success")).to_have_text("Purchase order sent.")
    boss.goto(reverse("staff:waiting_for_parts"))
    expect(boss.locator("table.waiting tbody tr")).to_contain_text("PO-")
    expect(boss.locator("table.waiting tbody tr")).to_contain_text(
        expected.strftime("%d %b %Y"))
    boss.screenshot(path=shots / "waiting-for-parts.png", full_page=True)
    boss.locator("table.waiting a", has_text="PO-").click()
    boss.screenshot(path=shots / "purchase-order-sent.png", full_page=True)
    boss.get_by_role("button", name="Receive the delivery").click()
    expect(boss.locator(".flash-success")).to_contain_text(
        f"Now ready for repair: {order.display_number}.")
    expect(badge(boss)).to_have_text("Received")
    boss.goto(reverse("staff:stock"))
    expect(boss.locator('tr[data-sku="SCR-S23"]')).to_contain_text("2")
    boss.screenshot(path=shots / "stock.png", full_page=True)

    # --- the technician: repairs it with the screen's serial number ------------------------------
    tech.goto(order_path)
    expect(badge(tech)).to_have_text("Approved")
    actions = tech.locator("section.actions")
    actions.locator("summary", has_text="Start the repair").click()
    actions.locator("button[type=submit]", has_text="Start the repair").click()
    expect(badge(tech)).to_have_text("Repairing")
    tech.locator("#repair input[name=part_serials]").fill("SN-S23-000731")
    tech.locator("#repair").get_by_role("button", name="Mark done").click()
    actions = tech.locator("section.actions")
    actions.locator("summary", has_text="Works done, to stress test").click()
    actions.locator("button[type=submit]", has_text="Works done, to stress test").click()
    expect(badge(tech)).to_have_text("Stress test")
    level = StockLevel.objects.get(part=part)
    assert (level.on_hand, level.reserved) == (1, 0)

    # The test, payment and handover as the other tests drive them; then the certificate.
    fresh = Order.objects.get(pk=order.pk)
    workflow.record_test(order=fresh, actor=Actor.staff(technician), passed=True,
                         note="Touch and display checked for an hour")
    pay_balance(fresh, manager)
    workflow.issue(order=Order.objects.get(pk=order.pk), actor=Actor.staff(receptionist),
                   pickup_code=order._pickup_code)
    certificate = Order.objects.get(pk=order.pk).documents.get(kind="completion_certificate")
    desk.goto(reverse("staff:document_page", args=[order.number, certificate.pk]))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Completion certificate")
    items = desk.locator("table.items").first
    expect(items).to_contain_text("Screen Galaxy S23 (SCR-S23)")
    expect(items).to_contain_text("SN-S23-000731")
    desk.screenshot(path=shots / "certificate-with-part.png", full_page=True)
