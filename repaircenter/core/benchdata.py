"""Benchmark data: N orders in the proportions of a chain that has worked for some years, with
their customers, equipment, events, estimates and lines, repairs and stress tests, payments,
documents, messages with their delivery records, chats and disposal acts.

Every row is what the workflow would have written for the order's path to its state, with the
same deadlines (`decision_due` and `storage_due` six months after the estimate and the first
notice that reached the customer, in the center's time zone), the reminders the sweep would
have queued up to now, a portal token and a pickup-code digest. Rows are made in Python in
chunks of orders and written in bulk: COPY on PostgreSQL (psycopg 3 `cursor.copy`),
`executemany` on SQLite, one transaction per chunk.

Documents are rows with their stored HTML and one small PDF per kind, shared by all documents of
that kind (rendering a million PDFs would take days and prove nothing about the pages).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import Role
from repaircenter.billing.models import Payment
from repaircenter.consult.models import ChatMessage, ChatThread
from repaircenter.core.calendar import add_working_days, center_date, months_later
from repaircenter.core.demo import PRICE_LIST, PROCEDURES, WARRANTY_MONTHS
from repaircenter.core.models import CenterSettings
from repaircenter.customers.models import Customer, name_search_key
from repaircenter.documents.models import Document, DocumentKind, Sequence
from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.orders.credentials import new_pickup_code, pickup_code_digest
from repaircenter.orders.models import (
    DisposalAct,
    Equipment,
    EquipmentKind,
    Estimate,
    EstimateLine,
    LineDone,
    Order,
    OrderEvent,
    PriceListEntry,
    Status,
    StressTest,
    TestProcedure,
)

S = Status
# Shares of the orders in each state: most orders of a chain's history were handed back long
# ago; a few per cent are in the building (waiting for diagnostics, a decision, the repair, or
# collection), and a few were never collected.
STATE_SHARES: dict[str, float] = {
    S.ISSUED: 0.880,
    S.DISPOSED: 0.015,
    S.DISPOSAL_DUE: 0.003,
    S.READY_REPAIRED: 0.020,
    S.READY_UNREPAIRED: 0.010,
    S.TESTING: 0.004,
    S.REPAIRING: 0.010,
    S.APPROVED: 0.006,
    S.AWAITING_DECISION: 0.020,
    S.DIAGNOSING: 0.012,
    S.RECEIVED: 0.020,
}
# Of the orders a customer has, how many came back with another order (about 2.5 each).
NEW_CUSTOMER_SHARE = 0.4
# Orders with a long history: revised and supplementary estimates, a failed stress test,
# several payments, reprints, a failed SMS retried by email, a chat.
HEAVY_SHARE = 0.005
YEARS_OF_HISTORY = 3
CHUNK = 20_000
# Above this many orders, a template of about TEMPLATE orders is made in Python and copied by
# the database (INSERT … SELECT, one statement per table), each copy with its own ids,
# numbers, customers (phone, name), serial numbers, links and keys, and the same dates: the
# proportions and deadlines stay those of the template. Making every order in Python costs a
# few milliseconds each, which on a busy machine is an hour for a million.
DIRECT_MAX = 20_000
TEMPLATE = 10_000
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)

def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Aaron Abigail Adam Adele Ahmed Aisha Alan Albert Alex Alice Amara Amelia Amir Amy Andrew "
    "Anna Arjun Arthur Ava Ben Beatrice Bella Callum Carla Carlos Carol Charlie Chen Chloe "
    "Chris Claire Connor Dan Daniel Dara Dev Diana Dylan Edward Eleanor Eli Ella Emily Emma "
    "Ethan Eva Evan Farid Fatima Felix Finn Florence Freya Gabriel George Grace Hannah Harry "
    "Hassan Helen Henry Holly Hugo Ibrahim Imogen Isaac Isla Ivy Jack Jacob James Jane Jasmine "
    "Jay John Joseph Joshua Julia Kai Karen Kate Kwame Laila Laura Leo Liam Lily Lucas Lucy "
    "Luke Maria Mark Martha Maya Mei Mia Michael Mohammed Nadia Naomi Nathan Nina Noah Olivia "
    "Omar Oscar Paul Peter Phoebe Priya Rachel Rafael Rhys Rita Rosa Ruby Ryan Sam Sara Sean "
    "Sofia Sophie Stefan Tariq Theo Thomas Toby Tom Uma Victor Wei William Yara Yusuf Zara "
    "Zoe Łukasz Zoë Siân Chloé Renée Jürgen Søren"
)
SURNAME_STARTS = _words(
    "Ash Bar Black Brad Bram Brook Burn Cal Carr Chad Chester Clay Cole Crank Dal Dun East Elm "
    "Fair Fal Fen Gold Green Hal Hart Hay Hol Kings Lang Lind Mar Mid New North Oak Pem Red "
    "Ross Rush Stan Sut Thorn Wal West Whit Wind Wood Wy"
)
SURNAME_ENDS = _words(
    "ford ley ton well wood field by worth ham more croft dale bridge stone wick man son hurst "
    "combe fell gate den ridge"
)

EQUIPMENT = {
    # kind: [(brand, model, has IMEI)], conditions, faults
    "Phone": [("Samsung", "Galaxy S23", True), ("Apple", "iPhone 13", True),
              ("Google", "Pixel 7", True), ("Xiaomi", "Redmi Note 12", True)],
    "Laptop": [("Lenovo", "ThinkPad T14", False), ("Dell", "XPS 13", False),
               ("HP", "EliteBook 840", False), ("Apple", "MacBook Air M1", False)],
    "Tablet": [("Apple", "iPad Air", False), ("Samsung", "Galaxy Tab S8", True)],
    "Game console": [("Sony", "PlayStation 5", False), ("Microsoft", "Xbox Series X", False),
                     ("Nintendo", "Switch", False)],
    "Desktop computer": [("Custom build", "Ryzen 7 / RTX 3070", False),
                         ("Dell", "OptiPlex 7090", False)],
    "Household appliance": [("Bosch", "Serie 4 dishwasher board", False),
                            ("Siemens", "iQ500 washer board", False)],
}
KIND_WEIGHTS = {"Phone": 45, "Laptop": 25, "Tablet": 10, "Game console": 8,
                "Desktop computer": 7, "Household appliance": 5}
CONDITIONS = ["Scratches on the back, screen intact", "Dent on a corner", "Good",
              "Cracked glass in the lower corner", "Worn, no visible damage"]
FAULTS = ["Does not charge", "Shuts down under load", "No picture", "Screen flickers",
          "Random restarts", "Touch does not respond on the left", "Water damage",
          "Error code after a power cut", "Battery drains in an hour"]
ALPHANUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


# --- writing rows -------------------------------------------------------------------------------


def _utc_text(value: datetime.datetime) -> str:
    if value.tzinfo is not datetime.UTC:
        value = value.astimezone(datetime.UTC)
    return value.isoformat(" ")[:-6]  # without "+00:00": SQLite holds UTC without a zone


class Writer:
    """Writes rows (dicts keyed by field attname) of a model: COPY on PostgreSQL, executemany
    on SQLite. Fields left out get the model's default, evaluated once per table."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.rows_written: dict[str, int] = defaultdict(int)
        self._plans: dict[type[Model], tuple] = {}

    def _plan(self, model: type[Model]):
        if model not in self._plans:
            fields = list(model._meta.concrete_fields)
            defaults = []
            converters: list[Callable | None] = []
            for f in fields:
                defaults.append(f.get_default() if f.has_default() or not f.null else None)
                kind = f.get_internal_type()
                convert: Callable | None = None
                if kind == "JSONField":
                    convert = json.dumps
                elif self.vendor == "sqlite":
                    convert = {
                        "DateTimeField": _utc_text,
                        "DateField": datetime.date.isoformat,
                        "DecimalField": str,
                        "UUIDField": lambda v: v.hex,
                        "BooleanField": int,
                    }.get(kind)
                converters.append(convert)
            quote = connection.ops.quote_name
            self._plans[model] = (
                [f.attname for f in fields], defaults, converters,
                ", ".join(quote(f.column) for f in fields), quote(model._meta.db_table),
            )
        return self._plans[model]

    def write(self, model: type[Model], rows: list[dict]) -> None:
        if not rows:
            return
        names, defaults, converters, columns, table = self._plan(model)
        pairs = list(zip(names, defaults, strict=True))
        convert = [(i, f) for i, f in enumerate(converters) if f is not None]

        def values(row: dict):
            out = [row.get(name, default) for name, default in pairs]
            for index, function in convert:
                if out[index] is not None:
                    out[index] = function(out[index])
            return out

        raw = connection.connection
        if self.vendor == "postgresql":
            with raw.cursor() as cursor, cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN"  # names from the models
            ) as copy:
                for row in rows:
                    copy.write_row(values(row))
        else:
            marks = ", ".join("?" * len(names))
            raw.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                (values(row) for row in rows),
            )
        self.rows_written[model._meta.label] += len(rows)


