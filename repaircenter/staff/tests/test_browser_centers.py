"""Two centers in Debian's Chromium: a receptionist of one never meets the other's orders; a
manager switches from one center to all of them in the header.

Screenshots go to $SCREENSHOT_DIR when set, else to the test's tmp_path.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.accounts.roles import Role
from repaircenter.centers.models import Center
from repaircenter.conftest import PASSWORD, log_in, make_user, take_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chain(manager, customer):
    east = Center.default()
    Center.objects.filter(pk=east.pk).update(name="East Street")
    east.refresh_from_db()
    west = Center.objects.create(name="West Road", number_prefix="W",
                                 time_zone="Europe/London")
    for center in (east, west):
        take_in(manager, customer, center=center, serial=f"SN-{center.number_prefix}")
    desk = make_user("east-desk", Role.RECEPTIONIST)
    east.staff.add(desk)
    return east, west


def test_a_receptionist_sees_their_center_and_a_manager_all(chain, new_page, shots):
    east, west = chain
    desk = new_page()
    log_in(desk, "east-desk")
    desk.goto(reverse("staff:queue", args=["to-diagnose"]))
    expect(desk.get_by_role("link", name="R-000001")).to_be_visible()
    expect(desk.get_by_text("W-000001")).to_have_count(0)
    # One center of their own: no switch in the header.
    expect(desk.get_by_label("The center you work in")).to_have_count(0)
    desk.get_by_role("searchbox").fill("W-000001")
    desk.get_by_role("searchbox").press("Enter")
    expect(desk.get_by_text("No orders")).to_be_visible()
    desk.screenshot(path=shots / "centers-receptionist-search.png", full_page=True)

    boss = new_page()
    log_in(boss, "maria")
    boss.goto(reverse("staff:queue", args=["to-diagnose"]))
    switch = boss.get_by_label("The center you work in")
    expect(switch).to_have_value(str(east.pk))
    expect(boss.get_by_text("W-000001")).to_have_count(0)
    switch.select_option(label="All centers")
    boss.get_by_role("button", name="Switch").click()
    expect(boss).to_have_url(reverse("staff:queue", args=["to-diagnose"]))
    expect(boss.get_by_role("link", name="R-000001")).to_be_visible()
    expect(boss.get_by_role("link", name="W-000001")).to_be_visible()
    boss.screenshot(path=shots / "centers-manager-all.png", full_page=True)
    switch.select_option(label="West Road")
    boss.get_by_role("button", name="Switch").click()
    expect(boss.get_by_role("link", name="W-000001")).to_be_visible()
    expect(boss.get_by_text("R-000001")).to_have_count(0)


def test_sending_equipment_to_the_workshop_and_receiving_it(chain, manager, new_page, shots):
    east, west = chain
    west.workshop_only = True
    west.save()
    order = east.orders.get()
    boss = new_page()
    log_in(boss, "maria")
    boss.goto(reverse("staff:order", args=[order.number]))
    boss.get_by_label("Send to").select_option(label="West Road (workshop)")
    boss.get_by_label("Seal or waybill number").fill("SEAL 0042")
    boss.get_by_role("button", name="Send", exact=True).click()
    expect(boss.get_by_text("On its way from East Street to West Road")).to_be_visible()
    boss.screenshot(path=shots / "transfer-on-its-way.png", full_page=True)
    boss.get_by_role("link", name="All equipment on its way").click()
    expect(boss.get_by_role("cell", name="SEAL 0042")).to_be_visible()
    boss.screenshot(path=shots / "transfers-list.png", full_page=True)
    boss.get_by_role("button", name="Received").click()
    expect(boss.get_by_text("Nothing is on its way.")).to_be_visible()


def test_a_manager_chooses_the_center_at_login(chain, new_page, shots):
    east, west = chain
    make_user("boss", Role.MANAGER)
    page = new_page()
    page.goto(reverse("login"))
    page.get_by_label("User name").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Working at").select_option(label="West Road")
    page.screenshot(path=shots / "login-center.png")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("form.nav-center select")).to_have_value(str(west.pk))
    page.goto(reverse("staff:queue", args=["to-diagnose"]))
    expect(page.get_by_role("link", name="W-000001")).to_be_visible()
    expect(page.get_by_role("link", name="R-000001")).to_have_count(0)
