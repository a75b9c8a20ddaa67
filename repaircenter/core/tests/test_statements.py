"""Statements compiled once (core/statements.py): the same objects as the queryset gives, with
its related objects and annotations, for any value; compiled the first time only; and put where
prefetch_related puts them."""

import datetime
import re

import pytest
from django.db import DataError, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from repaircenter.core.statements import MARKER, KeptStatement, attach, attach_grouped
from repaircenter.orders.models import Estimate, EstimateLine, Order, OrderEvent, Status


def orders_by_number(number):
    return (Order.objects.select_related("customer", "equipment__kind", "technician")
            .annotate(has_estimates=Exists(Estimate.objects.filter(order=OuterRef("pk"))),
                      events_count=Count("events"))
            .filter(number=number))


def same(kept, made) -> None:
    """Two objects alike: their columns, and the related objects read with them."""
    assert type(kept) is type(made)
    for field in made._meta.concrete_fields:
        assert getattr(kept, field.attname) == getattr(made, field.attname), field.name


def test_each_value_gives_the_objects_the_queryset_gives(make_order,
                                                         django_assert_num_queries):
    first, second = make_order(Status.RECEIVED), make_order(Status.AWAITING_DECISION)
    statement = KeptStatement(orders_by_number)
    for order in (first, second, first):
        with django_assert_num_queries(1):
            kept = statement.objects(order.number)
            # related objects and annotations came with the row
            assert kept[0].customer.phone and kept[0].equipment.kind.name
            technician = kept[0].technician
        made = list(orders_by_number(order.number))
        assert len(kept) == len(made) == 1
        same(kept[0], made[0])
        same(kept[0].customer, made[0].customer)
        same(kept[0].equipment, made[0].equipment)
        same(kept[0].equipment.kind, made[0].equipment.kind)
        assert technician == made[0].technician
        assert (kept[0].has_estimates, kept[0].events_count) == (
            made[0].has_estimates, made[0].events_count)
    assert [o.has_estimates for o in (statement.objects(first.number)[0],
                                      statement.objects(second.number)[0])] == [False, True]


def test_a_value_without_rows_gives_none(make_order):
    make_order()
    assert KeptStatement(orders_by_number).objects(10**6) == []


def test_many_rows_come_in_the_querysets_order(make_order):
    order = make_order(Status.AWAITING_DECISION)
    by_order = KeptStatement(lambda pk: OrderEvent.objects.select_related("actor")
                             .filter(order_id=pk))
    kept = by_order.objects(order.pk)
    made = list(OrderEvent.objects.select_related("actor").filter(order_id=order.pk))
    assert len(made) > 2
    assert [e.pk for e in kept] == [e.pk for e in made]
    for one, other in zip(kept, made, strict=True):
        same(one, other)
        assert one.actor == other.actor


def test_it_is_compiled_the_first_time_only(make_order):
    built = []

    def build(number):
        built.append(number)
        return orders_by_number(number)

    statement = KeptStatement(build)
    orders = [make_order(), make_order()]
    for order in orders * 2:
        assert statement.objects(order.number)[0].pk == order.pk
    assert len(built) == 1


@pytest.mark.parametrize("build", [
    lambda number: Order.objects.all(),  # the value is nowhere
    lambda number: Order.objects.filter(number=number, center_number=number),  # twice
])
def test_a_queryset_without_its_value_in_one_place_is_refused(build, db):
    with pytest.raises(ValueError, match="exactly one place"):
        KeptStatement(build).objects(1)