class Ids:
    """The next primary key of each table, handed out here so that rows can refer to each
    other before they are written."""

    def __init__(self) -> None:
        self._next: dict[type[Model], int] = {}

    def take(self, model: type[Model]) -> int:
        if model not in self._next:
            pk = model._meta.pk.attname
            self._next[model] = (model.objects.aggregate(top=Max(pk))["top"] or 0) + 1
        value = self._next[model]
        self._next[model] = value + 1
        return value


# --- the plan of one order ----------------------------------------------------------------------


@dataclass
class Staff:
    reception: list[int]
    technicians: list[int]
    cashier: int
    manager: int
    consultant: int


@dataclass
class Batch:
    """The rows of one chunk of orders, by model, in an order that satisfies the foreign keys."""

    rows: dict[type[Model], list[dict]] = field(default_factory=lambda: defaultdict(list))

    def add(self, model: type[Model], row: dict) -> dict:
        self.rows[model].append(row)
        return row


WRITE_ORDER = [Customer, Document, Document.orders.through, DisposalAct, Order, Equipment,
               Estimate, EstimateLine,
               LineDone, StressTest, OrderEvent, Payment, Message, DeliveryRecord, ChatThread,
               ChatMessage]


class Generator:
    def __init__(self, orders: int, *, seed: int = 1, now: datetime.datetime | None = None,
                 log: Callable[[str], None] = lambda text: None) -> None:
        self.total = orders
        self.copies = copies_for(orders)
        self.count = orders // self.copies
        self.rng = random.Random(seed)  # noqa: S311 — made-up data, repeatable by seed
        self.now = (now or timezone.now()).replace(microsecond=0)
        self.log = log
        self.ids = Ids()
        self.writer = Writer()
        self.document_numbers: dict[str, int] = defaultdict(int)
        self.customers: list[tuple[int, str, str, list[str]]] = []  # id, phone, email, channels
        self.customer_serial = 0
        self.uuid_base = uuid.uuid4().int & ~((1 << 64) - 1)
        self.uuid_counter = 0
        self.heavy_numbers: list[int] = []

    # -- set-up -------------------------------------------------------------------------------

    def prepare(self) -> None:
        if Order.objects.exists():
            raise ValueError("the database already has orders; bench-data fills an empty one")
        center = CenterSettings.load()
        self.center = center
        kinds = {k.name: k for k in EquipmentKind.objects.all()}
        for name in EQUIPMENT:
            if name not in kinds:
                kinds[name] = EquipmentKind.objects.create(name=name)
        for name, (fee, _entries) in PRICE_LIST.items():
            kinds[name].diagnostics_fee = Decimal(fee)
            kinds[name].warranty_months = WARRANTY_MONTHS.get(name, 3)
            kinds[name].save(update_fields=["diagnostics_fee", "warranty_months"])
        if not PriceListEntry.objects.exists():
            PriceListEntry.objects.bulk_create(
                PriceListEntry(equipment_kind=kinds[name], line_kind=k, description=d,
                               unit_price=Decimal(p))
                for name, (_fee, entries) in PRICE_LIST.items() for k, d, p in entries
            )
        if not TestProcedure.objects.exists():
            TestProcedure.objects.bulk_create(
                TestProcedure(equipment_kind=kinds[k] if k else None, name=n,
                              duration_minutes=m, procedure=t)
                for k, n, m, t in PROCEDURES
            )
        self.kinds = kinds
        self.kind_names = list(KIND_WEIGHTS)
        self.kind_weights = [KIND_WEIGHTS[k] for k in self.kind_names]
        self.prices = defaultdict(list)
        for entry in PriceListEntry.objects.all():
            self.prices[entry.equipment_kind_id].append(entry)
        self.procedures = defaultdict(list)
        for procedure in TestProcedure.objects.all():
            self.procedures[procedure.equipment_kind_id].append(procedure)
        self.staff = self._staff()
        self.surnames = [a + b for a in SURNAME_STARTS for b in SURNAME_ENDS]
        self.pdfs = self._pdfs()
        self.reminder_days = {
            "decision": sorted(_days(center.decision_reminder_days), reverse=True),
            "storage": sorted(_days(center.storage_reminder_days), reverse=True),
        }

    def _staff(self) -> Staff:
        groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}

        def user(username: str, first: str, last: str, role: str) -> int:
            existing = User.objects.filter(username=username).first()
            if existing:
                return existing.pk
            made = User(username=username, first_name=first, last_name=last,
                        is_staff=role == Role.MANAGER)
            made.set_unusable_password()
            made.save()
            made.groups.add(groups[role])
            return made.pk

        return Staff(
            reception=[user(f"bench-reception{i}", "Rita", f"Desk{i}", Role.RECEPTIONIST)
                       for i in range(1, 4)],
            technicians=[user(f"bench-tech{i}", "Tomasz", f"Bench{i}", Role.TECHNICIAN)
                         for i in range(1, 6)],
            cashier=user("bench-cashier", "Kwame", "Till", Role.CASHIER),
            manager=user("bench-manager", "Maria", "Lopez", Role.MANAGER),
            consultant=user("bench-consultant", "Chloe", "Adams", Role.CONSULTANT),
        )

    def _pdfs(self) -> dict[str, tuple[str, str]]:
        """One small stored PDF per kind of document: (file name, SHA-256)."""
        pdfs = {}
        for kind in DocumentKind.values:
            body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
                    b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
            name = f"documents/bench/{kind}.pdf"
            if not default_storage.exists(name):
                name = default_storage.save(name, ContentFile(body))
            pdfs[kind] = (name, hashlib.sha256(body).hexdigest())
        return pdfs

    # -- helpers -----------------------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        self.uuid_counter += 1
        return uuid.UUID(int=self.uuid_base | self.uuid_counter)

    def customer_for(self, batch: Batch, at: datetime.datetime) -> tuple[int, str, str, list]:
        if self.customers and self.rng.random() > NEW_CUSTOMER_SHARE:
            return self.customers[self.rng.randrange(len(self.customers))]
        rng = self.rng
        self.customer_serial += 1
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(self.surnames)}"
        phone = f"+44771{self.customer_serial:07d}"
        roll = rng.random()
        channels = (["sms"] if roll < 0.55 else ["email", "sms"] if roll < 0.8
                    else ["sms", "phone"] if roll < 0.95 else ["phone"])
        email = (f"{name.split()[0].lower()}.{self.customer_serial}@example.com"
                 if "email" in channels or rng.random() < 0.3 else "")
        pk = self.ids.take(Customer)
        batch.add(Customer, {"id": pk, "name": name, "name_key": name_search_key(name),
                             "phone": phone, "email": email, "preferred_channels": channels,
                             "created_at": at})
        entry = (pk, phone, email, channels)
        self.customers.append(entry)
        return entry

    def document(self, batch: Batch, kind: str, title: str, at: datetime.datetime,
                 by: int | None, order_ids: Iterable[int]) -> int:
        self.document_numbers[kind] += 1
        number = self.document_numbers[kind]
        pk = self.ids.take(Document)
        name, digest = self.pdfs[kind]
        batch.add(Document, {
            "id": pk, "kind": kind, "number": number, "title": title, "issued_at": at,
            "issued_by_id": by, "file": name, "sha256": digest,
            "html": f"<h1>{title}</h1><p>Issued {at:%d %b %Y %H:%M}.</p>",
            "replaces_id": None, "correction": "",
        })
        through = Document.orders.through
        for order_id in order_ids:
            batch.rows[through].append({"id": self.ids.take(through), "document_id": pk,
                                        "order_id": order_id})
        return pk

    # -- the whole run ----------------------------------------------------------------------

    def plan_orders(self) -> list[tuple[datetime.datetime, str, dict]]:
        """(received at, state, the path's times) for every order, oldest first."""
        states = list(STATE_SHARES)
        # Exact counts in the proportions (the largest remainders get the odd orders).
        counts = {s: int(self.count * w) for s, w in STATE_SHARES.items()}
        rest = self.count - sum(counts.values())
        for state in sorted(states, key=lambda s: -(self.count * STATE_SHARES[s] % 1))[:rest]:
            counts[state] += 1
        plans = []
        for state, count in counts.items():
            for _ in range(count):
                path = self.path(state)
                plans.append((path["received"], state, path))
        plans.sort(key=lambda plan: plan[0])
        return plans

    def run(self) -> dict[str, int]:
        started = time.perf_counter()
        self.prepare()
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            # The rows are made consistent here; the foreign keys are checked once at the end
            # (PRAGMA foreign_key_check) instead of row by row. Outside a transaction, or
            # SQLite ignores it.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys = OFF")
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA cache_size = -200000")
        # PostgreSQL: the foreign-key triggers are off while loading, when this role may do
        # that; every key is checked once at the end instead (_dangling_keys).
        self.replica = connection.vendor == "postgresql" and _superuser()
        first_ids = {model: self.ids.take(model) for model in WRITE_ORDER}
        self.ids._next.update(first_ids)
        plans = self.plan_orders()
        self.log(f"planned {len(plans)} orders in {time.perf_counter() - started:.1f} s")
        number = 0
        for first in range(0, len(plans), CHUNK):
            batch = Batch()
            disposed: list[tuple[int, int, datetime.datetime]] = []
            for _received, state, path in plans[first:first + CHUNK]:
                number += 1
                self.order(batch, number, state, path, disposed)
            self.disposal_acts(batch, disposed)
            with transaction.atomic():
                if self.replica:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                for model in WRITE_ORDER:
                    self.writer.write(model, batch.rows.pop(model, []))
            self.log(f"{number} orders written ({time.perf_counter() - started:.0f} s)")
        if self.copies > 1:
            Replicator(self, first_ids).run()
            self.log(f"{self.copies} copies of the {number} orders written "
                     f"({time.perf_counter() - started:.0f} s)")
            number *= self.copies
        self.finish(number)
        self.log(f"done in {time.perf_counter() - started:.0f} s")
        return dict(self.writer.rows_written)

    def finish(self, orders: int) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_key_check")
                broken = cursor.fetchall()
                if not connection.in_atomic_block:
                    cursor.execute("PRAGMA foreign_keys = ON")
                    cursor.execute("PRAGMA synchronous = NORMAL")
            if broken:
                raise AssertionError(f"rows that refer to nothing: {broken[:10]}")
        else:
            broken = _dangling_keys(WRITE_ORDER)
            if broken:
                raise AssertionError(f"rows that refer to nothing: {broken}")
        with transaction.atomic():
            Sequence.objects.update_or_create(name="order", defaults={"last": orders})
            for kind, last in Document.objects.values_list("kind").annotate(last=Max("number")):
                Sequence.objects.update_or_create(name=f"document:{kind}",
                                                  defaults={"last": last})
            models = WRITE_ORDER
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        with connection.cursor() as cursor:
            # PostgreSQL: VACUUM too, so that index-only scans see the visibility map set.
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")

    # -- the path of one order --------------------------------------------------------------

    def path(self, state: str) -> dict:
        """The moments of the order's life, from its intake to its state now."""
        rng = self.rng
        heavy = state == S.ISSUED and rng.random() < HEAVY_SHARE * 1.2
        if state in (S.ISSUED, S.DISPOSED, S.DISPOSAL_DUE):
            repaired = rng.random() < (0.8 if state == S.ISSUED else 0.4) or heavy
        elif state == S.READY_UNREPAIRED:
            repaired = False
        else:
            repaired = True
        how = "repaired"
        if not repaired:
            roll = rng.random()
            how = "refused" if roll < 0.5 else "not_repairable" if roll < 0.8 else "lapsed"
        p: dict = {"state": state, "how": how, "heavy": heavy}
        t = datetime.timedelta(0)  # from the intake
        p["received"] = t
        if state == S.RECEIVED:
            return self._anchor(p, "received", rng.uniform(0, 4) * DAY)
        t += rng.uniform(2, 40) * HOUR
        p["diagnosing"] = t
        if state == S.DIAGNOSING:
            return self._anchor(p, "diagnosing", rng.uniform(0, 3) * DAY)
        t += rng.uniform(1, 20) * HOUR
        p["findings"] = t
        if how == "not_repairable":
            p["ready"] = t + 10 * MINUTE
            t = p["ready"]
        else:
            t += rng.uniform(10, 60) * MINUTE
            p["sent"] = t
            if heavy:
                t += rng.uniform(1, 3) * DAY
                p["revised"] = t
            if state == S.AWAITING_DECISION:
                # Sent up to six months ago: the decision is still open.
                return self._anchor(p, "sent", rng.uniform(0, 178) * DAY)
            if how == "lapsed":
                p["lapsed"] = t  # placed below, six months after sending
            else:
                t += rng.uniform(1, 120) * HOUR
                p["decided"] = t
            if how == "refused":
                p["ready"] = t
            elif how == "lapsed":
                p["ready"] = None  # six months later, known once the sending time is known
            else:
                if state == S.APPROVED:
                    return self._anchor(p, "decided", rng.uniform(0, 5) * DAY)
                t += rng.uniform(1, 48) * HOUR
                p["repair"] = t
                if heavy:
                    t += rng.uniform(1, 3) * DAY
                    p["supplement_sent"] = t
                    t += rng.uniform(2, 30) * HOUR
                    p["supplement_decided"] = t
                if state == S.REPAIRING:
                    return self._anchor(p, "repair", rng.uniform(0, 6) * DAY)
                t += rng.uniform(2, 30) * HOUR
                p["finished"] = t
                if heavy:
                    t += 3 * HOUR
                    p["failed_test"] = t
                    t += rng.uniform(2, 20) * HOUR
                    p["finished_again"] = t
                if state == S.TESTING:
                    return self._anchor(p, "finished", rng.uniform(0, 2) * DAY)
                t += rng.uniform(1, 6) * HOUR
                p["ready"] = t
        return self._after_ready(p)

    def _anchor(self, p: dict, key: str, age: datetime.timedelta) -> dict:
        """Turn the offsets from the intake into moments, with `key` happening `age` ago."""
        start = self.now - age - p[key]
        for name, offset in list(p.items()):
            if isinstance(offset, datetime.timedelta):
                p[name] = start + offset
        return p

    def _after_ready(self, p: dict) -> dict:
        rng = self.rng
        state = p["state"]
        if p["how"] == "lapsed":
            # The lapse is the sweep's, just after the decision period (six months from the
            # estimate) ended; the ready notice reached the customer soon after.
            age = {S.READY_UNREPAIRED: rng.uniform(0, 170), S.DISPOSAL_DUE: rng.uniform(184, 260),
                   S.DISPOSED: rng.uniform(200, 700)}.get(state, rng.uniform(10, 650)) * DAY
            sent_at = months_earlier(self.now - age, 6)
            start = sent_at - p["sent"]
            for name, offset in list(p.items()):
                if isinstance(offset, datetime.timedelta):
                    p[name] = start + offset
            p["lapsed"] = p["ready"] = months_later(sent_at, 6) + rng.uniform(1, 5) * MINUTE
            p["reached"] = p["lapsed"] + rng.uniform(5, 90) * MINUTE
        else:
            reach = rng.uniform(5, 240) * MINUTE
            p["reached"] = p["ready"] + reach
            if state in (S.READY_REPAIRED, S.READY_UNREPAIRED):
                age = rng.uniform(0, 175) * DAY
            elif state == S.DISPOSAL_DUE:
                age = rng.uniform(184, 260) * DAY
            elif state == S.DISPOSED:
                age = rng.uniform(200, 900) * DAY
            else:
                age = rng.uniform(3, YEARS_OF_HISTORY * 365) * DAY
            self._anchor(p, "reached", age)
        p["storage_due"] = months_later(p["reached"], 6)
        if state == S.ISSUED:
            latest = min(self.now - HOUR, p["storage_due"] - HOUR)
            p["issued"] = min(p["reached"] + rng.uniform(0.5, 20) * DAY, latest)
            p["issued"] = max(p["issued"], p["reached"] + MINUTE)
        if state in (S.DISPOSAL_DUE, S.DISPOSED):
            p["disposal_due"] = p["storage_due"] + rng.uniform(1, 300) * MINUTE
        if state == S.DISPOSED:
            p["disposed"] = min(p["disposal_due"] + rng.uniform(1, 40) * DAY, self.now - HOUR)
        return p

    # -- the rows of one order --------------------------------------------------------------

    def order(self, batch: Batch, number: int, state: str, p: dict,
              disposed: list) -> None:
        rng = self.rng
        staff = self.staff
        received = p["received"]
        customer_id, phone, email, channels = self.customer_for(batch, received)
        order_id = self.ids.take(Order)
        kind_name = rng.choices(self.kind_names, self.kind_weights)[0]
        kind = self.kinds[kind_name]
        reception = rng.choice(staff.reception)
        tech = rng.choice(staff.technicians)
        heavy = p["heavy"]
        if heavy:
            self.heavy_numbers.append(number)
        code = new_pickup_code()
        self.paid = Decimal("0.00")
        order = {
            "id": order_id, "number": number, "customer_id": customer_id, "status": state,
            "version": 1, "received_at": received, "received_by_id": reception,
            "diagnosis_due": add_working_days(center_date(received),
                                              self.center.diagnostics_target_days),
            "technician_id": None, "diagnosis_started_at": None, "findings": "",
            "diagnostics_fee": kind.diagnostics_fee if self.center.charge_diagnostics
            else Decimal("0.00"),
            "estimate_sent_at": None, "decision_due": None, "pending_supplement": "",
            "decided_at": None, "unrepaired_reason": "", "ready_at": None,
            "customer_reached_at": None, "storage_due": None, "storage_location": "",
            "issued_at": None, "disposed_at": None, "disposal_act_id": None,
            "portal_token": secrets.token_urlsafe(24),
            "pickup_code_digest": pickup_code_digest(code), "pickup_failures": 0,
            "intake_key": None,
        }
        batch.add(Order, order)
        brand, model, has_imei = rng.choice(EQUIPMENT[kind_name])
        serial = "".join(rng.choices(ALPHANUM, k=rng.choice((8, 10, 12))))
        imei = ""
        if has_imei:
            body = "35" + "".join(rng.choices("0123456789", k=12))
            imei = body + _luhn_digit(body)
        batch.add(Equipment, {
            "order_id": order_id, "kind_id": kind.pk, "brand": brand, "model": model,
            "serial_number": serial, "imei": imei, "condition": rng.choice(CONDITIONS),
            "accessories": rng.choice(["", "Charger", "Case", "Power cable"]),
            "fault": rng.choice(FAULTS),
        })
        events: list[dict] = []
        version = 1

        def event(action, at, from_status, to_status, actor=None, kind="staff",
                  channel="staff", note="", evidence=None, changes_state=True):
            nonlocal version
            if changes_state:
                version += 1
            events.append({
                "id": None, "order_id": order_id, "at": at, "actor_kind": kind,
                "actor_id": actor, "channel": channel, "action": action,
                "from_status": from_status, "to_status": to_status, "note": note,
                "evidence": evidence or {},
            })

        def keep(action, at, status, **kwargs):
            event(action, at, status, status, changes_state=False, **kwargs)

        usable = [c for c in channels if c != "email" or email]
        notify = NotifyRows(self, batch, order_id, customer_id, phone, email, usable, number)

        event("take_in", received, "", S.RECEIVED, actor=reception, changes_state=False)
        self.document(batch, DocumentKind.INTAKE_ORDER,
                      f"Intake order R-{number:06d} (center's copy)", received, reception,
                      [order_id])
        notify.message("order_received", received + MINUTE, reached=True)
        if heavy:
            keep("pickup_code_reissued", received + 5 * MINUTE, S.RECEIVED, actor=reception,
                 note="Customer's copy reprinted; the earlier pickup code is void.")
            version += 1
        status = S.RECEIVED
        if "diagnosing" in p:
            order.update(technician_id=tech, diagnosis_started_at=p["diagnosing"])
            event("start_diagnosis", p["diagnosing"], status, S.DIAGNOSING, actor=tech)
            status = S.DIAGNOSING
        if "findings" in p:
            findings = "Confirmed the fault described; see the estimate."
            order["findings"] = findings
            keep("findings_recorded", p["findings"], status, actor=tech, note=findings)
        estimates: list[dict] = []
        lines_by_estimate: dict[int, list[dict]] = {}

        def estimate(number_in_order, kind, at, lines=None):
            pk = self.ids.take(Estimate)
            row = batch.add(Estimate, {
                "id": pk, "order_id": order_id, "number": number_in_order, "kind": kind,
                "status": "sent", "repair_days": rng.randint(1, 5),
                "recommendation": "The repair is worth it: the rest is in good order.",
                "internal_notes": "Parts in stock.", "required_to_finish": False,
                "created_by_id": tech, "created_at": at - 20 * MINUTE, "sent_by_id": tech,
                "sent_at": at, "decision_due": months_later(at, 6), "decided_at": None,
                "replaces_id": None,
            })
            entries = self.prices[kind_obj_id] or self.prices[None]
            chosen = lines or rng.sample(entries, k=min(len(entries), rng.randint(1, 3)))
            rows = []
            for position, entry in enumerate(chosen):
                rows.append(batch.add(EstimateLine, {
                    "id": self.ids.take(EstimateLine), "estimate_id": pk, "position": position,
                    "line_kind": entry.line_kind, "description": entry.description,
                    "quantity": Decimal("1.00"), "unit_price": entry.unit_price,
                    "price_list_entry_id": entry.pk,
                }))
            lines_by_estimate[pk] = rows
            estimates.append(row)
            self.document(batch, DocumentKind.ESTIMATE,
                          f"Estimate R-{number:06d}/E{number_in_order}", at, tech, [order_id])
            return row

        kind_obj_id = kind.pk
        if "sent" in p:
            first = estimate(1, "main", p["sent"])
            event("send_estimate", p["sent"], status, S.AWAITING_DECISION, actor=tech,
                  evidence={"estimate": f"R-{number:06d}/E1", "replaces": ""})
            status = S.AWAITING_DECISION
            notify.message("estimate_ready", p["sent"] + MINUTE, reached=True)
            current = first
            if "revised" in p:
                first["status"] = "replaced"
                current = estimate(2, "main", p["revised"])
                current["replaces_id"] = first["id"]
                event("revise_estimate", p["revised"], status, status, actor=tech,
                      evidence={"estimate": f"R-{number:06d}/E2",
                                "replaces": f"R-{number:06d}/E1"})
                notify.message("estimate_ready", p["revised"] + MINUTE, reached=True)
            order.update(estimate_sent_at=current["sent_at"],
                         decision_due=current["decision_due"])
            if state == S.AWAITING_DECISION:
                self.reminders(notify, "decision", "decision_reminder",
                               current["decision_due"], current["sent_at"])
            elif p["how"] == "lapsed":
                self.reminders(notify, "decision", "decision_reminder",
                               current["decision_due"], current["sent_at"])
                current["status"] = "lapsed"
                order.update(unrepaired_reason="decision_lapsed", ready_at=p["lapsed"])
                event("lapse_decision", p["lapsed"], status, S.READY_UNREPAIRED, kind="system",
                      channel="system")
                status = S.READY_UNREPAIRED
            else:
                approved = p["how"] == "repaired"
                channel = rng.choice(["phone", "in_person", "order_page", "email"])
                evidence = {
                    "phone": {"said": "Yes, go ahead." if approved else "No, thank you.",
                              "call_time": ""},
                    "in_person": {"signed_slip": True},
                    "order_page": {"address": "203.0.113.7",
                                   "user_agent": "Mozilla/5.0 (Android 14)"},
                    "email": {"email_text": "Please go ahead." if approved else "No thanks."},
                }[channel]
                evidence["estimate"] = f"R-{number:06d}/E{current['number']}"
                actor = None if channel == "order_page" else reception
                current.update(status="approved" if approved else "refused",
                               decided_at=p["decided"])
                order["decided_at"] = p["decided"]
                target = S.APPROVED if approved else S.READY_UNREPAIRED
                event("approve" if approved else "refuse", p["decided"], status, target,
                      actor=actor, kind="customer" if actor is None else "staff",
                      channel=channel, evidence=evidence,
                      note="" if approved else "Costs more than a new one.")
                status = target
                if not approved:
                    order.update(unrepaired_reason="refused", ready_at=p["decided"])
                elif rng.random() < 0.3 or heavy:
                    total = sum(line["unit_price"] for line in lines_by_estimate[current["id"]])
                    self.payment(batch, order_id, number, (total / 3).quantize(Decimal("0.01")),
                                 p["decided"] + 10 * MINUTE, status, events)
        if p["how"] == "not_repairable" and "ready" in p and state not in (S.RECEIVED,
                                                                           S.DIAGNOSING):
            note = "Board corroded beyond repair; not worth replacing."
            order.update(unrepaired_reason="not_repairable", ready_at=p["ready"],
                         findings=order["findings"] + "\n\n" + note)
            event("declare_not_repairable", p["ready"], status, S.READY_UNREPAIRED, actor=tech,
                  note=note)
            status = S.READY_UNREPAIRED
        if "repair" in p:
            event("start_repair", p["repair"], status, S.REPAIRING, actor=tech)
            status = S.REPAIRING
            agreed = [line for e in estimates if e["status"] == "approved"
                      for line in lines_by_estimate[e["id"]]]
            if "supplement_sent" in p:
                supplement = estimate(len(estimates) + 1, "supplement", p["supplement_sent"])
                event("send_supplement", p["supplement_sent"], status, S.AWAITING_DECISION,
                      actor=tech, evidence={"estimate": f"R-{number:06d}/E{supplement['number']}",
                                            "replaces": ""})
                notify.message("estimate_ready", p["supplement_sent"] + MINUTE, reached=True)
                supplement.update(status="approved", decided_at=p["supplement_decided"])
                event("approve_supplement", p["supplement_decided"], S.AWAITING_DECISION,
                      S.REPAIRING, kind="customer", channel="order_page",
                      evidence={"address": "203.0.113.7", "user_agent": "Mozilla/5.0",
                                "estimate": f"R-{number:06d}/E{supplement['number']}"})
                order["decided_at"] = p["supplement_decided"]
                agreed += lines_by_estimate[supplement["id"]]
            done_until = p.get("finished", self.now)
            to_do = agreed if "finished" in p else agreed[:rng.randint(0, len(agreed))]
            start = p.get("supplement_decided", p["repair"])
            for index, line in enumerate(to_do):
                at = start + (done_until - start) * (index + 1) / (len(to_do) + 1)
                batch.add(LineDone, {
                    "line_id": line["id"], "done_by_id": tech, "done_at": at,
                    "part_serials": f"P{number:07d}-{index}" if line["line_kind"] == "part"
                    else "",
                })
                keep("work_done", at, status, actor=tech, note=line["description"])
            if "finished" in p:
                event("finish_works", p["finished"], status, S.TESTING, actor=tech)
                status = S.TESTING
                procedure = rng.choice(self.procedures[kind.pk] or self.procedures[None])
                if "failed_test" in p:
                    self.stress_test(batch, order_id, procedure, False, p["failed_test"], tech)
                    event("fail_test", p["failed_test"], status, S.REPAIRING, actor=tech,
                          note="Shut down after 40 minutes under load.")
                    event("finish_works", p["finished_again"], S.REPAIRING, S.TESTING,
                          actor=tech, note="Reseated the heatsink.")
                if "ready" in p:
                    self.stress_test(batch, order_id, procedure, True, p["ready"], tech)
                    event("pass_test", p["ready"], status, S.READY_REPAIRED, actor=tech,
                          note="Stable for the whole test; temperatures normal.")
                    status = S.READY_REPAIRED
                    order["ready_at"] = p["ready"]
        if status in (S.READY_REPAIRED, S.READY_UNREPAIRED):
            ready_event = "ready_repaired" if status == S.READY_REPAIRED else "ready_unrepaired"
            if heavy:
                notify.message(ready_event, p["ready"] + MINUTE, reached=False, channel="sms")
            notify.message(ready_event, p["reached"] - MINUTE, reached=True,
                           delivered_at=p["reached"])
            order.update(customer_reached_at=p["reached"], storage_due=p["storage_due"])
            keep("storage_started", p["reached"], status, kind="system", channel="system",
                 note="Notice delivered.")
            shelf = f"{rng.choice('ABCDEFGH')}{rng.randint(1, 40)}"
            order["storage_location"] = shelf
            keep("storage_location_set", p["ready"] + 2 * HOUR, status, actor=reception,
                 note=f"Location: {shelf}")
            if heavy:
                for move in range(2):
                    shelf = f"{rng.choice('ABCDEFGH')}{rng.randint(1, 40)}"
                    order["storage_location"] = shelf
                    keep("storage_location_set", p["ready"] + (3 + move) * HOUR, status,
                         actor=reception, note=f"Location: {shelf}")
            reminder_end = p.get("issued") or p.get("disposal_due") or self.now
            self.reminders(notify, "storage", "storage_reminder", p["storage_due"],
                           p["reached"], until=reminder_end)
            if "disposal_due" in p:
                event("mark_disposal_due", p["disposal_due"], status, S.DISPOSAL_DUE,
                      kind="system", channel="system")
                status = S.DISPOSAL_DUE
                notify.message("disposal_warning", p["disposal_due"] + 5 * MINUTE,
                               reached=True)
            if "disposed" in p:
                disposed.append((order_id, number, p["disposed"]))
                order["disposed_at"] = p["disposed"]
                event("confirm_disposal", p["disposed"], status, S.DISPOSED,
                      actor=staff.manager, note="Recycled through the licensed collector.",
                      evidence={"act": "", "method": "recycled"})
                order["_disposal_event"] = events[-1]
                status = S.DISPOSED
            if "issued" in p:
                issued = p["issued"]
                charged = order["diagnostics_fee"] if order["unrepaired_reason"] else sum(
                    (line["unit_price"] for e in estimates if e["status"] == "approved"
                     for line in lines_by_estimate[e["id"]]), Decimal("0.00"))
                paid = self.paid
                if heavy and charged - paid > 2:
                    part = ((charged - paid) / 2).quantize(Decimal("0.01"))
                    self.payment(batch, order_id, number, part, issued - 20 * MINUTE, status,
                                 events)
                    paid += part
                    for attempt in (1, 2):
                        keep("pickup_code_wrong", issued - (10 - attempt) * MINUTE, status,
                             actor=reception, note=f"Attempt {attempt} of 5.")
                if charged - paid > 0:
                    self.payment(batch, order_id, number, charged - paid, issued - 5 * MINUTE,
                                 status, events)
                order["issued_at"] = issued
                event("issue", issued, status, S.ISSUED, actor=reception,
                      evidence={"original": "pickup code presented"})
                status = S.ISSUED
                self.document(batch, DocumentKind.COMPLETION_CERTIFICATE,
                              f"Completion certificate for order R-{number:06d}", issued,
                              reception, [order_id])
                if not order["unrepaired_reason"]:
                    self.document(batch, DocumentKind.WARRANTY_CARD,
                                  f"Warranty card for order R-{number:06d}", issued, reception,
                                  [order_id])
        if heavy:
            self.chat(batch, order_id, p["received"] + DAY)
        if status != state:
            raise AssertionError(f"order {number}: path ended in {status}, not {state}")
        order["version"] = version
        events.sort(key=lambda e: e["at"])
        batch.rows[OrderEvent].extend(events)
        for e in events:
            e["id"] = self.ids.take(OrderEvent)
        batch.rows[Message].extend(notify.messages)
        batch.rows[DeliveryRecord].extend(notify.records)

    def payment(self, batch, order_id, number, amount, at, status, events) -> None:
        self.paid += amount
        receipt = self.document(batch, DocumentKind.RECEIPT,
                                f"Payment receipt for order R-{number:06d}", at,
                                self.staff.cashier, [order_id])
        batch.add(Payment, {
            "id": self.ids.take(Payment), "order_id": order_id, "amount": amount,
            "method": self.rng.choice(["cash", "card", "card", "bank_transfer"]),
            "reason": "", "note": "", "idempotency_key": self.uuid(),
            "taken_by_id": self.staff.cashier, "taken_at": at, "receipt_id": receipt,
        })
        events.append({
            "id": None, "order_id": order_id, "at": at, "actor_kind": "staff",
            "actor_id": self.staff.cashier, "channel": "staff", "action": "payment",
            "from_status": status, "to_status": status, "note": f"{amount} GBP",
            "evidence": {"receipt": receipt},
        })

    def stress_test(self, batch, order_id, procedure, passed, at, tech) -> None:
        batch.add(StressTest, {
            "id": self.ids.take(StressTest), "order_id": order_id,
            "procedure_template_id": procedure.pk, "name": procedure.name,
            "procedure": procedure.procedure, "duration_minutes": procedure.duration_minutes,
            "measurements": "Peak 41 °C, no errors in the log." if passed
            else "Peak 88 °C before the shutdown.",
            "passed": passed, "run_by_id": tech, "recorded_at": at,
        })

    def reminders(self, notify: NotifyRows, which: str, event: str,
                  deadline: datetime.datetime, since: datetime.datetime,
                  until: datetime.datetime | None = None) -> None:
        """The reminders the sweep queued before `until` (now): the one of N days once the
        deadline was N days away, each once."""
        until = until or self.now
        for before in self.reminder_days[which]:
            due = deadline - before * DAY
            if since < due <= until:
                notify.message(event, due + 3 * MINUTE, reached=True, deadline=deadline,
                               days_before=before)

    def chat(self, batch: Batch, order_id: int, start: datetime.datetime) -> None:
        pk = self.ids.take(ChatThread)
        lines = ["Is it ready yet?", "The parts arrive tomorrow; we will tell you.",
                 "Does the price include the labour?", "Yes: both lines, nothing else to pay."]
        at = start
        for index in range(12):
            at += self.rng.uniform(1, 30) * MINUTE
            visitor = index % 2 == 0
            batch.add(ChatMessage, {
                "id": self.ids.take(ChatMessage), "thread_id": pk,
                "author": "visitor" if visitor else "consultant",
                "user_id": None if visitor else self.staff.consultant,
                "body": lines[index % len(lines)], "at": at, "client_key": None,
            })
        batch.rows[ChatThread].append({"id": pk, "order_id": order_id, "visitor_digest": "",
                                       "created_at": start, "last_message_at": at,
                                       "waiting_since": None})

    def disposal_acts(self, batch: Batch, disposed: list) -> None:
        """Disposed orders in acts of up to 20, confirmed on the day of their last order."""
        disposed.sort(key=lambda d: d[2])
        orders_by_id = {o["id"]: o for o in batch.rows[Order]}
        for first in range(0, len(disposed), 20):
            group = disposed[first:first + 20]
            at = max(d[2] for d in group)
            document = self.document(batch, DocumentKind.DISPOSAL_ACT,
                                     f"Disposal act: {len(group)} items, recycled", at,
                                     self.staff.manager, [d[0] for d in group])
            act_number = self.document_numbers[DocumentKind.DISPOSAL_ACT]
            act_id = self.ids.take(DisposalAct)
            batch.add(DisposalAct, {
                "id": act_id, "number": act_number, "method": "recycled",
                "note": "Recycled through the licensed collector.", "confirmed_at": at,
                "confirmed_by_id": self.staff.manager, "document_id": document,
            })
            for order_id, _number, _at in group:
                order = orders_by_id[order_id]
                order["disposal_act_id"] = act_id
                order["disposed_at"] = at
                disposal_event = order.pop("_disposal_event")
                disposal_event["at"] = at
                disposal_event["evidence"] = {"act": f"DA-{act_number:06d}",
                                              "method": "recycled"}


