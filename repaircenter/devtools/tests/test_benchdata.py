"""`repaircenter bench-data`: orders in the proportions, rows the product accepts."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from repaircenter.accounts.models import User
from repaircenter.centers.models import Center
from repaircenter.conftest import take_in
from repaircenter.core.calendar import months_later
from repaircenter.customers.models import Customer
from repaircenter.devtools import benchdata
from repaircenter.devtools.benchdata import copying
from repaircenter.documents.models import Document, Sequence
from repaircenter.notifications.models import Message
from repaircenter.orders import selectors
from repaircenter.orders.credentials import portal_token_digest
from repaircenter.orders.models import Estimate, Order, Status
from repaircenter.orders.sweep import run_sweep
from repaircenter.portal.selectors import TOKEN

pytestmark = pytest.mark.django_db

ORDERS = 50


@pytest.fixture
def generated(settings):
    settings.PORTAL_REQUESTS_PER_MINUTE = 10_000
    return benchdata.generate(ORDERS, log=lambda text: None)


def test_the_states_are_in_the_proportions(generated):
    counts = {s: Order.objects.filter(status=s).count() for s in Status.values}
    assert sum(counts.values()) == ORDERS
    for state, share in benchdata.STATE_SHARES.items():
        assert abs(counts[state] - share * ORDERS) < 1, (state, counts[state])
    assert generated["orders.Order"] == ORDERS


def test_numbers_links_and_codes_are_those_of_real_orders(generated):
    numbers = sorted(Order.objects.values_list("number", flat=True))
    assert numbers == list(range(1, ORDERS + 1))
    received = list(Order.objects.order_by("number").values_list("received_at", flat=True))
    assert received == sorted(received)  # numbers grow with the intake
    tokens = [order.link_token for order in Order.objects.all()]
    assert len(set(tokens)) == ORDERS and all(TOKEN.match(t) for t in tokens)
    assert all(Order.objects.get(portal_token_digest=portal_token_digest(t)) for t in tokens)
    assert not Order.objects.filter(pickup_code_digest="").exists()
    assert Sequence.objects.get(name="order").last == ORDERS
    # Several orders per customer on average, and customers can be found by phone.
    assert Customer.objects.count() < ORDERS * 0.7


def test_deadlines_are_the_workflows(generated):
    now = timezone.now()
    for order in Order.objects.filter(status=Status.AWAITING_DECISION):
        sent = Estimate.objects.get(order=order, status="sent")
        assert order.decision_due == sent.decision_due == months_later(sent.sent_at, 6)
        assert order.decision_due > now
    for order in Order.objects.filter(status__in=[Status.READY_REPAIRED, Status.READY_UNREPAIRED,
                                                  Status.DISPOSAL_DUE, Status.DISPOSED,
                                                  Status.ISSUED]):
        assert order.storage_due == months_later(order.customer_reached_at, 6)
        assert order.events.filter(action="storage_started").exists()
    for order in Order.objects.filter(status__in=[Status.READY_REPAIRED,
                                                  Status.READY_UNREPAIRED]):
        assert order.storage_due > now
    for order in Order.objects.filter(status=Status.DISPOSAL_DUE):
        assert order.storage_due <= now


def test_each_orders_history_leads_to_its_state(generated):
    for order in Order.objects.prefetch_related("events"):
        changes = [e for e in order.events.all() if e.from_status != e.to_status]
        assert changes[0].action == "take_in"
        assert changes[-1].to_status == order.status, order.number
        for before, after in zip(changes, changes[1:], strict=False):
            assert before.to_status == after.from_status, (order.number, after.action)


def test_issued_orders_are_paid_and_have_their_documents(generated):
    from repaircenter.orders.dues import balance_due

    for order in Order.objects.filter(status=Status.ISSUED).prefetch_related(
            "estimates__lines", "payments"):
        assert balance_due(order) == 0, order.number
        kinds = set(order.documents.values_list("kind", flat=True))
        assert {"intake_order", "completion_certificate"} <= kinds


def test_the_sweep_finds_nothing_left_to_do_now_and_work_a_month_ahead(generated):
    assert not run_sweep()  # reminders and deadlines are as the sweep left them
    assert run_sweep(now=timezone.now() + datetime.timedelta(days=400))


def test_every_state_renders_on_the_staff_and_customer_pages(generated, client):
    client.force_login(User.objects.get(username="bench-manager"))
    for state in Status.values:
        for order in Order.objects.filter(status=state)[:2]:
            assert client.get(f"/staff/orders/{order.number}/").status_code == 200
            assert Client().get(f"/o/{order.link_token}/").status_code == 200
    for slug in selectors.QUEUES:
        assert client.get(f"/staff/queues/{slug}/").status_code == 200


def test_search_finds_generated_orders(generated):
    order = Order.objects.select_related("customer", "equipment").order_by("number")[25]
    for typed in (order.customer.name, order.equipment.serial_number, str(order.customer.phone)):
        assert order.number in [row.number for row in selectors.search_orders(typed)], typed


def test_the_product_goes_on_after_the_generated_orders(generated, receptionist):
    customer = Customer.objects.order_by("pk").first()
    made = take_in(receptionist, customer, serial="AFTERBENCH1").order
    assert made.number == ORDERS + 1
    intake = made.documents.get()
    assert intake.number == Document.objects.filter(kind=intake.kind).count()


def test_copies_of_a_template_are_orders_of_their_own(monkeypatch, settings):
    monkeypatch.setattr(copying, "DIRECT_MAX", 20)
    monkeypatch.setattr(copying, "TEMPLATE", 20)
    written = benchdata.generate(60, log=lambda text: None)
    assert written["orders.Order"] == 60
    assert sorted(Order.objects.values_list("number", flat=True)) == list(range(1, 61))
    assert Order.objects.values("portal_token_digest").distinct().count() == 60
    assert Customer.objects.values("phone").distinct().count() == Customer.objects.count()
    assert Message.objects.values("key").distinct().count() == Message.objects.count()
    copy = Order.objects.select_related("customer").get(number=60)
    # The name index knows it.
    assert copy.number in [row.number for row in selectors.search_orders(copy.customer.name)]
    numbers = {k: list(Document.objects.filter(kind=k).values_list("number", flat=True))
               for k in ("intake_order", "estimate")}
    for kind, values in numbers.items():
        assert len(values) == len(set(values)), kind
    assert not run_sweep()


def test_the_command_refuses_a_database_with_orders(receptionist, customer):
    take_in(receptionist, customer)
    with pytest.raises(CommandError, match="already has orders"):
        call_command("bench-data", orders=5)


def test_the_command_wants_a_positive_count(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench-data", orders=0)


def test_sqlite_copies_its_names_into_the_trigram_table(generated):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 table")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer_name_trigrams")
        assert cursor.fetchone()[0] == Customer.objects.count()
    assert re.match(r"^\+44771\d{7}$", str(Customer.objects.first().phone))


def test_a_chain_of_centers_shares_the_orders_each_numbering_its_own(monkeypatch, settings):
    monkeypatch.setattr(copying, "DIRECT_MAX", 20)
    monkeypatch.setattr(copying, "TEMPLATE", 20)
    benchdata.generate(60, centers=3, log=lambda text: None)
    centers = list(Center.objects.order_by("pk"))
    assert len(centers) == 3 and len({c.number_prefix for c in centers}) == 3
    # The flagship takes half the orders, the others share the rest.
    for center, count in zip(centers, (30, 15, 15), strict=True):
        mine = Order.objects.filter(center=center).order_by("number")
        numbers = list(mine.values_list("center_number", flat=True))
        assert numbers == list(range(1, count + 1)), center  # gapless, growing with the intake
        assert set(mine.values_list("number_prefix", flat=True)) == {center.number_prefix}
        assert Sequence.objects.get(name=f"order:{center.pk}").last == count
        assert center.staff.filter(username="bench-manager").exists()
    # The next order a center takes in follows its own count.
    receptionist = User.objects.get(username="bench-reception1")
    customer = Customer.objects.order_by("pk").first()
    made = take_in(receptionist, customer, serial="AFTERCHAIN1", center=centers[2]).order
    assert (made.center_number, made.number) == (16, 61)


def test_the_command_wants_a_sensible_number_of_centers(db):
    with pytest.raises(CommandError, match="--centers"):
        call_command("bench-data", orders=5, centers=0)


def test_a_catalogue_of_parts_with_the_flagships_stock(receptionist):
    from repaircenter.orders.estimates import parts_for
    from repaircenter.stock.models import Part, StockLevel

    take_in(receptionist, Customer.objects.create(name="Ann Lee", phone="+447700900321"))
    call_command("bench-data", parts=40, stdout=io.StringIO())
    assert Part.objects.count() == 40 and Part.objects.values("sku").distinct().count() == 40
    flagship = Center.default()
    assert StockLevel.objects.filter(center=flagship).count() == 40
    order = Order.objects.get()
    found = list(parts_for(order, "screen galaxy s23"))
    assert found and all("Galaxy S23" in part.name and part.name.startswith("Screen")
                         for part in found)
    with pytest.raises(CommandError, match="already has a parts catalogue"):
        call_command("bench-data", parts=5)
