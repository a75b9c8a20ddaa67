"""Customers through the API: create, look up by phone, change contact details."""

from repaircenter.accounts.roles import Role
from repaircenter.customers.models import Customer

from .conftest import error


def test_create_then_find_by_phone_however_typed(api):
    response = api.post("/api/v1/customers/", {
        "name": "Gina Gray", "phone": "020 7946 0160", "email": "gina@example.com",
        "preferred_channels": ["email", "sms"]}, format="json")
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["phone"] == "+442079460160"
    found = api.get("/api/v1/customers/", {"phone": "+44 (0)20 7946 0160"}).json()["results"]
    assert [c["id"] for c in found] == [made["id"]]
    assert api.get("/api/v1/customers/", {"phone": "+442079460161"}).json()["results"] == []
    response = api.get("/api/v1/customers/", {"phone": "not a phone"})
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"
    assert "phone" in error(response)["fields"]


def test_a_phone_that_is_taken_is_409(api, customer):
    response = api.post("/api/v1/customers/", {"name": "Someone Else",
                                               "phone": str(customer.phone)}, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "phone_taken"
    assert Customer.objects.count() == 1


def test_change_contact_details(api, customer, make_client):
    url = f"/api/v1/customers/{customer.pk}/"
    response = api.patch(url, {"email": "alice@new.example", "preferred_channels": ["phone"]},
                         format="json")
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.email == "alice@new.example"
    assert customer.preferred_channels == ["phone"]
    # Email chosen as a channel needs an address.
    response = api.patch(url, {"email": "", "preferred_channels": ["email"]}, format="json")
    assert response.status_code == 400
    assert "email" in error(response)["fields"]
    # A cashier's token reads but does not change.
    cashier = make_client(Role.CASHIER)
    assert cashier.get(url).status_code == 200
    assert cashier.patch(url, {"name": "X"}, format="json").status_code == 403
    # PUT is not offered: contacts change field by field.
    assert api.put(url, {"name": "X"}, format="json").status_code == 405
    customer.refresh_from_db()
    assert customer.name == "Alice Brown"


def test_another_customers_phone_cannot_be_taken(api, customer):
    other = Customer.objects.create(name="Bob", phone="+442079460170")
    response = api.patch(f"/api/v1/customers/{other.pk}/", {"phone": str(customer.phone)},
                         format="json")
    assert response.status_code == 409
    other.refresh_from_db()
    assert str(other.phone) == "+442079460170"
