"""Pieces of SQL for statements over many rows at once (the deadline sweep, a batch of
disposals), the same on SQLite and PostgreSQL.

The ORM has no INSERT … SELECT and no UPDATE … RETURNING; the few statements that need them are
written out with table and column names taken from the models, and every value bound.
"""

import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import Model


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def db_value(model: type[Model], name: str, value):
    """`value` prepared for the database as the ORM would prepare it for the field `name`."""
    return model._meta.get_field(name).get_db_prep_save(value, connection)


def ids_sql(ids: Iterable[int]) -> tuple[str, list]:
    """A SELECT of one column `id` holding `ids`, bound as a single parameter: the statement is
    the same for ten rows or a hundred thousand (no list of placeholders to outgrow)."""
    ids = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[]) AS id", [ids]
    return "SELECT value AS id FROM json_each(%s)", [json.dumps(ids)]


def json_sql() -> str:
    """The placeholder of a JSON value (bound as text)."""
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def random_uuid_sql() -> str:
    """A new random UUID for each row, made by the database (as a UUIDField stores it)."""
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    return "lower(hex(randomblob(16)))"


def fetch_ids(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
