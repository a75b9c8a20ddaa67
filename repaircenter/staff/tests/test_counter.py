"""Small things met at the counter every day (issue 21, item 16): the order's number as printed
in staff URLs, the favicon, whole inbox rows that open their conversation."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from repaircenter.consult import services as consult
from repaircenter.orders.models import Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["{n}", "R-{p}", "r-{p}", "R{p}", "{p}"])
def test_staff_urls_accept_the_order_number_as_printed(client, receptionist, make_order, typed):
    order = make_order(Status.RECEIVED)
    client.force_login(receptionist)
    path = f"/staff/orders/{typed.format(n=order.number, p=f'{order.number:06d}')}/"
    response = client.get(path)
    assert response.status_code == 200
    assert order.display_number in response.content.decode()
    # And deeper pages, and an action, the same way.
    assert client.get(path + "intake-order/").status_code == 200
    assert client.post(path + "link/").status_code == 200


@pytest.mark.parametrize("path", ["X-000001", "R--1", "R-", "1R"])
def test_anything_else_is_not_an_order_url(client, receptionist, make_order, path):
    make_order(Status.RECEIVED)
    client.force_login(receptionist)
    assert client.get(f"/staff/orders/{path}/").status_code == 404


def test_links_keep_the_plain_number(make_order):
    order = make_order(Status.RECEIVED)
    assert reverse("staff:order", args=[order.number]) == f"/staff/orders/{order.number}/"


def test_staff_pages_have_a_favicon(client, receptionist, make_order):
    order = make_order(Status.RECEIVED)
    client.force_login(receptionist)
    for url in (reverse("staff:home"), reverse("staff:order", args=[order.number]),
                reverse("staff:label", args=[order.number])):
        assert 'rel="icon" href="/static/img/favicon.svg"' in client.get(url).content.decode()
    assert finders.find("img/favicon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/img/favicon.svg"


def test_each_inbox_row_is_one_link_covering_the_row(client, consultant):
    consult.ask(name="Sam Ortiz", phone="", email="sam@example.com", reply_channel="email",
                equipment="Laptop", question="Is it worth repairing?")
    client.force_login(consultant)
    content = client.get(reverse("consult:inbox")).content.decode()
    assert 'class="inbox-row waiting"' in content
    assert content.count('class="row-link"') == 1
