"""The staff queues and the home page that counts them."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from repaircenter.orders.models import Order, Status
from repaircenter.orders.selectors import QUEUES

ORDER_LINK = re.compile(r'href="/staff/orders/(\d+)/"')

# What each queue holds, as the spec's staff pages describe it.
EXPECTED_STATES = {
    "to-diagnose": {Status.RECEIVED, Status.DIAGNOSING},
    "awaiting-decision": {Status.AWAITING_DECISION},
    "waiting-for-parts": {Status.WAITING_FOR_PARTS},
    "in-repair": {Status.APPROVED, Status.REPAIRING, Status.TESTING},
    "ready": {Status.READY_REPAIRED, Status.READY_UNREPAIRED},
    "disposal": {Status.DISPOSAL_DUE},
}


def queue_url(slug: str) -> str:
    return reverse("staff:queue", args=[slug])


def listed_numbers(response) -> list[int]:
    return [int(n) for n in ORDER_LINK.findall(response.content.decode())]


def rows_by_number(response) -> dict[int, str]:
    """Each order's table row, by order number."""
    rows = {}
    for row in response.content.decode().split("<tr")[1:]:
        numbers = ORDER_LINK.findall(row)
        if numbers:
            rows[int(numbers[0])] = row
    return rows


def is_marked_overdue(row: str) -> bool:
    return 'class="overdue"' in row or "badge-overdue" in row


@pytest.fixture
def staff(client, technician):
    client.force_login(technician)
    # The first request after login stores the idle clock in the session: warm it up.
    assert client.get(reverse("staff:home")).status_code == 200
    return client


@pytest.fixture
def one_of_each(make_order):
    return {status: make_order(status) for status in Status.values}


def test_the_queues_are_the_expected_ones():
    assert {slug: set(q.statuses) for slug, q in QUEUES.items()} == EXPECTED_STATES


@pytest.mark.parametrize("slug", list(QUEUES))
def test_each_queue_lists_exactly_the_orders_in_its_states(staff, one_of_each, slug):
    response = staff.get(queue_url(slug))
    assert response.status_code == 200
    expected = {o.number for s, o in one_of_each.items() if s in EXPECTED_STATES[slug]}
    shown = listed_numbers(response)
    assert len(shown) == len(set(shown))  # each once
    assert set(shown) == expected
    assert f"({len(expected)})" in response.content.decode()


def test_orders_outside_every_queue_are_in_none(staff, one_of_each):
    shown = set()
    for slug in QUEUES:
        shown |= set(listed_numbers(staff.get(queue_url(slug))))
    in_no_queue = {Status.ISSUED, Status.DISPOSED}
    assert shown == {o.number for s, o in one_of_each.items() if s not in in_no_queue}


def test_unknown_queue_is_404(staff):
    assert staff.get(queue_url("no-such-queue")).status_code == 404


# --- overdue diagnostics ---------------------------------------------------------------------


def set_diagnosis_due(order: Order, days_from_today: int) -> None:
    due = timezone.localdate() + datetime.timedelta(days=days_from_today)
    Order.objects.filter(pk=order.pk).update(diagnosis_due=due)


def test_to_diagnose_lists_overdue_orders_first_and_marks_them(staff, make_order):
    on_time = make_order(Status.RECEIVED)  # due in two working days
    due_today = make_order(Status.RECEIVED)
    late_received = make_order(Status.RECEIVED)
    late_diagnosing = make_order(Status.DIAGNOSING)
    set_diagnosis_due(due_today, 0)
    set_diagnosis_due(late_received, -3)
    set_diagnosis_due(late_diagnosing, -1)

    response = staff.get(queue_url("to-diagnose"))

    assert listed_numbers(response) == [
        late_received.number, late_diagnosing.number, due_today.number, on_time.number,
    ]
    rows = rows_by_number(response)
    assert is_marked_overdue(rows[late_received.number])
    assert is_marked_overdue(rows[late_diagnosing.number])
    assert "overdue" in rows[late_received.number].split("badge-overdue", 1)[1]
    assert not is_marked_overdue(rows[due_today.number])
    assert not is_marked_overdue(rows[on_time.number])


def test_a_past_diagnosis_date_is_not_overdue_once_diagnosed(staff, make_order):
    waiting = make_order(Status.AWAITING_DECISION)
    set_diagnosis_due(waiting, -10)
    response = staff.get(queue_url("awaiting-decision"))
    row = rows_by_number(response)[waiting.number]
    assert not is_marked_overdue(row)


# --- the home page ---------------------------------------------------------------------------


def home_counts(response) -> dict[str, int]:
    content = response.content.decode()
    counts = {}
    for slug in QUEUES:
        match = re.search(
            re.escape(f'href="{queue_url(slug)}"') + r'>\s*<span class="count">(\d*)</span>',
            content,
        )
        assert match, f"no count for {slug}"
        counts[slug] = int(match.group(1))
    overdue = re.search(r'badge-overdue">(\d+) overdue<', content)
    counts["overdue"] = int(overdue.group(1)) if overdue else 0
    return counts