def test_attached_rows_are_read_without_a_statement(make_order, technician,
                                                     django_assert_num_queries):
    from repaircenter.conftest import send_new_estimate

    order = make_order(Status.AWAITING_DECISION)
    send_new_estimate(order, technician, lines=(("Screen", "1", "50.00"), ("Work", "1", "20.00")))
    order = Order.objects.get(pk=order.pk)
    estimates = KeptStatement(lambda pk: Estimate.objects.filter(order_id=pk)).objects(order.pk)
    lines = KeptStatement(lambda pk: EstimateLine.objects.filter(estimate__order_id=pk)
                          ).objects(order.pk)
    with django_assert_num_queries(0):
        attach(order, "estimates", estimates)
        attach_grouped(order.estimates.all(), "lines", lines)
        shown = {e.pk: [line.description for line in e.lines.all()]
                 for e in order.estimates.all()}
        assert all(e.order is order for e in order.estimates.all())
        assert all(line.estimate.pk == e.pk for e in order.estimates.all()
                   for line in e.lines.all())
    assert shown == {e.pk: [line.description for line in e.lines.all()]
                     for e in Estimate.objects.filter(order=order)}
    assert len(shown) == 2 and sum(map(len, shown.values())) > 2


def test_an_empty_part_attached_reads_nothing(make_order, django_assert_num_queries):
    order = Order.objects.get(pk=make_order().pk)
    attach(order, "photos", [])
    attach(order, "documents", [])  # a many-to-many relation
    with django_assert_num_queries(0):
        assert list(order.photos.all()) == [] and list(order.documents.all()) == []


def test_a_text_value_is_kept_too(make_order):
    order = make_order()
    by_name = KeptStatement(lambda name: Order.objects.filter(customer__name=name), text=True)
    assert [o.pk for o in by_name.objects(order.customer.name)] == [order.pk]
    assert by_name.objects("Nobody by that name") == []
    # a lookup that changes the value (a LIKE pattern) leaves no place for it: refused
    with pytest.raises(ValueError, match="exactly one place"):
        KeptStatement(lambda name: Order.objects.filter(customer__name__contains=name),
                      text=True).objects("Ali")


def test_several_statements_read_together_give_what_each_gives_alone(
        make_order, technician, django_assert_num_queries):
    """objects_of_many (one round trip on PostgreSQL): each statement's objects, in order, as
    if run alone; each statement still counted."""
    from repaircenter.conftest import send_new_estimate
    from repaircenter.core.statements import objects_of_many

    first, second = make_order(Status.AWAITING_DECISION), make_order(Status.RECEIVED)
    send_new_estimate(first, technician, lines=(("Screen", "1", "50.00"),))
    events = KeptStatement(lambda pk: OrderEvent.objects.select_related("actor")
                           .filter(order_id=pk))
    estimates = KeptStatement(lambda pk: Estimate.objects.filter(order_id=pk))
    runs = [(events, first.pk), (estimates, first.pk), (events, second.pk),
            (estimates, second.pk), (KeptStatement(orders_by_number), second.number)]
    alone = [statement.objects(value) for statement, value in runs]
    with django_assert_num_queries(len(runs)):
        together = objects_of_many(runs)
    assert [[o.pk for o in objects] for objects in together] == [
        [o.pk for o in objects] for objects in alone]
    assert together[1] and not together[3]  # the second order has no estimate yet
    for one, other in zip(together[0], alone[0], strict=True):
        same(one, other)
        assert one.actor == other.actor
    assert objects_of_many([]) == []


def by_prefix_count_and_name(prefix, count, name):
    return (Order.objects.select_related("customer")
            .filter(number_prefix=prefix, center_number=count, customer__name=name))


def test_several_values_mixed_numbers_and_text(make_order, django_assert_num_queries):
    """Each value in its own place, numbers and text mixed, whatever their order."""
    first, second = make_order(), make_order(Status.AWAITING_DECISION)
    statement = KeptStatement(by_prefix_count_and_name, str, int, str)
    for order in (first, second, first):
        values = (order.number_prefix, order.center_number, order.customer.name)
        with django_assert_num_queries(1):
            kept = statement.objects(*values)
        assert [o.pk for o in kept] == [o.pk for o in by_prefix_count_and_name(*values)]
        assert [o.pk for o in kept] == [order.pk]
        same(kept[0], order)
        assert kept[0].customer.name == order.customer.name
    assert statement.objects("ZZ", first.center_number, first.customer.name) == []
    assert statement.objects(first.number_prefix, second.center_number, "Nobody") == []
    with pytest.raises(TypeError, match="takes 3 values"):
        statement.objects(first.number_prefix, first.center_number)


