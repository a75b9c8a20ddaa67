"""Storage and disposal as the staff live them, in Debian's Chromium driven by Playwright.

A receptionist puts ready equipment away on a shelf from the order page and finds it on the
storage page; months pass (the worker's sweep and its console channel, under a controlled
clock) until the storage periods run out; the manager opens the disposal list, ticks two of the
three, chooses the method, confirms, and gets the disposal act naming exactly those two.

Screenshots go to $SCREENSHOT_DIR when set, else to the test's tmp_path.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import DESKTOP, log_in
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import EventChannel, Order, Status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
LONDON = zoneinfo.ZoneInfo("Europe/London")
PHONE = {"width": 390, "height": 844}


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def stored_orders(make_order, receptionist, settings):
    """Three orders reached in February and March 2026, swept by the worker until October."""
    orders = []
    for day, status in ((2, Status.READY_REPAIRED), (9, Status.READY_UNREPAIRED),
                        (20, Status.READY_REPAIRED)):
        reached = at(2026, 2, day, 10, 0) if day < 20 else at(2026, 3, day, 10, 0)
        with time_machine.travel(reached - datetime.timedelta(hours=2), tick=False):
            order = make_order(status)
        workflow.start_storage_clock(order=order, reached_at=reached, channel=EventChannel.SMS)
        orders.append(order)
    for order, shelf in zip(orders[:2], ("A3", "B-12"), strict=True):
        workflow.set_storage_location(order=order, actor=workflow.Actor.staff(receptionist),
                                      location=shelf)
    moment = at(2026, 5, 1, 9, 0)
    while moment <= at(2026, 10, 5, 9, 0):  # the worker, once a week
        with time_machine.travel(moment, tick=False):
            call_command("worker", once=True)
        moment += datetime.timedelta(days=7)
    return orders


def test_storage_location_and_the_storage_page(make_order, receptionist, page, shots):
    order = make_order(Status.READY_REPAIRED)
    workflow.start_storage_clock(order=order, reached_at=datetime.datetime.now(tz=LONDON),
                                 channel=EventChannel.SMS)
    log_in(page, receptionist.username)
    page.goto(reverse("staff:order", args=[order.number]))
    storage = page.locator("section", has=page.get_by_role("heading", name="Storage"))
    expect(storage).to_contain_text("not put away")
    storage.get_by_label("Shelf or bin").fill("c 7")
    storage.get_by_role("button", name="Put away").click()
    expect(page.locator(".flash-success")).to_contain_text("Put away at C 7.")
    expect(storage).to_contain_text("On shelf C 7.")
    storage.screenshot(path=shots / "order-storage.png")
    assert Order.objects.get(pk=order.pk).storage_location == "C 7"
    page.get_by_role("link", name="All shelves").click()
    expect(page.get_by_role("heading", name="Shelf C 7")).to_be_visible()
    row = page.get_by_role("row", name=order.display_number)
    days_left = int(row.locator("td").last.inner_text())
    assert 180 <= days_left <= 184  # six months from today
    page.screenshot(path=shots / "storage.png", full_page=True)


def test_manager_confirms_two_of_three_disposals_and_prints_the_act(
    stored_orders, manager, new_page, shots
):
    first, second, third = stored_orders
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in stored_orders])} == {
        Status.DISPOSAL_DUE}
    page = new_page(DESKTOP)
    log_in(page, manager.username)
    page.goto(reverse("staff:disposal"))
    expect(page.get_by_role("heading", name="Due for disposal")).to_be_visible()
    rows = page.locator("table.disposal-list tbody tr")
    expect(rows).to_have_count(3)
    # Oldest first, with the shelf, the days over and what the customer was told.
    expect(rows.nth(0)).to_contain_text(first.display_number)
    expect(rows.nth(0)).to_contain_text("A3")
    expect(rows.nth(0)).to_contain_text("Disposal warning")
    expect(rows.nth(0)).to_contain_text("Storage reminder (7 days before)")
    expect(rows.nth(2)).to_contain_text("not recorded")
    page.screenshot(path=shots / "disposal-list.png", full_page=True)

    page.get_by_label(f"Dispose of {first.display_number}").check()
    page.get_by_label(f"Dispose of {third.display_number}").check()
    page.get_by_label("How the equipment is disposed of").select_option(label="Recycled")
    page.get_by_label("Note for the act").fill("Collected by GreenCycle Ltd, licence WEEE-4471.")
    page.get_by_role("button", name="Confirm the disposal of the ticked equipment").click()

    expect(page.get_by_role("heading", name="Disposal act")).to_be_visible()
    expect(page.locator(".doc-number")).to_have_text("DA-000001")
    act = page.locator("table.act-lines")
    expect(act).to_contain_text(first.display_number)
    expect(act).to_contain_text(third.display_number)
    expect(act).not_to_contain_text(second.display_number)
    expect(act).to_contain_text("R5CW31ABCDE")
    page.screenshot(path=shots / "disposal-act.png", full_page=True)
    page.pdf(path=shots / "disposal-act.pdf", format="A4", print_background=True)
    assert Order.objects.get(pk=second.pk).status == Status.DISPOSAL_DUE
    assert Order.objects.get(pk=first.pk).status == Status.DISPOSED

    phone = new_page(PHONE)
    log_in(phone, manager.username)
    phone.goto(reverse("staff:disposal"))
    expect(phone.locator("table.disposal-list tbody tr")).to_have_count(1)
    phone.screenshot(path=shots / "disposal-list-phone.png", full_page=True)
    assert Message.objects.filter(order=second, event="disposal_warning").count() == 1
