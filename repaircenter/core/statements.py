"""Statements compiled once.

Django builds and compiles a queryset's SQL every time it runs. For the order pages' reads that
was three quarters of each read's time (a dozen-table join compiled in a millisecond, answered
by PostgreSQL in a tenth of one). A `KeptStatement` is a queryset whose shape never changes,
only its value (an order's id or number, a link's digest) or values (the search's: a number, a
phone, a name…): its SQL is compiled the first time, then run again with the new values, and
its rows are made into objects as Django makes them (select_related objects and annotations
included).

Only for querysets that are the same apart from those values: no `timezone.now()`, no language,
nothing read from settings at build time, as every other parameter is kept with the SQL (the
database's own clock, `Now()`, is part of the SQL and fine). A queryset that reads the time is
kept with `clock=True`: built once with a made-up now, its moments and dates are then moved to
each run's now (a queue's overdue orders: now, and today less each state's days of grace). It
may also be of `values_list(..., named=True)`: its rows are then named rows.

A kept statement that is `planned_once` is, on PostgreSQL, planned once for the connection
whatever its values (`_planned`): for statements whose every part is an index look-up.
Its constants are then written into its text (`_written_in`), so that the one plan knows them.
A value whose plans PostgreSQL would make anew for each run, where one plan serves them all,
can instead be given `Unseen`: then PostgreSQL keeps one plan by itself, with no settings sent.
The other way round, a statement `planned_each_time` is planned for each run's values, where
no one plan serves them all (`_planned`).

`attach` then puts the objects where prefetch_related would have put them, so that
`order.estimates.all()` and the like need no statement; `read_parts` reads an object's relations
so, all of them in one round trip to PostgreSQL (`objects_of_many`).

A compiled statement is kept per process and shared by its threads: after compiling, Django's
compiler is only read (its columns, converters and the classes to make), never changed."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func, Model, QuerySet, Value
from django.db.models.query import (
    ModelIterable,
    NamedValuesListIterable,
    get_related_populators,
)
from django.db.models.utils import create_namedtuple_class
from django.utils import timezone

# What fills a value's blank while compiling, to find its place among the parameters: a number
# no order has, within a 32-bit column (Django refuses a bigger one for it); for a value that is
# text, text no one types. The value in the statement's slot `i` gets the marker `i`: MARKER + i,
# or TEXT_MARKER with i in it.
MARKER = 918_273_645
TEXT_MARKER = "\x1fkept statement {}\x1f"


def marker(kind: type, slot: int) -> int | str:
    return TEXT_MARKER.format(slot) if kind is str else MARKER + slot


# The clock of a statement that reads the time (`clock=True`): a moment far from any real one.
# Every moment and date among the compiled statement's parameters is the clock or its local
# date moved by some fixed time (a deadline's grace, say); each run moves them from its own now.
CLOCK = datetime.datetime(2190, 6, 15, 12, 0, 0, 123456, tzinfo=datetime.UTC)
CLOCK_REACH = datetime.timedelta(days=3660)  # what "moved by a fixed time" may move, at most


class Unseen(Func):
    """A value PostgreSQL's planner does not look at: given through a one-row subquery, run once
    before the rest of the statement (an InitPlan), so that a plan made for the run's values
    and the plan made without them are the same plan.

    A prepared statement is planned for its values the first five runs, then keeps its plan made
    without them unless that one looks dearer. Seeing a LIKE pattern (or an IMEI, whose blank is
    most rows), PostgreSQL guessed a plan for it cheaper than the one without, and planned the
    search anew on every run: 1.0–1.8 ms of planning for 0.2 ms of work, the same indexes read
    either way. Unseen, the value is guessed at in every plan as in the one kept."""

    template = "(SELECT %(expressions)s)"

    def __init__(self, value):
        super().__init__(Value(value))


class KeptStatement:
    def __init__(self, build: Callable[..., QuerySet], *kinds: type, text: bool = False,
                 planned_once: bool = False, planned_each_time: bool = False,
                 clock: bool = False):
        """`build(*values)` makes the queryset; `kinds`: what each value is, `int` or `str`
        (one number by default, none with a clock); `text`: one value, text; `planned_once`,
        `planned_each_time`: see the module's docstring; `clock`: the queryset reads the time,
        given first: `build(now, *values)`, `objects(now, *values)`."""
        if planned_once and planned_each_time:
            raise ValueError("A statement is planned once or each time, not both.")
        self.build = build
        self.kinds = kinds or (() if clock else (str,) if text else (int,))
        self.planned_once = planned_once
        self.planned_each_time = planned_each_time
        self.clock = clock
        self._compiled: dict[str, _Compiled] = {}

    def objects(self, *values) -> list:
        """The objects the queryset gives for `values`: model instances, or for a queryset of
        values_list(named=True) its rows."""
        if self.clock and connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            # SQLite is given moments and dates as text, where the clock cannot be told apart.
            return list(self.build(*values))
        return self.compiled().objects(*values)

    def rows(self, *values) -> list:
        """The statement's rows for `values` as the driver gives them, for `make` to make into
        objects later: anew each time, where what is made may be changed (accounts/backends.py
        keeps a user's row). Not for a statement with a clock."""
        if self.clock:
            raise TypeError("A statement with a clock gives its objects only (objects).")
        return self.compiled().rows(*values)

    def make(self, rows: list) -> list:
        return self.compiled().make(rows)

    def compiled(self) -> _Compiled:
        compiled = self._compiled.get(DEFAULT_DB_ALIAS)
        if compiled is None:
            markers = [marker(kind, slot) for slot, kind in enumerate(self.kinds)]
            queryset = self.build(CLOCK, *markers) if self.clock else self.build(*markers)
            compiled = _Compiled(queryset, markers, planned_once=self.planned_once,
                                 planned_each_time=self.planned_each_time,
                                 clock=self.clock)
            self._compiled[DEFAULT_DB_ALIAS] = compiled
        return compiled


def _clocked(params: list, sql: str) -> list[tuple[int, datetime.timedelta]]:
    """Where the clock is among a statement's parameters, and how far each is moved from it
    (a moment from CLOCK, a date from its local date). A moment or date that is not the clock
    moved by a little could not be moved with it: refused."""
    today = timezone.localdate(CLOCK)
    clocked = []
    for slot, value in enumerate(params):
        if isinstance(value, datetime.datetime):
            moved = value - CLOCK
        elif isinstance(value, datetime.date):
            moved = value - today
        else:
            continue
        if abs(moved) > CLOCK_REACH:
            raise ValueError(f"A moment or date not of the clock in a kept statement: {value!r} "
                             f"in {sql!r}")
        clocked.append((slot, moved))
    return clocked


def objects_of_many(runs: list[tuple]) -> list[list[Model]]:
    """The objects of several kept statements, each with its values: (statement, *values). On
    PostgreSQL they are sent together in one round trip (psycopg's pipeline mode), not one
    after another: a statement the server answers in a twentieth of a millisecond waited four
    times as long for the network and the driver."""
    connection = connections[DEFAULT_DB_ALIAS]
    if len(runs) < 2 or not _pipelines(connection):
        return [statement.objects(*values) for statement, *values in runs]
    compiled = [(statement.compiled(), values) for statement, *values in runs]
    connection.ensure_connection()
    cursors = [connection.cursor() for _ in compiled]
    try:
        with connection.connection.pipeline():
            for cursor, (one, values) in zip(cursors, compiled, strict=True):
                cursor.execute(one.sql, one.params_with(values))
        return [one.make(cursor.fetchall())
                for cursor, (one, _) in zip(cursors, compiled, strict=True)]
    finally:
        for cursor in cursors:
            cursor.close()


# How a statement `planned_once` is planned: once for the connection whatever its values (its
# generic plan), and without parallel workers.
#
# A prepared statement is planned for its values the first five times; then PostgreSQL keeps the
# plan made without them, unless that plan's estimate is dearer than theirs: then it plans anew on
# every run, often for longer than the run itself takes. Guessing many rows without the values, it
# would also start parallel workers, which a look-up by index never needs (4 ms to start one).
PLANNED_ONCE = (("plan_cache_mode", "force_generic_plan"),
                ("max_parallel_workers_per_gather", "0"))

# How a statement `planned_each_time` is planned: for each run's values, never by the plan kept
# without them, and not compiled to machine code (JIT) on the way. A customer's name of two
# letters is found by no trigram index, and how many it finds is all the plan turns on: the plan
# made without the pattern guesses two thousand customers and reads every order of everyone so
# named, joined with their rows, before keeping the newest fifty (216,000 orders for "an" at a
# million orders: 4.5-5.3 s); planned for "an", PostgreSQL sorts the orders by date and stops at
# the fiftieth so named (0.3 s), and for "zq", which no name holds, reads the customers (30 ms).
# Compiling the plan for "an" to machine code took 27 ms of it.
PLANNED_EACH_TIME = (("plan_cache_mode", "force_custom_plan"), ("jit", "off"))


def _planned(connection, sql: str, params: list, settings: tuple) -> list[tuple]:
    """The rows of a statement planned as `settings` say (PLANNED_ONCE, PLANNED_EACH_TIME).

    The settings hold for this statement alone. Outside a transaction they are set for the
    implicit one the statement is sent in (set_config's `is_local`: both are sent together, in
    one round trip, and end with it); in a transaction (an atomic block) they are set and reset
    around the statement, all sent with it, and a failing statement leaves them as they were.
    Every other statement on the connection is planned as usual. They go through the driver's
    own cursor: settings, not statements of the page's, and not counted as such."""
    connection.ensure_connection()
    driver = connection.connection
    in_transaction = connection.in_atomic_block
    with connection.cursor() as cursor, driver.cursor() as setting:
        with connection.wrap_database_errors, driver.pipeline():
            if in_transaction:
                for name, value in settings:
                    setting.execute(f"SET {name} = {value}")
            else:
                setting.execute(_local_settings(settings))
            cursor.execute(sql, params)
            if in_transaction:
                for name, _ in settings:
                    setting.execute(f"RESET {name}")
        return cursor.fetchall()


@cache
def _local_settings(settings: tuple) -> str:
    """The statement that sets `settings` for the transaction it is sent in (the constants
    above, never anything typed)."""
    return "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)"
                                 for name, value in settings)


