"""Reports of the center chosen in the header, of the whole chain, and the centers side by
side."""

import datetime

import pytest
from django.utils import timezone

from repaircenter.centers.models import Center
from repaircenter.orders.models import Status
from repaircenter.reports import figures
from repaircenter.reports.figures import Period


@pytest.fixture
def chain(make_order):
    """East (the first center): one order approved; West: two ready (one refused during
    diagnostics, one approved and repaired), both in storage."""
    east = Center.default()
    west = Center.objects.create(name="West", number_prefix="W", time_zone="Europe/London")
    make_order(Status.APPROVED)
    make_order(Status.READY_UNREPAIRED, center=west)
    make_order(Status.READY_REPAIRED, center=west)
    return east, west


def today() -> Period:
    day = timezone.localdate()
    return Period(day - datetime.timedelta(days=1), day)


def test_each_figure_is_of_the_chosen_center_or_of_the_chain(chain):
    east, west = chain
    period = today()
    of_west = Period(period.first, period.last, frozenset({west.pk}))
    of_east = Period(period.first, period.last, frozenset({east.pk}))
    assert figures.approvals(period).approved == 2  # the chain
    assert figures.approvals(of_east).approved == 1
    assert figures.approvals(of_west).approved == 1
    assert sum(line.count for line in figures.in_storage(period)) == 2
    assert sum(line.count for line in figures.in_storage(of_west)) == 2
    assert sum(line.count for line in figures.in_storage(of_east)) == 0
    assert figures.turnaround(of_west).to_ready.count == 2
    assert figures.turnaround(of_east).to_ready.count == 0


def test_the_centers_side_by_side(chain):
    east, west = chain
    lines = {line.center: line for line in figures.by_center(today())}
    assert set(lines) == {east.name, "West"}
    assert (lines[east.name].received, lines[east.name].approved, lines[east.name].stored) == (
        1, 1, 0)
    assert (lines["West"].received, lines["West"].decided, lines["West"].stored) == (2, 1, 2)


def test_the_page_follows_the_center_chosen(chain, client, manager):
    east, west = chain
    client.force_login(manager)
    client.post("/staff/center/", {"center": west.pk})
    page = client.get("/staff/reports/").content.decode()
    assert "The figures of West" in page
    client.post("/staff/center/", {"center": "all"})
    page = client.get("/staff/reports/").content.decode()
    assert "The figures of the whole chain" in page and "Centers side by side" in page
    day = timezone.localdate()
    csv = client.get(f"/staff/reports/centers.csv?first={day - datetime.timedelta(days=7)}"
                     f"&last={day}")
    assert csv.status_code == 200
    rows = csv.content.decode().splitlines()
    assert rows[0].startswith("Center,Taken in") and len(rows) == 3
