"""The queries about orders that the staff pages and the API share: the order with everything
about it, search, the queues, storage. A fixed number of queries each. (The staff pages' own
page objects are in staff/selectors.py.)"""

import datetime
import operator
import re
from collections.abc import Callable
from functools import cache, lru_cache, reduce
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from repaircenter.core.statements import KeptStatement, Unseen, part_statement, read_parts
from repaircenter.customers.lookup import (
    TRIGRAM,
    customers_found,
    customers_named,
    name_lookup,
    normalize_phone,
)
from repaircenter.customers.models import name_search_key
from repaircenter.documents.models import Document

from .models import (
    DevicePasscode,
    DisposalAct,
    Equipment,
    EquipmentKind,
    Estimate,
    EstimateLine,
    Order,
    OrderEvent,
    StressTest,
    TestProcedure,
    Transfer,
    format_order_number,
)
from .state_counts import orders_by_state, orders_in
from .states import QUEUES, STATES, STATUS_LABELS, STORED_STATES, Queue
from .workplace import Workplace

SEARCH_LIMIT = 50
QUEUE_PAGE_SIZE = 100


def at_place(place: Workplace | None, orders: QuerySet[Order]) -> QuerySet[Order]:
    """The orders of the center a person chose (all of them for no one's place: the worker,
    the benchmark)."""
    return orders if place is None else place.listed(orders)


def listed_orders() -> QuerySet[Order]:
    """Orders with what a row of a list shows: center, customer, equipment, technician."""
    return Order.objects.select_related("center", "customer", "equipment", "equipment__kind",
                                        "technician")


# What a row of a queue or of the search shows (staff/jinja2/staff/_order_rows.html), and no
# more: a page of a hundred rows read a hundred columns each, most of them never shown.
ROW_FIELDS = (
    "number", "number_prefix", "center_number", "status", "received_at", "diagnosis_due",
    "parts_due", "decision_due", "storage_due", "due_at",
    "customer__name", "customer__phone",
    "equipment__kind__name", "equipment__brand", "equipment__model", "equipment__serial_number",
    "equipment__imei",
    "technician__first_name", "technician__last_name", "technician__username",
)


def row_values(orders: QuerySet[Order]) -> QuerySet:
    """What a row of a list of orders shows (ROW_FIELDS) as named rows, for `list_rows`;
    `orders` annotated `late` (selectors.with_overdue, or None where no queue says)."""
    # The customer's phone as the text the column stores: the row writes it national
    # (core/fastformat.national), and the model field would parse it first.
    phone = ExpressionWrapper(F("customer__phone"), output_field=CharField())
    return orders.annotate(customer_phone=phone).values_list(
        *(f for f in ROW_FIELDS if f != "customer__phone"), "customer_phone", "late",
        "technician_id", "equipment__pk", named=True)


# The order page's parts: a relation of the order (or of one of its relations: "a__b"), and the
# queryset its rows come from (None: the related model's own). Each is read by a statement
# compiled once (core/statements.py). The apps above this one add theirs (their messages,
# payments…) in their AppConfig.ready(), as the orders app may not import them.
ORDER_PARTS: list[tuple[str, QuerySet | None]] = []

# Parts of an order that most orders lack (no photos, never moved, not paid yet…): the order
# page's first statement asks whether each has any, and only those that do are read (a
# statement saved for each one that is empty). By the relation's name; the apps above add theirs.
SELDOM_PARTS: list[str] = []


def include_in_order_detail(path: str, queryset: QuerySet | None = None, *,
                            seldom: bool = False) -> None:
    """Read the order's `path` with the order page (a parent before its "parent__child")."""
    if all(known != path for known, _ in ORDER_PARTS):
        ORDER_PARTS.append((path, queryset))
        if seldom:
            SELDOM_PARTS.append(path)


include_in_order_detail("events", OrderEvent.objects.select_related("actor"))
include_in_order_detail("photos", seldom=True)
include_in_order_detail("condition_checks", seldom=True)
include_in_order_detail("condition_checks__photos")
include_in_order_detail("estimates", Estimate.objects.select_related("sent_by"), seldom=True)
include_in_order_detail("estimates__lines", EstimateLine.objects.select_related("done__done_by"))
include_in_order_detail("stress_tests", StressTest.objects.select_related("run_by"), seldom=True)
include_in_order_detail("transfers", Transfer.objects.select_related(
    "from_center", "to_center", "sent_by", "received_by"), seldom=True)
