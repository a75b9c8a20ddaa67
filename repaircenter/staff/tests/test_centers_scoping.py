"""Staff work in the center they chose: its queues, counts, search, shelves and intake; an order
of a center they do not belong to is not found, on a page or through the API. A manager may
see all centers."""

import pytest
from rest_framework.test import APIClient

from repaircenter.accounts.roles import Role
from repaircenter.api.tokens import create_token
from repaircenter.centers.models import Center
from repaircenter.conftest import make_user, take_in
from repaircenter.orders.models import Order, Status
from repaircenter.orders.tests.test_intake import form_data
from repaircenter.orders.workplace import NotYourCenter, workplace


@pytest.fixture
def orders(east, west, manager, customer):
    """Two orders in each center, taken in there."""
    made = {}
    for center in (east, west):
        for n in (1, 2):
            made[f"{center.name}{n}"] = take_in(manager, customer, center=center,
                                                serial=f"{center.name}{n}").order
    return made


@pytest.fixture
def east_desk(client, east, orders):
    """A receptionist of the east center only, logged in."""
    user = make_user("east-desk", Role.RECEPTIONIST, Role.TECHNICIAN)
    east.staff.set([user])
    client.force_login(user)
    return client


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def test_a_receptionist_sees_only_the_orders_of_their_center(east_desk, orders):
    queue = page(east_desk, "/staff/queues/to-diagnose/")
    assert "R-000001" in queue and "R-000002" in queue
    assert "W-000001" not in queue and "W-000002" not in queue
    found = page(east_desk, "/staff/search/?q=000001")
    assert "R-000001" in found and "W-000001" not in found
    home = east_desk.get("/staff/")
    assert home.context["counts"]["to-diagnose"] == 2


def test_an_order_of_another_center_is_not_found(east_desk, orders):
    west_order = orders["West1"]
    page(east_desk, f"/staff/orders/{orders['East1'].number}/")
    for url in (f"/staff/orders/{west_order.number}/",
                f"/staff/orders/{west_order.number}/intake-order/",
                f"/staff/orders/{west_order.number}/label/"):
        page(east_desk, url, status=404)
    response = east_desk.post(f"/staff/orders/{west_order.number}/do/start_diagnosis/",
                              {"version": west_order.version})
    assert response.status_code == 404
    assert Order.objects.get(pk=west_order.pk).status == Status.RECEIVED


def test_taken_off_a_center_one_loses_its_orders_at_once(east_desk, east, west, orders):
    """The centers each server keeps for the staff's pages (orders/workplace.py) are forgotten
    when who works where changes, and when a center changes."""
    east_order = f"/staff/orders/{orders['East1'].number}/"
    west_order = f"/staff/orders/{orders['West1'].number}/"
    page(east_desk, east_order)  # the centers are kept from here
    user = east.staff.get()
    west.staff.add(user)
    page(east_desk, west_order)
    east.staff.remove(user)
    page(east_desk, east_order, status=404)
    west.name = "West End"
    west.save()
    assert "West End" in page(east_desk, west_order)


def test_choosing_a_center_one_does_not_belong_to_is_forbidden(east_desk, west, orders):
    assert east_desk.post("/staff/center/", {"center": west.pk}).status_code == 403
    assert east_desk.post("/staff/center/", {"center": "all"}).status_code == 403
    assert east_desk.post("/staff/center/", {"center": "nonsense"}).status_code == 403
    assert "W-000001" not in page(east_desk, "/staff/queues/to-diagnose/")