def test_home_counts_each_queue_and_the_overdue(staff, one_of_each, make_order):
    late = make_order(Status.RECEIVED)
    set_diagnosis_due(late, -2)
    set_diagnosis_due(one_of_each[Status.DIAGNOSING], -1)
    # Overdue only counts in the diagnostics queue.
    set_diagnosis_due(one_of_each[Status.TESTING], -5)
    response = staff.get(reverse("staff:home"))
    assert response.status_code == 200
    assert home_counts(response) == {
        "to-diagnose": 3, "awaiting-decision": 1, "waiting-for-parts": 1, "in-repair": 3,
        "ready": 2, "disposal": 1, "overdue": 2,
    }


def test_home_with_no_orders(staff):
    response = staff.get(reverse("staff:home"))
    assert home_counts(response) == {slug: 0 for slug in [*QUEUES, "overdue"]}
    assert "overdue" not in html.unescape(response.content.decode()).split("queue-cards")[1]


# --- query counts do not grow with the number of orders --------------------------------------

# the paginator's count, the page's orders (the session is a signed cookie; the user's row with
# their roles and the centers the person works in are kept: accounts/backends.py,
# orders/workplace.py).
QUEUE_QUERIES = 2
# the state counts (the queues' totals), one aggregate for the overdue and the unshelved.
HOME_QUERIES = 2


@pytest.mark.parametrize("slug", list(QUEUES))
def test_queue_query_count_is_the_same_for_2_and_30_orders(
    staff, make_order, django_assert_num_queries, slug
):
    states = sorted(EXPECTED_STATES[slug])
    for index in range(2):
        make_order(states[index % len(states)])
    with django_assert_num_queries(QUEUE_QUERIES):
        small = staff.get(queue_url(slug))
    assert len(listed_numbers(small)) == 2

    for index in range(28):
        make_order(states[index % len(states)])
    with django_assert_num_queries(QUEUE_QUERIES):
        large = staff.get(queue_url(slug))
    assert len(listed_numbers(large)) == 30


def test_home_query_count_is_the_same_for_2_and_30_orders(
    staff, make_order, django_assert_num_queries
):
    states = [s for states in EXPECTED_STATES.values() for s in sorted(states)]
    for status in states[:2]:
        make_order(status)
    with django_assert_num_queries(HOME_QUERIES):
        assert sum(home_counts(staff.get(reverse("staff:home"))).values()) == 2

    for index in range(28):
        make_order(states[index % len(states)])
    with django_assert_num_queries(HOME_QUERIES):
        counts = home_counts(staff.get(reverse("staff:home")))
    assert sum(v for k, v in counts.items() if k != "overdue") == 30


# --- a page of the queue is the same slice of the whole queue sorted -------------------------


def spread_deadlines(make_order) -> list[Order]:
    """Five orders in each state of a queue, their deadlines spread around now, some past,
    with ties and empty ones."""
    now, today = timezone.now(), timezone.localdate()
    day = datetime.timedelta(days=1)
    statuses = sorted({s for states in EXPECTED_STATES.values() for s in states})
    orders = [make_order(status) for status in statuses for _copy in range(5)]
    for i, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(
            diagnosis_due=today + (i % 5 - 2) * day, received_at=now - (i % 3) * day,
            decision_due=now + (i % 5 - 2) * day,
            decided_at=None if i % 7 == 0 else now - (i % 4) * day,
            due_at=None if i % 6 == 0 else now + (i % 5 - 2) * day,
            ready_at=now - (i % 6) * day, customer_reached_at=now if i % 3 == 0 else None,
            storage_due=now - (i % 5) * 20 * day,
            parts_due=None if i % 5 == 0 else today + (i % 4 - 2) * day,
        )
    return orders


def test_each_slice_of_a_queue_is_that_slice_of_the_whole_queue_sorted(make_order,
                                                                        monkeypatch):
    """queue_order_ids sorts a page from the first orders of each state, overdue or not
    (selectors.QueueIds, on PostgreSQL): the same ids, in the same order, as sorting the whole
    queue, whatever the page; with ties and empty deadlines."""
    from django.core.paginator import Paginator

    from repaircenter.orders.selectors import QueueIds, queue_order_ids, with_overdue

    monkeypatch.setattr(QueueIds, "SORTED_WHOLE_UP_TO", 0)  # as a large queue is read

    spread_deadlines(make_order)
    for slug, queue in QUEUES.items():
        in_queue = Order.objects.filter(status__in=queue.statuses)
        if queue.sorted_by_target:  # its deadline lists the overdue first
            in_order = in_queue.order_by(*queue.ordering, "pk")
        else:
            in_order = (with_overdue(in_queue, queue.statuses)
                        .order_by("late", *queue.ordering, "pk"))
        whole = list(in_order.values_list("pk", flat=True))
        ids = queue_order_ids(queue)
        assert ids.count() == len(whole)
        for start, stop in [(0, 3), (0, 100), (2, 7), (5, 9), (9, 15), (len(whole) - 1, 2000)]:
            assert list(ids[start:stop]) == whole[start:stop], (slug, start, stop)
        paginator = Paginator(ids, 4)
        pages = [list(paginator.page(n).object_list) for n in paginator.page_range]
        assert [pk for page in pages for pk in page] == whole, slug