class NotifyRows:
    """The messages of one order on the customer's first usable channel, with the delivery
    records the worker and the provider would have left."""

    def __init__(self, generator: Generator, batch: Batch, order_id: int, customer_id: int,
                 phone: str, email: str, channels: list[str], number: int) -> None:
        self.g, self.batch = generator, batch
        self.order_id, self.customer_id, self.number = order_id, customer_id, number
        self.phone, self.email, self.channels = phone, email, channels
        self.messages: list[dict] = []
        self.records: list[dict] = []

    def message(self, event: str, at: datetime.datetime, *, reached: bool,
                channel: str | None = None, delivered_at: datetime.datetime | None = None,
                deadline=None, days_before=None) -> None:
        if not self.channels:
            return
        channel = channel or self.channels[0]
        pk = self.g.ids.take(Message)
        recipient = self.email if channel == "email" else self.phone
        sent_at = at + 2 * MINUTE
        if channel == "phone":
            status, sent_at = ("delivered", at + HOUR) if reached else ("failed", at + HOUR)
        else:
            status = "delivered" if reached else "failed"
        delivered = (delivered_at or sent_at + MINUTE) if status == "delivered" else None
        self.messages.append({
            "id": pk, "order_id": self.order_id, "customer_id": self.customer_id,
            "advice_id": None, "event": event, "channel": channel, "template_id": None,
            "recipient": recipient,
            "subject": f"Order R-{self.number:06d}" if channel == "email" else "",
            "body": f"Repair Center: order R-{self.number:06d}: {event.replace('_', ' ')}.",
            "status": status, "key": self.g.uuid(), "attempt_count": 1 if reached else 6,
            "next_attempt_at": at, "claim": "", "lease_until": None,
            "provider_ref": f"bench-{pk}" if channel == "sms" else "",
            "last_answer": "" if reached else "Number unreachable", "sent_at": sent_at,
            "delivered_at": delivered, "failed_at": None if reached else sent_at + HOUR,
            "replaces_id": None, "handled_at": None if reached else sent_at + 2 * HOUR,
            "handled_by_id": None, "created_at": at, "deadline": deadline,
            "days_before": days_before,
        })
        kind = "call" if channel == "phone" else "attempt"
        outcome = "delivered" if reached and channel != "sms" else "sent" if reached else "retry"
        attempts = 1 if reached else 6
        for attempt in range(attempts):
            last = attempt == attempts - 1
            self.records.append({
                "id": self.g.ids.take(DeliveryRecord), "message_id": pk,
                "at": at + (attempt + 1) * MINUTE, "kind": kind,
                "outcome": ("failed" if last and not reached else outcome),
                "answer": '{"id": "bench"}' if reached else "503 Service Unavailable",
                "duration_ms": 40, "by_id": None,
            })
        if reached and channel == "sms":
            self.records.append({
                "id": self.g.ids.take(DeliveryRecord), "message_id": pk, "at": delivered,
                "kind": "report", "outcome": "delivered", "answer": "delivered",
                "duration_ms": None, "by_id": None,
            })


