"""The generator: sets the center up (kinds, price list, procedures, staff), plans every
order's path, writes the rows chunk by chunk, copies the template for large runs, and checks
and finishes the database (sequences, foreign keys, statistics)."""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from repaircenter.billing.models import Payment
from repaircenter.consult.models import ChatMessage, ChatThread
from repaircenter.core.models import CenterSettings, parse_reminder_days
from repaircenter.customers.models import Customer, name_search_key
from repaircenter.documents.models import Document, DocumentKind, Sequence
from repaircenter.orders.models import (
    DisposalAct,
    Order,
    PriceListEntry,
    StressTest,
    TestProcedure,
)
from repaircenter.orders.state_counts import recount_state_counts

from .center import chain_centers, equipment_kinds, staff_users, stored_pdfs
from .copying import Replicator, copies_for
from .messages import NotifyRows
from .order_rows import order_rows
from .paths import order_path
from .vocabulary import (
    DAY,
    FIRST_NAMES,
    KIND_WEIGHTS,
    MINUTE,
    NEW_CUSTOMER_SHARE,
    STATE_SHARES,
    SURNAME_ENDS,
    SURNAME_STARTS,
)
from .writing import WRITE_ORDER, Batch, Ids, Writer, dangling_keys, superuser

CHUNK = 20_000  # orders made in Python and written per transaction


class Generator:
    """One run: set the center up, plan every order's path, write the orders chunk by chunk
    (order_rows.py), copy them as a template when there are many (copying.py), finish."""

    def __init__(self, orders: int, *, centers: int = 1, seed: int = 1,
                 now: datetime.datetime | None = None,
                 log: Callable[[str], None] = lambda text: None) -> None:
        if centers < 1:
            raise ValueError("a chain has at least one center")
        self.total = orders
        self.center_count = centers
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
        self.shops = chain_centers(self.center_count)
        self.center_numbers: dict[int, int] = defaultdict(int)  # the last number per center
        self.kinds = equipment_kinds()
        self.kind_names = list(KIND_WEIGHTS)
        self.kind_weights = [KIND_WEIGHTS[k] for k in self.kind_names]
        self.prices = defaultdict(list)
        for entry in PriceListEntry.objects.all():
            self.prices[entry.equipment_kind_id].append(entry)
        self.procedures = defaultdict(list)
        for procedure in TestProcedure.objects.all():
            self.procedures[procedure.equipment_kind_id].append(procedure)
        self.staff = staff_users(self.shops)
        self.surnames = [a + b for a in SURNAME_STARTS for b in SURNAME_ENDS]
        self.pdfs = stored_pdfs()
        self.reminder_days = {
            "decision": sorted(parse_reminder_days(center.decision_reminder_days), reverse=True),
            "storage": sorted(parse_reminder_days(center.storage_reminder_days), reverse=True),
        }

    # -- helpers -----------------------------------------------------------------------------

    def center_taking(self, number: int):
        """The center that takes order `number` in: the first (the chain's flagship) every
        other order, the rest in turn, so that a big center's queues are full at any size and
        the small ones' are not. Each numbers its own orders from 1."""
        shops = self.shops
        if len(shops) == 1 or number % 2:
            return shops[0]
        return shops[1 + (number // 2 - 1) % (len(shops) - 1)]

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
                path = order_path(self.rng, self.now, state)
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
        self.replica = connection.vendor == "postgresql" and superuser()
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
                order_rows(self, batch, number, state, path, disposed)
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
            broken = dangling_keys(WRITE_ORDER)
            if broken:
                raise AssertionError(f"rows that refer to nothing: {broken}")
        with transaction.atomic():
            Sequence.objects.update_or_create(name="order", defaults={"last": orders})
            last_numbers = (Order.objects.values_list("center").order_by("center")
                            .annotate(last=Max("center_number")))
            for center_id, last in last_numbers:
                Sequence.objects.update_or_create(name=f"order:{center_id}",
                                                  defaults={"last": last})
            for kind, last in Document.objects.values_list("kind").annotate(last=Max("number")):
                Sequence.objects.update_or_create(name=f"document:{kind}",
                                                  defaults={"last": last})
            models = WRITE_ORDER
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        # The orders were written with the triggers that count them off (replica role) or on
        # (one row each): counted once, as a chain's database would hold them.
        recount_state_counts()
        with connection.cursor() as cursor:
            # PostgreSQL: VACUUM too, so that index-only scans see the visibility map set.
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")

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


def generate(orders: int, *, centers: int = 1, seed: int = 1,
             log: Callable[[str], None] = print,
             now: datetime.datetime | None = None) -> dict[str, int]:
    """Fill the database (which has no orders yet) with `orders` orders taken in at `centers`
    centers in turn; returns rows written per model."""
    return Generator(orders, centers=centers, seed=seed, log=log, now=now).run()