# A document's text as issued (its `html`, kilobytes each) is for its own page and PDF only.
include_in_order_detail("documents", Document.objects.defer("html"))
include_in_order_detail("warranty_claims", Order.objects.order_by("number"), seldom=True)


def has_part(name: str) -> Exists:
    """Whether the outer query's order has any rows of its relation `name`."""
    relation = Order._meta.get_field(name)
    return Exists(relation.related_model.objects.filter(**{relation.field.name: OuterRef("pk")}))


def count_and_last(rows: QuerySet, last: str, names: tuple[str, str],
                   parent: str = "order") -> dict:
    """Subqueries of how many `rows` the outer query's row has (`rows` filtered by it through
    their `parent`) and the largest `last` of them, named `names`: what a part drawn once and
    kept is kept by (core/fragments.py)."""
    rows = rows.order_by().values(parent)
    count_name, last_name = names
    return {count_name: Subquery(rows.annotate(n=Count("pk")).values("n")),
            last_name: Subquery(rows.annotate(last=Max(last)).values("last"))}


def events_stamp() -> dict:
    """How many events the order has and the last one's id (`event_count`, `last_event_id`):
    what a kept history is kept by (staff/history.py), read with the order."""
    return count_and_last(OrderEvent.objects.filter(order=OuterRef("pk")), "id",
                          ("event_count", "last_event_id"))


def documents_stamp() -> dict:
    """How many documents the order has and the last one's id (`document_count`,
    `last_document_id`): what its kept table of them is kept by (staff/order_documents.py).
    An issued document is never changed nor deleted (documents/models.py)."""
    links = Order.documents.through.objects.filter(order=OuterRef("pk"))
    return count_and_last(links, "document_id", ("document_count", "last_document_id"))


# The parts of an order its staff page draws from what it kept, by their stamps read with the
# order: the history (staff/history.py) and the documents (staff/order_documents.py).
STAMPED_PARTS = ("events", "documents")

# The order with its customer, equipment and people, whether it has each seldom part, and the
# stamps of its events and documents, by its number.
_ORDER = KeptStatement(lambda number: (
    listed_orders()
    .select_related("received_by", "chat_thread", "intake_signature")
    .annotate(has_passcode=Exists(DevicePasscode.objects.filter(order=OuterRef("pk"))),
              **{f"has_{name}": has_part(name) for name in SELDOM_PARTS}, **events_stamp(),
              **documents_stamp())
    .filter(number=number)))


@cache
def _part_statements() -> list[tuple[str, KeptStatement]]:
    # Made once the apps have added their parts (the first order page drawn).
    return [(path, part_statement(Order, path, queryset)) for path, queryset in ORDER_PARTS]


def order_page(number: int, *, stamped: bool = False) -> Order:
    """The order with everything its staff page shows: one statement for the order, one for
    each part it has (none for those it lacks), each compiled once; `stamped`: without the
    parts the page draws from what it kept (STAMPED_PARTS), with their stamps instead."""
    found = _ORDER.objects(number)
    if not found:
        raise Http404("No such order.")
    order = found[0]
    read_parts(order, [(path, statement) for path, statement in _part_statements()
                       if not (stamped and path in STAMPED_PARTS)],
               lacking=[name for name in SELDOM_PARTS if not getattr(order, f"has_{name}")])
    # Read only when the order has one: a missing one is None without a statement.
    prefetch_related_objects([order], *(name for name in ("warranty_of", "disposal_act")
                                        if getattr(order, f"{name}_id")))
    return order


def estimate_editor(number: int) -> Order:
    """The order with its estimates and their lines, for the editor and the decision slip."""
    return get_object_or_404(
        listed_orders().select_related("warranty_of").prefetch_related(
            Prefetch("estimates", queryset=Estimate.objects.select_related("sent_by")),
            "estimates__lines",
        ),
        number=number,
    )


