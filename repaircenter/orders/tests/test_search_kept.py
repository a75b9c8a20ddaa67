"""The staff search kept compiled (orders/selectors.search_orders, a statement per shape of
search) finds exactly what the search built by the ORM on every call finds, in its order, for
whatever is typed and wherever one works."""

import pytest

from repaircenter.conftest import take_in
from repaircenter.customers.models import Customer
from repaircenter.orders import selectors
from repaircenter.orders.selectors import search_orders, search_orders_built, search_terms
from repaircenter.orders.workplace import Workplace

BOB_IMEI = "490154203237518"

TYPED = [
    # order numbers, with and without the center's prefix
    "R-000001", "r-1", "r1", "R 2", "W-000001", "w1", "1", "2", "000001", "  000002  ",
    "X-1", "R-999999", "999999999",
    # phones in several forms
    "020 7946 0101", "02079460101", "+442079460101", "+44 20 7946 0202", "0044 20 7946 0202",
    "(020) 7946-0303", "2079460404", "020 7946 0999",
    # serial numbers and IMEIs
    "C02XK1ABJG5H", "c02x k1ab jg5h", "SN77A10", "C02XK1", BOB_IMEI, "49-015420-323751-8",
    "49 015420 323751 8", "49015420/323751/8",
    # names, in any case, accented, Cyrillic, short, with LIKE's and FTS5's own characters
    "Alice", "alice brown", "ALICE", "re", "ol", "Green", "Łukasz", "zołw", "Борис",
    "борис петров", "ПЕТ", "бо", "50% o", "0%", "0_", "f_s", "_", "%%", "\\ c", "\\",
    'n "ace"', '"a', '"', "o'n",
    "Zebediah",
    # several kinds at once: a serial that is a number, a name or a phone as well
    "R-000003", "alic", "+442079460202", "ALIC3",
    # no kind of search
    "", "   ", "o", "x", "+", "-", "++",
]


@pytest.fixture
def chain(receptionist, customer, east, west):
    """Orders in two centers of customers with names, phones, serials and IMEIs that look like
    each other's."""
    east.staff.add(receptionist)
    west.staff.add(receptionist)
    people = [customer] + [Customer.objects.create(name=name, phone=phone) for name, phone in (
        ("Bob Green", "+442079460202"), ("Борис Петров", "+442079460303"),
        ("Łukasz Żółw", "+442079460404"), ("50% off_sale \\ co", "+442079460505"),
        ('Ann "Ace" O\'Neil', "+442079460606"))]
    serials = ["R5CW31ABCDE", "C02XK1ABJG5H", "SN77A10", "R-000003", "ALIC", "+442079460202",
               "ALIC3", "SERIAL08"]
    orders = []
    for index, serial in enumerate(serials * 2):
        person = people[index % len(people)]
        imei = BOB_IMEI if serial == "C02XK1ABJG5H" else ""
        center = east if index % 3 else west
        orders.append(take_in(receptionist, person, serial=serial, imei=imei,
                              center=center).order)
    return {"east": east, "west": west, "orders": orders}


def places(chain):
    east, west = chain["east"], chain["west"]
    both = (east, west)
    return {
        "no one's": None,
        "east": Workplace(east, None, both, True),
        "west, of someone in both": Workplace(west, frozenset({east.pk, west.pk}), both, False),
        "all centers": Workplace(None, None, both, True),
        # built by the ORM on both paths: here for completeness
        "the centers one may see": Workplace(None, frozenset({west.pk}), (west,), False),
        "nowhere": Workplace(None, frozenset(), (), False),
    }


def rows(found) -> list[tuple]:
    """What a row of the search shows, order by order."""
    return [(r.number, r.display_number, r.status, r.status_label, r.received_at,
             r.customer.name, r.customer.phone, r.equipment.serial_number, r.equipment.imei,
             r.equipment.kind, r.technician, r.late) for r in found]


def test_the_kept_search_finds_what_the_built_search_finds(chain, django_assert_num_queries):
    shapes = set()
    for place_name, place in places(chain).items():
        for typed in TYPED:
            built = search_orders_built(typed, place)
            with django_assert_num_queries(1 if search_terms(typed) and place_name != "nowhere"
                                           else 0):
                kept = search_orders(typed, place)
            assert rows(kept) == rows(built), (place_name, typed)
            shapes.add(tuple(search_terms(typed)))
    # The inputs found orders, several kinds at once among them, and not all the same ones.
    assert len(shapes) > 10
    found = {typed: {row.number for row in search_orders(typed)} for typed in TYPED}
    assert [typed for typed in (
        "r-1", "1", "02079460101", BOB_IMEI, "Борис", "ПЕТ", "бо", "50% o", "0%", "f_s", "\\ c",
        'n "ace"', '"a', "o'n", "R-000003", "alic", "+442079460202") if not found[typed]] == []
    # % and _ are the name's own letters, not LIKE's wildcards
    assert [typed for typed in ("0_", "%%", "x", "R-999999") if found[typed]] == []


