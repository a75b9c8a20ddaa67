"""Issue 16 in Debian's Chromium: a phone issued with a warranty comes back; at intake the
receptionist scans its serial number and sees its history, takes it in under warranty; the
technician finds the fault covered and repairs it with no decision asked; the customer pays
nothing and gets a new warranty card that keeps the original end date.

Screenshots go to $SCREENSHOT_DIR when it is set, else to the test's tmp_path:
    SCREENSHOT_DIR=/tmp/shots pytest repaircenter/orders/tests/test_browser_warranty.py
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import log_in, mark_all_done
from repaircenter.documents.models import Document
from repaircenter.orders import workflow
from repaircenter.orders.models import EstimateLine, Order, Status
from repaircenter.orders.workflow import Actor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_phone_comes_back_under_warranty_and_the_customer_pays_nothing(
    make_order, receptionist, technician, shots, new_page
):
    first = make_order(Status.ISSUED)
    original = EstimateLine.objects.get(estimate__order=first)
    until = original.warranty_until
    assert until is not None

    # --- the receptionist: the serial number shows the device's history ----------------------
    desk = new_page()
    log_in(desk, receptionist.username)
    desk.goto(reverse("staff:intake"))
    desk.get_by_label("Serial number").type("r5cw 31abcde")  # as a scanner types it
    panel = desk.locator("#device-panel")
    expect(panel).to_contain_text("Known device")
    row = panel.locator(f'tr[data-order="{first.display_number}"]')
    expect(row).to_contain_text("Replace the charging port")
    expect(row).to_contain_text(f"under warranty until {until:%d %b %Y}")
    desk.screenshot(path=shots / "warranty-intake-history.png", full_page=True)
    row.get_by_role("button", name="Take in under warranty").click()

    claim_box = desk.locator("#warranty-claim")
    expect(claim_box).to_contain_text(f"Warranty claim on order {first.display_number}")
    expect(desk.get_by_label("Serial number")).to_have_value("R5CW31ABCDE")
    expect(desk.get_by_label("Brand")).to_have_value("Samsung")
    desk.get_by_label("Visible condition and damage").fill("As handed over last time")
    desk.get_by_label("The fault, in the customer's words").fill("Does not charge again")
    desk.screenshot(path=shots / "warranty-intake-claim.png", full_page=True)
    desk.get_by_role("button", name="Save and print the intake order").click()
    # The customer's copy carries the pickup code, as it does for any order.
    pickup_code = desk.locator("input[name=pickup_code]").first.get_attribute("value")
    assert pickup_code
    claim = Order.objects.exclude(pk=first.pk).get()
    assert claim.warranty_of_id == first.pk

    # --- the technician: covered, repaired with no decision ----------------------------------
    workflow.start_diagnosis(order=claim, actor=Actor.staff(technician))
    bench = new_page()
    log_in(bench, technician.username)
    bench.goto(reverse("staff:estimate", args=[claim.number]))
    bench.get_by_role("button", name="Write the estimate").click()
    verdict = bench.locator("#warranty-verdict")
    expect(verdict).to_contain_text(f"Warranty claim on order {first.display_number}")
    verdict.get_by_label("Covered: Replace the charging port", exact=True).check()
    verdict.get_by_label("Why (what you found)").fill("The port replaced in the first repair "
                                                      "failed")
    verdict.get_by_role("button", name="Record the verdict").click()
    expect(bench.locator(".flash-success")).to_have_text("Warranty verdict recorded.")
    expect(bench.locator("#estimate-total")).to_contain_text("0.00")
    bench.get_by_label("Expected repair time (working days)").fill("1")
    bench.get_by_role("button", name="Save the details").click()
    bench.screenshot(path=shots / "warranty-editor.png", full_page=True)
    bench.get_by_role("button", name="Repair under warranty").click()
    expect(bench.locator(".flash-success")).to_contain_text("Repair under warranty started")
    expect(bench.locator("h1 .badge-state")).to_have_text("Repairing")
    bench.screenshot(path=shots / "warranty-order-repairing.png", full_page=True)

    claim.refresh_from_db()
    assert not claim.events.filter(action__in=["send_estimate", "approve"]).exists()
    mark_all_done(claim, technician)
    workflow.finish_works(order=claim, actor=Actor.staff(technician))
    workflow.record_test(order=claim, actor=Actor.staff(technician), passed=True, note="ok")

    # --- issuance: nothing to pay, a new card with the original end date ----------------------
    desk.goto(reverse("staff:order", args=[claim.number]))
    expect(desk.locator("#device-history")).to_contain_text(
        f"taken in under the warranty of order {first.display_number}")
    field = desk.locator("details.issuance input[name=pickup_code]")
    field.type(pickup_code)
    field.press("Enter")
    expect(desk.locator(".flash-success")).to_have_text("Issue to the customer: done.")
    desk.screenshot(path=shots / "warranty-claim-issued.png", full_page=True)
    claim.refresh_from_db()
    assert claim.status == Status.ISSUED
    assert not claim.payments.exists()  # the customer paid nothing

    card = Document.objects.get(kind="warranty_card", orders=claim)
    desk.goto(reverse("staff:document_page", args=[claim.number, card.pk]))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Warranty card")
    body = desk.locator("body")
    expect(body).to_contain_text(f"under the warranty of order {first.display_number}")
    # The original end date, not restarted.
    expect(body).to_contain_text(f"{until.day} {until:%B %Y}")
    expect(body.locator(".warranty-mark")).to_have_count(1)
    desk.screenshot(path=shots / "warranty-new-card.png", full_page=True)
    covered = EstimateLine.objects.get(estimate__order=claim)
    assert covered.warranty_until == until