# An order's number as printed (R-000016, t-16, 16): the center's prefix is optional.
ORDER_NUMBER = re.compile(r"^\s*([A-Z]{1,4})?\s*-?\s*0*(\d{1,9})\s*$", re.IGNORECASE)


def printed_number(text: str) -> tuple[str | None, int] | None:
    """The center's prefix (None if not typed) and the center's count of a number as printed
    or typed from the paper; None if `text` is no such number."""
    match = ORDER_NUMBER.match(text or "")
    if match is None:
        return None
    prefix = match.group(1)
    return (prefix.upper() if prefix else None), int(match.group(2))


def printed_as(prefix: str | None, count: int) -> QuerySet[Order]:
    """The orders printed with that number: of any center when no prefix was typed."""
    orders = Order.objects.filter(center_number=count)
    return orders if prefix is None else orders.filter(number_prefix=prefix)


def search_orders(text: str, place: Workplace | None = None) -> list[SimpleNamespace]:
    """The rows (`list_rows`) of the orders matching an order number, a phone number however
    typed, a serial number or IMEI, or part of the customer's name; newest first, in one query:
    a statement compiled once for each shape of search (its kinds of match, one center or all),
    run with the typed values, and planned once by PostgreSQL (each kind of match is an index
    look-up, whatever is typed: KEPT_MATCHES), but for a name of two letters, which is planned
    for each search (no index finds it: name_short). Plain values, as a queue's: a
    customer's six orders made thirty model objects, half of the search's own time."""
    terms = search_terms(text)
    if not terms:
        return []  # one letter, a lone "+": no kind of search, so no results rather than all
    if place is not None and place.center is None and place.allowed is not None:
        # Every center one may see, none chosen: only someone in no center (who sees nothing).
        return search_orders_built(text, place)
    center = () if place is None or place.center is None else (place.center.pk,)
    kept = dict(_kept_terms(terms))
    values = [value for term in kept.values() for value in term]
    return list_rows(_search_statement(tuple(kept), bool(center)).objects(*center, *values))


def search_orders_built(text: str, place: Workplace | None = None) -> list[SimpleNamespace]:
    """`search_orders` built by the ORM on every call: for a place of only some of the centers
    and none chosen, and what the kept search is tested against."""
    conditions = search_conditions(text)
    if conditions is None:
        return []
    return list_rows(_search_rows(at_place(place, Order.objects.all()).filter(conditions)))


def _search_rows(found: QuerySet[Order]) -> QuerySet:
    """The rows of the search's orders `found`, the newest first; none is marked late (no
    queue's target applies: the row shows each deadline's own)."""
    late = Value(None, output_field=IntegerField())
    return row_values(found.annotate(late=late).order_by("-received_at"))[:SEARCH_LIMIT]


def search_terms(text: str) -> dict[str, tuple]:
    """The kinds of match `text` may be, each with its values, always in this order: "number"
    (the prefix typed and the count) or "count" (no prefix typed), "phone" (E.164), "serial",
    "imei", "name" (the folded key). Empty when the text is no kind of search (empty, one
    letter, a lone "+")."""
    text = text.strip()
    terms: dict[str, tuple] = {}
    if not text:
        return terms
    number = printed_number(text)
    if number:
        prefix, count = number
        if prefix is None:
            terms["count"] = (count,)
        else:
            terms["number"] = (prefix, count)
    phone = normalize_phone(text)
    if phone:
        terms["phone"] = (phone,)
    compact = "".join(text.split()).upper()
    if 4 <= len(compact) <= 64:
        terms["serial"] = (compact,)
    digits = compact.replace("-", "").replace("/", "")
    if len(digits) == 15 and digits.isdigit():
        terms["imei"] = (digits,)
    # Digits alone are no name; nor is a number as the paper order prints it (its center's
    # letters, then digits): it is looked for as a number and a serial number only.
    printed_with_prefix = number is not None and number[0] is not None
    if (len(text) >= 2 and not text.replace("+", "").replace(" ", "").isdigit()
            and not printed_with_prefix):
        terms["name"] = (name_search_key(text),)
    return terms