def test_two_numbers_each_in_its_place(make_order):
    first, second = make_order(), make_order()
    statement = KeptStatement(lambda low, high: Order.objects.filter(
        number__gte=low, number__lte=high).order_by("number"), int, int)
    assert [o.pk for o in statement.objects(first.number, second.number)] == [first.pk, second.pk]
    assert [o.pk for o in statement.objects(second.number, second.number)] == [second.pk]
    assert statement.objects(second.number, first.number) == []


@pytest.mark.parametrize(("build", "kinds"), [
    (lambda number, name: Order.objects.filter(number=number), (int, str)),  # one is nowhere
    (lambda first, second: Order.objects.filter(number=first, center_number=first),
     (int, int)),  # one twice, the other nowhere
    (lambda number, name: Order.objects.filter(number=number, customer__name=name,
                                               customer__email=name), (int, str)),  # twice
    (lambda number, name: Order.objects.filter(number=number, customer__name__contains=name),
     (int, str)),  # made into a LIKE pattern: not the value any more
])
def test_several_values_each_not_in_exactly_one_place_are_refused(build, kinds, db):
    with pytest.raises(ValueError, match="exactly one place"):
        KeptStatement(build, *kinds).objects(*(kind() for kind in kinds))


def test_statements_of_several_values_are_read_together(make_order, django_assert_num_queries):
    from repaircenter.core.statements import objects_of_many

    first, second = make_order(), make_order()
    statement = KeptStatement(by_prefix_count_and_name, str, int, str)
    runs = [(statement, o.number_prefix, o.center_number, o.customer.name)
            for o in (first, second)] + [(KeptStatement(orders_by_number), first.number)]
    with django_assert_num_queries(3):
        together = objects_of_many(runs)
    assert [[o.pk for o in objects] for objects in together] == [
        [first.pk], [second.pk], [first.pk]]


def test_each_value_is_given_to_the_database_as_django_gives_it(db):
    """Of the same type as the ORM's own parameter (psycopg's Int4 for an integer column on
    PostgreSQL), so that the statement is bound and prepared as the ORM's would be."""
    def build(count, prefix, center):
        return Order.objects.filter(center_number=count, number_prefix=prefix, center=center)

    compiled = KeptStatement(build, int, str, int).compiled()
    _sql, django_params = build(7, "R", 3).query.sql_with_params()
    given = compiled.params_with((7, "R", 3))
    assert given == list(django_params)
    assert [type(value) for value in given] == [type(value) for value in django_params]


def by_name_pattern(pattern):
    """Orders whose customer's folded name is LIKE `pattern` (the search's own look-up)."""
    from repaircenter.customers.lookup import customers_found

    return Order.objects.filter(customer__in=customers_found("like", pattern).values("pk"))


def plans_of(sql: str) -> tuple[int, int]:
    """PostgreSQL's count of generic and custom plans of `sql` (Django's, with %s) prepared on
    this connection; none yet: (0, 0)."""
    from django.db import connection

    slots = iter(range(1, sql.count("%s") + 1))
    prepared = re.sub(r"%s|%%", lambda m: f"${next(slots)}" if m[0] == "%s" else "%", sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                       "WHERE statement = %s", [prepared])
        return cursor.fetchone() or (0, 0)


def plan_settings() -> tuple[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode'), "
                       "current_setting('max_parallel_workers_per_gather')")
        return cursor.fetchone()


def jit_setting() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        return cursor.fetchone()[0]


def test_a_statement_is_planned_once_or_each_time_not_both():
    with pytest.raises(ValueError, match="once or each time"):
        KeptStatement(orders_by_number, planned_once=True, planned_each_time=True)


