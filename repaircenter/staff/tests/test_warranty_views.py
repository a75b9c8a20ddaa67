"""The staff pages of issue 16: the device's history at intake and on the order page, taking a
warranty claim in, and the technician's verdict in the estimate editor."""

import datetime
import html

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes
from repaircenter.customers.models import Device
from repaircenter.orders.models import EstimateLine, EstimateStatus, Order, Status
from repaircenter.orders.tests.test_intake import form_data

pytestmark = pytest.mark.django_db

INTAKE_URL = reverse("staff:intake")
DEVICE_URL = reverse("staff:device_history")


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_typing_the_serial_shows_the_devices_orders_and_running_warranty(
    client, receptionist, make_order
):
    issued = make_order(Status.ISSUED)
    client.force_login(receptionist)
    page = text(client.get(DEVICE_URL, {"serial_number": "r5cw 31abcde"}))
    assert "Known device" in page
    assert issued.display_number in page
    assert "Replace the charging port" in page
    until = EstimateLine.objects.get(estimate__order=issued).warranty_until
    assert f"under warranty until {until:%d %b %Y}" in page
    assert f"?warranty_of={issued.number}" in page  # take in under warranty from here
    assert "has not been here before" in text(client.get(DEVICE_URL, {"serial_number": "NEW1"}))


def test_the_device_panel_costs_three_queries_however_many_orders(
    client, receptionist, make_order, django_assert_num_queries
):
    make_order(Status.ISSUED)
    client.force_login(receptionist)
    client.get(DEVICE_URL, {"serial_number": "R5CW31ABCDE"})
    # the devices, their orders and their lines (the user's row with their roles and the
    # workplace's centers are kept a minute after the request before)
    with django_assert_num_queries(3):
        client.get(DEVICE_URL, {"serial_number": "R5CW31ABCDE"})
    for _ in range(3):
        make_order(Status.ISSUED)
    with django_assert_num_queries(3):
        page = text(client.get(DEVICE_URL, {"serial_number": "R5CW31ABCDE"}))
    assert page.count("Take in under warranty") == 4


@pytest.mark.parametrize("role", ["technician", "cashier", "consultant"])
def test_only_intake_roles_look_devices_up(client, users_by_role, role):
    client.force_login(users_by_role[role])
    assert client.get(DEVICE_URL, {"serial_number": "X"}).status_code == 403


def test_the_order_page_shows_the_device_history_and_the_claim(client, receptionist, make_order,
                                                                customer):
    from repaircenter.conftest import take_in

    issued = make_order(Status.ISSUED)
    client.force_login(receptionist)
    page = text(client.get(reverse("staff:order", args=[issued.number])))
    assert "This device's history" in page
    assert f"?warranty_of={issued.number}" in page
    claim = take_in(receptionist, customer, warranty_of=issued).order
    page = text(client.get(reverse("staff:order", args=[claim.number])))
    assert f"taken in under the warranty of order {issued.display_number}" in page
    assert issued.display_number in page


def test_intake_under_warranty_is_filled_from_the_earlier_order_and_linked(
    client, receptionist, make_order
):
    issued = make_order(Status.ISSUED)
    client.force_login(receptionist)
    page = text(client.get(INTAKE_URL, {"warranty_of": issued.number}))
    assert f"Warranty claim on order {issued.display_number}" in page
    assert 'value="R5CW31ABCDE"' in page
    assert f'name="warranty_of" value="{issued.number}"' in page
    response = client.post(INTAKE_URL, form_data(warranty_of=str(issued.number)))
    assert response.status_code == 200
    claim = Order.objects.latest("number")
    assert claim.warranty_of == issued
    assert claim.equipment.device_id == issued.equipment.device_id


def test_intake_under_warranty_after_the_period_says_the_end_date(client, receptionist,
                                                                  make_order):
    issued = make_order(Status.ISSUED)
    EstimateLine.objects.filter(estimate__order=issued).update(
        warranty_until=datetime.date(2026, 1, 31))
    client.force_login(receptionist)
    page = text(client.get(INTAKE_URL, {"warranty_of": issued.number}))
    assert "ended on 31 January 2026" in page
    assert 'name="warranty_of" value=' not in page  # an ordinary intake, filled in
    # A claim posted anyway is refused, and nothing is taken in.
    count = Order.objects.count()
    response = client.post(INTAKE_URL, form_data(warranty_of=str(issued.number)), follow=True)
    assert ("error", f"The warranty of order {issued.display_number} ended on 31 January "
            "2026. Take the equipment in as an ordinary order.") in flashes(response)
    assert Order.objects.count() == count