# Each kind of match (search_terms): the ids of the orders it finds, given its values.
MATCHES = {
    "number": lambda prefix, count: printed_as(prefix, count).values("pk"),
    "count": lambda count: printed_as(None, count).values("pk"),
    "phone": lambda phone: Order.objects.filter(customer__phone=phone).values("pk"),
    "serial": lambda serial: Equipment.objects.filter(serial_number=serial).values("order_id"),
    "imei": lambda imei: Equipment.objects.filter(imei=imei).values("order_id"),
    "name": lambda key: _orders_of(customers_named(key)),
}


def _orders_of(customers: QuerySet) -> QuerySet:
    return Order.objects.filter(customer__in=customers.values("pk")).values("pk")


def search_conditions(text: str) -> Q | None:
    """What `search_orders` looks for, as a filter on orders; None when the text is no kind
    of search (empty, one letter, a lone "+").

    Each kind of match is its own indexed look-up of order ids (the order number, the
    customer's phone, the equipment's serial number or IMEI, the trigram index of names), and
    their UNION picks the orders: one OR across the joined tables would scan every order."""
    matches = [MATCHES[kind](*values) for kind, values in search_terms(text).items()]
    return Q(pk__in=_union(matches)) if matches else None


def _union(matches: list[QuerySet]) -> QuerySet:
    return matches[0].union(*matches[1:]) if len(matches) > 1 else matches[0]


# The kept search's kinds of match, each with the kinds of its values: MATCHES, but a name is
# looked for by the value the database is given (customers.lookup.name_lookup: the LIKE pattern
# or the FTS5 phrase), as the pattern Django would make of a marker is not the marker. (The
# phone's field passes a marker as it is, and an E.164 value as it is: what the ORM would send.)
#
# PostgreSQL plans each shape of search once by itself: the exact look-ups are planned for their
# values the first five searches, then by the plan made without them (pg_prepared_statements at
# a million orders). A name's pattern, whose rows it cannot guess, and an IMEI, whose blank is
# most rows, would be planned anew on every search: they are given Unseen. A name of two letters
# is the exception: it is planned for each search (name_short).
class KeptMatch(NamedTuple):
    match: Callable[..., QuerySet]  # the ids of the orders it finds, given its values
    values: tuple[type, ...]  # the kinds of its values


KEPT_MATCHES = {
    "number": KeptMatch(MATCHES["number"], (str, int)),
    "count": KeptMatch(MATCHES["count"], (int,)),
    "phone": KeptMatch(MATCHES["phone"], (str,)),
    "serial": KeptMatch(MATCHES["serial"], (str,)),
    "imei": KeptMatch(lambda imei: MATCHES["imei"](Unseen(imei)), (str,)),
    "name_like": KeptMatch(
        lambda pattern: _orders_of(customers_found("like", Unseen(pattern))), (str,)),
    "name_phrase": KeptMatch(lambda phrase: _orders_of(customers_found("phrase", phrase)),
                             (str,)),
    # A name of two letters, which no trigram index serves: its pattern seen, and the search
    # planned for it each time (_search_statement; core/statements.py PLANNED_EACH_TIME).
    "name_short": KeptMatch(lambda pattern: _orders_of(customers_found("like", pattern)),
                            (str,)),
}


def _kept_terms(terms: dict[str, tuple]):
    """`search_terms` as the kept search looks for them (KEPT_MATCHES)."""
    for kind, values in terms.items():
        if kind == "name":
            how, value = name_lookup(*values)
            yield "name_short" if len(values[0]) < TRIGRAM else f"name_{how}", (value,)
        else:
            yield kind, values


# The search's statements by their shape (its kinds of match, one center or all), each compiled
# the first time it is asked for: fewer than 150 shapes, a few of them common.
_SEARCHES: dict[tuple[tuple[str, ...], bool], KeptStatement] = {}


def _search_statement(kinds: tuple[str, ...], one_center: bool) -> KeptStatement:
    statement = _SEARCHES.get((kinds, one_center))
    if statement is None:
        def build(*markers):
            markers = iter(markers)  # the center's, then each match's in turn
            orders = Order.objects.all()
            if one_center:
                orders = orders.filter(center=next(markers))
            matches = []
            for kind in kinds:
                kept = KEPT_MATCHES[kind]
                matches.append(kept.match(*(next(markers) for _ in kept.values)))
            return _search_rows(orders.filter(pk__in=_union(matches)))

        value_kinds = [value for kind in kinds for value in KEPT_MATCHES[kind].values]
        statement = KeptStatement(build, *([int] if one_center else []), *value_kinds,
                                  planned_each_time="name_short" in kinds)
        _SEARCHES[(kinds, one_center)] = statement
    return statement


