"""Two workers sweep at the same moment, each on its own connection to PostgreSQL: every
change, event, reminder and warning happens once.

SQLite takes one writer at a time (every transaction begins IMMEDIATE), so two sweeps there
run one after the other and cannot interleave; the race that matters is PostgreSQL's, where two
transactions run at once and the compare-and-set and the unique reminder decide."""

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection

from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import EventChannel, Order, OrderEvent, Status
from repaircenter.orders.sweep import run_sweep

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LONDON = zoneinfo.ZoneInfo("Europe/London")
ROUNDS = 3
ORDERS = 4  # of each kind, per round


def sweep_twice_at_once(moment):
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index):
        try:
            barrier.wait(30)
            results[index] = run_sweep(now=moment)
        except Exception as error:  # the test says what it expects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a sweep is stuck waiting for the database"
    return results


def test_two_sweeps_at_once_do_the_work_once(make_order):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: two sweeps cannot overlap there. "
                    "Run with DATABASE_URL=postgres://… to race them.")
    start = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=LONDON)
    for round_number in range(ROUNDS):
        moment = start + datetime.timedelta(days=round_number)
        with time_machine.travel(moment, tick=False):
            lapsing = [make_order(Status.AWAITING_DECISION) for _ in range(ORDERS)]
            reminded = [make_order(Status.AWAITING_DECISION) for _ in range(ORDERS)]
            ending = [make_order(Status.READY_REPAIRED) for _ in range(ORDERS)]
        for order in ending:
            workflow.start_storage_clock(order=order, reached_at=moment,
                                         channel=EventChannel.SMS)
        Order.objects.filter(pk__in=[o.pk for o in reminded]).update(
            decision_due=moment + datetime.timedelta(days=190))
        swept_at = moment + datetime.timedelta(days=184)  # both periods over
        results = sweep_twice_at_once(swept_at)

        assert not [r for r in results if isinstance(r, Exception)], results
        # Which sweep changes which order is up to the database; together, each once.
        assert sum(r.lapsed for r in results) == ORDERS
        assert sum(r.disposal_due for r in results) == ORDERS
        assert sum(r.decision_reminders for r in results) == ORDERS
        for order in lapsing:
            assert OrderEvent.objects.filter(order=order, action="lapse_decision").count() == 1
            assert Message.objects.filter(order=order, event="ready_unrepaired").count() == 1
            assert Order.objects.get(pk=order.pk).status == Status.READY_UNREPAIRED
        for order in reminded:
            assert Message.objects.filter(order=order, event="decision_reminder").count() == 1
        for order in ending:
            assert OrderEvent.objects.filter(order=order,
                                             action="mark_disposal_due").count() == 1
            assert Message.objects.filter(order=order, event="disposal_warning").count() == 1
            assert Order.objects.get(pk=order.pk).status == Status.DISPOSAL_DUE
