"""Revoking the customer's link and making a new one (staff:replace_link)."""

import re

import pytest
from django.urls import reverse

from repaircenter.orders.credentials import portal_url

pytestmark = pytest.mark.django_db

URL_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,}$")


def replace_url(order) -> str:
    return reverse("staff:replace_link", args=[order.number])


@pytest.mark.parametrize("role", ["receptionist", "manager"])
def test_replacing_the_link_gives_a_new_token(client, request, make_order, role):
    order = make_order()
    old_token = order.portal_token
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(replace_url(order), follow=True)

    assert response.redirect_chain == [(reverse("staff:order", args=[order.number]), 302)]
    order.refresh_from_db()
    assert order.portal_token != old_token
    assert URL_SAFE_TOKEN.match(order.portal_token)
    event = order.events.get(action="link_replaced")
    assert event.actor == user
    assert event.from_status == event.to_status == order.status

    content = response.content.decode()
    assert "The old link no longer works." in content
    assert portal_url(order.portal_token) in content
    # The old link shows only in the record of messages already sent with it.
    before, messages_and_after = content.split("Messages to the customer</h2>", 1)
    sent_texts, after = messages_and_after.split("</table>", 1)
    assert old_token not in before + after
    assert old_token in sent_texts


def test_each_replacement_is_a_different_token(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)
    tokens = {order.portal_token}
    for _ in range(3):
        client.post(replace_url(order))
        order.refresh_from_db()
        tokens.add(order.portal_token)
    assert len(tokens) == 4
    assert order.events.filter(action="link_replaced").count() == 3


def test_order_page_shows_the_link_to_a_receptionist(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)
    response = client.get(reverse("staff:order", args=[order.number]))
    assert portal_url(order.portal_token) in response.content.decode()


@pytest.mark.parametrize("role", ["technician", "consultant", "cashier"])
def test_other_roles_may_not_replace_the_link(client, request, make_order, role):
    order = make_order()
    old_token = order.portal_token
    client.force_login(request.getfixturevalue(role))

    response = client.post(replace_url(order), follow=True)

    assert response.redirect_chain == [(reverse("staff:order", args=[order.number]), 302)]
    assert "Your role does not allow replacing the customer" in response.content.decode()
    order.refresh_from_db()
    assert order.portal_token == old_token
    assert not order.events.filter(action="link_replaced").exists()


def test_get_is_not_allowed(client, receptionist, make_order):
    order = make_order()
    old_token = order.portal_token
    client.force_login(receptionist)
    assert client.get(replace_url(order)).status_code == 405
    order.refresh_from_db()
    assert order.portal_token == old_token


def test_anonymous_is_sent_to_login(client, make_order):
    order = make_order()
    old_token = order.portal_token
    response = client.post(replace_url(order))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    order.refresh_from_db()
    assert order.portal_token == old_token


def test_unknown_order_is_404(client, receptionist):
    client.force_login(receptionist)
    assert client.post(reverse("staff:replace_link", args=[999999])).status_code == 404