def overdue(statuses, now: datetime.datetime | None = None) -> Q:
    """The orders in `statuses` past their state's target (states.Target), as a filter."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    condition = Q(pk__in=[])
    for status in statuses:
        target = STATES[status].target
        if target is None:
            continue
        if target.due is not None:
            past = Q(due_at__lt=now)
        elif isinstance(Order._meta.get_field(target.field), DateTimeField):
            past = Q(**{f"{target.field}__lt": now - datetime.timedelta(days=target.grace_days)})
        else:
            past = Q(**{f"{target.field}__lt": today - datetime.timedelta(days=target.grace_days)})
        if target.until:
            past &= Q(**{f"{target.until}__isnull": True})
        condition |= Q(status=status) & past
    return condition


def is_overdue(order: Order, now: datetime.datetime | None = None) -> bool:
    """The order is past its state's target: `overdue` for one order already read."""
    target = STATES[order.status].target
    if target is None or (target.until and getattr(order, target.until)):
        return False
    moment = order.due_at if target.due else getattr(order, target.field)
    if moment is None:
        return False
    now = now or timezone.now()
    grace = datetime.timedelta(days=target.grace_days)
    if isinstance(moment, datetime.datetime):
        return moment + grace < now
    return moment + grace < timezone.localdate(now)


def with_overdue(orders: QuerySet[Order], statuses, now=None) -> QuerySet[Order]:
    """`orders` annotated `late`: 0 when past their state's target, else 1 (to sort by)."""
    return orders.annotate(late=Case(When(overdue(statuses, now), then=Value(0)),
                                     default=Value(1), output_field=IntegerField()))


def queue_orders(queue: Queue) -> QuerySet[Order]:
    """The queue's orders, the overdue first, then by deadline."""
    return (with_overdue(listed_orders().filter(status__in=queue.statuses), queue.statuses)
            .order_by("late", *queue.ordering, "pk"))


def queue_order_ids(queue: Queue, place: Workplace | None = None) -> "QueueIds":
    """The ids of the queue's orders in the queue's order (the overdue first), for the
    paginator."""
    one_center = place is not None and place.center is not None
    return QueueIds(queue, at_place(place, Order.objects.all()),
                    center_id=place.center.pk if one_center else None,
                    everywhere=place is None or place.allowed is None,
                    count=lambda: orders_in(queue.statuses,
                                            place.listed_center_ids() if place else None))