def test_a_claim_on_an_order_never_issued_says_why(client, receptionist, make_order):
    ready = make_order(Status.READY_REPAIRED)
    client.force_login(receptionist)
    page = text(client.get(INTAKE_URL, {"warranty_of": ready.number}))
    assert f"Order {ready.display_number} was never handed over" in page


def test_a_serial_of_several_devices_asks_which(client, receptionist):
    one = Device.objects.create(serial_number="SAME1", brand="Samsung")
    two = Device.objects.create(serial_number="SAME1", brand="Lenovo")
    client.force_login(receptionist)
    panel = text(client.get(DEVICE_URL, {"serial_number": "same1"}))
    assert "matches 2 devices on record: choose which one this is" in panel
    assert f'name="device" value="{one.pk}"' in panel and f'value="{two.pk}"' in panel
    response = client.post(INTAKE_URL, form_data(serial_number="SAME1"))
    assert response.status_code == 400
    assert "belongs to 2 devices on record. Choose which one" in text(response)
    assert not Order.objects.exists()
    response = client.post(INTAKE_URL, form_data(serial_number="SAME1", device=str(two.pk)))
    assert response.status_code == 200
    assert Order.objects.get().equipment.device == two


def test_the_technician_records_the_verdict_and_repairs_under_warranty(
    client, receptionist, technician, make_order, customer
):
    from repaircenter.conftest import take_in
    from repaircenter.orders import workflow
    from repaircenter.orders.workflow import Actor

    issued = make_order(Status.ISSUED)
    original = EstimateLine.objects.get(estimate__order=issued)
    claim = take_in(receptionist, customer, warranty_of=issued).order
    workflow.start_diagnosis(order=claim, actor=Actor.staff(technician))
    client.force_login(technician)
    client.post(reverse("staff:estimate_start", args=[claim.number]))
    draft = claim.estimates.get()
    page = text(client.get(reverse("staff:estimate", args=[claim.number])))
    assert f"Warranty claim on order {issued.display_number}" in page
    url = reverse("staff:estimate_warranty", args=[claim.number, draft.pk])
    assert client.post(url, {"line_x": "covered"}).status_code == 400
    response = client.post(url, {f"line_{original.pk}": "covered", "note": "Port again"},
                           follow=True)
    assert ("success", "Warranty verdict recorded.") in flashes(response)
    client.post(reverse("staff:estimate_details", args=[claim.number, draft.pk]),
                {"repair_days": "1", "recommendation": "", "internal_notes": ""})
    claim.refresh_from_db()
    page = text(client.get(reverse("staff:estimate", args=[claim.number])))
    assert "covered: in the draft at no charge" in page
    response = client.post(
        reverse("staff:estimate_repair_under_warranty", args=[claim.number, draft.pk]),
        {"version": claim.version})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Status.REPAIRING
    assert claim.estimates.get().status == EstimateStatus.APPROVED
    # Twice (a double click): refused, nothing changes.
    response = client.post(
        reverse("staff:estimate_repair_under_warranty", args=[claim.number, draft.pk]),
        {"version": claim.version - 1}, follow=True)
    assert any(level == "error" for level, _ in flashes(response))


def test_a_receptionist_cannot_record_the_verdict(client, receptionist, technician, make_order,
                                                  customer):
    from repaircenter.conftest import take_in, write_estimate
    from repaircenter.orders import workflow
    from repaircenter.orders.workflow import Actor

    issued = make_order(Status.ISSUED)
    claim = take_in(receptionist, customer, warranty_of=issued).order
    workflow.start_diagnosis(order=claim, actor=Actor.staff(technician))
    draft = write_estimate(claim, technician, lines=())
    client.force_login(receptionist)
    url = reverse("staff:estimate_warranty", args=[claim.number, draft.pk])
    assert client.post(url, {"line_1": "covered"}).status_code == 403
