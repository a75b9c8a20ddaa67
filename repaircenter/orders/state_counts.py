"""How many orders are in some states, read from StateCount (orders/models.py) rather than
counted: the rows the database writes on every change of an order's state, added up."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Sum

from .models import Order, StateCount


def orders_in(statuses: Iterable[str], centers: Iterable[int] | None = None) -> int:
    """How many orders are in `statuses`: of every center, or of the `centers` (ids). A
    statement written here, not by the ORM: the ORM took twice as long to write it as
    PostgreSQL takes to answer it."""
    statuses = list(statuses)
    sql = (f"SELECT SUM(orders) FROM {StateCount._meta.db_table} "  # noqa: S608 — no input
           f"WHERE status IN ({', '.join(['%s'] * len(statuses))})")
    if centers is not None:
        centers = list(centers)
        if not centers:
            return 0
        sql += f" AND center_id IN ({', '.join(['%s'] * len(centers))})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statuses, *(centers or ())])
        return cursor.fetchone()[0] or 0


def orders_by_state(centers: Iterable[int] | None = None) -> dict[str, int]:
    """How many orders each state holds: of every center, or of the `centers` (ids)."""
    counts = StateCount.objects.all() if centers is None else StateCount.objects.filter(
        center_id__in=list(centers))
    return {row["status"]: row["n"] for row in
            counts.values("status").annotate(n=Sum("orders")).order_by()}


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
                "WITH gone AS (DELETE FROM orders_statecount "
                "RETURNING center_id, status, orders) "
                "INSERT INTO orders_statecount (center_id, status, orders) "
                "SELECT center_id, status, SUM(orders) FROM gone GROUP BY center_id, status "
                "HAVING SUM(orders) <> 0")
        return
    with transaction.atomic():
        sums = [row for row in StateCount.objects.values("center_id", "status")
                .annotate(n=Sum("orders")).order_by() if row["n"]]
        StateCount.objects.all().delete()
        StateCount.objects.bulk_create(
            StateCount(center_id=row["center_id"], status=row["status"], orders=row["n"])
            for row in sums)


def recount_state_counts() -> None:
    """Counts every center's orders in every state afresh, in place of the rows: after orders
    were written with the triggers off (bench-data loads as PostgreSQL's replica role). Orders
    wait while it counts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE orders_order IN SHARE MODE")
        StateCount.objects.all().delete()
        StateCount.objects.bulk_create(
            StateCount(center_id=row["center_id"], status=row["status"], orders=row["n"])
            for row in Order.objects.values("center_id", "status").annotate(n=Count("pk"))
            .order_by())