class QueueIds:
    """The ids of a queue's orders, the overdue first, then by the queue's deadline: what the
    paginator counts and slices. A slice is a `QueueSlice`, read by queue_page with the rows.

    PostgreSQL reads an index (status, deadline…, id) in order for one status, not for several
    (`status IN (…)`), and tells the overdue from the rest only from the row: sorting the queue
    that way read and sorted the whole queue's rows for each page, 20 ms at a million orders.
    So a page is sorted from a few candidates instead: the first ones, up to the page's end, of
    each state of the queue that are not overdue, each read from its index in order, and the
    overdue ones (an index finds them, and they are few). A queue whose deadline is its states'
    target (Queue.sorted_by_target) already lists its overdue first, and is read per state
    alone. A small queue, the pages past the tenth, and SQLite (it may not limit the parts of
    a UNION; a single center's queue) sort the queue as a whole; so does one center's queue,
    which has an index of its own in the queue's order (models.py, center_queue_*): with the
    candidates, the planner read that index and the rows for the overdue, and the flagship
    center's tenth page took 40 ms where the whole sort takes 2."""

    ordered = True  # what the paginator checks
    # A queue this small is sorted whole in a millisecond or two: less than the ORM takes to
    # write the candidates' query.
    SORTED_WHOLE_UP_TO = 2000
    # Deeper than this, the candidates outnumber the rows a sort of the whole queue reads.
    CANDIDATES_UP_TO = 1000

    def __init__(self, queue: Queue, orders: QuerySet[Order], *, center_id: int | None = None,
                 everywhere: bool = True, count: Callable[[], int] | None = None):
        """`orders`: the orders of the place (at_place), of any state; `center_id`: the one
        center `orders` are of (its queue is sorted whole, never from candidates), or
        `everywhere`: they are every center's (either lets a page's statement be kept);
        `count`: how to count the queue (state_counts.orders_in), else its orders are
        counted."""
        self.queue = queue
        self.orders = orders
        self.center_id = center_id
        self.everywhere = everywhere
        self._counted = count
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = (
                self._counted() if self._counted is not None
                else self.orders.filter(status__in=self.queue.statuses).count())
        return self._count

    def __getitem__(self, page: slice) -> "QueueSlice":
        candidates = (self.center_id is None and len(self.queue.statuses) > 1
                      and page.stop is not None and page.stop <= self.CANDIDATES_UP_TO
                      and connection.features.supports_slicing_ordering_in_compound
                      and self.count() > self.SORTED_WHOLE_UP_TO)
        return QueueSlice(self, page, timezone.now(), candidates)

    def ids(self, page: slice, now: datetime.datetime, candidates: bool) -> QuerySet:
        """The ids of the page's orders, as a query, in the queue's order."""
        if candidates:
            chosen = Order.objects.filter(pk__in=self._from_candidates(page, now))
            return self._in_order(chosen, now).values_list("pk", flat=True)
        orders = self.orders.filter(status__in=self.queue.statuses)
        return self._in_order(orders, now).values_list("pk", flat=True)[page]

    def page_ids(self, page: slice, now: datetime.datetime, candidates: bool):
        """The ids of the page's orders in no order, for a query of their rows (`pk__in`), which
        sorts them itself: from the candidates, their own first column, not read again from
        the orders' table in the queue's order (an index look-up a row, and a sort)."""
        return self._from_candidates(page, now) if candidates else self.ids(page, now, False)

    def _in_order(self, orders: QuerySet[Order], now: datetime.datetime) -> QuerySet[Order]:
        """`orders` in the queue's order: the overdue first (unless its deadline already puts
        them first), then by the deadline and the id."""
        queue = self.queue
        if queue.sorted_by_target:
            return orders.order_by(*queue.ordering, "pk")
        return with_overdue(orders, queue.statuses, now).order_by("late", *queue.ordering, "pk")

    def _from_candidates(self, page: slice, now: datetime.datetime) -> RawSQL:
        """The page's ids chosen from the candidates: each carries what it is sorted by (its
        `late`, its deadline, its id, read from the queue's index), so that only the page's
        own orders are read, not every candidate's (300 rows at a million orders)."""
        queue = self.queue
        if queue.sorted_by_target:
            parts = [(self.orders.filter(status=status), 1) for status in queue.statuses]
        else:
            parts = [(self.orders.filter(overdue(queue.statuses, now)), 0),
                     *((self.orders.filter(status=status).exclude(overdue([status], now)), 1)
                       for status in queue.statuses)]
        columns = ("pk", "late", *queue.ordering)
        keyed = [part.annotate(late=Value(late, output_field=IntegerField()))
                 .order_by(*queue.ordering, "pk").values_list(*columns)
                 for part, late in parts]
        if len(keyed) == 1:
            chosen = keyed[0][page]
        else:
            firsts = [part[:page.stop] for part in keyed]
            chosen = firsts[0].union(*firsts[1:], all=True).order_by(
                "late", *queue.ordering, "pk")[page]
        # A UNION's rows of several columns are no list of ids to Django: its SQL, as the
        # ORM wrote it, is read for their first column.
        sql, params = chosen.query.sql_with_params()
        return RawSQL(f'SELECT "pk" FROM ({sql}) AS "candidates"', params)  # noqa: S608, S611


class QueueSlice:
    """One page of a queue's ids (QueueIds[start:stop]): its query, and the moment it was
    sorted at (which orders are overdue), so that its rows are read as of the same moment."""

    def __init__(self, ids: QueueIds, page: slice, now: datetime.datetime, candidates: bool):
        self.ids, self.page, self.now, self.candidates = ids, page, now, candidates

    def queryset(self) -> QuerySet:
        return self.ids.ids(self.page, self.now, self.candidates)

    def page_ids(self):
        return self.ids.page_ids(self.page, self.now, self.candidates)

    def __iter__(self):
        return iter(self.queryset())