def test_a_queue_page_is_planned_once_knowing_its_states(make_order):
    """PostgreSQL plans a queue page's kept statement once, not again for each request's now
    (2.6 ms of planning at a million orders, more than reading the page): its states are
    written into its text, so that the one plan reads each state's index, not all of them."""
    from django.db import connection

    from repaircenter.core.tests.test_statements import plans_of
    from repaircenter.orders.selectors import _queue_page_statement

    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
            "server_side_binding"):
        pytest.skip("plans are kept for prepared statements on PostgreSQL only")
    spread_deadlines(make_order)
    queue = QUEUES["in-repair"]
    statement = _queue_page_statement(queue.slug, 0, 4, True, False)
    sql = statement.compiled().sql
    assert all(f"'{status}'" in sql for status in queue.statuses)
    day = datetime.timedelta(days=1)
    for shift in range(-2, 3):
        statement.objects(timezone.now() + shift * day)
    generic, custom = plans_of(sql)
    assert (generic, custom) == (3, 0)  # prepared from the third run on (psycopg), generic


@pytest.mark.parametrize("candidates", [False, True])
def test_a_queue_page_read_by_its_kept_statement_is_the_page_built_for_that_moment(
        make_order, candidates, django_assert_num_queries):
    """queue_page reads a queue's first pages with a statement kept for the queue's shape, its
    moments and dates moved to each request's now: the rows the ORM's statement built for that
    moment gives, whichever orders are overdue then, from the candidates or the whole queue, for
    every center or one."""
    from django.db import connection

    from repaircenter.orders.selectors import (
        QueueIds,
        QueueSlice,
        _queue_rows,
        list_rows,
        queue_page,
    )

    if candidates and not connection.features.supports_slicing_ordering_in_compound:
        pytest.skip("SQLite may not limit the parts of a UNION: its queues are sorted whole")
    orders = spread_deadlines(make_order)
    center_id = orders[0].center_id
    day = datetime.timedelta(days=1)
    seen_late = set()
    for slug, queue in QUEUES.items():
        for now in (timezone.now(), timezone.now() - 3 * day, timezone.now() + 2 * day):
            every_center = QueueIds(queue, Order.objects.all())
            one_center = QueueIds(queue, Order.objects.filter(center_id=center_id),
                                  center_id=center_id, everywhere=False)
            for ids in (every_center, one_center):
                for page in (slice(0, 4), slice(4, 8), slice(0, 100)):
                    # One center's queue is sorted whole, never from candidates.
                    one = QueueSlice(ids, page, now, candidates and ids is every_center)
                    with django_assert_num_queries(1):
                        kept = queue_page(queue, one)
                    built = list_rows(_queue_rows(queue, one.queryset(), now))
                    assert kept == built, (slug, now, page)
                    seen_late |= {row.late for row in kept}
    assert seen_late == {0, 1}  # overdue orders and others, both read
    # An empty queue's only page (the paginator's 0:0) reads nothing.
    nothing = QueueSlice(QueueIds(queue, Order.objects.none()), slice(0, 0), now, False)
    with django_assert_num_queries(0):
        assert queue_page(queue, nothing) == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_list_row_names_the_kind_and_the_technician_as_their_objects_do(language):
    """list_rows names a row's kind and technician from the row's columns alone: as the kind's
    and the user's own str() would (a built-in kind in the page's language, a center's own as
    written; a full name, else the username)."""
    from types import SimpleNamespace

    from django.utils import translation

    from repaircenter.accounts.models import User
    from repaircenter.orders.models import EquipmentKind
    from repaircenter.orders.selectors import list_rows

    def row(number, kind, technician):
        first, last, username = technician
        return SimpleNamespace(
            number=number, number_prefix="R", center_number=number, status=Status.RECEIVED,
            late=None, received_at=timezone.now(), diagnosis_due=None, parts_due=None,
            decision_due=None, storage_due=None, due_at=None, customer__name="A customer",
            customer_phone="+447700900123", equipment__pk=number, equipment__kind__name=kind,
            equipment__brand="B", equipment__model="M", equipment__serial_number="",
            equipment__imei="", technician_id=number, technician__first_name=first,
            technician__last_name=last, technician__username=username)

    people = [("Ann", "Smith", "ann"), ("", "", "bench-tech"), ("Jo", "", "jo")]
    kinds = ["Laptop", "Household appliance", "Espresso machine"]
    with translation.override(language):
        rows = list_rows([row(n, kind, person)
                          for n, (kind, person) in enumerate(zip(kinds, people), start=1)])
        assert [r.equipment.kind for r in rows] == [str(EquipmentKind(name=k)) for k in kinds]
        assert [r.technician for r in rows] == [
            str(User(first_name=first, last_name=last, username=name))
            for first, last, name in people]
    if language == "ru":
        assert rows[0].equipment.kind != "Laptop"  # a built-in kind, translated
    assert rows[2].equipment.kind == "Espresso machine"
    assert [r.technician for r in rows] == ["Ann Smith", "bench-tech", "Jo"]
