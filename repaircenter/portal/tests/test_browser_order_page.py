"""The customer's order page in Debian's Chromium on a phone-sized screen.

The customer opens the link from the "estimate ready" text message, reads the estimate and
approves it through the confirmation step; the receptionist's order page then shows the approval
with the channel "Customer's order page". A second test looks at the page in every state, on a
phone and on a desktop, and checks that the browser blocked nothing (the strict policy).

Screenshots go to $SCREENSHOT_DIR when it is set, else to the test's tmp_path:
    SCREENSHOT_DIR=/tmp/shots pytest repaircenter/portal/tests/test_browser_order_page.py
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.centers.models import Center
from repaircenter.conftest import DESKTOP, log_in, send_new_estimate
from repaircenter.notifications.models import Message
from repaircenter.orders.models import Status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def center(db):
    center = Center.default()  # the order's center: its page says where and when to come
    center.name = "Fix-It Corner"
    center.address, center.phone = "12 High Street, London SE1 7PB", "020 7946 0000"
    center.hours = "Mon-Sat 9:00-18:00"
    center.save()
    return center


def watch_console(page) -> list[str]:
    """Everything the browser complains about: a blocked script or style shows here."""
    complaints: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    return complaints


def test_the_customer_approves_on_a_phone_from_the_estimate_message(
    live_server, settings, center, make_order, technician, receptionist, shots, new_page
):
    settings.SITE_URL = live_server.url  # the link in the message points at this server
    order = make_order(Status.DIAGNOSING)
    send_new_estimate(
        order, technician,
        lines=(("Replace the charging port", "1", "45.00"), ("USB-C port flex", "1", "18.50")),
        recommendation="Worth repairing: the rest of the phone is in good condition.",
    )
    text = Message.objects.get(order=order, event="estimate_ready").body
    link = re.search(r"https?://\S+/o/[\w-]+/", text).group(0)
    assert link == f"{live_server.url}/o/{order.link_token}/"

    phone = new_page(PHONE)
    complaints = watch_console(phone)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Order {order.display_number}")
    expect(phone.locator(".status-line")).to_have_text("Waiting for your decision")
    estimate = phone.locator("#estimate")
    expect(estimate).to_contain_text("Replace the charging port")
    expect(estimate).to_contain_text("USB-C port flex")
    expect(estimate.locator("tfoot")).to_contain_text("63.50 GBP")
    expect(estimate).to_contain_text("Worth repairing: the rest of the phone")
    # Built for the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=shots / "portal-phone-estimate.png", full_page=True)

    phone.get_by_role("button", name=re.compile("^Approve the repair")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Approve the repair?")
    expect(phone).to_have_url(re.compile(r"/approve/$"))
    phone.screenshot(path=shots / "portal-phone-approve-confirm.png", full_page=True)
    phone.get_by_role("button", name="Yes, approve for 63.50 GBP").click()

    expect(phone).to_have_url(re.compile(rf"/o/{order.link_token}/#next$"))
    expect(phone.locator(".status-line")).to_have_text("Approved, the repair starts soon")
    expect(phone.locator("#next")).to_contain_text("You approved on this page on")
    expect(phone.locator("#agreed")).to_contain_text("63.50 GBP")
    phone.screenshot(path=shots / "portal-phone-after-approving.png", full_page=True)
    assert complaints == []

    desk = new_page(DESKTOP)
    log_in(desk, receptionist.username)
    desk.goto(reverse("staff:order", args=[order.number]))
    expect(desk.get_by_role("heading", level=1).locator(".badge-state")).to_have_text("Approved")
    last = desk.locator("ol.timeline li").last
    expect(last).to_contain_text("Repair approved")
    expect(last).to_contain_text("Customer (Customer's order page)")
    expect(last).to_contain_text("127.0.0.1")
    desk.screenshot(path=shots / "staff-order-approved-on-the-order-page.png", full_page=True)


STATES = [
    Status.RECEIVED, Status.AWAITING_DECISION, Status.APPROVED, Status.REPAIRING,
    Status.TESTING, Status.READY_REPAIRED, Status.READY_UNREPAIRED, Status.ISSUED,
    Status.DISPOSAL_DUE, Status.DISPOSED,
]


def test_the_page_in_every_state_on_a_phone_and_a_desktop(
    live_server, center, make_order, shots, new_page
):
    orders = {status: make_order(status) for status in STATES}
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_page(size)
        complaints = watch_console(page)
        for status, order in orders.items():
            page.goto(reverse("portal:order", args=[order.link_token]))
            expect(page.locator("#next")).to_be_visible()
            expect(page.locator("#progress li")).not_to_have_count(0)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], (status, width)
            page.screenshot(path=shots / f"portal-{label}-{status}.png", full_page=True)
        for name in ("home", "lookup", "advice", "chat"):
            page.goto(reverse(f"portal:{name}"))
            page.screenshot(path=shots / f"portal-{label}-{name}.png", full_page=True)
        assert complaints == []
        page.goto(reverse("portal:order", args=["no-such-link-no-such-link-000"]))
        expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
        page.screenshot(path=shots / f"portal-{label}-link-not-found.png", full_page=True)
        assert len(complaints) == 1 and "404" in complaints[0]  # the page itself, nothing else
