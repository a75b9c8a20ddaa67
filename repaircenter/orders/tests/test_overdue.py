"""Overdue in every waiting state: each state's target (states.Target), the queues that flag
the overdue and list them first, the home page that counts them per queue."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from repaircenter.orders.models import Order, Status
from repaircenter.orders.selectors import is_overdue, overdue
from repaircenter.orders.states import QUEUES, STATES
from repaircenter.orders.tests.test_queues import (
    is_marked_overdue,
    listed_numbers,
    queue_url,
    rows_by_number,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, technician):
    client.force_login(technician)
    # The first request after login stores the idle clock in the session: warm it up.
    assert client.get(reverse("staff:home")).status_code == 200
    return client


def past(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def test_every_state_of_a_queue_declares_its_target():
    for state in STATES.values():
        if state.queue:
            assert state.target is not None, state.value
            assert bool(state.target.due) != bool(state.target.field), state.value
            if state.target.field:
                Order._meta.get_field(state.target.field)  # a stored moment of the order
        if state.closed:
            assert state.target is None


def test_the_repair_is_due_in_the_estimates_working_days_from_the_approval(make_order):
    order = make_order(Status.APPROVED)  # the estimate of conftest gives 2 repair days
    center = order.center
    day = center.working_days_after(center.local_date(order.decided_at), 2)
    assert timezone.localtime(order.due_at, center.zone).date() == day + datetime.timedelta(1)
    assert not is_overdue(order)
    repairing = make_order(Status.REPAIRING)
    assert repairing.due_at is not None
    testing = make_order(Status.TESTING)
    assert testing.due_at > timezone.now()


def test_the_in_repair_queue_lists_the_overdue_first_and_flags_them(staff, make_order):
    on_time = make_order(Status.APPROVED)
    late_test = make_order(Status.TESTING)
    late_repair = make_order(Status.REPAIRING)
    Order.objects.filter(pk=late_test.pk).update(due_at=past(1))
    Order.objects.filter(pk=late_repair.pk).update(due_at=past(3))
    response = staff.get(queue_url("in-repair"))
    shown = listed_numbers(response)
    assert set(shown[:2]) == {late_test.number, late_repair.number}
    assert shown[2] == on_time.number
    rows = rows_by_number(response)
    assert is_marked_overdue(rows[late_test.number])
    assert is_marked_overdue(rows[late_repair.number])
    assert not is_marked_overdue(rows[on_time.number])
    assert "Repair by" in rows[on_time.number]


def test_a_decision_past_its_period_is_overdue(staff, make_order):
    waiting, late = make_order(Status.AWAITING_DECISION), make_order(Status.AWAITING_DECISION)
    Order.objects.filter(pk=late.pk).update(decision_due=past(0.1))
    response = staff.get(queue_url("awaiting-decision"))
    assert listed_numbers(response)[0] == late.number
    rows = rows_by_number(response)
    assert is_marked_overdue(rows[late.number]) and not is_marked_overdue(rows[waiting.number])


def test_ready_equipment_whose_customer_is_not_reached_in_two_days_is_overdue(staff,
                                                                               make_order):
    reached = make_order(Status.READY_REPAIRED)
    fresh = make_order(Status.READY_UNREPAIRED)
    unreached = make_order(Status.READY_REPAIRED)
    Order.objects.filter(pk__in=[reached.pk, fresh.pk, unreached.pk]).update(
        customer_reached_at=None)
    Order.objects.filter(pk=reached.pk).update(ready_at=past(5), customer_reached_at=past(4))
    Order.objects.filter(pk=fresh.pk).update(ready_at=past(1))
    Order.objects.filter(pk=unreached.pk).update(ready_at=past(3))
    late = set(Order.objects.filter(overdue(QUEUES["ready"].statuses)).values_list("pk",
                                                                                   flat=True))
    assert late == {unreached.pk}
    assert listed_numbers(staff.get(queue_url("ready")))[0] == unreached.number


def test_a_disposal_unconfirmed_a_month_after_storage_ended_is_overdue(make_order):
    recent, old = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    Order.objects.filter(pk=recent.pk).update(storage_due=past(10))
    Order.objects.filter(pk=old.pk).update(storage_due=past(31))
    late = Order.objects.filter(overdue(QUEUES["disposal"].statuses))
    assert list(late) == [old]
    assert is_overdue(Order.objects.get(pk=old.pk))
    assert not is_overdue(Order.objects.get(pk=recent.pk))


def test_the_order_page_says_it_is_overdue(staff, make_order):
    order = make_order(Status.TESTING)
    page = staff.get(reverse("staff:order", args=[order.number])).content.decode()
    assert "badge-overdue" not in page.split("</hgroup>")[0]
    Order.objects.filter(pk=order.pk).update(due_at=past(1))
    page = staff.get(reverse("staff:order", args=[order.number])).content.decode()
    assert "overdue: test done by" in page.split("</hgroup>")[0]


def home_overdue(response) -> dict[str, int]:
    """Each queue card's overdue badge, by the queue's slug."""
    content = response.content.decode()
    counts = {}
    for slug in QUEUES:
        card = content.split(f'href="{queue_url(slug)}"')[1].split("</article>")[0]
        found = re.search(r'badge-overdue">(\d+) overdue<', card)
        counts[slug] = int(found.group(1)) if found else 0
    return counts


def test_the_home_page_counts_the_overdue_of_each_queue(staff, make_order,
                                                        django_assert_max_num_queries):
    diagnose = make_order(Status.RECEIVED)
    Order.objects.filter(pk=diagnose.pk).update(diagnosis_due=timezone.localdate() -
                                                datetime.timedelta(days=1))
    decision = make_order(Status.AWAITING_DECISION)
    Order.objects.filter(pk=decision.pk).update(decision_due=past(1))
    repairs = [make_order(Status.REPAIRING), make_order(Status.APPROVED)]
    Order.objects.filter(pk__in=[o.pk for o in repairs]).update(due_at=past(1))
    make_order(Status.TESTING)  # on time
    with django_assert_max_num_queries(5):
        response = staff.get(reverse("staff:home"))
    assert home_overdue(response) == {"to-diagnose": 1, "awaiting-decision": 1,
                                       "in-repair": 2, "waiting-for-parts": 0, "ready": 0,
                                       "disposal": 0}


def test_the_queues_keep_to_the_center_chosen(staff, make_order, technician):
    late = make_order(Status.REPAIRING)
    Order.objects.filter(pk=late.pk).update(due_at=past(1))
    counts = staff.get(reverse("staff:home"))
    assert home_overdue(counts)["in-repair"] == 1
    from repaircenter.centers.models import Center

    other = Center.objects.create(name="North", number_prefix="N", time_zone="UTC")
    technician.centers.set([other])
    staff.force_login(technician)
    assert home_overdue(staff.get(reverse("staff:home")))["in-repair"] == 0


def test_queues_sorted_by_their_target_need_no_extra_sort():
    assert {slug for slug, q in QUEUES.items() if q.sorted_by_target} == {
        "to-diagnose", "awaiting-decision", "waiting-for-parts", "disposal"}


def test_the_migration_gives_orders_already_in_repair_their_due_moment(make_order):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "repaircenter.orders.migrations.0020_intake_records_and_due_at")
    approved, testing = make_order(Status.APPROVED), make_order(Status.TESTING)
    received = make_order(Status.RECEIVED)
    expected = {o.pk: o.due_at for o in (approved, testing)}
    Order.objects.update(due_at=None)  # as they were before the migration
    migration.backfill_due_at(apps, None)
    assert {o.pk: o.due_at for o in Order.objects.filter(pk__in=expected)} == expected
    assert Order.objects.get(pk=received.pk).due_at is None
