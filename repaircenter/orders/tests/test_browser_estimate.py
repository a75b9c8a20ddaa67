"""Diagnostics, the estimate and the customer's decision, in Debian's Chromium through Playwright.

A technician takes a received phone for diagnostics, writes the findings, builds the estimate
from the price list, changes a price, gives the repair time and a recommendation, and sends it.
A receptionist, in another browser, records the customer's approval by telephone. A second
order is refused in person: the customer signs on the pad and gives a reason.

Screenshots go to $SCREENSHOT_DIR when it is set, else to the test's tmp_path:
    SCREENSHOT_DIR=docs/screenshots pytest repaircenter/orders/tests/test_browser_estimate.py
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from repaircenter.conftest import DESKTOP, TABLET, log_in
from repaircenter.orders.models import PriceListEntry, Status

# The flush after each live-server test would also delete the roles and equipment kinds that the
# data migrations made; serialized_rollback puts them back before each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def price_list(phone_kind):
    make = PriceListEntry.objects.create
    return [
        make(equipment_kind=phone_kind, line_kind="part", description="Charging port (USB-C)",
             unit_price=Decimal("18.50")),
        make(equipment_kind=phone_kind, line_kind="work", description="Replace charging port",
             unit_price=Decimal("35.00")),
        make(equipment_kind=None, line_kind="work", description="Ultrasonic cleaning",
             unit_price=Decimal("20.00")),
    ]


@pytest.fixture
def orders(make_order, price_list):
    """A received phone for the technician, and one awaiting the customer's decision."""
    return make_order(Status.RECEIVED), make_order(Status.AWAITING_DECISION)


def state_badge(page: Page):
    return page.get_by_role("heading", level=1).locator(".badge-state")


