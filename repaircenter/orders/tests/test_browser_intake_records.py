"""Intake on a tablet at the counter, in Debian's Chromium: the phone's condition checklist
answered (a required item forgotten first, and refused), the pattern tapped on the grid, the
customer's signature drawn on the pad; then the intake order with both, on screen and as the
stored PDF. Screenshots go to $SCREENSHOT_DIR when set:
    SCREENSHOT_DIR=/tmp/shots pytest -n 0 repaircenter/orders/tests/test_browser_intake_records.py
"""

import subprocess

import pytest
from playwright.sync_api import expect

from repaircenter.conftest import TABLET, log_in
from repaircenter.documents.issuing import ensure_pdf, open_pdf
from repaircenter.orders.models import ChecklistItem, DevicePasscode, EquipmentKind, Order
from repaircenter.orders.passcodes import decrypt

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def draw_signature(page) -> None:
    canvas = page.locator("[data-signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x + w * (0.1 + step * 0.06), y + h * (0.7 - 0.4 * (step % 2)), steps=3)
    page.mouse.up()


def test_intake_on_a_tablet_with_checklist_pattern_and_signature(receptionist, shots,
                                                                 new_page):
    phone = EquipmentKind.objects.get(name="Phone")
    for position, (label, required) in enumerate(
            [("Screen", True), ("Housing", True), ("Cameras", False),
             ("Liquid indicator", False)], start=1):
        ChecklistItem.objects.create(kind=phone, label=label, position=position,
                                     required=required)
    page = new_page(TABLET)
    log_in(page, receptionist.username)
    page.get_by_role("button", name="New intake").click()
    form = page.locator("#intake-form")
    form.get_by_role("textbox", name="Phone", exact=True).fill("020 7946 0777")
    form.get_by_role("textbox", name="Name", exact=True).fill("Nadia Okafor")
    checklist = page.locator("[data-checklist-kind]")
    form.get_by_role("combobox", name="Kind of equipment").select_option(label="Phone")
    expect(checklist).to_be_visible()
    form.get_by_role("textbox", name="Brand", exact=True).fill("Google")
    form.get_by_role("textbox", name="Model", exact=True).fill("Pixel 8")
    form.get_by_label("Visible condition and damage").fill("See the checklist")
    form.get_by_label("The fault, in the customer's words").fill("Battery drains in two hours")
    # Housing damaged, with its note; the screen (required) forgotten.
    page.get_by_label("Housing: Damaged").check()
    page.get_by_label("Note on Housing").fill("Dent on the bottom left corner")
    page.get_by_label("Cameras: OK").check()
    form.get_by_role("button", name="Save and print the intake order").click()

    alert = page.locator("#records-errors")
    expect(alert).to_contain_text("Screen must be checked: mark it OK or damaged.")
    assert Order.objects.count() == 0
    # What was answered is kept; the signature and passcode are given again.
    expect(page.get_by_label("Housing: Damaged")).to_be_checked()
    expect(page.get_by_label("Note on Housing")).to_have_value("Dent on the bottom left corner")

    page.get_by_label("Screen: OK").check()
    page.get_by_role("combobox", name="Device passcode").select_option(label="Pattern")
    grid = page.locator("[data-pattern-grid]")
    expect(grid).to_be_visible()
    for point in "7412":
        grid.get_by_role("button", name=point, exact=True).click()
    grid.get_by_role("button", name="4", exact=True).click()  # a point twice is ignored
    grid.get_by_role("button", name="3", exact=True).click()
    draw_signature(page)
    assert page.locator("input[name=signature_data]").input_value().startswith(
        "data:image/png;base64,")
    page.screenshot(path=shots / "intake-records-tablet.png", full_page=True)
    form.get_by_role("button", name="Save and print the intake order").click()

    expect(page).to_have_title("Intake order R-000001")
    order = Order.objects.get()
    assert decrypt(DevicePasscode.objects.get(order=order).ciphertext) == "74123"
    for copy in page.locator("section.sheet").all():
        expect(copy.locator(".condition-list")).to_contain_text("Dent on the bottom left corner")
        expect(copy.locator(".condition-list tr[data-check=Screen]")).to_contain_text("OK")
        expect(copy.locator(".condition-list tr[data-check='Liquid indicator']")).to_contain_text(
            "Not checked")
        expect(copy.locator("img.signed")).to_be_visible()
        expect(copy).to_contain_text("signed on the pad on")
    assert "74123" not in page.content()
    page.screenshot(path=shots / "intake-order-with-signature.png", full_page=True)

    # The stored center's copy as a PDF: the checklist and the signature are on it.
    document = ensure_pdf(order.documents.get(kind="intake_order"))
    with open_pdf(document) as handle:
        pdf = handle.read()
    (shots / "intake-order-stored.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "Dent on the bottom left corner" in text and "signed on the pad on" in text
    images = subprocess.run(["pdfimages", "-list", shots / "intake-order-stored.pdf"],
                            capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) >= 3  # header, rule, and at least the signature
    subprocess.run(["pdftoppm", "-png", "-r", "60", shots / "intake-order-stored.pdf",
                    shots / "intake-order-stored"], check=True)


def test_a_technician_shows_the_pattern_from_the_order_page(receptionist, technician, shots,
                                                            new_page):
    from django.utils import timezone

    from repaircenter.conftest import take_in
    from repaircenter.customers.models import Customer
    from repaircenter.orders.models import OrderEvent

    customer = Customer.objects.create(phone="+442079460888", name="Omar Haddad")
    order = take_in(receptionist, customer).order
    from repaircenter.orders.passcodes import encrypt

    DevicePasscode.objects.create(order=order, kind="pattern", ciphertext=encrypt("74123"),
                                  saved_at=timezone.now())
    page = new_page(TABLET)
    log_in(page, technician.username)
    page.goto(f"/staff/orders/{order.number}/")
    record = page.locator("#intake-record")
    expect(record).to_contain_text("Signed on the printed intake order")
    page.screenshot(path=shots / "order-page-intake-record.png", full_page=True)
    record.get_by_role("button", name="Show the device passcode").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Device passcode for")
    expect(page.locator("table.pattern-shown strong")).to_have_count(5)
    page.screenshot(path=shots / "passcode-pattern.png", full_page=True)
    assert OrderEvent.objects.filter(order=order, action="passcode_viewed").count() == 1
