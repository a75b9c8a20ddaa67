"""The stock pages: who may open them, what they show at the chosen center, their query counts,
purchase orders from draft to received through the pages, the catalogue's CSV import, and the
estimate editor's part search."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from repaircenter.conftest import flashes
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EventChannel, Status
from repaircenter.orders.workflow import Actor
from repaircenter.stock import purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import Movement, Part, PurchaseOrder, StockLevel, Supplier

pytestmark = pytest.mark.django_db

PAGES = ["staff:stock", "staff:waiting_for_parts", "staff:purchase_orders", "staff:what_to_order"]


def make_part(sku="SCR-1", minimum=0, **kwargs):
    return Part.objects.create(sku=sku, name=f"Part {sku}", fits="Galaxy S23",
                               purchase_cost=Decimal("10.00"), selling_price=Decimal("25.00"),
                               minimum=minimum, **kwargs)


@pytest.mark.parametrize("name", PAGES)
def test_the_stock_pages_are_for_the_storekeeping_roles(client, name, cashier, technician):
    client.force_login(cashier)
    assert client.get(reverse(name)).status_code == 403
    client.force_login(technician)
    assert client.get(reverse(name)).status_code == 200


def test_only_a_manager_imports_the_catalogue(client, technician):
    client.force_login(technician)
    assert client.get(reverse("staff:catalogue_import")).status_code == 403


def test_the_stock_page_flags_low_stock_and_its_query_count_does_not_grow(
    client, manager, django_assert_max_num_queries
):
    from repaircenter.centers.models import Center

    center = Center.default()
    client.force_login(manager)
    client.get(reverse("staff:home"))
    for index in range(2):
        stock.receive(center_id=center.pk, part_id=make_part(f"A{index}", minimum=5).pk,
                      quantity=1)
    with django_assert_max_num_queries(8):
        small = client.get(reverse("staff:stock"))
    for index in range(2, 30):
        stock.receive(center_id=center.pk, part_id=make_part(f"A{index}").pk, quantity=1)
    with django_assert_max_num_queries(8):
        large = client.get(reverse("staff:stock"), {"low": "1"})
    assert small.content.decode().count('class="overdue" data-sku') == 2
    assert large.content.decode().count("data-sku=") == 2  # only the two below minimum


def waiting_order(make_order, technician, receptionist, part):
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=actor)
    estimates.update_details(estimate=draft, actor=actor, repair_days=2, recommendation="",
                             internal_notes="")
    estimates.add_part(estimate=draft, actor=actor, part_id=part.pk)
    workflow.send_estimate(order=order, actor=actor, estimate=draft)
    return workflow.approve(order=order, actor=Actor.staff(receptionist),
                            channel=EventChannel.PHONE, evidence={"said": "yes"})


def test_a_purchase_order_through_the_pages_serves_the_waiting_order(
    client, manager, make_order, technician, receptionist, django_assert_max_num_queries
):
    part = make_part()
    order = waiting_order(make_order, technician, receptionist, part)
    assert order.status == Status.WAITING_FOR_PARTS
    supplier = Supplier.objects.create(name="Parts Ltd")
    client.force_login(manager)
    page = client.get(reverse("staff:waiting_for_parts")).content.decode()
    assert order.display_number in page and "SCR-1 × 1" in page and "not ordered yet" in page
    suggested = client.get(reverse("staff:what_to_order")).content.decode()
    assert 'data-sku="SCR-1"' in suggested

    response = client.post(reverse("staff:purchase_orders"), {"supplier": supplier.pk})
    po = PurchaseOrder.objects.get()
    assert response.url == reverse("staff:purchase_order", args=[po.pk])
    url = response.url
    client.post(url, {"action": "add", "part": part.pk, "quantity": "1.5"})
    assert not po.lines.exists()
    client.post(url, {"action": "add", "part": part.pk, "quantity": "1"})
    response = client.post(url, {"action": "send", "expected_on": ""}, follow=True)
    assert ("error", "Say when the supplier is expected to deliver.") in flashes(response)
    due = datetime.date.today() + datetime.timedelta(days=3)
    client.post(url, {"action": "send", "expected_on": due.isoformat()})
    order.refresh_from_db()
    assert order.parts_due == due
    with django_assert_max_num_queries(10):
        page = client.get(reverse("staff:waiting_for_parts")).content.decode()
    assert po.display_number in page
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert order.display_number in page.split('class="waiting-orders"')[1]
    line = po.lines.get()
    response = client.post(url, {"action": "receive", f"received-{line.pk}": "1"}, follow=True)
    assert any(order.display_number in text for level, text in flashes(response)
               if level == "success")
    order.refresh_from_db()
    assert order.status == Status.APPROVED
    po.refresh_from_db()
    assert po.status == "received"


def test_a_receptionist_receives_but_does_not_order(client, receptionist, manager):
    from repaircenter.centers.models import Center

    part = make_part()
    po = purchasing.create(center_id=Center.default().pk,
                           supplier=Supplier.objects.create(name="S"), by=manager)
    client.force_login(receptionist)
    url = reverse("staff:purchase_order", args=[po.pk])
    response = client.post(url, {"action": "add", "part": part.pk, "quantity": "1"}, follow=True)
    assert ("error", "Only a manager orders from suppliers.") in flashes(response)
    assert not po.lines.exists()


def test_writing_off_more_than_available_says_so_and_changes_nothing(client, manager):
    from repaircenter.centers.models import Center

    part = make_part()
    stock.receive(center_id=Center.default().pk, part_id=part.pk, quantity=1)
    client.force_login(manager)
    response = client.post(reverse("staff:stock_adjust"), {
        "part": part.pk, "action": "write_off", "quantity": "2", "reason": "Broken"},
        follow=True)
    assert any("nothing was changed" in text for level, text in flashes(response))
    assert StockLevel.objects.get(part=part).on_hand == 1
    client.post(reverse("staff:stock_adjust"), {
        "part": part.pk, "action": "write_off", "quantity": "1", "reason": "Broken"})
    assert StockLevel.objects.get(part=part).on_hand == 0


CSV_GOOD = (
    "sku;name;fits;purchase_cost;selling_price;minimum;serial_tracked\n"
    "BAT-S23;Battery Galaxy S23;Galaxy S23;12,50;39.00;3;no\n"
    "SCR-S23;Screen Galaxy S23;Galaxy S23;40;90;2;yes\n"
)


def test_the_catalogue_imports_from_csv_and_updates_known_codes(client, manager):
    make_part("SCR-S23")
    client.force_login(manager)
    response = client.post(reverse("staff:catalogue_import"), {
        "file": SimpleUploadedFile("parts.csv", CSV_GOOD.encode(), "text/csv")}, follow=True)
    assert response.status_code == 200
    assert ("success", "1 parts added, 1 updated.") in flashes(response)
    screen = Part.objects.get(sku="SCR-S23")
    assert (screen.purchase_cost, screen.serial_tracked, screen.minimum) == (
        Decimal("40.00"), True, 2)
    assert Part.objects.get(sku="BAT-S23").purchase_cost == Decimal("12.50")


def test_bad_rows_are_listed_and_nothing_is_imported(client, manager):
    bad = (CSV_GOOD + "X-1;Cable;;-3;5;1;no\n;No code;;1;2;0;no\nX-2;Glass;;1;2;1.5;no\n"
           "BAT-S23;Again;;1;2;0;no\n")
    client.force_login(manager)
    response = client.post(reverse("staff:catalogue_import"), {
        "file": SimpleUploadedFile("parts.csv", bad.encode(), "text/csv")})
    assert response.status_code == 400
    page = response.content.decode()
    for line in ("<td>4</td>", "<td>5</td>", "<td>6</td>", "<td>7</td>"):
        assert line in page
    assert not Part.objects.exists()


def test_the_estimate_editor_finds_parts_shows_availability_and_adds_one(
    client, technician, make_order, django_assert_max_num_queries
):
    order = make_order(Status.DIAGNOSING)
    part = make_part("SCR-S23")
    stock.receive(center_id=order.center_id, part_id=part.pk, quantity=4)
    draft = estimates.start_draft(order=order, actor=Actor.staff(technician))
    client.force_login(technician)
    url = reverse("staff:estimate", args=[order.number])
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url, {"part": "galaxy s23"}).content.decode()
    assert "SCR-S23" in page and '<td class="num">4</td>' in page
    response = client.post(reverse("staff:estimate_add_part",
                                   args=[order.number, draft.pk, part.pk]),
                           {"quantity": "2"}, follow=True)
    assert ("success", "Part added from the catalogue.") in flashes(response)
    line = draft.lines.get()
    assert (line.part_id, line.quantity, line.unit_price) == (part.pk, 2, Decimal("25.00"))
    assert 'data-available="4"' in response.content.decode()
    response = client.post(reverse("staff:estimate_add_part",
                                   args=[order.number, draft.pk, part.pk]),
                           {"quantity": "0.5"}, follow=True)
    assert any("whole units" in text for level, text in flashes(response))
    assert draft.lines.count() == 1
    assert not Movement.objects.filter(kind="reserved").exists()


def test_the_waiting_queue_flags_an_order_whose_parts_are_late(
    client, technician, make_order, receptionist
):
    from repaircenter.orders.models import Order

    order = waiting_order(make_order, technician, receptionist, make_part())
    Order.objects.filter(pk=order.pk).update(
        parts_due=datetime.date.today() - datetime.timedelta(days=1))
    client.force_login(technician)
    for url in (reverse("staff:queue", args=["waiting-for-parts"]),
                reverse("staff:waiting_for_parts")):
        page = client.get(url).content.decode()
        assert order.display_number in page
        assert "badge-overdue" in page and "overdue" in page


def test_the_order_page_shows_how_many_units_of_each_part_are_reserved(
    client, technician, make_order, receptionist
):
    order = waiting_order(make_order, technician, receptionist, make_part())
    client.force_login(technician)
    page = client.get(reverse("staff:order", args=[order.number])).content.decode()
    assert "0 of 1 reserved" in page
