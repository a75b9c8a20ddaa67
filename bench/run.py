"""Benchmark of the product on generated data, each case next to a raw query that returns the same
rows through the driver alone (sqlite3 / psycopg), timed in the same process and run.

    python bench/run.py --target "SQLite 10k=sqlite:////work/benchdata/bench10k.sqlite3" \\
                        --target "PostgreSQL 10k=postgres://postgres@127.0.0.1:5432/bench10k"

Fill each database first with `python -m repaircenter bench-data --orders N`. Cases:

  B1  staff search by phone, serial number, IMEI, order number, name (the view with its template)
  B2  the staff order page of the order with the longest history
  B3  the customer's order page (/o/<token>/) of the same order
  B4  each staff queue page (first page: the count and 100 rows)
  B7  in a chain (bench-data --centers N): the flagship center's queues and its search by phone
      and name, as its staff see them (the center chosen in the header), next to the same raw
      queries limited to that center
  B8  with a parts catalogue (bench-data --parts N): the estimate editor searching the catalogue
      for a part (code, name or model, with the stock at the order's center), and receiving a
      purchase order that serves the orders waiting for its parts (rolled back each time),
      each against the same statements by hand
  B5  the deadline sweep a month ahead, rolled back each time, against one raw UPDATE of the same
      orders; and its statement count
  B6  bench/worker_sms.py (the worker sending SMS against a bare loop), once per database kind
  load: gunicorn with production settings and wrk against the order page, the customer page and
      /livez (200 with no work), the three taking turns two seconds at a time

Django's requests go through Django's WSGI handler as gunicorn calls it (every middleware, the
template, the session; `ServerClient`), the test client logging in and keeping the cookies.
Django and raw repetitions are interleaved; each case reports the median and the 95th
percentile. The targets are measured side by side, each in a process of its own, taking turns
case by case (`Turns`): one runs while the others wait, so that a case's growth from one size
to the next compares two sizes measured a second apart, not minutes (this machine's pace was
seen to halve and recover within seconds). Results go to a JSON file per target and to the
table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
QUEUE_SLUGS = ["to-diagnose", "awaiting-decision", "in-repair", "ready", "disposal"]


# --- figures -------------------------------------------------------------------------------------


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000,
            "n": len(ordered)}


class Turns:
    """A measuring process's turns among the targets' processes (bench/run.py's `--turns`):
    it runs only between being given the turn (a byte on `given`) and handing it back (a byte
    on `handed`); the parent passes the turn round (`take_turns`). Without pipes: no waiting."""

    def __init__(self, given: int | None = None, handed: int | None = None):
        self.given, self.handed = given, handed

    def start(self) -> None:
        if self.given is not None and not os.read(self.given, 1):
            raise SystemExit("the benchmark's parent is gone")

    def next(self) -> None:
        """Hands the turn back and waits for it again."""
        if self.handed is not None:
            os.write(self.handed, b"r")
            self.start()

    def end(self) -> None:
        for fd in (self.given, self.handed):
            if fd is not None:
                os.close(fd)
        self.given = self.handed = None


TURNS = Turns()


def interleaved(django_call, raw_call, repetitions: int, warmup: int = 3) -> dict:
    TURNS.next()  # the others' turn (each measures the case before this one), then this one
    for _ in range(warmup):
        django_call()
        raw_call()
    django_times, raw_times = [], []
    for index in range(repetitions):
        pair = [(django_call, django_times), (raw_call, raw_times)]
        if index % 2:
            pair.reverse()  # neither side always runs second, with warm caches
        for call, times in pair:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    django, raw = summary(django_times), summary(raw_times)
    return {"django": django, "raw": raw,
            "ratio": django["median_ms"] / raw["median_ms"] if raw["median_ms"] else None}


def server_client():
    """A test client whose GET requests are answered as a server answers them (`ServerClient`),
    made once Django is set up."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    class ServerClient(Client):
        """Django's test client, except that a GET is answered by Django's WSGI handler, the one
        gunicorn calls, with the cookies the client keeps. The test client's own handler does
        what no server does on every request: it connects and disconnects two signals to
        capture the templates drawn, and it leaves the script prefix unset, so that every URL
        a page writes (its stylesheets, its links) looks the prefix up and misses: 0.05 ms of a
        1.3 ms search page. A POST still goes through the test client (it skips the CSRF check
        that a benchmark's POSTs have no form for)."""

        server = WSGIHandler()

        def request(self, **request):
            if request.get("REQUEST_METHOD") != "GET":
                return super().request(**request)
            response = self.server(self._base_environ(**request), lambda status, headers: None)
            response.close()  # as a server does once it has sent the body: request_finished
            if response.cookies:
                self.cookies.update(response.cookies)
            return response

    return ServerClient()


# --- one database: measured in a process of its own -----------------------------------------------


class Raw:
    """The driver alone: sqlite3 or psycopg, on a connection of its own."""

    def __init__(self, url: str):
        self.postgres = url.startswith("postgres")
        if self.postgres:
            import psycopg

            self.connection = psycopg.connect(url, autocommit=True)
        else:
            import sqlite3

            self.connection = sqlite3.connect(urlparse(url).path, isolation_level=None)

    def sql(self, text: str) -> str:
        return text if self.postgres else text.replace("%s", "?")

    def rows(self, text: str, params=()) -> list:
        cursor = self.connection.cursor()
        cursor.execute(self.sql(text), params)
        return cursor.fetchall()

    def when(self, moment: datetime.datetime):
        """A datetime as the column holds it (SQLite: UTC text without a zone)."""
        if self.postgres:
            return moment
        utc = moment.astimezone(datetime.UTC).replace(tzinfo=None)
        return utc.isoformat(" ")


def vacuum_without_autovacuum(raw: Raw) -> bool:
    """VACUUM the database when its server runs without autovacuum (as this machine's does),
    and say so: each run's rolled-back sweeps (B5) leave tens of thousands of dead rows, in the
    orders and in the rows counting their states, that a server with autovacuum clears within
    a minute; left, they slowed the next run's pages. Not ANALYZE: the planner's statistics
    stay those of the data's making. (CHECKPOINT needs a superuser or pg_checkpoint, as the
    benchmark's role on these machines is.)"""
    if raw.rows("SHOW autovacuum")[0][0] == "on":
        return False
    raw.connection.execute("VACUUM")
    # And the pages VACUUM changed written now, not by the checkpointer during the run.
    raw.connection.execute("CHECKPOINT")
    return True


ORDER_ROW = """
SELECT o.*, c.*, e.*, k.*, u.*
FROM orders_order o
JOIN customers_customer c ON c.id = o.customer_id
LEFT JOIN orders_equipment e ON e.order_id = o.id
LEFT JOIN orders_equipmentkind k ON k.id = e.kind_id
LEFT JOIN accounts_user u ON u.id = o.technician_id
"""


def queue_raw_sql(queue, one_center: bool = False) -> tuple[str, str]:
    """A queue's raw statements (B4; B7 with `one_center`, the center's id their first
    parameter, then the states'): its count, and its first hundred rows, their ids read from the
    queue's index, then the rows: what one would write by hand."""
    marks = ", ".join(["%s"] * len(queue.statuses))
    ordering = ", ".join(f"o.{column}" for column in queue.ordering)
    where = f"o.status IN ({marks})"
    if one_center:
        where = f"o.center_id = %s AND {where}"
    count_sql = f"SELECT count(*) FROM orders_order o WHERE {where}"  # noqa: S608
    rows_sql = (f"{ORDER_ROW} WHERE o.id IN (SELECT o.id FROM orders_order o "  # noqa: S608
                f"WHERE {where} ORDER BY {ordering}, o.id LIMIT 100) "
                f"ORDER BY {ordering}, o.id")
    return count_sql, rows_sql


def measure_database(url: str, repetitions: int, sweep_repetitions: int) -> dict:
    setup_django(url)
    return measure(url, repetitions, sweep_repetitions)


def setup_django(url: str) -> None:
    """Django on the database at `url`, as the benchmark's requests need it."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REPAIRCENTER_DATA", tempfile.mkdtemp(prefix="bench-run-"))
    # The test client's host; and no rate limit on the customer's page for one address.
    os.environ["REPAIRCENTER_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["REPAIRCENTER_PORTAL_REQUESTS_PER_MINUTE"] = "1000000000"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repaircenter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def heaviest_order(orders: int):
    """B2's and B3's order: the longest history among the oldest few thousand orders, whose
    link the server can write (the bulk copies' links open nothing)."""
    from django.db.models import Count

    from repaircenter.orders.models import Order, OrderEvent

    oldest = 5000 * max(1, orders // 10_000)
    heavy_id = (OrderEvent.objects.filter(order__number__lte=oldest,
                                          order__portal_nonce__gt="")
                .values("order").annotate(n=Count("id")).order_by("-n")
                .values_list("order", flat=True)[0])
    return Order.objects.get(pk=heavy_id)


def measure(url: str, repetitions: int, sweep_repetitions: int) -> dict:
    """Every case on the database Django is set up with; `url` reaches the same database for
    the raw queries."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from repaircenter.accounts.models import User
    from repaircenter.customers.models import name_search_key
    from repaircenter.orders import selectors
    from repaircenter.orders.models import Equipment, Order
    from repaircenter.orders.sweep import run_sweep
    from repaircenter.portal.selectors import TIMELINE_ACTIONS

    raw = Raw(url)
    results: dict = {"orders": Order.objects.count(), "cases": {},
                     "vacuumed": raw.postgres and vacuum_without_autovacuum(raw)}
    staff = server_client()
    staff.force_login(User.objects.get(username="bench-manager"))
    customer_client = server_client()

    def page(client, path, params=None, expect=200):
        def call():
            response = client.get(path, params or {})
            if response.status_code != expect:
                raise SystemExit(f"{path}: {response.status_code}")
            return response
        return call

    def queries(call) -> int:
        # Counted as they run: the test client's request_started signal empties the log that
        # CaptureQueriesContext reads, which undercounted the requests' queries.
        statements = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            call()
        return len(statements)

    def case(name, django_call, raw_call, **extra):
        figures = interleaved(django_call, raw_call, repetitions)
        figures["queries"] = queries(django_call)
        figures.update(extra)
        results["cases"][name] = figures
        print(f"  {name:<28} django {figures['django']['median_ms']:8.2f} ms  raw "
              f"{figures['raw']['median_ms']:7.2f} ms  x{figures['ratio']:.1f}", flush=True)

    page(staff, "/staff/")()  # the first request stores the idle clock in the session
    from repaircenter.centers.models import Center

    centers = list(Center.objects.order_by("pk"))
    results["centers"] = len(centers)

    def choose(center: str) -> None:
        response = staff.post("/staff/center/", {"center": center})
        if response.status_code != 302:
            raise SystemExit(f"choosing center {center}: {response.status_code}")

    if len(centers) > 1:
        choose("all")  # B1-B4: the whole chain, as a manager who chose "all centers"

    # B0, a reference: what any logged-in staff page costs before its own work (session, user,
    # roles, base template), next to the smallest query there is.
    case("B0 floor: empty staff search page", page(staff, "/staff/search/", {"q": ""}),
         lambda: raw.rows("SELECT 1"))

    # B1: a customer with one order, as the counter meets them; the equipment of a phone order.
    middle = Order.objects.order_by("number").values_list("number", flat=True)[
        results["orders"] // 2]
    order = Order.objects.select_related("customer", "equipment").get(number=middle)
    with_imei = Equipment.objects.exclude(imei="").select_related("order__customer")
    phone_equipment = (with_imei.filter(order__number__gte=middle).order_by("order__number")
                       .first() or with_imei.first())
    by_phone = raw_search("c.phone = %s")
    search_cases = [
        ("B1 search: phone", phone_equipment.order.customer.phone.as_national, by_phone,
         [str(phone_equipment.order.customer.phone)]),
        ("B1 search: serial number", order.equipment.serial_number,
         raw_search("o.id IN (SELECT order_id FROM orders_equipment WHERE serial_number = %s)"),
         [order.equipment.serial_number]),
        ("B1 search: IMEI", phone_equipment.imei,
         raw_search("o.id IN (SELECT order_id FROM orders_equipment WHERE imei = %s)"),
         [phone_equipment.imei]),
        ("B1 search: order number", order.display_number, raw_search("o.number = %s"),
         [order.number]),
    ]
    name = order.customer.name
    key = name_search_key(name)
    if raw.postgres:
        search_cases.append(("B1 search: name", name, raw_search("c.name_key LIKE %s"),
                             [f"%{key}%"]))
    else:
        search_cases.append(("B1 search: name", name, raw_search(
            "c.id IN (SELECT rowid FROM customers_customer_name_trigrams "
            "WHERE customers_customer_name_trigrams MATCH %s)"), [f'"{key}"']))
    for label, typed, sql, params in search_cases:
        found = len(selectors.search_orders(typed))
        raw_found = len(raw.rows(sql, params))
        if found != raw_found:
            raise SystemExit(f"{label}: the page finds {found} orders, the raw query {raw_found}")
        case(label, page(staff, "/staff/search/", {"q": typed}),
             lambda sql=sql, params=params: raw.rows(sql, params), rows=found, typed=typed)

    # B2, B3: the order with the longest history among the oldest few thousand.
    heavy = heaviest_order(results["orders"])
    counts = {
        "events": heavy.events.count(), "messages": heavy.messages.count(),
        "documents": heavy.documents.count(), "payments": heavy.payments.count(),
    }
    case("B2 staff order page", page(staff, f"/staff/orders/{heavy.number}/"),
         lambda: staff_order_raw(raw, heavy.number), order=heavy.display_number, **counts)
    case("B3 customer's order page", page(customer_client, f"/o/{heavy.link_token}/"),
         lambda: customer_order_raw(raw, heavy.link_token, TIMELINE_ACTIONS),
         order=heavy.display_number, **counts)

    # B4: each queue's first page.
    for slug in QUEUE_SLUGS:
        queue = selectors.QUEUES[slug]
        count_sql, rows_sql = queue_raw_sql(queue)
        statuses = list(queue.statuses)

        def queue_raw(count_sql=count_sql, rows_sql=rows_sql, statuses=statuses):
            raw.rows(count_sql, statuses)
            raw.rows(rows_sql, statuses)

        case(f"B4 queue: {slug}", page(staff, f"/staff/queues/{slug}/"), queue_raw,
             rows=raw.rows(count_sql, statuses)[0][0])

    # B7: the flagship center's own lists: what its staff meet all day.
    if len(centers) > 1:
        flagship = centers[0]
        choose(str(flagship.pk))
        for slug in QUEUE_SLUGS:
            queue = selectors.QUEUES[slug]
            count_sql, rows_sql = queue_raw_sql(queue, one_center=True)
            params = [flagship.pk, *queue.statuses]

            def center_queue_raw(count_sql=count_sql, rows_sql=rows_sql, params=params):
                raw.rows(count_sql, params)
                raw.rows(rows_sql, params)

            case(f"B7 center queue: {slug}", page(staff, f"/staff/queues/{slug}/"),
                 center_queue_raw, rows=raw.rows(count_sql, params)[0][0])
        at_flagship = Order.objects.filter(center=flagship).select_related("customer")
        regular = (at_flagship.filter(number__gte=middle).order_by("number").first()
                   or at_flagship.first())
        center_searches = [
            ("B7 center search: phone", regular.customer.phone.as_national,
             "c.phone = %s", [str(regular.customer.phone)]),
        ]
        key = name_search_key(regular.customer.name)
        if raw.postgres:
            center_searches.append(("B7 center search: name", regular.customer.name,
                                    "c.name_key LIKE %s", [f"%{key}%"]))
        for label, typed, condition, params in center_searches:
            sql = raw_search(f"o.center_id = %s AND {condition}")
            params = [flagship.pk, *params]
            case(label, page(staff, "/staff/search/", {"q": typed}),
                 lambda sql=sql, params=params: raw.rows(sql, params),
                 rows=len(raw.rows(sql, params)), typed=typed)
        choose("all")

    # B8: parts, when the database has a catalogue.
    from repaircenter.stock.models import Part

    if Part.objects.exists():
        parts_cases(raw, staff, case, results)

    # B5: the sweep a month ahead, rolled back, against one UPDATE of the same orders.
    ahead = timezone.now() + datetime.timedelta(days=30)

    def sweep():
        with transaction.atomic():
            result = run_sweep(now=ahead)
            transaction.set_rollback(True)
        return result

    update_sql = (
        "UPDATE orders_order SET status = CASE WHEN status = 'awaiting_decision' AND "
        "pending_supplement = 'optional' THEN 'repairing' WHEN status = 'awaiting_decision' "
        "THEN 'ready_unrepaired' ELSE 'disposal_due' END, version = version + 1 "
        "WHERE (status = 'awaiting_decision' AND decision_due <= %s) "
        "OR (status IN ('ready_repaired', 'ready_unrepaired') AND storage_due <= %s)"
    )

    def raw_update():
        cursor = raw.connection.cursor()
        cursor.execute("BEGIN")
        cursor.execute(raw.sql(update_sql), [raw.when(ahead), raw.when(ahead)])
        changed = cursor.rowcount
        cursor.execute("ROLLBACK")
        return changed

    with CaptureQueriesContext(connection) as captured:
        swept = sweep()
    changed = raw_update()
    if changed != swept.lapsed + swept.disposal_due:
        raise SystemExit(f"the sweep changed {swept.lapsed + swept.disposal_due} orders, "
                         f"the UPDATE {changed}")
    figures = interleaved(sweep, raw_update, sweep_repetitions, warmup=1)
    figures.update(queries=len(captured), orders_changed=changed,
                   reminders=swept.decision_reminders + swept.storage_reminders)
    results["cases"]["B5 deadline sweep"] = figures
    print(f"  B5 deadline sweep  django {figures['django']['median_ms']:.0f} ms  raw "
          f"{figures['raw']['median_ms']:.0f} ms  x{figures['ratio']:.1f}, "
          f"{len(captured)} statements, {changed} orders", flush=True)
    results["load_targets"] = {
        "order": f"/staff/orders/{heavy.number}/", "customer": f"/o/{heavy.link_token}/",
        "static": "/livez",
    }
    return results


PART_SEARCH = """
SELECT p.*, COALESCE(l.on_hand, 0), COALESCE(l.on_hand - l.reserved, 0)
FROM stock_part p LEFT JOIN stock_stocklevel l ON l.part_id = p.id AND l.center_id = %s
WHERE p.active AND {words} ORDER BY p.sku LIMIT 20
"""


def parts_cases(raw: Raw, staff, case, results: dict) -> None:
    """B8: the estimate editor's part search, and a delivery received."""
    from django.db import connection, transaction

    from repaircenter.accounts.models import User
    from repaircenter.centers.models import Center
    from repaircenter.orders import estimates, workflow
    from repaircenter.orders.models import Order, Status
    from repaircenter.orders.workflow.parts import SERVED_STATES
    from repaircenter.stock import purchasing
    from repaircenter.stock.models import Part, PurchaseOrder, PurchaseStatus, Supplier

    flagship = Center.default()
    order = (Order.objects.filter(center=flagship, status=Status.DIAGNOSING)
             .order_by("number").first())
    typed = "screen galaxy s23"
    words = typed.split()
    condition = " AND ".join(["(UPPER(p.sku) LIKE UPPER(%s) OR UPPER(p.name) LIKE UPPER(%s) "
                              "OR UPPER(p.fits) LIKE UPPER(%s))"] * len(words))
    search_sql = PART_SEARCH.format(words=condition)
    search_params = [flagship.pk, *[f"%{w}%" for w in words for _ in range(3)]]
    found = len(list(estimates.parts_for(order, typed)))
    if found != len(raw.rows(search_sql, search_params)):
        raise SystemExit("B8 part search: the page and the raw query find different parts")

    def editor_raw():
        raw.rows(f"{ORDER_ROW} WHERE o.number = %s", [order.number])
        raw.rows("SELECT * FROM orders_pricelistentry ORDER BY line_kind, description")
        raw.rows(search_sql, search_params)

    case("B8 part search in the estimate editor",
         lambda: staff.get(f"/staff/orders/{order.number}/estimate/", {"part": typed}),
         editor_raw, rows=found, parts=Part.objects.count(), typed=typed)

    # A purchase order of three parts, sent; the first three orders approved at the flagship
    # wait for one unit each of the first part (made once, kept in the benchmark's database).
    manager = User.objects.get(username="bench-manager")
    purchase = (PurchaseOrder.objects.filter(center=flagship, status=PurchaseStatus.SENT,
                                             note="bench").first())
    if purchase is None:
        supplier, _made = Supplier.objects.get_or_create(name="Bench Parts Ltd")
        purchase = purchasing.create(center_id=flagship.pk, supplier=supplier, by=manager,
                                     note="bench")
        wanted = list(Part.objects.filter(sku__in=["P0000001", "P0000002", "P0000003"]))
        for part in wanted:
            purchasing.set_line(purchase_order=purchase, part=part, quantity=5)
        purchase = purchasing.send(purchase_order=purchase,
                                   expected_on=datetime.date.today() + datetime.timedelta(days=3))
        waiting = Order.objects.filter(center=flagship, status=Status.APPROVED).order_by(
            "decided_at")[:3]
        for order_waiting in waiting:
            agreed = order_waiting.estimates.filter(status="approved").first()
            agreed.lines.create(line_kind="part", description=str(wanted[0]),
                                quantity=1, unit_price=wanted[0].selling_price,
                                part=wanted[0], position=99)
            Order.objects.filter(pk=order_waiting.pk).update(status=Status.WAITING_FOR_PARTS)
    quantities = {line.part_id: line.quantity for line in purchase.lines.all()}
    actor = workflow.Actor.staff(manager)
    served = []
    tables = ("stock_movement", "orders_orderevent", "notifications_message",
              "webhooks_delivery")

    def written(rows) -> tuple:
        """Rows in the tables a delivery writes to (the ledger, the history, the outbox)."""
        return tuple(rows(f"SELECT COUNT(*) FROM {name}")[0][0] for name in tables)  # noqa: S608

    def django_rows(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def receive(check: dict | None = None):
        with transaction.atomic():
            before = written(django_rows) if check is not None else None
            served[:] = workflow.receive_purchase_order(
                purchase_order=purchase, actor=actor, quantities=quantities)
            if check is not None:
                after = written(django_rows)
                check.update(moved=sorted(o.pk for o in served),
                             rows=[b - a for a, b in zip(before, after, strict=True)])
            transaction.set_rollback(True)

    # What Django's receipt writes, statement for statement (CaptureQueriesContext on a small
    # database): the purchase order held, per part its line, level and a ledger line; the
    # purchase order closed; per order line served a reservation with its ledger line; per order
    # moved on the compare-and-set of its state and its history entry, and the webhooks it
    # announces to (one SELECT of the endpoints; a delivery each for those subscribed). The
    # orders' new deadlines are what the workflow computed (the business-day calendar is not
    # SQL's); the messages the history entry queues are none for this transition, as the
    # check below confirms by counting the outbox on both sides.
    receive()
    deadlines = {order.pk: order.due_at for order in served}
    by_id = manager.pk

    def receive_raw(check: dict | None = None):
        cursor = raw.connection.cursor()

        def one(sql, params=()):
            cursor.execute(raw.sql(sql), params)
            return cursor.fetchone()

        def insert_id(sql, params):
            if raw.postgres:
                return one(sql + " RETURNING id", params)[0]
            cursor.execute(raw.sql(sql), params)
            return cursor.lastrowid

        cursor.execute("BEGIN")
        before = written(raw.rows) if check is not None else None
        now = raw.when(datetime.datetime.now(datetime.UTC))
        held = one("UPDATE stock_purchaseorder SET status = status WHERE id = %s "
                   "AND status IN ('sent', 'partly_received') RETURNING id", [purchase.pk])
        if held is None:
            raise SystemExit("B8 receiving, raw: the purchase order is not open")
        cursor.execute(raw.sql("SELECT id, part_id, unit_cost FROM stock_purchaseline "
                               "WHERE purchase_order_id = %s"), [purchase.pk])
        lines = {part_id: (line_id, cost) for line_id, part_id, cost in cursor.fetchall()}
        for part_id, units in quantities.items():
            line_id, cost = lines[part_id]
            cursor.execute(raw.sql("UPDATE stock_purchaseline SET received = received + %s "
                                   "WHERE id = %s"), [units, line_id])
            cursor.execute(raw.sql("UPDATE stock_stocklevel SET on_hand = on_hand + %s "
                                   "WHERE center_id = %s AND part_id = %s"),
                           [units, flagship.pk, part_id])
            if cursor.rowcount == 0:
                cursor.execute(raw.sql("INSERT INTO stock_stocklevel (center_id, part_id, "
                                       "on_hand, reserved) VALUES (%s, %s, %s, 0)"),
                               [flagship.pk, part_id, units])
            cursor.execute(raw.sql(
                "INSERT INTO stock_movement (center_id, part_id, kind, on_hand_change, "
                "reserved_change, at, by_id, reason, order_ref, line_ref, purchase_order_id, "
                "unit_cost, serials) "
                "VALUES (%s, %s, 'received', %s, 0, %s, %s, '', NULL, NULL, %s, %s, '')"),
                [flagship.pk, part_id, units, now, by_id, purchase.pk, cost])
        cursor.execute(raw.sql(
            "UPDATE stock_purchaseorder SET status = CASE WHEN EXISTS (SELECT 1 FROM "
            "stock_purchaseline WHERE purchase_order_id = %s AND received < quantity) "
            "THEN 'partly_received' ELSE 'received' END, closed_at = CASE WHEN EXISTS ("
            "SELECT 1 FROM stock_purchaseline WHERE purchase_order_id = %s "
            "AND received < quantity) THEN NULL ELSE %s END WHERE id = %s"),
            [purchase.pk, purchase.pk, now, purchase.pk])
        cursor.execute(raw.sql(
            "SELECT l.id, l.part_id, l.quantity, l.reserved, o.id "  # noqa: S608
            "FROM orders_estimateline l "
            "JOIN orders_estimate e ON e.id = l.estimate_id "
            "JOIN orders_order o ON o.id = e.order_id "
            f"WHERE o.center_id = %s AND o.status IN ({served_marks}) "
            f"AND l.part_id IN ({marks}) AND l.used = 0 "
            "AND l.reserved < l.quantity AND e.status = 'approved' "
            "ORDER BY o.decided_at, o.id, e.number, l.position"),
            [flagship.pk, *SERVED_STATES, *part_ids])
        touched = {}
        for line_id, part_id, quantity, reserved, order_id in cursor.fetchall():
            want = int(quantity) - reserved
            cursor.execute(raw.sql(
                "UPDATE stock_stocklevel SET reserved = reserved + %s WHERE center_id = %s "
                "AND part_id = %s AND on_hand >= reserved + %s"),
                [want, flagship.pk, part_id, want])
            if cursor.rowcount == 0:
                continue
            cursor.execute(raw.sql(
                "INSERT INTO stock_movement (center_id, part_id, kind, on_hand_change, "
                "reserved_change, at, by_id, reason, order_ref, line_ref, purchase_order_id, "
                "unit_cost, serials) "
                "VALUES (%s, %s, 'reserved', 0, %s, %s, NULL, '', %s, %s, NULL, NULL, '')"),
                [flagship.pk, part_id, want, now, order_id, line_id])
            cursor.execute(raw.sql("UPDATE orders_estimateline SET reserved = reserved + %s "
                                   "WHERE id = %s"), [want, line_id])
            touched.setdefault(order_id, None)
        moved = []
        lock = " FOR UPDATE" if raw.postgres else ""
        for order_id in touched:
            status, version = one(
                f"SELECT status, version FROM orders_order WHERE id = %s{lock}",  # noqa: S608
                [order_id])
            if status != "waiting_for_parts" or one(
                "SELECT 1 FROM orders_estimateline l JOIN orders_estimate e "
                "ON e.id = l.estimate_id WHERE e.order_id = %s AND e.status = 'approved' "
                "AND l.part_id IS NOT NULL AND l.used = 0 AND l.reserved < l.quantity "
                "LIMIT 1", [order_id]):
                continue
            cursor.execute(raw.sql(
                "UPDATE orders_order SET status = 'approved', version = version + 1, "
                "parts_due = NULL, due_at = %s WHERE id = %s "
                "AND status = 'waiting_for_parts' AND version = %s"),
                [raw.when(deadlines[order_id]), order_id, version])
            event_id = insert_id(
                "INSERT INTO orders_orderevent (order_id, at, actor_kind, actor_id, channel, "
                "action, from_status, to_status, note, evidence) VALUES (%s, %s, 'system', "
                "NULL, 'system', 'parts_arrived', 'waiting_for_parts', 'approved', "
                "'Parts received', '{}')", [order_id, now])
            cursor.execute("SELECT id, events FROM webhooks_endpoint WHERE active "
                           "ORDER BY id")
            for endpoint_id, events in cursor.fetchall():
                if "order.state_changed" in (events if isinstance(events, list)
                                             else json.loads(events)):
                    delivery = str(uuid.uuid4())
                    cursor.execute(raw.sql(
                        "INSERT INTO webhooks_delivery (id, endpoint_id, event, order_event_id, "
                        "payload, created_at, status, attempt_count, next_attempt_at, claim, "
                        "last_answer) VALUES (%s, %s, 'order.state_changed', %s, %s, %s, "
                        "'queued', 0, %s, '', '')"),
                        [delivery if raw.postgres else delivery.replace("-", ""), endpoint_id,
                         event_id, json.dumps({"id": delivery, "type": "order.state_changed",
                                               "event_id": event_id}), now, now])
            moved.append(order_id)
        if check is not None:
            after = written(raw.rows)
            check.update(moved=sorted(moved),
                         rows=[b - a for a, b in zip(before, after, strict=True)])
        cursor.execute("ROLLBACK")

    part_ids = list(quantities)
    marks = ", ".join(["%s"] * len(part_ids))
    served_marks = ", ".join(["%s"] * len(SERVED_STATES))
    django_check, raw_check = {}, {}
    receive(django_check)
    receive_raw(raw_check)
    if django_check != raw_check:
        raise SystemExit(f"B8 receiving: Django moved and wrote {django_check}, the raw "
                         f"statements {raw_check}")
    case("B8 receiving a purchase order", receive, receive_raw,
         parts=len(quantities), orders_served=len(served),
         rows_written=dict(zip(tables, django_check["rows"], strict=True)))


def raw_search(condition: str) -> str:
    return f"{ORDER_ROW} WHERE {condition} ORDER BY o.received_at DESC LIMIT 50"


def staff_order_raw(raw: Raw, number: int) -> None:
    """What the staff order page shows, by hand: the order and its parts, one statement each."""
    order = raw.rows(
        "SELECT o.*, c.*, e.*, k.*, t.*, r.*, d.*, ch.* FROM orders_order o "
        "JOIN customers_customer c ON c.id = o.customer_id "
        "LEFT JOIN orders_equipment e ON e.order_id = o.id "
        "LEFT JOIN orders_equipmentkind k ON k.id = e.kind_id "
        "LEFT JOIN accounts_user t ON t.id = o.technician_id "
        "LEFT JOIN accounts_user r ON r.id = o.received_by_id "
        "LEFT JOIN orders_disposalact d ON d.id = o.disposal_act_id "
        "LEFT JOIN consult_chatthread ch ON ch.order_id = o.id WHERE o.number = %s", [number])
    pk = [order[0][0]]
    raw.rows("SELECT ev.*, u.* FROM orders_orderevent ev LEFT JOIN accounts_user u "
             "ON u.id = ev.actor_id WHERE ev.order_id = %s ORDER BY ev.at, ev.id", pk)
    raw.rows("SELECT * FROM orders_equipmentphoto WHERE order_id = %s ORDER BY id", pk)
    raw.rows("SELECT es.*, u.* FROM orders_estimate es LEFT JOIN accounts_user u "
             "ON u.id = es.sent_by_id WHERE es.order_id = %s ORDER BY es.number", pk)
    raw.rows("SELECT l.*, d.*, u.* FROM orders_estimateline l "
             "JOIN orders_estimate es ON es.id = l.estimate_id "
             "LEFT JOIN orders_linedone d ON d.line_id = l.id "
             "LEFT JOIN accounts_user u ON u.id = d.done_by_id "
             "WHERE es.order_id = %s ORDER BY l.position, l.id", pk)
    raw.rows("SELECT m.*, r.*, u.* FROM notifications_message m "
             "LEFT JOIN notifications_deliveryrecord r ON r.message_id = m.id "
             "LEFT JOIN accounts_user u ON u.id = r.by_id "
             "WHERE m.order_id = %s ORDER BY m.created_at, m.id, r.at, r.id", pk)
    raw.rows("SELECT s.*, u.* FROM orders_stresstest s JOIN accounts_user u ON u.id = s.run_by_id "
             "WHERE s.order_id = %s ORDER BY s.recorded_at, s.id", pk)
    raw.rows("SELECT p.*, u.*, d.* FROM billing_payment p JOIN accounts_user u "
             "ON u.id = p.taken_by_id JOIN documents_document d ON d.id = p.receipt_id "
             "WHERE p.order_id = %s ORDER BY p.taken_at, p.id", pk)
    raw.rows("SELECT d.* FROM documents_document d JOIN documents_document_orders x "
             "ON x.document_id = d.id WHERE x.order_id = %s ORDER BY d.issued_at, d.id", pk)


def customer_order_raw(raw: Raw, token: str, actions) -> None:
    """What the customer's page shows, by hand."""
    from repaircenter.orders.credentials import portal_token_digest

    order = raw.rows(
        "SELECT o.*, c.*, e.*, k.*, ch.* FROM orders_order o "
        "JOIN customers_customer c ON c.id = o.customer_id "
        "LEFT JOIN orders_equipment e ON e.order_id = o.id "
        "LEFT JOIN orders_equipmentkind k ON k.id = e.kind_id "
        "LEFT JOIN consult_chatthread ch ON ch.order_id = o.id WHERE o.portal_token_digest = %s",
        [portal_token_digest(token)])
    pk = [order[0][0]]
    raw.rows("SELECT es.*, l.* FROM orders_estimate es LEFT JOIN orders_estimateline l "
             "ON l.estimate_id = es.id WHERE es.order_id = %s AND es.status <> 'draft' "
             "ORDER BY es.number, l.position, l.id", pk)
    marks = ", ".join(["%s"] * len(actions))
    raw.rows(f"SELECT * FROM orders_orderevent WHERE order_id = %s AND action IN ({marks}) "  # noqa: S608
             "ORDER BY at, id", pk + list(actions))
    raw.rows("SELECT * FROM billing_payment WHERE order_id = %s ORDER BY taken_at, id", pk)
    raw.rows("SELECT d.* FROM documents_document d JOIN documents_document_orders x "
             "ON x.document_id = d.id WHERE x.order_id = %s AND d.kind <> 'disposal_act' "
             "ORDER BY d.issued_at, d.id", pk)
    raw.rows("SELECT m.*, u.* FROM consult_chatmessage m JOIN consult_chatthread t "
             "ON t.id = m.thread_id LEFT JOIN accounts_user u ON u.id = m.user_id "
             "WHERE t.order_id = %s ORDER BY m.id DESC LIMIT 100", pk)


# --- the load test -------------------------------------------------------------------------------


def staff_session(env: dict) -> str:
    """A logged-in session of the bench manager, made by a process with the server's key."""
    code = (
        "import django, importlib, time; django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
        "from repaircenter.accounts.models import User\n"
        "user = User.objects.get(username='bench-manager')\n"
        # The engine the server uses: a signed cookie (no row), or a row in the database.
        "s = importlib.import_module(settings.SESSION_ENGINE).SessionStore()\n"
        "s[SESSION_KEY] = str(user.pk)\n"
        "s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]\n"
        "s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "s['last_seen'] = int(time.time())\n"
        "s.save(must_create=True); print(s.session_key)\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]


def wrk(url: str, seconds: int, headers: list[str]) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = re.search(r"Latency\s+([\d.]+)(\w+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests_per_second": rps, "latency_avg": latency.group(1) + latency.group(2),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


LOAD_SLICE_SECONDS = 2


def load_test(url: str, targets: dict, seconds: int) -> dict:
    from worker_sms import free_port  # the benchmark beside this one; bench/ is on the path

    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-load-")
    env = {
        # The data folder bench-data wrote with (its secret key makes the customers' links:
        # another key answers the customer's page 404).
        **os.environ, "DATABASE_URL": url,
        "REPAIRCENTER_DATA": os.environ.get("REPAIRCENTER_DATA") or data,
        # The production settings of the README.
        "REPAIRCENTER_HTTPS": "true",
        "REPAIRCENTER_BEHIND_PROXY": "true", "REPAIRCENTER_DEBUG": "false",
        "REPAIRCENTER_ALLOWED_HOSTS": "127.0.0.1", "REPAIRCENTER_LOG_LEVEL": "WARNING",
        # One address (wrk's) asks for the customer's page thousands of times a second.
        "REPAIRCENTER_PORTAL_REQUESTS_PER_MINUTE": "1000000000",
        "DJANGO_SETTINGS_MODULE": "repaircenter.settings",
    }
    env.pop("REPAIRCENTER_CSRF_TRUSTED_ORIGINS", None)
    session = staff_session(env)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "repaircenter.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-",
         "--graceful-timeout", "20"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        proxy = "X-Forwarded-Proto: https"
        endpoints = (
            ("static", targets["static"], [proxy]),
            ("order", targets["order"], [proxy, f"Cookie: sessionid={session}"]),
            ("customer", targets["customer"], [proxy]),
        )
        for _name, path, headers in endpoints:
            wrk(base + path, 2, headers)  # warm up
        # Each page's seconds in slices, the pages taking turns, as the cases do: a page's
        # share of /livez's compares seconds measured side by side, not twenty apart.
        slices = max(1, seconds // LOAD_SLICE_SECONDS)
        measured: dict[str, list[dict]] = {name: [] for name, _path, _headers in endpoints}
        for _ in range(slices):
            for name, path, headers in endpoints:
                measured[name].append(wrk(base + path, seconds // slices, headers))
        results = {}
        for name, parts in measured.items():
            results[name] = {
                "requests_per_second": statistics.mean(
                    part["requests_per_second"] for part in parts),
                "latency_avg": [part["latency_avg"] for part in parts],
                "non_2xx": sum(part["non_2xx"] for part in parts)}
            print(f"  load {name:<9} {results[name]['requests_per_second']:8.0f} req/s "
                  f"({results[name]['non_2xx']} not 2xx)", flush=True)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


# --- B6, the report ------------------------------------------------------------------------------


def sms_benchmark(database_url: str, messages: int) -> dict:
    folder = tempfile.mkdtemp(prefix="bench-sms-json-")
    out = Path(folder) / "sms.json"
    command = [sys.executable, str(ROOT / "bench" / "worker_sms.py"), "--messages",
               str(messages), "--json", str(out)]
    if database_url:
        command += ["--database-url", database_url]
    subprocess.run(command, cwd=ROOT, check=True)
    return json.loads(out.read_text())


def machine() -> str:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip()
                     for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def measure_targets(targets: list[tuple[str, str]], options) -> dict[str, dict]:
    """Each database's figures, measured in a process of its own, the processes taking turns
    case by case (`take_turns`, in `targets`' order); then each one's load test."""
    load_before = os.getloadavg()
    started = datetime.datetime.now().isoformat(timespec="seconds")
    with contextlib.ExitStack() as outputs:
        measured = _measured_in_turns(targets, options, outputs)
    load_after = os.getloadavg()
    for label, url in targets:
        results = measured[label]
        if options.load_seconds:
            results["load"] = load_test(url, results["load_targets"], options.load_seconds)
        results["loadavg"] = [round(x, 2) for x in load_before] + [
            round(x, 2) for x in load_after]
        results["measured_at"] = started
    return measured


def _measured_in_turns(targets: list[tuple[str, str]], options,
                       outputs: contextlib.ExitStack) -> dict[str, dict]:
    processes = []
    for label, url in targets:
        given, give = os.pipe()  # the parent gives the turn on `give`
        hand, handed = os.pipe()  # and is handed it back on `hand`
        output = outputs.enter_context(tempfile.TemporaryFile(mode="w+"))  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, __file__, "--measure", url, "--turns", f"{given},{handed}",
             "--repetitions", str(options.repetitions),
             "--sweep-repetitions", str(options.sweep_repetitions)],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True,
            pass_fds=(given, handed))
        os.close(given)
        os.close(handed)
        processes.append((label, url, process, output, give, hand))
    take_turns([(give, hand) for *_rest, give, hand in processes])
    measured = {}
    for label, url, process, output, give, hand in processes:
        os.close(give)
        os.close(hand)
        process.wait()
        output.seek(0)
        lines = output.read().splitlines()
        print(f"{label}: {url}")
        for line in lines:
            if not line.startswith("JSON "):
                print(line)
        if process.returncode:
            raise SystemExit(f"{label}: the measuring process failed ({process.returncode})")
        measured[label] = json.loads(next(line[5:] for line in lines
                                          if line.startswith("JSON ")))
    return measured


def take_turns(pipes: list[tuple[int, int]]) -> None:
    """Gives the turn to each measuring process in turn (a byte on its first pipe) and waits
    for it to hand the turn back (a byte on its second), until every one has finished (its
    pipe closed): one process runs at a time."""
    waiting = list(pipes)
    while waiting:
        for give, hand in list(waiting):
            try:
                os.write(give, b"g")
            except BrokenPipeError:
                waiting.remove((give, hand))
                continue
            if not os.read(hand, 1):
                waiting.remove((give, hand))


def merged(rounds: list[dict]) -> dict:
    """One database's figures over its rounds: each case's Django and raw medians (and 95th
    percentiles) are the medians of the rounds'; its ratio the median of the rounds' ratios,
    each Django's over raw's as measured side by side in one round (a round where the machine
    was slow gave a slow Django and a slow raw: their medians, taken from different rounds,
    paired one round's page with another's query); each round's medians are kept (`by_round`),
    for the growth between sizes measured in the same round (bench/report.py). Each page's
    requests a second under load are the median of the rounds', and its share of /livez's
    (`per_static`) the median of each round's share. The first round's load average and
    moment, and how many rounds."""
    if len(rounds) == 1:
        return rounds[0]
    results = dict(rounds[0], rounds=len(rounds))
    results["cases"] = {}
    for name, figures in rounds[0]["cases"].items():
        each = [one["cases"][name] for one in rounds if name in one["cases"]]
        combined = dict(figures)
        for side in ("django", "raw"):
            if isinstance(figures.get(side), dict):
                combined[side] = {
                    "median_ms": statistics.median(f[side]["median_ms"] for f in each),
                    "p95_ms": statistics.median(f[side]["p95_ms"] for f in each),
                    "n": sum(f[side]["n"] for f in each),
                    # Each round's, for a growth between sizes measured in the same round.
                    "by_round": [f[side]["median_ms"] for f in each]}
        ratios = [f["ratio"] for f in each if f.get("ratio") is not None]
        if "ratio" in figures:
            combined["ratio"] = statistics.median(ratios) if ratios else None
        results["cases"][name] = combined
    if all("load" in one for one in rounds):
        results["load"] = {}
        for page, figures in rounds[0]["load"].items():
            merged_page = dict(figures, requests_per_second=statistics.median(
                one["load"][page]["requests_per_second"] for one in rounds))
            if page != "static":
                shares = [one["load"][page]["requests_per_second"] / static
                          for one in rounds
                          if (static := one["load"].get("static", {}).get("requests_per_second"))]
                if shares:
                    merged_page["per_static"] = statistics.median(shares)
            results["load"][page] = merged_page
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: python bench/run.py --target 'SQLite 1M=sqlite:////work/benchdata/"
               "bench1m.sqlite3' --repetitions 50 --load-seconds 10",
    )
    parser.add_argument("--target", action="append", default=[], metavar="LABEL=DATABASE_URL",
                        help="a generated database to measure, with the label the table shows "
                             "it under (e.g. 'PostgreSQL 1M=postgres://…/bench'); repeatable")
    parser.add_argument("--repetitions", type=int, default=50,
                        help="repetitions of each B1-B4 case, Django and raw each (default 50)")
    parser.add_argument("--sweep-repetitions", type=int, default=5,
                        help="repetitions of the B5 sweep (default 5)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the targets side by side this many times, each case's "
                             "figures the medians of the rounds' (default 1)")
    parser.add_argument("--load-seconds", type=int, default=10,
                        help="seconds of wrk per endpoint; 0 skips the load test (default 10)")
    parser.add_argument("--sms", action="append", default=[], metavar="LABEL=DATABASE_URL",
                        help="run B6 (bench/worker_sms.py) on this database; it deletes the "
                             "database's messages, so never a generated one (use 'SQLite=' for a "
                             "temporary SQLite file); repeatable")
    parser.add_argument("--sms-messages", type=int, default=10_000)
    parser.add_argument("--results", default="bench-results.json",
                        help="JSON file of every figure; merged with what it already holds, "
                             "so that targets can be measured in separate runs")
    parser.add_argument("--markdown", default=str(ROOT / "BENCHMARKS.md"),
                        help="where the table is written (default BENCHMARKS.md)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one database
    parser.add_argument("--turns", help=argparse.SUPPRESS)  # internal: its pipes (Turns)
    options = parser.parse_args()

    if options.measure:
        global TURNS
        if options.turns:
            TURNS = Turns(*(int(fd) for fd in options.turns.split(",")))
        TURNS.start()
        results = measure_database(options.measure, options.repetitions,
                                   options.sweep_repetitions)
        TURNS.end()  # the others measure on while this one writes its figures
        print("JSON " + json.dumps(results, default=str))
        return

    path = Path(options.results)
    everything = json.loads(path.read_text()) if path.exists() else {"targets": {}, "sms": {}}
    targets = [target.split("=", 1) for target in options.target]
    rounds: dict[str, list[dict]] = {label: [] for label, _url in targets}
    for round_number in range(options.rounds):
        if options.rounds > 1:
            print(f"round {round_number + 1} of {options.rounds}", flush=True)
        # The targets side by side, the first to take its turn the other one every second
        # round.
        measured = measure_targets(targets if round_number % 2 == 0 else targets[::-1],
                                   options)
        for label, _url in targets:
            rounds[label].append(measured[label])
            everything["targets"][label] = merged(rounds[label])
        path.write_text(json.dumps(everything, indent=2))
    for target in options.sms:
        label, url = target.split("=", 1)
        everything["sms"][label] = sms_benchmark(url, options.sms_messages)
        path.write_text(json.dumps(everything, indent=2))
    everything["machine"] = machine()
    path.write_text(json.dumps(everything, indent=2))
    if options.markdown:
        from report import write_markdown  # bench/report.py

        write_markdown(everything, Path(options.markdown))
        print(f"wrote {options.markdown}")


if __name__ == "__main__":
    main()