def queue_page(queue: Queue, ids: QueueSlice) -> list[SimpleNamespace]:
    """The rows of one page of `queue_order_ids` (a slice of it), in one query: the page's ids
    are a subquery, so only those rows are read. Sorting the whole queue's rows instead, to
    keep 100, read tens of thousands of them at a million orders. Each is marked `late` (0:
    overdue).

    The statement of the first pages of a queue, of one center or of all, is kept
    (`_queue_page_statement`): the ORM took 3-4 ms to write it, longer than PostgreSQL takes to
    answer it at ten thousand orders. It is planned once (core/statements.py): PostgreSQL
    planned it again for each request's now, 1.3 ms at ten thousand orders, 2.6 at a million.

    A row is what staff/jinja2/staff/_order_rows.html reads of an order (ROW_FIELDS), as plain
    values: five model instances a row (the order, its customer, equipment, kind, technician)
    were half of reading the page. The kind's and the technician's names are written by their
    models, and the state's label translated, once per page for each of them."""
    if ids.page.stop is not None and ids.page.stop <= (ids.page.start or 0):
        return []  # an empty queue's only page: no statement
    source = ids.ids
    one_center = source.center_id is not None
    if ids.page.stop is not None and ids.page.stop <= QueueIds.CANDIDATES_UP_TO and (
            one_center or source.everywhere):
        statement = _queue_page_statement(queue.slug, ids.page.start, ids.page.stop,
                                          ids.candidates, one_center)
        values = statement.objects(ids.now, *([source.center_id] if one_center else []))
    else:
        values = _queue_rows(queue, ids.page_ids(), ids.now)
    return list_rows(values)


# A queue's last page ends at its count, so a page's shape changes as orders come and go: the
# statements of the shapes used lately are kept, not every one ever used.
@lru_cache(maxsize=256)
def _queue_page_statement(slug: str, start: int | None, stop: int, candidates: bool,
                          one_center: bool) -> KeptStatement:
    """The rows of a queue's page, kept for its shape: the queue, the page, read from
    candidates or not, one center (its id a value) or all."""
    queue, page = QUEUES[slug], slice(start, stop)

    def build(now, *center):
        orders = Order.objects.filter(center=center[0]) if center else Order.objects.all()
        ids = QueueIds(queue, orders).page_ids(page, now, candidates)
        return _queue_rows(queue, ids, now)

    return KeptStatement(build, *([int] if one_center else []), clock=True, planned_once=True)


def _queue_rows(queue: Queue, ids, now: datetime.datetime) -> QuerySet:
    """The named rows of the orders of `ids` (a query of ids), in the queue's order."""
    return row_values(with_overdue(Order.objects.filter(pk__in=ids), queue.statuses, now)
                      .order_by("late", *queue.ordering, "pk"))


def list_rows(values) -> list[SimpleNamespace]:
    """The rows of a list of orders (staff/jinja2/staff/_order_rows.html) from `row_values`."""
    technician_model = Order._meta.get_field("technician").related_model
    kinds: dict[str, str] = {}
    technicians: dict[int, str] = {}
    labels: dict[str, str] = {}  # each state's, translated once
    rows = []
    for row in values:
        label = labels.get(row.status)
        if label is None:
            label = labels[row.status] = str(STATUS_LABELS.get(row.status, row.status))
        equipment = None
        if row.equipment__pk is not None:
            kind = kinds.get(row.equipment__kind__name)
            if kind is None:
                kind = kinds[row.equipment__kind__name] = EquipmentKind.label(
                    row.equipment__kind__name)
            equipment = SimpleNamespace(
                kind=kind, brand=row.equipment__brand, model=row.equipment__model,
                serial_number=row.equipment__serial_number, imei=row.equipment__imei)
        technician = None
        if row.technician_id is not None:
            technician = technicians.get(row.technician_id)
            if technician is None:
                technician = technicians[row.technician_id] = technician_model.name_of(
                    row.technician__first_name, row.technician__last_name,
                    row.technician__username)
        rows.append(SimpleNamespace(
            number=row.number, display_number=format_order_number(row.number_prefix,
                                                                  row.center_number),
            status=row.status, status_label=label,
            state=STATES[row.status], late=row.late, received_at=row.received_at,
            diagnosis_due=row.diagnosis_due, parts_due=row.parts_due,
            decision_due=row.decision_due, storage_due=row.storage_due, due_at=row.due_at,
            customer=SimpleNamespace(name=row.customer__name, phone=row.customer_phone),
            equipment=equipment, technician=technician))
    return rows


