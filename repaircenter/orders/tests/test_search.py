"""The staff search: one box for an order number, a phone, a name, a serial number or an IMEI."""

import html
import re

import pytest
from django.urls import reverse

from repaircenter.conftest import make_user, take_in
from repaircenter.customers.models import Customer
from repaircenter.orders.models import Status

SEARCH_URL = reverse("staff:search")
ORDER_LINK = re.compile(r'href="/staff/orders/(\d+)/"')

# A valid IMEI (its last digit is the Luhn check digit of the others).
BOB_IMEI = "490154203237518"


def listed_numbers(response) -> list[int]:
    """The order numbers the page links to, in the order shown."""
    return [int(n) for n in ORDER_LINK.findall(response.content.decode())]


@pytest.fixture
def staff(client, receptionist):
    client.force_login(receptionist)
    # The first request after login stores the idle clock in the session; warm it up so that
    # the query counts below measure the page alone.
    assert client.get(reverse("staff:home")).status_code == 200
    return client


@pytest.fixture
def orders(receptionist, customer):
    """Three orders of three customers, with nothing in common but the kind of equipment."""
    bob = Customer.objects.create(name="Bob Green", phone="+442079460202")
    carol = Customer.objects.create(name="Carol Whitfield", phone="+442079460303")
    alice_order = take_in(receptionist, customer, serial="R5CW31ABCDE").order
    bob_order = take_in(receptionist, bob, serial="C02XK1ABJG5H", imei=BOB_IMEI).order
    carol_order = take_in(receptionist, carol, serial="SN77A10").order
    return {"alice": alice_order, "bob": bob_order, "carol": carol_order}


def search(client, text, **extra):
    return client.get(SEARCH_URL, {"q": text, **extra})


def found(client, text) -> set[int]:
    response = search(client, text)
    assert response.status_code == 200
    return set(listed_numbers(response))


# --- by order number -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda n: f"R-{n:06d}",  # as printed
        lambda n: f"r-{n:06d}",
        lambda n: f"r{n}",
        lambda n: f"R {n}",
        lambda n: str(n),
        lambda n: f"{n:06d}",
        lambda n: f"  {n:06d}  ",
    ],
    ids=["printed", "lower-case", "r-and-digits", "R-space", "digits", "zero-padded", "padded"],
)
def test_order_number_however_typed(staff, orders, typed):
    bob = orders["bob"]
    assert found(staff, typed(bob.number)) == {bob.number}


def test_the_printed_number_is_what_the_page_shows(staff, orders):
    bob = orders["bob"]
    response = search(staff, bob.display_number)
    assert bob.display_number == f"R-{bob.number:06d}"
    assert bob.display_number in response.content.decode()
    assert "1 order found for" in html.unescape(response.content.decode())


def test_a_number_no_order_has_finds_nothing(staff, orders):
    assert found(staff, "R-999999") == set()
    assert "0 orders found" in html.unescape(search(staff, "R-999999").content.decode())


def test_a_number_as_printed_is_no_name(staff, orders, receptionist):
    """Typed as the paper prints it (letters, then digits), a number is looked for as an order
    number and a serial number, not in the names: a customer named like one is not found by it,
    while the same letters alone still find names."""
    from repaircenter.orders.selectors import search_terms

    bob = orders["bob"]
    named = take_in(receptionist, Customer.objects.create(name="Rob R 2", phone="+442079460909"),
                    serial="NAMED01").order
    assert list(search_terms(bob.display_number)) == ["number", "serial"]
    assert list(search_terms("R 2")) == ["number"]
    assert named.center_number != 2
    assert named.number not in found(staff, "R 2")
    assert named.number in found(staff, "Rob R")
    assert "name" in search_terms("Rob R")


# --- by phone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "020 7946 0101",
        "02079460101",
        "+442079460101",
        "+44 20 7946 0101",
        "+44 (0)20 7946 0101",
        "0044 20 7946 0101",
        "(020) 7946-0101",
        "2079460101",
    ],
)
def test_phone_however_typed(staff, orders, typed):
    assert found(staff, typed) == {orders["alice"].number}


def test_every_order_of_the_phone_is_found_newest_first(staff, orders, receptionist, customer):
    second = take_in(receptionist, customer, serial="SECONDONE").order
    response = search(staff, "020 7946 0101")
    assert listed_numbers(response) == [second.number, orders["alice"].number]


def test_a_phone_nobody_has_finds_nothing(staff, orders):
    assert found(staff, "020 7946 0999") == set()


# --- by name ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Whitfield", "whitfield", "WHITFIELD", "itfie", "carol w"])
def test_part_of_the_name_in_any_case(staff, orders, typed):
    assert found(staff, typed) == {orders["carol"].number}


def test_name_parts_match_only_the_names_containing_them(staff, orders):
    # "re" is in "Bob Green" only, "ol" in "Carol Whitfield" only.
    assert found(staff, "re") == {orders["bob"].number}
    assert found(staff, "ol") == {orders["carol"].number}


