"""Writing the rows: COPY on PostgreSQL, executemany on SQLite, primary keys handed out ahead,
the rows of a chunk in an order the foreign keys accept, and the checks once it is loaded."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Max, Model

from repaircenter.billing.models import Payment
from repaircenter.consult.models import ChatMessage, ChatThread
from repaircenter.customers.models import Customer
from repaircenter.documents.models import Document
from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.orders.models import (
    DisposalAct,
    Equipment,
    Estimate,
    EstimateLine,
    LineDone,
    Order,
    OrderEvent,
    StressTest,
)


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


def superuser() -> bool:
    """Whether this PostgreSQL role may switch off the foreign-key triggers while loading."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def dangling_keys(models: list[type[Model]]) -> list[str]:
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
