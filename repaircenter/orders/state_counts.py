"""How many orders are in some states, read from StateCount (orders/models.py) rather than
counted: the rows the database writes on every change of an order's state, added up."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Sum

from .models import Order, StateCount

TABLE = StateCount._meta.db_table


def orders_in(statuses: Iterable[str], centers: Iterable[int] | None = None) -> int:
    """How many orders are in `statuses`: of every center, or of the `centers` (ids)."""
    return sum(orders_by_state(centers, statuses).values())


def orders_by_state(centers: Iterable[int] | None = None,
                    statuses: Iterable[str] | None = None) -> dict[str, int]:
    """How many orders each state holds (of `statuses`, else of every state): of every center,
    or of the `centers` (ids). A statement written here, not by the ORM: the ORM took twice as
    long to write it as PostgreSQL takes to answer it, on every queue page."""
    conditions, params = [], []
    for column, values in (("status", statuses), ("center_id", centers)):
        if values is not None:
            values = list(values)
            if not values:
                return {}
            conditions.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
            params += values
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, SUM(orders) FROM {TABLE}{where} "  # noqa: S608 — no input
                       "GROUP BY status", params)
        return dict(cursor.fetchall())


def fold_state_counts() -> None:
    """Folds the rows written so far into one per center and state (none where they add up to
    nothing): a worker round, so that a count reads a few hundred rows, not every change since
    the start.

    The rows summed are the rows deleted, even while orders change: on PostgreSQL one statement
    deletes them and writes their sums (a row not yet committed is neither); on SQLite the
    transaction holds the database's one write lock from its start (settings: IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH gone AS (DELETE FROM {TABLE} "  # noqa: S608 — no input
                "RETURNING center_id, status, orders) "
                f"INSERT INTO {TABLE} (center_id, status, orders) "
                "SELECT center_id, status, SUM(orders) FROM gone GROUP BY center_id, status "
                "HAVING SUM(orders) <> 0")
        return
    with transaction.atomic():
        _counted_afresh(StateCount.objects.values("center_id", "status")
                        .annotate(n=Sum("orders")).order_by())


def recount_state_counts() -> None:
    """Counts every center's orders in every state afresh, in place of the rows: after orders
    were written with the triggers off (bench-data loads as PostgreSQL's replica role). Orders
    wait while it counts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE orders_order IN SHARE MODE")
        _counted_afresh(Order.objects.values("center_id", "status").annotate(n=Count("pk"))
                        .order_by())


def _counted_afresh(sums) -> None:
    """The rows replaced by one per center and state, of the `sums` (center_id, status, n;
    read before the rows go), those that are not nothing. Inside a transaction."""
    sums = [row for row in sums if row["n"]]
    StateCount.objects.all().delete()
    StateCount.objects.bulk_create(
        StateCount(center_id=row["center_id"], status=row["status"], orders=row["n"])
        for row in sums)