def _written_in(sql: str, params: list, kept: set[int]) -> tuple[str, list, dict[int, int]]:
    """The statement with its constants written into its text (every parameter but those in
    `kept` that is text, a number or a truth value), the parameters left, and each left one's
    place among them by its place before. For a statement planned once: its one plan then
    knows them (a queue's states, where the generic plan of a state given as a parameter read
    the whole index of every state, 180 ms at a million orders)."""
    pieces = re.split(r"(%%|%s)", sql)
    written, left, moved = [], [], {}
    slot = 0
    for piece in pieces:
        if piece != "%s":
            written.append(piece)
            continue
        value = params[slot]
        literal = None if slot in kept else _literal(value)
        if literal is None:
            moved[slot] = len(left)
            left.append(value)
            written.append(piece)
        else:
            written.append(literal.replace("%", "%%"))
        slot += 1
    if slot != len(params):
        raise ValueError(f"{len(params)} values for {slot} places: {sql!r}")
    return "".join(written), left, moved


def _literal(value) -> str | None:
    """`value` as SQL text, or None for a kind of value left a parameter."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"  # standard_conforming_strings: on
    return None


def _pipelines(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    import psycopg

    return psycopg.Pipeline.is_supported()


class _Compiled:
    """A queryset's SQL and what Django needs to make its rows into objects."""

    def __init__(self, queryset: QuerySet, markers: list[int | str], *,
                 planned_once: bool = False, planned_each_time: bool = False,
                 clock: bool = False):
        # The settings it is run with (_planned), if any.
        self.planning = (PLANNED_ONCE if planned_once
                         else PLANNED_EACH_TIME if planned_each_time else None)
        self.compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        # A value nowhere, or in two places, or changed on its way (a LIKE pattern made of it)
        # could not be put in its place: refused, whichever value it is.
        if any(self.params.count(one) != 1 for one in markers):
            raise ValueError("A kept statement needs each value in exactly one place: "
                             f"{self.sql!r} {self.params!r}")
        self.slots = [self.params.index(one) for one in markers]
        # Each value is given to the driver as Django gave the marker: on PostgreSQL an integer
        # column's as psycopg's Int4, not as the smallest type that holds the value, so that the
        # statement is bound (and prepared) with the types the ORM's own would have.
        self.adapters = [type(self.params[slot]) for slot in self.slots]
        self.clock = clock
        self.clocked = _clocked(self.params, self.sql) if clock else []
        if planned_once and _pipelines(connections[DEFAULT_DB_ALIAS]):
            self.sql, self.params, moved = _written_in(
                self.sql, self.params, {*self.slots, *(slot for slot, _ in self.clocked)})
            self.slots = [moved[slot] for slot in self.slots]
            self.clocked = [(moved[slot], by) for slot, by in self.clocked]
        # What results_iter works out on every run: how each column's value is read.
        select = self.compiler.select
        columns = [column[0] for column in select[0:self.compiler.col_count]]
        self.converters = (None if self.compiler.has_composite_fields(columns)
                           else self.compiler.get_converters(columns))
        if not issubclass(queryset._iterable_class, ModelIterable):
            # values_list(named=True): its rows, as NamedValuesListIterable makes them.
            if queryset._iterable_class is not NamedValuesListIterable or not queryset._fields:
                raise ValueError("A kept statement gives objects, or the named rows of "
                                 "values_list(..., named=True) with its fields named.")
            self.model = None
            self.row_class = create_namedtuple_class(*queryset._fields)
            return
        # As django.db.models.query.ModelIterable reads them after compiling.
        klass_info = self.compiler.klass_info
        self.model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.fields = (start, end)
        self.init_list = [column[0].target.attname for column in select[start:end]]
        self.related_populators = get_related_populators(klass_info, select, DEFAULT_DB_ALIAS)
        self.annotations = dict(self.compiler.annotation_col_map or {})

    def params_with(self, values) -> list:
        params = list(self.params)
        if self.clock:
            now, *values = values
            today = timezone.localdate(now)
            for slot, moved in self.clocked:
                params[slot] = (now if isinstance(params[slot], datetime.datetime)
                                else today) + moved
        if len(values) != len(self.slots):
            raise TypeError(f"This kept statement takes {len(self.slots)} values, "
                            f"not {len(values)}.")
        for slot, adapt, value in zip(self.slots, self.adapters, values, strict=True):
            params[slot] = adapt(value)
        return params

    def objects(self, *values: int | str) -> list[Model]:
        return self.make(self.rows(*values))

    def rows(self, *values: int | str) -> list:
        connection = connections[DEFAULT_DB_ALIAS]
        if self.planning and _pipelines(connection):
            return _planned(connection, self.sql, self.params_with(values), self.planning)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params_with(values))
            return cursor.fetchall()

    def make(self, rows: list) -> list:
        """The rows made into objects, as django.db.models.query.ModelIterable makes them (or
        into named rows, as NamedValuesListIterable does)."""
        if self.converters is None:
            rows = self.compiler.results_iter([rows], tuple_expected=self.model is None)
        elif self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if self.model is None:
            new, row_class = tuple.__new__, self.row_class
            return [new(row_class, row) for row in rows]
        start, end = self.fields
        made = []
        for row in rows:
            obj = self.model.from_db(DEFAULT_DB_ALIAS, self.init_list, row[start:end])
            for populator in self.related_populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            made.append(obj)
        return made


