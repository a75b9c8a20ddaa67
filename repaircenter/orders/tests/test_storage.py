"""Where ready equipment waits: the storage location set on the order page
(workflow.set_storage_location) and the storage page, shelf by shelf, with the days left."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from repaircenter.accounts.roles import Role
from repaircenter.conftest import flashes
from repaircenter.orders import workflow
from repaircenter.orders.models import EventChannel, Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

STORAGE = reverse("staff:storage")
# the user with their roles (the session is a signed cookie), the stored orders
# the user's row and the centers the person works in are kept (accounts/backends.py,
# orders/workplace.py)
STORAGE_QUERIES = 1


def location_url(order):
    return reverse("staff:storage_location", args=[order.number])


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.TECHNICIAN, Role.MANAGER])
def test_staff_who_handle_equipment_put_it_away(client, make_order, users_by_role, role):
    order = make_order(Status.READY_UNREPAIRED)
    client.force_login(users_by_role[role])
    response = client.post(location_url(order), {"location": "  b-12 "}, follow=True)
    assert flashes(response) == [("success", "Put away at B-12.")]
    order.refresh_from_db()
    assert order.storage_location == "B-12"
    [event] = OrderEvent.objects.filter(order=order, action="storage_location_set")
    assert (event.actor, event.note) == (users_by_role[role], "Location: B-12")
    assert event.from_status == event.to_status == Status.READY_UNREPAIRED
    assert "On shelf <strong>B-12</strong>" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.CASHIER])
def test_other_roles_may_not(client, make_order, users_by_role, role):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(users_by_role[role])
    assert client.post(location_url(order), {"location": "A1"}).status_code == 403
    with pytest.raises(workflow.NotAllowed):
        workflow.set_storage_location(order=order, actor=Actor.staff(users_by_role[role]),
                                      location="A1")
    assert Order.objects.get(pk=order.pk).storage_location == ""


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("", "Type the shelf or bin code"),
        ("   ", "Type the shelf or bin code"),
        ("X" * 21, "at most 20 characters"),
    ],
)
def test_bad_codes_are_refused(client, make_order, receptionist, location, message):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(receptionist)
    response = client.post(location_url(order), {"location": location}, follow=True)
    [(level, text)] = flashes(response)
    assert level == "error" and message in text
    assert Order.objects.get(pk=order.pk).storage_location == ""
    with pytest.raises(workflow.Refused):
        workflow.set_storage_location(order=order, actor=Actor.staff(receptionist),
                                      location=location)


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.REPAIRING, Status.ISSUED])
def test_only_equipment_waiting_for_collection_is_put_away(client, make_order, receptionist,
                                                           status):
    order = make_order(status)
    client.force_login(receptionist)
    response = client.post(location_url(order), {"location": "A1"}, follow=True)
    [(level, text)] = flashes(response)
    assert level == "error" and "Only equipment waiting for collection" in text
    assert Order.objects.get(pk=order.pk).storage_location == ""
    assert not OrderEvent.objects.filter(order=order, action="storage_location_set").exists()


def test_the_order_page_offers_the_form_only_while_stored(client, make_order, receptionist,
                                                          consultant):
    ready, repairing = make_order(Status.READY_REPAIRED), make_order(Status.REPAIRING)
    client.force_login(receptionist)
    page = client.get(reverse("staff:order", args=[ready.number])).content.decode()
    assert f'action="{location_url(ready)}"' in page and "not put away" in page
    page = client.get(reverse("staff:order", args=[repairing.number])).content.decode()
    assert location_url(repairing) not in page
    client.force_login(consultant)
    page = client.get(reverse("staff:order", args=[ready.number])).content.decode()
    assert location_url(ready) not in page and "not put away" in page


def stored(make_order, status, location, reached_days_ago=None):
    order = make_order(status)
    if reached_days_ago is not None:
        workflow.start_storage_clock(
            order=order, reached_at=timezone.now() - datetime.timedelta(days=reached_days_ago),
            channel=EventChannel.SMS)
    if location:
        Order.objects.filter(pk=order.pk).update(storage_location=location)
    return order


def test_the_storage_page_by_shelf_with_days_left(client, make_order, technician,
                                                  django_assert_num_queries):
    unshelved = stored(make_order, Status.READY_REPAIRED, "", None)
    a_old = stored(make_order, Status.READY_UNREPAIRED, "A1", 100)
    a_new = stored(make_order, Status.READY_REPAIRED, "A1", 10)
    b = stored(make_order, Status.READY_REPAIRED, "B2", 0)
    make_order(Status.ISSUED)  # gone: not listed
    client.force_login(technician)
    client.get(reverse("staff:home"))

    with django_assert_num_queries(STORAGE_QUERIES):
        content = client.get(STORAGE).content.decode()
    sections = content.split('<section class="shelf">')[1:]
    headings = [re.search(r"<h2>(.*?) <small", s).group(1) for s in sections]
    assert headings == ["Not put away yet", "Shelf A1", "Shelf B2"]
    assert unshelved.display_number in sections[0]
    assert "customer not reached yet" in sections[0]
    # On shelf A1 the one whose storage ends first comes first.
    assert sections[1].index(a_old.display_number) < sections[1].index(a_new.display_number)
    for order, section in ((a_old, sections[1]), (a_new, sections[1]), (b, sections[2])):
        order.refresh_from_db()
        left = (timezone.localdate(order.storage_due) - timezone.localdate()).days
        row = section.split(f">{order.display_number}</a>")[1].split("</tr>")[0]
        assert f'<td class="num">{left}</td>' in row

    for _ in range(5):
        stored(make_order, Status.READY_REPAIRED, "C3", 20)
    with django_assert_num_queries(STORAGE_QUERIES):
        content = client.get(STORAGE).content.decode()
    assert content.count('<section class="shelf">') == 4


def test_equipment_due_for_disposal_shows_the_days_over(client, make_order, technician):
    order = make_order(Status.DISPOSAL_DUE)  # storage started 400 days ago
    client.force_login(technician)
    content = client.get(STORAGE).content.decode()
    over = (timezone.localdate() - timezone.localdate(order.storage_due)).days
    assert f"{over} days over" in content
