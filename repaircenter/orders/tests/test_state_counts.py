"""StateCount: the database itself counts each center's orders in each state (orders/models.py),
and a queue's count is read from those rows."""

import datetime
import importlib
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Sum

from repaircenter.orders.models import Order, StateCount, Status
from repaircenter.orders.selectors import is_overdue, queue_counts, queue_order_ids
from repaircenter.orders.state_counts import fold_state_counts, orders_in, recount_state_counts
from repaircenter.orders.states import QUEUES, STORED_STATES
from repaircenter.orders.sweep import run_sweep
from repaircenter.orders.workplace import Workplace


def actual() -> dict[tuple[int, str], int]:
    return {(row["center_id"], row["status"]): row["n"] for row in
            Order.objects.values("center_id", "status").annotate(n=Count("pk")).order_by()}


def counted() -> dict[tuple[int, str], int]:
    return {(row["center_id"], row["status"]): row["n"] for row in
            StateCount.objects.values("center_id", "status").annotate(n=Sum("orders"))
            .order_by() if row["n"]}


def test_every_change_of_state_or_center_is_counted_whoever_makes_it(make_order, east, west):
    make_order(Status.RECEIVED)
    make_order(Status.AWAITING_DECISION, center=west)
    make_order(Status.ISSUED)
    make_order(Status.DISPOSED, center=west)
    assert counted() == actual()
    assert counted()[(west.pk, Status.DISPOSED)] == 1
    # Bulk updates, as the sweep and data migrations make them, and a change of center.
    Order.objects.filter(status=Status.RECEIVED).update(status=Status.DIAGNOSING)
    Order.objects.filter(center=west, status=Status.AWAITING_DECISION).update(
        center=east, center_number=1000)
    assert counted() == actual()
    assert (west.pk, Status.AWAITING_DECISION) not in counted()
    # A change of neither writes nothing.
    rows = StateCount.objects.count()
    Order.objects.update(version=F("version") + 1, storage_location="B2")
    assert StateCount.objects.count() == rows


def test_the_sweep_lapsing_decisions_is_counted(make_order):
    waiting = make_order(Status.AWAITING_DECISION)
    run_sweep(now=waiting.decision_due + datetime.timedelta(days=2))
    waiting.refresh_from_db()
    assert waiting.status == Status.READY_UNREPAIRED
    assert counted() == actual() == {(waiting.center_id, Status.READY_UNREPAIRED): 1}


def test_folding_leaves_one_row_a_center_and_state_and_the_same_counts(make_order, west):
    make_order(Status.REPAIRING)
    make_order(Status.REPAIRING, center=west)
    make_order(Status.ISSUED, center=west)
    before = counted()
    assert StateCount.objects.count() > len(before)  # a row for each step of each order
    fold_state_counts()
    assert counted() == before == actual()
    rows = list(StateCount.objects.values_list("center_id", "status", "orders"))
    assert sorted(rows) == sorted((*key, n) for key, n in before.items())
    fold_state_counts()  # nothing new: the same rows
    assert sorted(StateCount.objects.values_list("center_id", "status", "orders")) == sorted(rows)


def test_recounting_puts_back_what_orders_written_without_the_triggers_lack(make_order, west):
    make_order(Status.TESTING)
    make_order(Status.READY_REPAIRED, center=west)
    StateCount.objects.all().delete()  # as after bench-data's load with the triggers off
    assert counted() == {}
    recount_state_counts()
    assert counted() == actual() and len(actual()) == 2
    assert StateCount.objects.count() == 2


def test_the_migration_counts_the_orders_already_there(make_order):
    make_order(Status.DIAGNOSING)
    make_order(Status.DIAGNOSING)
    StateCount.objects.all().delete()
    migration = importlib.import_module("repaircenter.orders.migrations.0024_state_counts")
    with connection.cursor() as cursor:
        cursor.execute(migration.COUNTED)
    assert counted() == actual() == {(Order.objects.first().center_id, Status.DIAGNOSING): 2}


def test_a_queue_is_counted_from_the_rows_of_its_states_and_place(
        make_order, east, west, django_assert_num_queries):
    make_order(Status.APPROVED)
    make_order(Status.TESTING, center=west)
    make_order(Status.RECEIVED, center=west)
    in_repair = QUEUES["in-repair"]
    with django_assert_num_queries(1):
        assert queue_order_ids(in_repair).count() == 2
    both = (east, west)
    assert queue_order_ids(in_repair, Workplace(west, None, both, True)).count() == 1
    assert queue_order_ids(in_repair, Workplace(None, frozenset({east.pk}), both, False)
                           ).count() == 1
    assert queue_order_ids(in_repair, Workplace(None, frozenset(), (), False)).count() == 0
    # It reads the rows, not the orders: a row added by hand is counted.
    StateCount.objects.create(center=east, status=Status.REPAIRING, orders=5)
    assert queue_order_ids(in_repair).count() == 7
    assert orders_in([Status.REPAIRING, Status.TESTING], [west.pk]) == 1
    assert orders_in([Status.DISPOSED]) == 0


# The seeded roles and kinds are data migrations: restored after a transactional test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_folding_while_orders_change_on_another_connection_loses_no_change(
        separate_connections, make_order):
    orders = [make_order(Status.RECEIVED) for _ in range(3)]
    stop, errors = threading.Event(), []

    def change_states():
        try:
            states = [Status.DIAGNOSING, Status.RECEIVED]
            for turn in range(60):
                with transaction.atomic():
                    for order in orders:
                        Order.objects.filter(pk=order.pk).update(status=states[turn % 2])
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            stop.set()
            connection.close()  # this thread's

    changer = threading.Thread(target=change_states)
    changer.start()
    folds = 0
    while not stop.is_set() or folds == 0:
        fold_state_counts()
        folds += 1
    changer.join(timeout=60)
    assert errors == []
    assert counted() == actual() == {(orders[0].center_id, Status.RECEIVED): 3}
    fold_state_counts()
    assert StateCount.objects.count() == 1



def test_the_home_counts_are_the_orders_counted_one_by_one_in_every_place(make_order, east, west):
    make_order(Status.RECEIVED)
    late = make_order(Status.DIAGNOSING, center=west)
    Order.objects.filter(pk=late.pk).update(diagnosis_due=datetime.date(2020, 1, 1))
    make_order(Status.AWAITING_DECISION)
    shelved = make_order(Status.READY_REPAIRED, center=west)
    Order.objects.filter(pk=shelved.pk).update(storage_location="A1")
    make_order(Status.READY_UNREPAIRED)  # not put away yet
    make_order(Status.ISSUED)
    both = (east, west)
    for place in (None, Workplace(west, None, both, True), Workplace(east, None, both, True),
                  Workplace(None, frozenset({west.pk}), both, False)):
        listed = list(Order.objects.all() if place is None else place.listed(Order.objects.all()))
        expected = {}
        for slug, queue in QUEUES.items():
            in_queue = [o for o in listed if o.status in queue.statuses]
            expected[slug] = len(in_queue)
            expected[f"{slug}:overdue"] = sum(is_overdue(o) for o in in_queue)
        stored = [o for o in listed if o.status in STORED_STATES]
        expected["stored"] = len(stored)
        expected["unshelved"] = sum(not o.storage_location for o in stored)
        assert queue_counts(place) == expected, place
    assert queue_counts()["to-diagnose:overdue"] == 1 and queue_counts()["unshelved"] == 1