def test_each_shape_is_compiled_once(chain):
    orders = chain["orders"]
    search_orders(orders[0].display_number)  # this shape compiled, if not yet
    kept = dict(selectors._SEARCHES)
    for order in orders:
        assert order.number in [row.number for row in search_orders(order.display_number)]
    assert kept == selectors._SEARCHES


@pytest.mark.parametrize("typed, kinds", [
    (["R-000001", "R-000002", "R-000003"], ("number", "serial")),
    (["020 7946 0101", "020 7946 0202", "020 7946 0303"], ("phone", "serial")),
    (["C02XK1ABJG5H", "SN77A10", "R5CW31ABCDE"], ("serial", "name_like")),
    ([BOB_IMEI, "490154203237526", "490154203237534"], ("serial", "imei")),
])
def test_each_shape_of_search_is_planned_once(chain, typed, kinds):
    """PostgreSQL plans each shape of search once, whatever is typed, by itself: from the sixth
    search on it keeps its plan made without the values. A name's pattern and an IMEI, which it
    would plan anew for each search, are given Unseen; no planning settings are sent."""
    from django.db import connection


    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
            "server_side_binding"):
        pytest.skip("plans are kept for prepared statements on PostgreSQL only")
    assert {tuple(kind for kind, _ in selectors._kept_terms(search_terms(one)))
            for one in typed} == {kinds}
    statement = selectors._search_statement(kinds, False)
    assert not statement.planned_once and not statement.planned_each_time
    sql = statement.compiled().sql
    expected = {one: [row.number for row in search_orders_built(one)] for one in typed}
    assert any(expected.values())
    generic, custom = plans_of_searching(typed, sql, expected)
    assert generic + custom == 12  # each run planned, or not
    # Planned for its values the first five times at most, then never again.
    assert custom <= 5
    assert generic >= 7
    # On a few rows PostgreSQL keeps one plan either way; that a name's pattern and an IMEI are
    # kept from its planner shows in the plan made for the values: each is a subquery's answer.
    values = [value for term in dict(selectors._kept_terms(search_terms(typed[0]))).values()
              for value in term]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, statement.compiled().params_with(values))
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert plan.count("InitPlan") == len({"name_like", "imei"} & set(kinds))


def plans_of_searching(typed: list[str], sql: str, expected: dict) -> tuple[int, int]:
    """How many generic and custom plans PostgreSQL made of the prepared search `sql` while
    each of `typed` was searched four times (each finding what `expected` says)."""
    from django.db import connection

    from repaircenter.core.tests.test_statements import plans_of

    for _ in range(connection.settings_dict["OPTIONS"]["prepare_threshold"]):
        search_orders(typed[0])  # psycopg prepares it on the next run, if not yet
    generic_before, custom_before = plans_of(sql)
    for _ in range(4):
        for one in typed:
            assert [row.number for row in search_orders(one)] == expected[one]
    generic, custom = plans_of(sql)
    return generic - generic_before, custom - custom_before


def test_a_name_of_two_letters_is_planned_for_each_search(chain):
    """Two letters are found by no trigram index, and how many names hold them decides the plan
    ("an" is in a fifth of the names at a million orders, "zq" in none): PostgreSQL plans the
    search for each pattern, the prepared statement never by the plan made without it, and the
    settings that ask for that are the statement's alone."""
    from django.db import connection


    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
            "server_side_binding"):
        pytest.skip("plans are kept for prepared statements on PostgreSQL only")
    typed = ["re", "ic", "бо", "zq"]
    assert {tuple(kind for kind, _ in selectors._kept_terms(search_terms(one)))
            for one in typed} == {("name_short",)}
    assert [kind for kind, _ in selectors._kept_terms(search_terms("gre"))] == ["name_like"]
    statement = selectors._search_statement(("name_short",), False)
    assert statement.planned_each_time
    sql = statement.compiled().sql
    expected = {one: [row.number for row in search_orders_built(one)] for one in typed}
    assert expected["zq"] == [] and all(expected[one] for one in typed[:3])

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('plan_cache_mode'), current_setting('jit')")
            return cursor.fetchone()

    before = settings()
    assert before[0] == "auto"
    assert plans_of_searching(typed, sql, expected) == (0, 16)
    assert settings() == before


def test_customers_are_read_without_parallel_workers(db):
    """A name's pattern is unseen by the planner, which then guesses thousands of customers at a
    million orders and would start a worker process to read them (4-7 ms, for a search of 0.2):
    the table is read by one process (customers migration 0005)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("parallel workers are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'customers_customer'")
        assert cursor.fetchone()[0] == ["parallel_workers=0"]