def copies_for(orders: int) -> int:
    """How many copies of a template make `orders` (1: all made directly)."""
    if orders <= DIRECT_MAX:
        return 1
    copies = orders // TEMPLATE
    while orders % copies:
        copies -= 1
    return copies


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
            for model in (Order, Document, DisposalAct):
                table, number = q(model._meta.db_table), q("number")
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
            if special in ((Order, "number"), (Document, "number"), (DisposalAct, "number")):
                expr = f"{column} + c.k"
            elif special == (Order, "portal_token"):
                expr = (f"{random_hex} || substr({random_hex}, 1, 16)" if pg
                        else "lower(hex(randomblob(24)))")
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


def _superuser() -> bool:
    """Whether this PostgreSQL role may switch off the foreign-key triggers while loading."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def _dangling_keys(models: list[type[Model]]) -> list[str]:
    """Foreign keys of `models` that point at no row (PostgreSQL, after loading with the
    triggers off): one anti-join per key."""
    quote = connection.ops.quote_name
    broken = []
    with connection.cursor() as cursor:
        for model in models:
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model
                cursor.execute(
                    f"SELECT count(*) FROM {quote(model._meta.db_table)} c "  # noqa: S608
                    f"WHERE c.{quote(f.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                    f"{quote(target._meta.db_table)} p WHERE p.{quote(f.target_field.column)} "
                    f"= c.{quote(f.column)})"
                )
                count = cursor.fetchone()[0]
                if count:
                    broken.append(f"{model._meta.label}.{f.name}: {count}")
    return broken


def months_earlier(moment: datetime.datetime, months: int) -> datetime.datetime:
    return months_later(moment, -months)


def _days(text: str) -> list[int]:
    from repaircenter.core.models import parse_reminder_days

    return parse_reminder_days(text)


def generate(orders: int, *, seed: int = 1, log: Callable[[str], None] = print,
             now: datetime.datetime | None = None) -> dict[str, int]:
    """Fill the database (which has no orders yet) with `orders` orders; returns rows written
    per model."""
    return Generator(orders, seed=seed, log=log, now=now).run()