def queue_counts(place: Workplace | None = None) -> dict[str, int]:
    """How many orders each queue holds, how many of them are overdue ("<slug>:overdue"), how
    many are stored ("stored") and how many of those are on no shelf yet ("unshelved"): two
    queries. The totals are the state counts (state_counts.py); the overdue and the unshelved
    are found by the indexes that hold them, a few among the queues' orders: counting them among
    every order of the queues read 110,000 rows at a million orders (0.2 s)."""
    in_state = orders_by_state(place.listed_center_ids() if place else None)
    counts = {slug: sum(in_state.get(status, 0) for status in queue.statuses)
              for slug, queue in QUEUES.items()}
    counts["stored"] = sum(in_state.get(status, 0) for status in STORED_STATES)
    now = timezone.now()
    late = {f"{slug}:overdue": overdue(queue.statuses, now) for slug, queue in QUEUES.items()}
    unshelved = Q(status__in=STORED_STATES, storage_location="")
    found = reduce(operator.or_, late.values(), unshelved)
    counts.update(at_place(place, Order.objects.filter(found)).aggregate(
        unshelved=Count("pk", filter=unshelved),
        **{key: Count("pk", filter=condition) for key, condition in late.items()}))
    return counts


# --- storage and disposal -----------------------------------------------------------------------



def recent_disposal_acts(limit: int = 10) -> list[DisposalAct]:
    return list(
        DisposalAct.objects.select_related("confirmed_by")
        .annotate(order_count=Count("orders"))
        .order_by("-number")[:limit]
    )


def disposal_act(number: int) -> DisposalAct:
    """The act with its issued document, and its orders' numbers (for the PDF's address)."""
    return get_object_or_404(
        DisposalAct.objects.select_related("document", "confirmed_by").prefetch_related(
            Prefetch("orders", queryset=Order.objects.order_by("number").only("pk", "number",
                                                                              "disposal_act"))
        ),
        number=number,
    )


def storage_shelves(place: Workplace | None = None) -> list[tuple[str, list[Order]]]:
    """Equipment waiting for collection, by storage location (orders without one first, to be
    put away), each shelf's orders by storage deadline: one query."""
    orders = (
        at_place(place, listed_orders())
        .filter(status__in=STORED_STATES)
        .order_by("storage_location", F("storage_due").asc(nulls_last=True), "ready_at", "pk")
    )
    shelves: dict[str, list[Order]] = {}
    for order in orders:
        shelves.setdefault(order.storage_location, []).append(order)
    return list(shelves.items())


def procedures_for(order: Order) -> QuerySet[TestProcedure]:
    """The test procedures offered for this order's kind of equipment, and for every kind."""
    return TestProcedure.objects.filter(
        Q(equipment_kind=order.equipment.kind_id) | Q(equipment_kind__isnull=True), active=True
    )


def transfers_under_way(place: Workplace | None = None) -> list[Transfer]:
    """The equipment on its way, to or from the center chosen (all of it for no one's place),
    the longest on the road first."""
    transfers = (Transfer.objects.filter(received_at=None)
                 .select_related("order__customer", "order__equipment__kind", "from_center",
                                 "to_center", "sent_by")
                 .order_by("sent_at", "pk"))
    if place is not None and place.center is not None:
        transfers = transfers.filter(Q(from_center=place.center) | Q(to_center=place.center))
    elif place is not None and place.allowed is not None:
        transfers = transfers.filter(Q(from_center__in=place.allowed)
                                     | Q(to_center__in=place.allowed))
    return list(transfers)
