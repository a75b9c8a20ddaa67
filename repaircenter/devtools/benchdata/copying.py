"""Large runs: a template of orders made in Python, copied by the database."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Model

from repaircenter.billing.models import Payment
from repaircenter.customers.models import Customer, name_search_key
from repaircenter.documents.models import Document
from repaircenter.notifications.models import Message
from repaircenter.orders.models import DisposalAct, Equipment, Order

from .vocabulary import FIRST_NAMES
from .writing import WRITE_ORDER

if TYPE_CHECKING:
    from .generator import Generator

# Above this many orders, a template of about TEMPLATE orders is made in Python and copied by
# the database (INSERT … SELECT, one statement per table), each copy with its own ids,
# numbers, customers (phone, name), serial numbers, links and keys, and the same dates: the
# proportions and deadlines stay those of the template. Making every order in Python costs a
# few milliseconds each, which on a busy machine is an hour for a million.
DIRECT_MAX = 20_000
TEMPLATE = 10_000


def copies_for(orders: int) -> int:
    """How many copies of a template make `orders` (1: all made directly)."""
    if orders <= DIRECT_MAX:
        return 1
    copies = orders // TEMPLATE
    while orders % copies:
        copies -= 1
    return copies


# The numbered columns: each copy of a template row takes the next number after it.
NUMBERS = ((Order, "number"), (Order, "center_number"), (Document, "number"),
           (DisposalAct, "number"))

class Replicator:
    """Copies the template (every row the generator wrote) `copies - 1` times with INSERT …
    SELECT from a table of copy numbers, one statement per table."""

    def __init__(self, generator: Generator, first_ids: dict[type[Model], int]) -> None:
        self.g = generator
        self.k = generator.copies
        self.vendor = connection.vendor
        self.ranges: dict[type[Model], tuple[int, int]] = {}
        for model, first in first_ids.items():
            last = generator.ids._next[model] - 1
            self.ranges[model] = (first, last)
        for model in first_ids:  # equipment, lines done: their key is their order's, line's
            if model._meta.pk.is_relation:
                self.ranges[model] = self.ranges[model._meta.pk.related_model]

    def offset(self, model: type[Model]) -> int:
        first, last = self.ranges[model]
        return last - first + 1

    def run(self) -> None:
        q = connection.ops.quote_name
        k = self.k
        with transaction.atomic(), connection.cursor() as cursor:
            # Numbers interleave the copies, so that they still grow with the intake date:
            # template order n becomes (n - 1) * k + 1 and its copies follow it. A detour
            # above every number in use keeps the unique indexes happy during the UPDATE.
            # A center's count does the same: the centers take the template's orders in turn,
            # so the copies of its n-th order are its next k orders, and it stays gapless.
            for model, column in NUMBERS:
                table, number = q(model._meta.db_table), q(column)
                first, last = self.ranges[model]
                cursor.execute(f"UPDATE {table} SET {number} = {number} + 1000000000 "  # noqa: S608
                               f"WHERE id BETWEEN %s AND %s", [first, last])
                cursor.execute(f"UPDATE {table} SET {number} = ({number} - 1000000001) * %s "  # noqa: S608
                               f"+ 1 WHERE id BETWEEN %s AND %s", [k, first, last])
            cursor.execute("CREATE TABLE bench_copies (k integer PRIMARY KEY)")
            cursor.execute("CREATE TABLE bench_names (i integer PRIMARY KEY, name varchar(200), "
                           "name_key varchar(200))")
        names = [f"{first} {last}" for first in FIRST_NAMES for last in self.g.surnames]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_copies (k) VALUES (%s)",
                               [(i,) for i in range(1, k)])
            cursor.executemany("INSERT INTO bench_names (i, name, name_key) VALUES (%s, %s, %s)",
                               [(i, n, name_search_key(n)) for i, n in enumerate(names)])
        self.name_count = len(names)
        try:
            for model in WRITE_ORDER:
                started = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    if self.g.replica:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                    cursor.execute(self.copy_sql(model))
                    self.g.writer.rows_written[model._meta.label] += max(cursor.rowcount, 0)
                self.g.log(f"  copied {model._meta.label} ({time.perf_counter() - started:.0f} s)")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE bench_copies")
                cursor.execute("DROP TABLE bench_names")

    def copy_sql(self, model: type[Model]) -> str:
        q = connection.ops.quote_name
        pg = self.vendor == "postgresql"
        columns, values = [], []
        joins = ""

        def text(expr: str) -> str:
            return f"CAST({expr} AS {'text' if pg else 'TEXT'})"

        def padded(expr: str, width: int) -> str:
            return (f"lpad({text(expr)}, {width}, '0')" if pg
                    else f"printf('%0{width}d', {expr})")

        random_hex = ("replace(CAST(gen_random_uuid() AS text), '-', '')" if pg
                      else "lower(hex(randomblob(16)))")
        random_uuid = "gen_random_uuid()" if pg else random_hex
        for f in model._meta.concrete_fields:
            column = f"t.{q(f.column)}"
            expr = column
            if f.is_relation and f.related_model in self.ranges:
                expr = f"{column} + c.k * {self.offset(f.related_model)}"
            elif f.primary_key:
                expr = f"{column} + c.k * {self.offset(model)}"
            special = (model, f.name)
            if special in NUMBERS:
                expr = f"{column} + c.k"
            elif special == (Order, "portal_token_digest"):
                # A copy's link opens nothing: a random digest, and no nonce to rebuild it from.
                expr = (f"{random_hex} || {random_hex}" if pg
                        else "lower(hex(randomblob(32)))")
            elif special == (Order, "portal_nonce"):
                expr = "''"
            elif special in ((Message, "key"), (Payment, "idempotency_key")):
                expr = random_uuid
            elif special == (Customer, "phone"):
                serial = f"CAST(substr({column}, 7) AS integer)"
                expr = f"'+44771' || {padded(f'{serial} + c.k * {self.g.customer_serial}', 7)}"
            elif special == (Customer, "name"):
                expr = "n.name"
                joins = (f" JOIN bench_names n ON n.i = (t.id * 7919 + c.k * 104729) "
                         f"% {self.name_count}")
            elif special == (Customer, "name_key"):
                expr = "n.name_key"
            elif special == (Equipment, "serial_number"):
                expr = f"{column} || {text('c.k')}"
            elif special == (Equipment, "imei"):
                expr = (f"CASE WHEN {column} = '' THEN '' ELSE substr({column}, 1, 2) || "
                        f"{padded('c.k', 3)} || substr({column}, 6) END")
            columns.append(q(f.column))
            values.append(expr)
        first, last = self.ranges[model]
        table = q(model._meta.db_table)
        pk = q(model._meta.pk.column)
        return (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 — names from models
                f"SELECT {', '.join(values)} FROM {table} t CROSS JOIN bench_copies c{joins} "
                f"WHERE t.{pk} BETWEEN {first} AND {last}")