def attach(instance: Model, relation: str, objects: Iterable[Model]) -> None:
    """Leave `objects` as prefetch_related leaves a relation's rows on `instance`:
    `instance.<relation>.all()` gives them without a statement, and each object's way back
    to `instance` (a foreign key) is set, as prefetch_related sets it."""
    objects = list(objects)
    manager = getattr(instance, relation)
    field = getattr(manager, "field", None)  # the foreign key back, for a reverse relation
    if field is not None and getattr(manager, "model", None) is field.model:
        for obj in objects:
            field.set_cached_value(obj, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[_cache_name(manager, relation)] = queryset


def _cache_name(manager, relation: str) -> str:
    # A many-to-many manager names its cache; a reverse foreign key's is its accessor's name.
    return getattr(manager, "prefetch_cache_name", relation)


def attach_grouped(parents: Iterable[Model], relation: str, objects: Iterable[Model]) -> None:
    """`attach` for many parents at once: `objects` (rows of `relation` for all of them, in
    order) are shared out by the foreign key back to their parent."""
    parents = list(parents)
    if not parents:
        return
    field = getattr(parents[0].__class__, relation).field  # the reverse relation's foreign key
    groups: dict[object, list[Model]] = {parent.pk: [] for parent in parents}
    for obj in objects:
        groups[getattr(obj, field.attname)].append(obj)
    for parent in parents:
        attach(parent, relation, groups[parent.pk])


def part_statement(model: type[Model], path: str,
                   queryset: QuerySet | None = None) -> KeptStatement:
    """The rows of `path` (a relation of `model`, or one of its relation's: "a__b") for one
    `model` instance's id, from `queryset` (None: the related model's own)."""
    back = []
    for name in path.split("__"):
        relation = model._meta.get_field(name)
        back.insert(0, relation.field.name)
        model = relation.related_model
    rows = model._default_manager.all() if queryset is None else queryset
    return KeptStatement(lambda pk: rows.filter(**{"__".join(back): pk}))


def read_parts(instance: Model, parts: Iterable[tuple[str, KeptStatement]],
               lacking: Iterable[str] = ()) -> None:
    """Read each of `parts` (path, its part_statement) for `instance` and attach its rows, as
    prefetch_related would (a parent before its "parent__child"); a part in `lacking` is known
    to have no rows: attached empty, without a statement."""
    lacking = set(lacking)
    parts = [(path, statement) for path, statement in parts
             if path.partition("__")[0] not in lacking]
    read = objects_of_many([(statement, instance.pk) for _, statement in parts])
    for parent in lacking:
        attach(instance, parent, [])
    for (path, _), objects in zip(parts, read, strict=True):
        parent, _, child = path.partition("__")
        if child:
            attach_grouped(getattr(instance, parent).all(), child, objects)
        else:
            attach(instance, parent, objects)