@pytest.mark.parametrize("typed", ["o", "x", "-", "+"])
def test_a_query_that_is_no_kind_of_search_finds_nothing(staff, orders, typed):
    assert found(staff, typed) == set()


def test_part_of_a_non_ascii_name_in_any_case(staff, orders, receptionist):
    customer = Customer.objects.create(name="Łukasz Żółw", phone="+442079460404")
    order = take_in(receptionist, customer, serial="PLSERIAL1").order
    assert found(staff, "Łukasz") == {order.number}
    assert found(staff, "łukasz") == {order.number}
    # Accents dropped: a receptionist may type the name without them.
    assert found(staff, "zołw") == {order.number}


# --- by serial number and IMEI ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["C02XK1ABJG5H", "c02xk1abjg5h", "c02x k1ab jg5h", " C02X K1AB JG5H "]
)
def test_serial_number_in_any_case_with_spaces(staff, orders, typed):
    assert found(staff, typed) == {orders["bob"].number}


@pytest.mark.parametrize(
    "typed", [BOB_IMEI, "49 015420 323751 8", "49-015420-323751-8", "49015420/323751/8"]
)
def test_imei_with_spaces_or_dashes(staff, orders, typed):
    assert found(staff, typed) == {orders["bob"].number}


def test_part_of_a_serial_number_is_not_a_match(staff, orders):
    assert found(staff, "C02XK1") == set()


# --- no query, one result, redirects ---------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_empty_query_shows_no_results(staff, orders, params):
    response = staff.get(SEARCH_URL, params)
    assert response.status_code == 200
    assert listed_numbers(response) == []
    assert "found for" not in response.content.decode()


def test_one_result_with_go_redirects_to_the_order(staff, orders):
    bob = orders["bob"]
    response = search(staff, bob.display_number, go="1")
    assert response.status_code == 302
    assert response.url == reverse("staff:order", args=[bob.number])


def test_one_result_without_go_shows_the_list(staff, orders):
    response = search(staff, orders["bob"].display_number)
    assert response.status_code == 200
    assert listed_numbers(response) == [orders["bob"].number]


def test_several_results_with_go_show_the_list(staff, orders, receptionist, customer):
    second = take_in(receptionist, customer, serial="SECONDONE").order
    response = search(staff, "Alice", go="1")
    assert response.status_code == 200
    assert set(listed_numbers(response)) == {orders["alice"].number, second.number}


def test_no_result_with_go_shows_the_empty_list(staff, orders):
    response = search(staff, "Zebediah", go="1")
    assert response.status_code == 200
    assert listed_numbers(response) == []
    assert "0 orders found" in html.unescape(response.content.decode())


def test_staff_without_a_role_cannot_search(client, orders):
    client.force_login(make_user("norole"))
    assert search(client, "Alice").status_code == 403


# --- the query count does not grow with the results ------------------------------------------

# the search itself (the session is a signed cookie; the user's row with their roles and the
# centers the person works in are kept: accounts/backends.py, orders/workplace.py).
SEARCH_QUERIES = 1

SOME_STATES = [
    Status.RECEIVED, Status.DIAGNOSING, Status.AWAITING_DECISION, Status.REPAIRING,
    Status.TESTING, Status.READY_REPAIRED, Status.READY_UNREPAIRED, Status.ISSUED,
]


def test_query_count_is_the_same_for_2_and_30_results(
    staff, make_order, django_assert_num_queries
):
    for status in SOME_STATES[:2]:
        make_order(status)
    with django_assert_num_queries(SEARCH_QUERIES):
        small = search(staff, "alice brown")
    assert len(listed_numbers(small)) == 2

    for index in range(28):
        make_order(SOME_STATES[index % len(SOME_STATES)])
    with django_assert_num_queries(SEARCH_QUERIES):
        large = search(staff, "alice brown")
    assert len(listed_numbers(large)) == 30


@pytest.mark.parametrize("typed", ["R-000001", "1", "020 7946 0101", "C02XK1ABJG5H", BOB_IMEI,
                                   "49-015420-323751-8", "Whitfield", "re", "R-000001 x"])
def test_query_count_is_the_same_for_every_kind_of_search(staff, orders, typed,
                                                          django_assert_num_queries):
    # The first time a shape of search is asked for (it is compiled then) and again.
    for _ in range(2):
        with django_assert_num_queries(SEARCH_QUERIES):
            response = search(staff, typed)
        assert response.status_code == 200


def test_query_count_is_the_same_in_one_center_and_in_all(client, manager, east, west,
                                                          django_assert_num_queries):
    for center in (east, west):
        take_in(manager, Customer.objects.create(name=f"Dan {center.name}",
                                                 phone=f"+4420794605{center.pk:02d}"),
                serial=f"SERIAL{center.name}", center=center)
    client.force_login(manager)
    assert client.get(reverse("staff:home")).status_code == 200
    for chosen, expected in ((east.pk, 1), ("all", 2), (west.pk, 1)):
        client.post(reverse("staff:choose_center"), {"center": chosen})
        with django_assert_num_queries(SEARCH_QUERIES):
            assert len(listed_numbers(search(client, "Dan"))) == expected