def test_a_manager_switches_between_centers_and_to_all(client, manager, east, west, orders):
    client.force_login(manager)
    # First the first center in the list (East), then West, then all of them.
    assert "W-000001" not in page(client, "/staff/queues/to-diagnose/")
    response = client.post("/staff/center/", {"center": west.pk,
                                              "next": "/staff/queues/to-diagnose/"})
    assert response.status_code == 302 and response["Location"] == "/staff/queues/to-diagnose/"
    queue = page(client, "/staff/queues/to-diagnose/")
    assert "W-000001" in queue and "R-000001" not in queue
    client.post("/staff/center/", {"center": "all"})
    queue = page(client, "/staff/queues/to-diagnose/")
    assert all(n in queue for n in ("R-000001", "R-000002", "W-000001", "W-000002"))
    assert client.get("/staff/").context["counts"]["to-diagnose"] == 4
    # The header offers the switch; a foreign address to go back to is not followed.
    assert 'name="center"' in page(client, "/staff/")
    response = client.post("/staff/center/", {"center": east.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/staff/"


def test_intake_is_at_the_center_chosen_and_not_at_all_centers(client, manager, west, orders):
    client.force_login(manager)
    client.post("/staff/center/", {"center": west.pk})
    assert client.get("/staff/intake/").status_code == 200
    client.post("/staff/center/", {"center": "all"})
    response = client.get("/staff/intake/")
    assert response.status_code == 302 and response["Location"] == "/staff/"


def test_intake_through_the_form_takes_the_order_in_at_the_chosen_center(
        client, manager, west, orders, phone_kind):
    client.force_login(manager)
    client.post("/staff/center/", {"center": west.pk})
    response = client.post("/staff/intake/", form_data(serial_number="WESTNEW"))
    assert response.status_code == 200, response.content.decode()[:500]
    made = Order.objects.get(equipment__serial_number="WESTNEW")
    assert (made.center, made.display_number) == (west, "W-000003")


def test_a_choice_that_no_longer_holds_falls_back_to_ones_own_center(client, east, west,
                                                                      orders):
    user = make_user("mover", Role.RECEPTIONIST)
    west.staff.add(user)
    east.staff.add(user)
    client.force_login(user)
    client.post("/staff/center/", {"center": west.pk})
    assert "W-000001" in page(client, "/staff/queues/to-diagnose/")
    west.staff.remove(user)
    queue = page(client, "/staff/queues/to-diagnose/")
    assert "W-000001" not in queue and "R-000001" in queue


def test_someone_in_no_center_of_a_chain_sees_nothing(client, west, orders):
    client.force_login(make_user("nowhere", Role.RECEPTIONIST))
    assert "000001" not in page(client, "/staff/queues/to-diagnose/")
    found = page(client, "/staff/search/?q=000001")
    assert "0 orders found" in found and "-000001" not in found.split("</form>", 1)[1]


def test_in_a_chain_of_one_everyone_works_there(db, customer, manager):
    user = make_user("newcomer", Role.RECEPTIONIST)  # in no center's staff list
    place = workplace(user)
    assert place.allowed is None and place.center == Center.default()
    with pytest.raises(NotYourCenter):
        workplace(user, "all")


def api_client(roles, centers, manager):
    token, text = create_token(name=f"system {'-'.join(roles)}", roles=list(roles),
                               created_by=manager, centers=centers)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_a_token_sees_the_orders_of_its_centers_only(east, west, orders, manager):
    api = api_client([Role.RECEPTIONIST, Role.TECHNICIAN], [east], manager)
    listed = api.get("/api/v1/orders/").json()["results"]
    assert sorted(o["display_number"] for o in listed) == ["R-000001", "R-000002"]
    assert api.get(f"/api/v1/orders/{orders['East1'].number}/").status_code == 200
    answer = api.get(f"/api/v1/orders/{orders['West1'].number}/")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    answer = api.post(f"/api/v1/orders/{orders['West1'].number}/start-diagnosis/", {},
                      format="json")
    assert answer.status_code == 404
    assert Order.objects.get(pk=orders["West1"].pk).status == Status.RECEIVED
    # A manager's token sees the whole chain.
    boss = api_client([Role.MANAGER], [], manager)
    assert len(boss.get("/api/v1/orders/").json()["results"]) == 4
    assert boss.get(f"/api/v1/orders/{orders['West1'].number}/").status_code == 200


def test_the_manager_gives_a_token_its_centers_in_the_admin(client, manager, east, west, orders):
    from django.urls import reverse

    from repaircenter.api.models import ApiToken

    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    response = client.post(reverse("admin:api_apitoken_add"),
                           {"name": "West till", "roles": [Role.RECEPTIONIST],
                            "centers": [west.pk]}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="West till")
    assert list(token.user.centers.all()) == [west]
    text = next(word for m in response.context["messages"] for word in str(m).split()
                if word.startswith("rc_")).rstrip(".")
    listed = client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {text}").json()
    assert sorted(o["display_number"] for o in listed["results"]) == ["W-000001", "W-000002"]
    assert "West" in client.get(reverse("admin:api_apitoken_change",
                                        args=[token.pk])).content.decode()
