"""Disposals confirmed at the same moment as something else happens to the same orders, each
on its own database connection: two managers with overlapping batches, and a customer who
collects while the manager confirms. Every order is disposed of at most once, in exactly one
act, and an act names exactly the orders it disposed of.

The races run as in test_workflow_concurrency.py (conftest's `race` and `separate_connections`): on
PostgreSQL as they are; on SQLite on a copy of the test database in a file."""

import pytest

from repaircenter.conftest import pay_balance, race
from repaircenter.orders import workflow
from repaircenter.orders.models import DisposalAct, Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("separate_connections"),
]
ROUNDS = 3


def test_two_managers_with_overlapping_batches(make_order, manager):
    other = type(manager).objects.create_user("mark", password="x")  # noqa: S106
    other.groups.set(manager.groups.all())
    for _ in range(ROUNDS):
        first, shared, last = (make_order(Status.DISPOSAL_DUE) for _ in range(3))

        def confirm(user, orders, method):
            def prepare():
                return lambda: workflow.confirm_disposals(
                    numbers=[o.number for o in orders], actor=Actor.staff(user), method=method)
            return prepare

        results = race(confirm(manager, [first, shared], "recycled"),
                       confirm(other, [shared, last], "scrapped"))

        assert [r == "ok" for r in results].count(True) == 1, results
        [lost] = [r for r in results if r != "ok"]
        assert isinstance(lost, workflow.Conflict | workflow.Refused), repr(lost)
        winner = (first, shared) if results[0] == "ok" else (shared, last)
        [act] = DisposalAct.objects.filter(orders__in=[o.pk for o in (first, shared, last)]
                                           ).distinct()
        assert sorted(act.orders.values_list("pk", flat=True)) == sorted(o.pk for o in winner)
        for order in (first, shared, last):
            disposed = order in winner
            assert Order.objects.get(pk=order.pk).status == (
                Status.DISPOSED if disposed else Status.DISPOSAL_DUE)
            assert OrderEvent.objects.filter(order=order, action="confirm_disposal").count() == (
                1 if disposed else 0)


def test_collected_while_the_manager_confirms(make_order, manager, receptionist):
    outcomes = set()
    for _ in range(ROUNDS):
        order, also = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
        pay_balance(order, manager)
        code = order._pickup_code

        def collect():
            page = Order.objects.get(pk=order.pk)
            return lambda: workflow.issue(order=page, actor=Actor.staff(receptionist),
                                          pickup_code=code)

        def dispose():
            return lambda: workflow.confirm_disposals(
                numbers=[order.number, also.number], actor=Actor.staff(manager),
                method="recycled")

        results = race(collect, dispose)
        assert [r == "ok" for r in results].count(True) == 1, results
        order.refresh_from_db()
        also.refresh_from_db()
        if results[0] == "ok":  # handed over: the batch is refused whole
            assert order.status == Status.ISSUED
            assert also.status == Status.DISPOSAL_DUE
            assert isinstance(results[1], workflow.Conflict | workflow.Refused)
        else:
            assert (order.status, also.status) == (Status.DISPOSED, Status.DISPOSED)
            assert isinstance(results[0], workflow.WrongState | workflow.Conflict)
        outcomes.add(order.status)
    assert DisposalAct.objects.filter(orders__status=Status.ISSUED).count() == 0
