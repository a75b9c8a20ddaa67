"""The intake as a receptionist lives it, in Debian's Chromium driven by Playwright.

Log in, take in a laptop with a photo, get the printable intake order (the customer's copy with
the pickup code and its barcode, the center's copy without), find the order again by the phone
typed another way and by the serial number in lower case, and read its history. Also: the
returning customer's details filled in while the phone is typed, and a technician kept out of
the intake.

Screenshots (and a PDF of the intake order) go to $SCREENSHOT_DIR when it is set, else to the
test's tmp_path:
    SCREENSHOT_DIR=docs/screenshots pytest repaircenter/orders/tests/test_browser_intake.py
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from repaircenter.accounts.roles import Role
from repaircenter.conftest import DESKTOP, TABLET, log_in, make_user

PICKUP_CODE = re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}$")

# The flush after each live-server test would also delete the roles and equipment kinds that the
# data migrations made; serialized_rollback puts them back before each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def photo_file(tmp_path) -> Path:
    """A small real JPEG: a grey 'laptop lid' with a red scratch."""
    path = tmp_path / "scratched-lid.jpg"
    image = Image.new("RGB", (320, 240), (180, 180, 185))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 300, 220), outline=(60, 60, 60), width=4)
    draw.line((60, 180, 250, 60), fill=(200, 30, 30), width=5)
    image.save(path, format="JPEG", quality=85)
    return path


def search_from_top_bar(page: Page, text: str) -> None:
    box = page.get_by_role("banner").get_by_role("searchbox", name="Search orders")
    box.fill(text)
    box.press("Enter")


def test_receptionist_takes_in_a_laptop_prints_the_order_and_finds_it_again(
    receptionist, shots, photo_file, page
):
    log_in(page, receptionist.username)

    # --- the intake form -------------------------------------------------------------------
    # Pico styles the link as a button, and role="button" makes it one to assistive technology.
    page.get_by_role("button", name="New intake").click()
    expect(page.get_by_role("heading", name="Take in equipment")).to_be_visible()
    form = page.locator("#intake-form")
    # Typed key by key, as at the counter: the htmx look-up runs while typing.
    form.get_by_role("textbox", name="Phone", exact=True).press_sequentially("020 7946 0555")
    expect(page.locator("#customer-match")).to_contain_text("No customer with this phone yet")
    form.get_by_role("textbox", name="Name", exact=True).fill("Peter Fenwick")
    form.get_by_role("textbox", name="Email", exact=True).fill("peter.fenwick@example.com")
    form.get_by_role("combobox", name="Notify first by").select_option(label="Email")
    form.get_by_role("combobox", name="If that fails").select_option(label="SMS")
    form.get_by_role("combobox", name="Kind of equipment").select_option(label="Laptop")
    form.get_by_role("textbox", name="Brand", exact=True).fill("Lenovo")
    form.get_by_role("textbox", name="Model", exact=True).fill("ThinkPad T14 Gen 3")
    form.get_by_role("textbox", name="Serial number", exact=True).fill("PF3XK2LM")
    form.get_by_label("Visible condition and damage").fill(
        "Scratch across the lid, one rubber foot missing"
    )
    form.get_by_label("Accessories handed over").fill("65 W USB-C charger")
    form.get_by_label("The fault, in the customer's words").fill(
        "Shuts down after ten minutes, fan very loud before it does"
    )
    form.get_by_label("Photos").set_input_files(photo_file)

    page.screenshot(path=shots / "intake-form-desktop.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.screenshot(path=shots / "intake-form-tablet.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    form.get_by_role("button", name="Save and print the intake order").click()

    # --- the printable intake order: two copies, the pickup code on the customer's only ------
    expect(page).to_have_title("Intake order R-000001")
    customer_copy = page.locator("section.sheet[data-copy=customer]")
    center_copy = page.locator("section.sheet[data-copy=center]")
    expect(customer_copy).to_have_count(1)
    expect(center_copy).to_have_count(1)
    for copy in (customer_copy, center_copy):
        expect(copy.get_by_role("heading", level=1)).to_have_text("Intake order R-000001")
        expect(copy).to_contain_text("Peter Fenwick")
        expect(copy).to_contain_text("+44 20 7946 0555")
        expect(copy).to_contain_text("Laptop Lenovo ThinkPad T14 Gen 3")
        expect(copy).to_contain_text("PF3XK2LM")
        expect(copy).to_contain_text("65 W USB-C charger")
    # The QR code of the link on the customer's copy only; the center's shows its start.
    expect(customer_copy.locator(".link-box svg")).to_be_visible()
    expect(center_copy.locator(".link-box svg")).to_have_count(0)
    expect(center_copy.locator(".link-line")).to_have_text(re.compile(r"/o/[\w-]{6}…/$"))
    expect(customer_copy).to_contain_text("Customer's copy")
    expect(center_copy).to_contain_text("Center's copy")

    code_box = customer_copy.locator(".pickup-code")
    expect(code_box).to_have_text(PICKUP_CODE)
    code = code_box.inner_text().strip()
    expect(customer_copy.locator(".pickup svg")).to_be_visible()  # the barcode
    expect(center_copy.locator(".pickup")).to_have_count(0)
    expect(center_copy).not_to_contain_text(code)
    assert page.content().count(code) == 1
    assert page.locator("body").inner_text().count(code) == 1

    page.screenshot(path=shots / "intake-order-screen.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    page.screenshot(path=shots / "intake-order-print.png", full_page=True)
    page.pdf(path=shots / "intake-order.pdf", format="A4", print_background=True)
    page.emulate_media(media="screen")

    # --- finding the order again from the top search box -----------------------------------
    page.get_by_role("link", name="Order page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("R-000001")

    search_from_top_bar(page, "+44 20 7946 0555")
    expect(page).to_have_url(re.compile(re.escape(reverse("staff:order", args=[1])) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("R-000001")

    page.goto(reverse("staff:home"))
    search_from_top_bar(page, "pf3xk2lm")
    expect(page).to_have_url(re.compile(re.escape(reverse("staff:order", args=[1])) + "$"))

    # The search page lists what it finds (its own box does not jump to a single result).
    page.goto(reverse("staff:search"))
    main_box = page.get_by_role("main").get_by_role("searchbox", name="Search orders")
    main_box.fill("020 7946 0555")
    main_box.press("Enter")
    results = page.locator("main table tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("R-000001")
    expect(results.first).to_contain_text("Peter Fenwick")
    expect(results.first).to_contain_text("S/N PF3XK2LM")
    page.screenshot(path=shots / "search-results.png", full_page=True)

    # --- the order page and its history ----------------------------------------------------
    results.first.get_by_role("link", name="R-000001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("R-000001")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Received")
    photo = page.get_by_alt_text("Photo 1 taken at intake")
    expect(photo).to_be_visible()
    expect(photo).to_have_js_property("naturalWidth", 320)  # the re-encoded JPEG, served
    history = page.locator("ol.timeline li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("— → Received")
    expect(history.first).to_contain_text("Rita")
    page.screenshot(path=shots / "order-page.png", full_page=True)


def test_returning_customer_is_filled_in_while_the_phone_is_typed(
    receptionist, customer, shots, page
):
    log_in(page, receptionist.username)
    page.goto(reverse("staff:intake"))
    name, email = page.locator("#id_name"), page.locator("#id_email")
    expect(name).to_have_value("")

    # Typed the national way; the customer was saved as +442079460101.
    page.locator("#id_phone").press_sequentially("020 7946 0101")

    expect(page.locator("#customer-match")).to_contain_text("Returning customer")
    expect(page.locator("#customer-match")).to_contain_text("Alice Brown")
    expect(name).to_have_value("Alice Brown")
    expect(email).to_have_value("alice@example.com")
    page.screenshot(path=shots / "intake-returning-customer.png")


def test_returning_customer_channels_are_filled_in(receptionist, customer, page):
    log_in(page, receptionist.username)
    page.goto(reverse("staff:intake"))
    page.locator("#id_phone").press_sequentially("020 7946 0101")
    expect(page.locator("#customer-match")).to_contain_text("Returning customer")

    # Alice asked for SMS first, then email.
    expect(page.locator("#id_channel_1")).to_have_value("sms")
    expect(page.locator("#id_channel_2")).to_have_value("email", timeout=2_000)


@pytest.fixture
def tom(db):
    return make_user("tom", Role.TECHNICIAN)


def test_technician_has_no_intake(tom, page):
    log_in(page, tom.username)
    expect(page.get_by_role("banner").get_by_role("searchbox")).to_be_visible()
    expect(page.get_by_text("New intake")).to_have_count(0)

    response = page.goto(reverse("staff:intake"))
    assert response is not None
    assert response.status == 403
