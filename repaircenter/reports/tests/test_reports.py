"""Each report's figures for March 2027 on the fixed data set (conftest.py), against figures
worked out by hand."""

import datetime

import pytest

from repaircenter.reports import figures, reports
from repaircenter.reports.figures import Period

MARCH = Period(datetime.date(2027, 3, 1), datetime.date(2027, 3, 31))


def rows(report):
    return [list(row) for row in report.rows]


def test_turnaround(march):
    # Received to ready, in days: A 1, B 2, C 3, D 6, G 2, H 7, and L 187 days and an hour
    # (30 August, summer time, to 5 March). Sorted: 1 2 2 3 6 7 187.04.
    # Median: the 4th, 3. 90th percentile: position 0.9 × 6 = 5.4, between 7 and 187.04:
    # 7 + 0.4 × 180.04 = 79.02.
    # Received to issued: E 5 days, D 10. Median 7.5; 90th: 5 + 0.9 × 5 = 9.5.
    assert rows(reports.turnaround(MARCH)) == [
        ["Received to ready", "7", "3.0", "79.0"],
        ["Received to issued", "2", "7.5", "9.5"],
    ]
    found = figures.turnaround(MARCH)
    assert found.to_ready.p90 == pytest.approx((7 + 0.4 * (187 + 1 / 24 - 7)) * 86400, abs=1)


def test_diagnostics_within_the_target(march):
    # F (estimate 2 March) and G (not repairable 3 March) by the 3rd; H (5 March) late.
    # A to D were taken back during diagnostics: not finished diagnostics.
    assert rows(reports.diagnostics(MARCH)) == [["3", "2", "1", "66.7"]]


def test_approval_rate(march):
    # F approved, H refused, L's period lapsed. A to D refused before any estimate: not
    # decisions on an estimate.
    assert rows(reports.approvals(MARCH)) == [["3", "1", "1", "1", "33.3"]]


def test_revenue_by_week(march):
    # Weeks from Monday: 1 March (E 25.00, F 20.00), 8 March (C 25.00, D 25.00 on the
    # Saturday), 22 March (10.00 back to C). B's payment is in April.
    assert rows(reports.revenue_by_week(MARCH)) == [
        ["Week of 1 Mar 2027", "2", "45.00", "0.00", "45.00"],
        ["Week of 8 Mar 2027", "2", "50.00", "0.00", "50.00"],
        ["Week of 22 Mar 2027", "0", "0.00", "10.00", "-10.00"],
        ["The whole period", "4", "95.00", "10.00", "85.00"],
    ]


def test_revenue_by_month(march):
    spring = Period(datetime.date(2027, 3, 1), datetime.date(2027, 4, 30))
    assert rows(reports.revenue_by_month(spring)) == [
        ["March 2027", "4", "95.00", "10.00", "85.00"],
        ["April 2027", "1", "25.00", "0.00", "25.00"],
        ["The whole period", "5", "120.00", "10.00", "110.00"],
    ]
    # A period that cuts a week or a month counts only its own days.
    assert rows(reports.revenue_by_week(Period(datetime.date(2027, 3, 6),
                                               datetime.date(2027, 3, 13)))) == [
        ["Week of 8 Mar 2027", "2", "50.00", "0.00", "50.00"],
        ["The whole period", "2", "50.00", "0.00", "50.00"],
    ]


def test_diagnostics_fees(march):
    # Returned unrepaired in March: A and B (laptops, 40.00), C, D, G, H and L (phones, 25.00).
    # E became ready in February.
    assert rows(reports.diagnostics_fees(MARCH)) == [
        ["Laptop", "2", "2", "80.00"],
        ["Phone", "5", "5", "125.00"],
        ["All kinds", "7", "7", "205.00"],
    ]


def test_equipment_in_storage_now(march):
    # Waiting now: A, B, C, G, H and L unrepaired (A ready since 2 March); N due for disposal
    # (ready since 5 January 2026); D, E issued, M disposed of, F approved.
    assert rows(reports.storage(MARCH)) == [
        ["Ready for collection (repaired)", "0", ""],
        ["Ready for collection (unrepaired)", "6", "2027-03-02"],
        ["Due for disposal", "1", "2026-01-05"],
    ]


def test_disposals(march):
    assert rows(reports.disposals(MARCH)) == [["Recycled", "1", "1"]]
    assert rows(reports.disposals(Period(datetime.date(2027, 4, 1),
                                         datetime.date(2027, 4, 30)))) == []


def test_messages_by_channel(march):
    # Written in March: by SMS, A B C D two each (received, ready) and L's lapse notice: 9,
    # all failed on 1 April (the channel was off). By email, F 2, G 2, H 3: 7, delivered.
    # The emails that replaced the failed SMS were written in April.
    assert rows(reports.messages(MARCH)) == [
        ["Email", "7", "7", "0", "0", "0"],
        ["SMS", "9", "0", "0", "9", "0"],
    ]


def test_an_empty_period(db):
    empty = Period(datetime.date(2030, 1, 1), datetime.date(2030, 1, 31))
    assert rows(reports.turnaround(empty)) == [
        ["Received to ready", "0", "", ""], ["Received to issued", "0", "", ""]]
    assert rows(reports.diagnostics(empty)) == [["0", "0", "0", ""]]
    assert rows(reports.approvals(empty)) == [["0", "0", "0", "0", ""]]
    assert rows(reports.diagnostics_fees(empty)) == []
    assert rows(reports.revenue_by_week(empty)) == rows(reports.revenue_by_month(empty)) == []
    assert rows(reports.messages(empty)) == []


def test_the_period_is_the_centers_calendar_days(march):
    """1 March alone: A was received at 09:00 and B too, nothing ready yet; the period ends at
    midnight in London."""
    first = Period(datetime.date(2027, 3, 1), datetime.date(2027, 3, 1))
    assert rows(reports.turnaround(first))[0][1] == "0"
    second = Period(datetime.date(2027, 3, 2), datetime.date(2027, 3, 2))
    # A became ready on 2 March; E was issued on 2 March.
    assert rows(reports.turnaround(second)) == [
        ["Received to ready", "1", "1.0", "1.0"], ["Received to issued", "1", "5.0", "5.0"]]


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([4], 4, 4), ([1, 2], 1.5, 1.9), ([1, 2, 3, 4, 10], 3, 7.6)],
)
def test_percentiles_interpolate_like_percentile_cont(march, values, median, p90):
    """The same continuous percentile on SQLite (an ordered query with OFFSET) as on
    PostgreSQL (percentile_cont): whole days between received and ready."""
    from repaircenter.orders.models import Order

    orders = list(Order.objects.order_by("pk")[: len(values)])
    ids = []
    for order, days in zip(orders, values, strict=True):
        Order.objects.filter(pk=order.pk).update(
            ready_at=order.received_at + datetime.timedelta(days=days))
        ids.append(order.pk)
    found = figures.spread(Order.objects.filter(pk__in=ids), "ready_at", "received_at")
    assert found.count == len(values)
    assert found.median / 86400 == pytest.approx(median)
    assert found.p90 / 86400 == pytest.approx(p90)