def test_planned_once_gives_the_same_objects_in_one_statement(make_order,
                                                               django_assert_num_queries):
    first, second = make_order(), make_order()
    kept = KeptStatement(orders_by_number, planned_once=True)
    for order in (first, second, first):
        with django_assert_num_queries(1):  # the plan's setting is not a statement of the page
            (found,) = kept.objects(order.number)
        same(found, orders_by_number(order.number).get())
    assert kept.objects(10**8) == []


@pytest.mark.parametrize("in_transaction", [
    True,
    # Outside a transaction the settings are the statement's own implicit transaction's: only
    # a test that commits (and so empties the tables after) runs outside one.
    pytest.param(False, marks=pytest.mark.django_db(transaction=True, serialized_rollback=True)),
])
def test_planned_once_is_planned_once_whatever_its_values(make_order, in_transaction):
    """Planned once: PostgreSQL keeps one plan for the statement from its first prepared run
    (its generic plan), where a LIKE pattern it cannot know would have it plan every run for
    its values; and the setting that asks for that is left as it was, after a run and after a
    failing one, in a transaction or not."""
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
            "server_side_binding"):
        pytest.skip("plans are kept for prepared statements on PostgreSQL only")
    assert connection.in_atomic_block == in_transaction
    order = make_order()
    once = KeptStatement(by_name_pattern, text=True, planned_once=True)
    key = order.customer.name_key
    patterns = (f"%{key[1:5]}%", f"%{key[2:6]}%", "%zzzz%", f"{key}")
    expected = [[o.pk for o in by_name_pattern(pattern)] for pattern in patterns]
    assert expected == [[order.pk], [order.pk], [], [order.pk]]
    sql = once.compiled().sql
    generic, custom = plans_of(sql)
    settings_before = plan_settings()
    assert settings_before[0] == "auto"
    assert [[o.pk for o in once.objects(pattern)] for pattern in patterns] == expected
    after = plans_of(sql)
    assert after[1] == custom  # never planned for its values
    assert after[0] - generic >= 3  # the runs from the second on (the first is not prepared)
    assert plan_settings() == settings_before
    # In force while the statement runs, and only then.
    seeing = KeptStatement(lambda suffix: Order.objects.filter(pk=order.pk).annotate(
        during=RawSQL("current_setting('plan_cache_mode') || ' ' || "
                      "current_setting('max_parallel_workers_per_gather') || %s", [suffix])),
        text=True, planned_once=True)
    assert seeing.objects("!")[0].during == "force_generic_plan 0!"
    assert plan_settings() == settings_before
    each_time = KeptStatement(lambda suffix: Order.objects.filter(pk=order.pk).annotate(
        during=RawSQL("current_setting('plan_cache_mode') || ' ' || current_setting('jit') "
                      "|| %s", [suffix])),
        text=True, planned_each_time=True)
    jit_before = jit_setting()
    assert each_time.objects("!")[0].during == "force_custom_plan off!"
    assert (plan_settings(), jit_setting()) == (settings_before, jit_before)
    assert connection.in_atomic_block == in_transaction

    failing = KeptStatement(
        lambda divisor: Order.objects.filter(pk__in=RawSQL("SELECT 1 / %s", [divisor])),
        planned_once=True)
    with pytest.raises(DataError):
        if in_transaction:
            with transaction.atomic():
                failing.objects(0)
        else:
            failing.objects(0)
    assert plan_settings() == settings_before
    assert [o.pk for o in once.objects(key)] == [order.pk]  # the connection still serves


def tagged(number):
    """An order by number, with constants of each kind written into the statement's text."""
    return (Order.objects.filter(number=number, status__in=[Status.RECEIVED, "it's 100%"])
            .annotate(tag=Value("O'Brien's 100% \\ done", output_field=CharField()),
                      flag=Value(True, output_field=BooleanField()),
                      count=Value(-7, output_field=IntegerField()),
                      since=Value(datetime.date(2026, 1, 2), output_field=DateField())))


