"""The customer's link: kept as a keyed digest, shown whole to staff only when it is made or
replaced (staff:replace_link), and revoked by its replacement."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from repaircenter.notifications.rendering import order_context
from repaircenter.orders.credentials import portal_token_digest, portal_url
from repaircenter.orders.models import Order

pytestmark = pytest.mark.django_db

URL_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,}$")


def replace_url(order) -> str:
    return reverse("staff:replace_link", args=[order.number])


def stored_row(order) -> str:
    """Every column of the order's row, as text."""
    return " ".join(str(v) for v in Order.objects.filter(pk=order.pk).values().get().values())


def test_the_database_keeps_no_working_link(make_order):
    order = make_order()
    token = order.link_token
    assert URL_SAFE_TOKEN.match(token)
    assert token not in stored_row(order)
    assert order.portal_token_digest == portal_token_digest(token)
    assert order.portal_token_prefix == token[:6]


@pytest.mark.parametrize("role", ["receptionist", "manager"])
def test_replacing_the_link_shows_the_new_one_once(client, request, make_order, role):
    order = make_order()
    old_token = order.link_token
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(replace_url(order))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    order.refresh_from_db()
    new_token = order.link_token
    assert new_token != old_token and URL_SAFE_TOKEN.match(new_token)
    assert new_token not in stored_row(order)
    event = order.events.get(action="link_replaced")
    assert event.actor == user
    assert event.from_status == event.to_status == order.status
    content = response.content.decode()
    assert "The old link no longer works." in content
    assert f'data-copy-link="{portal_url(new_token)}"' in content
    assert f'href="{portal_url(new_token)}"' in content
    # The new link opens the customer's page, the old one no longer does.
    client.logout()
    assert client.get(f"/o/{new_token}/").status_code == 200
    assert client.get(f"/o/{old_token}/").status_code == 404


def test_the_order_page_shows_only_the_first_characters(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)
    content = client.get(reverse("staff:order", args=[order.number])).content.decode()
    token = order.link_token
    assert f"/o/{token[:6]}…/" in content
    before, messages_and_after = content.split("Messages to the customer</h2>", 1)
    sent_texts, after = messages_and_after.split("</table>", 1)
    assert token not in before + after
    # The record of the message sent at intake still shows what the customer was sent.
    assert token in sent_texts


def test_the_center_copy_holds_no_link(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)
    content = client.get(reverse("staff:intake_order", args=[order.number])).content.decode()
    assert order.link_token not in content
    assert f"/o/{order.link_token[:6]}…/" in content


def test_each_replacement_is_a_different_token(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)
    tokens = {order.link_token}
    for _ in range(3):
        client.post(replace_url(order))
        order.refresh_from_db()
        tokens.add(order.link_token)
    assert len(tokens) == 4
    assert order.events.filter(action="link_replaced").count() == 3


@pytest.mark.parametrize("role", ["technician", "consultant", "cashier"])
def test_other_roles_may_not_replace_the_link(client, request, make_order, role):
    order = make_order()
    old_token = order.link_token
    client.force_login(request.getfixturevalue(role))

    response = client.post(replace_url(order), follow=True)

    assert response.redirect_chain == [(reverse("staff:order", args=[order.number]), 302)]
    content = response.content.decode()
    assert "Your role does not allow replacing the customer" in content
    assert old_token not in content.split("Messages to the customer</h2>", 1)[0]
    order.refresh_from_db()
    assert order.link_token == old_token
    assert not order.events.filter(action="link_replaced").exists()


def test_get_is_not_allowed(client, receptionist, make_order):
    order = make_order()
    old_token = order.link_token
    client.force_login(receptionist)
    assert client.get(replace_url(order)).status_code == 405
    order.refresh_from_db()
    assert order.link_token == old_token


def test_anonymous_is_sent_to_login(client, make_order):
    order = make_order()
    old_token = order.link_token
    response = client.post(replace_url(order))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    order.refresh_from_db()
    assert order.link_token == old_token


def test_unknown_order_is_404(client, receptionist):
    client.force_login(receptionist)
    assert client.post(reverse("staff:replace_link", args=[999999])).status_code == 404


def make_legacy(order, token: str) -> None:
    """An order whose link was made before tokens were derived: only its digest is known."""
    Order.objects.filter(pk=order.pk).update(
        portal_nonce="", portal_token_digest=portal_token_digest(token),
        portal_token_prefix=token[:6])


def test_an_old_link_still_opens_its_order(client, make_order):
    order = make_order()
    make_legacy(order, "x" * 32)
    assert client.get(f"/o/{'x' * 32}/").status_code == 200
    legacy = Order.objects.select_related("customer").get(pk=order.pk)
    assert legacy.link_token is None
    # Messages point such a customer to the look-up page, which sends a new link.
    assert order_context(legacy)["order"]["link"] == f"{settings.SITE_URL}/find/"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_hashes_the_links_already_made():
    """0011 takes the digest of every stored token: the links customers hold keep working."""
    executor = MigrationExecutor(connection)
    before, after = [("orders", "0010_channels_from_the_registry")], [
        ("orders", "0011_portal_link_digest")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        Customer = old.get_model("customers", "Customer")
        OldOrder = old.get_model("orders", "Order")
        customer = Customer.objects.create(name="Ann Old", phone="+447700900111")
        tokens = ["A" * 32, "b-" * 16]
        for number, token in enumerate(tokens, start=1):
            OldOrder.objects.create(number=number, customer=customer, status="received",
                                    received_at=timezone.now(), diagnosis_due=timezone.localdate(),
                                    portal_token=token)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("orders", "Order")
        rows = list(new.objects.order_by("number").values(
            "portal_token_digest", "portal_token_prefix", "portal_nonce"))
        assert rows == [{"portal_token_digest": portal_token_digest(t),
                         "portal_token_prefix": t[:6], "portal_nonce": ""} for t in tokens]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
