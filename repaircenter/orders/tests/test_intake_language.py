"""The customer's language is asked at intake: offered as the center's, kept for a returning
customer, and what their messages, order page and papers use from then on."""

import pytest

from repaircenter.centers.models import Center
from repaircenter.conftest import take_in
from repaircenter.customers.models import Customer
from repaircenter.notifications.models import Message

from .test_intake import INTAKE_URL, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, receptionist):
    client.force_login(receptionist)
    return client


def selected_language(page: str) -> str:
    select = page.split('name="language"', 1)[1].split("</select>", 1)[0]
    return select.split(" selected", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]


def test_the_form_offers_the_centers_language(staff_client):
    assert selected_language(staff_client.get(INTAKE_URL).content.decode()) == "en"
    # As the admin changes it, saved: the server forgets the centers it kept (orders/workplace.py).
    center = Center.objects.get()
    center.language = "ru"
    center.save()
    assert selected_language(staff_client.get(INTAKE_URL).content.decode()) == "ru"


def test_the_language_chosen_is_the_customers_and_their_first_message_is_in_it(staff_client):
    response = staff_client.post(INTAKE_URL, form_data(language="ru"))
    assert response.status_code == 200
    customer = Customer.objects.get()
    assert customer.language == "ru"
    [sms] = Message.objects.filter(customer=customer, channel="sms")
    assert "приняли" in sms.body
    # The printed copies are in Russian too.
    assert "Условия обслуживания" in response.content.decode()


def test_an_unknown_language_is_refused_and_nothing_saved(staff_client):
    response = staff_client.post(INTAKE_URL, form_data(language="xx"))
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_a_new_customer_with_no_language_given_gets_the_centers(receptionist, customer):
    # As the admin changes it, saved: the server forgets the centers it kept (orders/workplace.py).
    center = Center.objects.get()
    center.language = "ru"
    center.save()
    customer.delete()
    customer.pk = None
    result = take_in(receptionist, customer)
    assert result.order.customer.language == "ru"


def test_a_returning_customer_keeps_theirs_unless_the_counter_changes_it(
    staff_client, receptionist, customer
):
    customer.language = "ru"
    customer.save()
    take_in(receptionist, customer)  # no language given (the API, a script): theirs stays
    customer.refresh_from_db()
    assert customer.language == "ru"
    staff_client.post(INTAKE_URL, form_data(language="en"))
    customer.refresh_from_db()
    assert customer.language == "en"


def test_the_look_up_sets_the_returning_customers_language_in_the_form(staff_client, customer):
    customer.language = "ru"
    customer.save()
    page = staff_client.get("/staff/intake/customer/", {"phone": "020 7946 0101"})
    select = page.content.decode().split('id="id_language"', 1)[1].split("</select>", 1)[0]
    assert '<option value="ru" selected>' in select
