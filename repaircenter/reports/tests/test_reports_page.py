"""The reports page (/staff/reports/) and its CSV files: managers only, a period to choose, one
chart and table per report, each CSV holding exactly the page's table."""

import csv
import html
import io
import re

import pytest
from django.db import connection
from django.urls import reverse

from repaircenter.accounts.roles import Role
from repaircenter.orders.models import EquipmentKind
from repaircenter.reports.reports import REPORTS

PAGE = reverse("reports:index")
MARCH = {"first": "2027-03-01", "last": "2027-03-31"}


def csv_url(slug):
    return reverse("reports:csv", args=[slug])


@pytest.fixture
def boss(client, manager):
    client.force_login(manager)
    assert client.get(reverse("staff:home")).status_code == 200  # the idle clock is stored
    return client


def page_table(content: str, slug: str) -> list[list[str]]:
    """The report's table as the page shows it, cell by cell ("—" for an empty cell)."""
    article = content.split(f'id="report-{slug}"')[1].split("</article>")[0]
    table = article.split('<table class="striped report-table">')[1].split("</table>")[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        rows.append([html.unescape(cell).strip() for cell in cells])
    return rows


def csv_table(response) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    return [rows[0]] + [[cell or "—" for cell in row] for row in rows[1:]]


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.TECHNICIAN, Role.CONSULTANT,
                                  Role.CASHIER])
def test_only_managers(client, users_by_role, role):
    client.force_login(users_by_role[role])
    assert client.get(PAGE).status_code == 403
    assert client.get(csv_url("turnaround"), MARCH).status_code == 403


def test_strangers_log_in_first(client):
    response = client.get(csv_url("turnaround"), MARCH)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_every_report_with_its_chart_and_a_csv_matching_the_page(boss, march):
    content = boss.get(PAGE, MARCH).content.decode()
    assert "From 1 March 2027 to 31 March 2027, both included." in content
    for slug in REPORTS:
        shown = page_table(content, slug)
        response = boss.get(csv_url(slug), MARCH)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{slug}-2027-03-01-2027-03-31.csv"')
        assert csv_table(response) == shown, slug
        assert len(shown) > 1, slug  # the data set gives every report a row
        assert f'href="{csv_url(slug)}?first=2027-03-01&amp;last=2027-03-31"' in content
    # Charts are SVG drawn on the server, titled for screen readers.
    assert content.count('<svg class="chart"') == len(REPORTS)
    assert '<title>Estimate decisions</title>' in content
    assert "<script" not in content.split("<main")[1]


def test_a_chart_bar_is_as_long_as_its_figure(boss, march):
    content = boss.get(PAGE, MARCH).content.decode()
    chart = content.split('id="report-diagnostics-fees"')[1].split("</svg>")[0]
    widths = [float(w) for w in re.findall(r'<rect x="150" y="[\d.]+" width="([\d.]+)"', chart)]
    # Laptops 80.00 and phones 125.00: the longest bar fills the area (480 less 150 for the
    # labels and 90 for the figures), the other in proportion.
    assert widths == [pytest.approx(240 * 80 / 125, abs=0.1), 240.0]


def test_the_default_period_is_the_last_three_months(boss):
    content = boss.get(PAGE).content.decode()
    assert re.search(r'name="first" value="\d{4}-\d{2}-01"', content)
    assert "both included" in content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"first": "2027-03-31", "last": "2027-03-01"}, "The period ends before it starts."),
        ({"first": "2020-01-01", "last": "2027-03-01"}, "three years at most"),
        ({"first": "yesterday", "last": "2027-03-01"}, "Enter a valid date."),
        ({"last": "2027-03-01"}, "This field is required."),
    ],
)
def test_a_bad_period_is_told(boss, query, message):
    response = boss.get(PAGE, query)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    response = boss.get(csv_url("turnaround"), query)
    assert response.status_code == 400


def test_an_unknown_report_is_404(boss):
    assert boss.get(csv_url("salaries"), MARCH).status_code == 404


def test_a_cell_a_spreadsheet_would_run_is_quoted(boss, march):
    EquipmentKind.objects.filter(name="Laptop").update(name="=HYPERLINK(1)")
    rows = list(csv.reader(io.StringIO(
        boss.get(csv_url("diagnostics-fees"), MARCH).content.decode())))
    assert ["'=HYPERLINK(1)", "2", "2", "80.00"] in rows


def page_queries() -> int:
    """per report one aggregate (the session is a signed cookie; the user's row with their roles
    and the centers of the header are kept: accounts/backends.py, orders/workplace.py),
    but the two turnaround measures on SQLite are a count and one ordered read per percentile
    each, and the centers side by side five GROUP BYs and the centers' names; the four
    margins one each, the stock value one."""
    turnaround = 2 if connection.vendor == "postgresql" else 6
    return turnaround + 8 + 6 + 4 + 1


def test_the_page_runs_the_same_queries_whatever_the_data(boss, march, django_assert_num_queries,
                                                          make_order):
    with django_assert_num_queries(page_queries()):
        boss.get(PAGE, MARCH)
    for _ in range(3):
        march.take_in("X", march.orders["A"].received_at, march.phone)
        march.refuse("X", march.orders["A"].received_at.replace(day=20))
    with django_assert_num_queries(page_queries()):
        content = boss.get(PAGE, MARCH).content.decode()
    assert page_table(content, "turnaround")[1][1] == "10"
