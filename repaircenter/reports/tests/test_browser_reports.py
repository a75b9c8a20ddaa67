"""The reports page as a manager sees it, in Debian's Chromium driven by Playwright: a period
chosen in the form, the charts drawn, a CSV downloaded; on a desktop and on a phone.

Screenshots go to $SCREENSHOT_DIR when set, else to the test's tmp_path.
"""

import csv

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import DESKTOP, log_in
from repaircenter.reports.reports import REPORTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PHONE = {"width": 390, "height": 844}


def test_manager_reads_the_reports_of_march_and_downloads_one(march, manager, new_page, shots):
    page = new_page(DESKTOP)
    log_in(page, manager.username)
    page.screenshot(path=shots / "home-manager.png", full_page=True)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    page.get_by_label("From").fill("2027-03-01")
    page.get_by_label("To (included)").fill("2027-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("From 1 March 2027 to 31 March 2027, both included.")).to_be_visible()
    turnaround = page.locator("#report-turnaround")
    expect(turnaround.get_by_role("row", name="Received to ready")).to_contain_text("79.0")
    expect(page.locator("svg.chart")).to_have_count(len(REPORTS))
    expect(page.get_by_role("img", name="Messages by channel")).to_be_visible()
    page.screenshot(path=shots / "reports.png", full_page=True)

    with page.expect_download() as download:
        page.locator("#report-approvals").get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "approvals-2027-03-01-2027-03-31.csv"
    with open(download.value.path(), encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [
        ["Decided", "Approved", "Refused", "No decision in time", "Approval rate (%)"],
        ["3", "1", "1", "1", "33.3"],
    ]

    phone = new_page(PHONE)
    log_in(phone, manager.username)
    phone.goto(reverse("reports:index") + "?first=2027-03-01&last=2027-03-31")
    expect(phone.locator("svg.chart").first).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 390 px phone"
    phone.screenshot(path=shots / "reports-phone.png", full_page=True)
