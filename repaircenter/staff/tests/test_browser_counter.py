"""The counter's small things in Debian's Chromium (issue 21): the customer's link made anew and
copied, the customer's copy as a PDF, whole inbox rows, a failed stress test as a warning, the
disposal warning as it stands, and the customer's documents behind the phone's last digits.

Screenshots go to $SCREENSHOT_DIR when set, else to the test's tmp_path.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import log_in
from repaircenter.consult import services as consult
from repaircenter.notifications.models import Message
from repaircenter.orders.models import Status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PHONE = {"width": 390, "height": 844}


def test_a_new_link_is_shown_once_and_copied(make_order, receptionist, page, shots):
    order = make_order(Status.RECEIVED)
    old = order.link_token
    log_in(page, "rita")
    page.goto(reverse("staff:order", args=[f"{order.number}"]).replace(
        f"/{order.number}/", f"/{order.display_number}/"))  # as typed from the paper
    hint = page.locator("[data-link-hint]")
    expect(hint).to_have_text(re.compile(re.escape(f"/o/{old[:6]}…/") + "$"))
    page.screenshot(path=shots / "order-link-hint.png", full_page=True)

    page.get_by_role("button", name="Revoke the link and make a new one").click()
    link = page.locator("[data-link]").inner_text()
    order.refresh_from_db()
    assert link.endswith(f"/o/{order.link_token}/") and old not in link
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.get_by_role("link", name="Open the customer's page").get_attribute(
        "href") == link
    page.screenshot(path=shots / "link-made.png", full_page=True)


def test_the_customers_copy_downloads_as_a_pdf(make_order, receptionist, page, shots):
    order = make_order(Status.RECEIVED)
    log_in(page, "rita")
    page.goto(reverse("staff:order", args=[order.number]))
    page.get_by_role("button", name="Reprint the customer's copy (voids its old pickup code)"
                     ).click()
    expect(page.locator(".pickup-code")).to_be_visible()
    page.screenshot(path=shots / "intake-print-both-copies.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="Customer's copy as PDF (with the pickup code)").click()
    assert download.value.suggested_filename == (
        f"{order.display_number}-intake-order-customers-copy.pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_whole_inbox_row_opens_its_question(consultant, page, shots):
    advice = consult.ask(name="Sam Ortiz", phone="", email="sam@example.com",
                         reply_channel="email", equipment="Laptop",
                         question="My laptop is slow since the update, is it worth a look?")
    log_in(page, "connie")
    page.goto(reverse("consult:inbox"))
    page.screenshot(path=shots / "inbox.png", full_page=True)
    # A click on the preview, far from the name that is the link, lands on the row's link.
    box = page.get_by_text("My laptop is slow since the update").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(re.escape(reverse("consult:advice", args=[advice.pk]))))


def test_a_failed_stress_test_is_a_warning(make_order, technician, page, shots):
    order = make_order(Status.TESTING)
    log_in(page, "tom")
    page.goto(reverse("staff:order", args=[order.number]))
    form = page.locator("#stress-test form")
    form.locator("input[name=duration_minutes]").fill("30")
    form.locator("textarea[name=procedure]").fill("Stress test of the CPU")
    form.locator("textarea[name=note]").fill("Shut down after 20 minutes at 95 °C")
    form.get_by_role("button", name="Failed: back to repair").click()
    flash = page.locator(".flash").first
    expect(flash).to_contain_text("Stress test failed")
    expect(flash).to_have_class(re.compile("flash-warning"))
    assert flash.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 247, 224)"
    page.screenshot(path=shots / "stress-test-failed.png")


def test_the_disposal_list_says_what_became_of_the_warning(make_order, manager, page, shots):
    queued, delivered = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    Message.objects.filter(order=delivered, event="disposal_warning").update(status="delivered")
    Message.objects.filter(order=queued, event="disposal_warning").update(status="queued")
    log_in(page, "maria")
    page.goto(reverse("staff:disposal"))
    expect(page.get_by_text("not sent yet: the customer has not been warned")).to_be_visible()
    page.screenshot(path=shots / "disposal-list.png", full_page=True)


def test_documents_ask_for_the_phones_last_digits(make_order, new_page, shots):
    order = make_order(Status.RECEIVED)
    document = order.documents.get()
    page = new_page(PHONE)
    page.goto(f"/o/{order.link_token}/")
    page.get_by_role("link", name=re.compile(document.display_number)).click()
    digits = page.get_by_label("Last four digits of your phone number")
    digits.fill("1234")
    page.get_by_role("button", name="Open the document").click()
    expect(page.get_by_text("These are not the last four digits")).to_be_visible()
    page.screenshot(path=shots / "documents-digits.png", full_page=True)
    page.get_by_label("Last four digits of your phone number").fill("0101")
    with page.expect_response(re.compile(r"/documents/\d+/$")) as answer:
        page.get_by_role("button", name="Open the document").click()
    assert answer.value.status == 302
    # The browser now holds the answer: the document opens as its PDF.
    pdf = page.context.request.get(f"/o/{order.link_token}/documents/{document.pk}/")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