def decision(page: Page, label: str):
    """The <details> of one decision action on the order page."""
    return page.locator("details.decision").filter(
        has=page.locator("summary", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def channel_form(details, channel: str):
    return details.locator("form.decision-form").filter(
        has=details.page.locator(f"input[name=channel][value={channel}]")
    )


def test_estimate_from_the_price_list_approved_by_phone_and_another_refused_in_person(
    technician, receptionist, orders, shots, new_page
):
    received, awaiting = orders
    order_path = reverse("staff:order", args=[received.number])

    # --- the technician: diagnostics and the estimate --------------------------------------
    tech = new_page()
    log_in(tech, technician.username)
    tech.goto(order_path)
    expect(state_badge(tech)).to_have_text("Received")
    actions = tech.locator("section.actions")
    actions.locator("summary", has_text="Take for diagnostics").click()  # opens its <details>
    actions.locator("button[type=submit]", has_text="Take for diagnostics").click()
    expect(tech.locator(".flash-success")).to_have_text("Take for diagnostics: done.")
    expect(state_badge(tech)).to_have_text("Diagnosing")

    tech.get_by_label("Findings").fill(
        "Charging port corroded (liquid contact); battery health 88 %, board otherwise fine."
    )
    tech.get_by_role("button", name="Save the findings").click()
    expect(tech.locator(".flash-success")).to_have_text("Findings saved.")
    expect(tech.get_by_label("Findings")).to_have_value(re.compile("^Charging port corroded"))

    tech.get_by_role("button", name="Write the estimate").click()
    expect(tech.get_by_role("heading", level=1)).to_contain_text(f"{received.display_number}/E1")
    expect(tech.get_by_text("Charging port corroded")).to_be_visible()
    price_list = tech.locator(".price-list")
    expect(price_list.get_by_role("button")).to_have_count(3)
    price_list.get_by_role("button", name=re.compile("^\\+ Charging port \\(USB-C\\)")).click()
    expect(tech.locator("#estimate-total")).to_have_text("18.50 GBP")
    tech.locator(".price-list").get_by_role(
        "button", name=re.compile("^\\+ Replace charging port")
    ).click()
    expect(tech.locator("#estimate-total")).to_have_text("53.50 GBP")

    # The labour is cheaper for this model: change the second line's price.
    line = tech.locator("form.line-form").nth(1)
    expect(line.get_by_label("Description")).to_have_value("Replace charging port")
    line.get_by_label("Unit price").fill("29.90")
    line.get_by_role("button", name="Save").click()
    expect(tech.locator("#estimate-total")).to_have_text("48.40 GBP")

    tech.get_by_label("Expected repair time (working days)").fill("2")
    tech.get_by_label("Recommendation to the customer").fill(
        "Worth repairing: the rest of the phone is in good condition. Keep it away from water."
    )
    tech.get_by_label("Internal notes").fill("Port from the blue drawer, batch 7.")
    tech.get_by_role("button", name="Save the details").click()
    expect(tech.get_by_label("Expected repair time (working days)")).to_have_value("2")
    expect(tech.locator("form.line-form")).to_have_count(2)
    tech.screenshot(path=shots / "estimate-editor.png", full_page=True)

    tech.get_by_role("button", name="Send the estimate to the customer").click()  # confirmed
    expect(tech.locator(".flash-success")).to_have_text(
        f"Estimate {received.display_number}/E1 sent to the customer."
    )
    expect(state_badge(tech)).to_have_text("Awaiting decision")
    estimate = tech.locator("#estimate")
    expect(estimate).to_contain_text(f"{received.display_number}/E1")
    expect(estimate).to_contain_text("48.40 GBP")

    # --- the receptionist: the customer calls and approves ---------------------------------
    desk = new_page()
    log_in(desk, receptionist.username)
    desk.goto(order_path)
    expect(state_badge(desk)).to_have_text("Awaiting decision")
    expect(desk.locator("#estimate")).to_contain_text("Keep it away from water.")
    approval = decision(desk, "Record approval")
    approval.locator("summary").click()
    phone = channel_form(approval, "phone")
    expect(phone).to_be_visible()
    desk.screenshot(path=shots / "order-awaiting-decision.png", full_page=True)

    desk.goto(reverse("staff:decision_slip", args=[received.number]))
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        f"Estimate {received.display_number}/E1"
    )
    expect(desk.locator("body")).to_contain_text("48.40 GBP")
    expect(desk.locator("body")).not_to_contain_text("blue drawer")  # internal notes
    desk.screenshot(path=shots / "decision-slip.png", full_page=True)
    desk.get_by_role("link", name="Order page").click()

    approval = decision(desk, "Record approval")
    approval.locator("summary").click()
    phone = channel_form(approval, "phone")
    phone.get_by_label("What the customer said (required)").fill(
        "Yes, please replace the port. Call me when it is ready."
    )
    phone.get_by_role("button", name="Record approval · Telephone").click()
    expect(desk.locator(".flash-success")).to_have_text("Record approval: done.")
    expect(state_badge(desk)).to_have_text("Approved")
    last = desk.locator("ol.timeline li").last
    expect(last).to_contain_text("Repair approved")
    expect(last).to_contain_text("(Telephone)")
    expect(last).to_contain_text("Yes, please replace the port.")
    desk.screenshot(path=shots / "order-approved.png", full_page=True)

    # --- the second order: refused at the counter, signed on the pad ------------------------
    desk.goto(reverse("staff:order", args=[awaiting.number]))
    expect(state_badge(desk)).to_have_text("Awaiting decision")
    refusal = decision(desk, "Record refusal")
    refusal.locator("summary").click()
    in_person = channel_form(refusal, "in_person")
    canvas = in_person.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    desk.mouse.move(x + w * 0.1, y + h * 0.7)
    desk.mouse.down()
    for fx, fy in [(0.2, 0.3), (0.3, 0.75), (0.45, 0.25), (0.6, 0.7), (0.75, 0.35),
                   (0.9, 0.6)]:
        desk.mouse.move(x + w * fx, y + h * fy, steps=6)
    desk.mouse.up()
    expect(in_person.locator("input[name=signature_data]")).to_have_value(
        re.compile("^data:image/png;base64,")
    )
    in_person.get_by_label("The customer's reason (required)").fill(
        "Too expensive for an old phone; will buy a new one."
    )
    desk.set_viewport_size(TABLET)
    in_person.scroll_into_view_if_needed()
    desk.screenshot(path=shots / "order-refusal-signature-pad-tablet.png", full_page=True)
    desk.set_viewport_size(DESKTOP)
    in_person.get_by_role("button", name="Record refusal · In person").click()  # confirmed
    expect(desk.locator(".flash-success")).to_have_text("Record refusal: done.")
    expect(state_badge(desk)).to_have_text("Ready for collection (unrepaired)")
    last = desk.locator("ol.timeline li").last
    expect(last).to_contain_text("Repair refused")
    expect(last).to_contain_text("(In person)")
    expect(last).to_contain_text("Too expensive for an old phone")
    expect(last.locator("img.signature")).to_have_js_property("naturalWidth", 600)
    desk.screenshot(path=shots / "order-refused-in-person.png", full_page=True)

    # The technician's page, reloaded, shows the first order approved and nothing to send.
    tech.reload()
    expect(state_badge(tech)).to_have_text("Approved")
    expect(tech.get_by_role("button", name="Send the estimate to the customer")).to_have_count(0)