def test_planned_once_writes_its_constants_into_its_text(make_order):
    """A statement planned once has its constants (a queue's states…) written into its text,
    so that its one plan knows them; only its values, and what is not text, a number or a truth
    value, are sent beside it. A quote, a percent sign and a backslash stay what they were."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL plans a statement once (SQLite's are sent as built)")
    order = make_order()
    kept = KeptStatement(tagged, planned_once=True)
    compiled = kept.compiled()
    assert "'received'" in compiled.sql
    assert "'O''Brien''s 100%% \\ done'" in compiled.sql
    assert sorted(map(str, compiled.params)) == ["2026-01-02", str(MARKER)]  # the value's
    (found,) = kept.objects(order.number)
    made = tagged(order.number).get()
    same(found, made)
    assert (found.tag, found.flag, found.count, found.since) == (
        "O'Brien's 100% \\ done", True, -7, datetime.date(2026, 1, 2)) == (
        made.tag, made.flag, made.count, made.since)
    assert kept.objects(order.number + 1000) == []
    assert KeptStatement(tagged).compiled().sql.count("%s") == 7  # not planned once: as built


def deadlines_passed(now, number):
    """Orders (of a number) whose decision was due two days before `now`, or whose
    diagnostics were due before `now`'s local day: a moment and a date read from the clock."""
    today = timezone.localdate(now)
    return Order.objects.filter(
        Q(decision_due__lt=now - datetime.timedelta(days=2))
        | Q(diagnosis_due__lt=today - datetime.timedelta(days=1)), number__gte=number
    ).order_by("pk")


def test_a_statement_reading_the_clock_is_kept_and_moved_to_each_runs_now(make_order):
    now = timezone.now()
    day = datetime.timedelta(days=1)
    orders = [make_order() for _ in range(6)]
    for i, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(decision_due=now - (i - 1) * day,
                                                 diagnosis_due=timezone.localdate() + (i - 3) * day)
    first = orders[0].number
    kept = KeptStatement(deadlines_passed, int, clock=True)
    seen = set()
    for moment in (now, now + 3 * day, now - 5 * day, now + 30 * day,
                   now + 2 * day + datetime.timedelta(seconds=1)):
        found = [o.pk for o in kept.objects(moment, first)]
        assert found == [o.pk for o in deadlines_passed(moment, first)], moment
        seen.add(len(found))
    assert len(seen) >= 3  # the moments chosen find different orders


def test_a_moment_not_of_the_clock_is_refused(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite is given moments as text: a clock's statement is built every run")
    fixed = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    kept = KeptStatement(lambda now: Order.objects.filter(received_at__gt=fixed,
                                                          decision_due__lt=now), clock=True)
    with pytest.raises(ValueError, match="not of the clock"):
        kept.objects(timezone.now())


def test_named_rows_are_kept_too(make_order):
    def rows(number):
        return (Order.objects.filter(number__gte=number).order_by("pk")
                .annotate(who=F("customer__name"))
                .values_list("who", "number", "received_at", "customer__phone", named=True))

    first, second = make_order(), make_order()
    kept = KeptStatement(rows)
    for number in (first.number, second.number, second.number + 1):
        made = kept.objects(number)
        assert made == list(rows(number))
        assert [row.who for row in made] == [o.customer.name for o in (first, second)
                                            if o.number >= number]


def test_a_statement_given_the_clock_need_not_read_it(make_order):
    order = make_order()
    kept = KeptStatement(lambda now, number: Order.objects.filter(number=number), int,
                         clock=True)
    assert [o.pk for o in kept.objects(timezone.now(), order.number)] == [order.pk]


@pytest.mark.parametrize("rows", [
    lambda number: Order.objects.filter(number=number).values_list("number"),
    lambda number: Order.objects.filter(number=number).values("number"),
    lambda number: Order.objects.filter(number=number).values_list("number", flat=True),
])
def test_rows_other_than_objects_or_named_rows_are_refused(rows, db):
    with pytest.raises(ValueError, match="named rows"):
        KeptStatement(rows).objects(1)
