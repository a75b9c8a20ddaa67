"""Warranty returns per kind of equipment, per work and part, per technician (issue 16)."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from repaircenter.accounts.roles import Role
from repaircenter.conftest import take_in, write_estimate
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EstimateLine, Status
from repaircenter.orders.workflow import Actor
from repaircenter.reports.figures import Period, returns_by, returns_by_line

from .test_reports_page import csv_table, csv_url, page_table

pytestmark = pytest.mark.django_db

PAGE = reverse("reports:warranty")


@pytest.fixture
def returns(make_order, receptionist, technician, customer):
    """Three phones repaired and issued today; one came back and its line was covered."""
    issued = [make_order(Status.ISSUED) for _ in range(3)]
    claim = take_in(receptionist, customer, warranty_of=issued[0]).order
    workflow.start_diagnosis(order=claim, actor=Actor.staff(technician))
    draft = write_estimate(claim, technician, lines=())
    original = EstimateLine.objects.get(estimate__order=issued[0])
    estimates.assess_warranty(estimate=draft, actor=Actor.staff(technician),
                              covered=[original.pk], not_covered=[])
    workflow.repair_under_warranty(order=claim, actor=Actor.staff(technician), estimate=draft)
    today = timezone.localdate()
    return {"first": today.isoformat(), "last": today.isoformat()}, today


def test_the_figures_count_returns_and_their_rate(returns, technician):
    _query, today = returns
    period = Period(today, today)
    [kind] = returns_by(period, "equipment__kind__name")
    assert (kind.name, kind.issued, kind.returned, str(kind.rate)) == ("Phone", 3, 1, "33.3")
    [person] = returns_by(period, "technician__username")
    assert (person.name, person.issued, person.returned) == (technician.username, 3, 1)
    with translation.override("en"):  # the line's kind is named in the reader's language
        [line] = returns_by_line(period)
    assert (line.name, line.issued, line.returned) == ("Replace the charging port (Work)", 3, 1)


def test_a_claim_not_covered_is_a_return_of_the_order_not_of_its_lines(
    make_order, receptionist, customer
):
    issued = make_order(Status.ISSUED)
    take_in(receptionist, customer, warranty_of=issued)
    today = timezone.localdate()
    [kind] = returns_by(Period(today, today), "equipment__kind__name")
    assert (kind.issued, kind.returned) == (1, 1)
    [line] = returns_by_line(Period(today, today))
    assert (line.issued, line.returned) == (1, 0)


def test_the_page_shows_each_report_and_its_csv_matches(client, manager, returns,
                                                        django_assert_num_queries):
    query, _today = returns
    client.force_login(manager)
    client.get(PAGE, query)
    # one GROUP BY per report (the user's row and the centers of the header are kept)
    with django_assert_num_queries(3):
        content = client.get(PAGE, query).content.decode()
    for slug in ("warranty-kinds", "warranty-lines", "warranty-technicians"):
        shown = page_table(content, slug)
        assert csv_table(client.get(csv_url(slug), query)) == shown
        assert shown[1][2:] == ["1", "33.3"]
    assert content.count('<svg class="chart"') == 3


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.TECHNICIAN, Role.CASHIER])
def test_only_managers_see_warranty_returns(client, users_by_role, role):
    client.force_login(users_by_role[role])
    assert client.get(PAGE).status_code == 403
    assert client.get(csv_url("warranty-kinds")).status_code == 403


def test_a_bad_period_is_refused(client, manager):
    client.force_login(manager)
    assert client.get(PAGE, {"first": "2027-03-31", "last": "2027-03-01"}).status_code == 400
