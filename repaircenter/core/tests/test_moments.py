"""Moments read by psycopg's C parser (core/moments.py) are the moments Django's loader reads."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from repaircenter.core.moments import CompiledMomentLoader

TEXTS = [
    "2026-12-06 07:11:00.123456+00",
    "2026-03-29 01:59:59.999999+00",  # the hour before Europe's clocks move
    "2024-02-29 23:00:00+00",
    "2026-06-30 23:59:59+05:45",  # a zone a quarter of an hour off
    "2026-01-01 00:00:00-09:30",
    "0001-01-02 00:00:00+00",
    "9999-12-30 23:59:59.999999+00",
]


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("the C parser is psycopg's, for PostgreSQL: SQLite gives moments as text")
    connection.ensure_connection()


def read(texts: list[str]) -> list[datetime.datetime]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS x(t, n) "
                       "ORDER BY n", [texts])
        return [row[0] for row in cursor.fetchall()]


class DjangosOwn(BaseTzLoader):
    timezone = datetime.UTC


def test_each_connection_reads_moments_with_the_compiled_parser(postgresql):
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, as text
    assert loader is CompiledMomentLoader


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "America/St_Johns"])
def test_the_moments_are_djangos_whatever_the_sessions_zone(postgresql, zone):
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, false)", [zone])
    try:
        fast = read(TEXTS)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', 'UTC', false)")
    connection.connection.adapters.register_loader(1184, DjangosOwn)
    try:
        djangos = read(TEXTS)
    finally:
        connection.connection.adapters.register_loader(1184, CompiledMomentLoader)
    assert fast == djangos
    assert [moment.tzinfo for moment in fast] == [datetime.UTC] * len(TEXTS)
    assert fast[3] == datetime.datetime(2026, 6, 30, 18, 14, 59, tzinfo=datetime.UTC)
    assert fast[0].microsecond == 123456 and fast[-1].microsecond == 999999


def test_a_null_moment_stays_none(postgresql):
    with connection.cursor() as cursor:
        cursor.execute("SELECT NULL::timestamptz, now()")
        nothing, now = cursor.fetchone()
    assert nothing is None and now.tzinfo is datetime.UTC
