"""The order look-up on the public site, /find/: the order number and the phone on the order send
the link again to that phone through the outbox. The page never shows the link, answers the
same whether anything matched, and stops scripts (honeypot, rate limit, a daily cap per order)."""

import pytest
from django.urls import reverse

from repaircenter.core import ratelimit
from repaircenter.customers.models import Customer
from repaircenter.notifications import delivery
from repaircenter.notifications.models import Message
from repaircenter.orders.credentials import portal_token_digest, portal_url
from repaircenter.orders.models import Order, Status

from .conftest import visible_text

pytestmark = pytest.mark.django_db

FIND = reverse("portal:lookup")
SENT = reverse("portal:lookup_sent")


@pytest.fixture
def order(make_order):
    return make_order(Status.AWAITING_DECISION)


@pytest.fixture
def one_window(monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)


def resent(order) -> list[Message]:
    return list(Message.objects.filter(order=order, event="link_resent"))


def ask(client, number, phone, *, website="", follow=False, **headers):
    data = {"number": number, "phone": phone, "website": website}
    return client.post(FIND, data, follow=follow, **headers)


@pytest.mark.parametrize("number_as_typed", ["R-000001", "r000001", "1", " R - 1 "])
@pytest.mark.parametrize("phone_as_typed", ["020 7946 0101", "+44 20 7946 0101", "02079460101"])
def test_a_match_sends_the_link_by_text_to_the_phone_on_the_order(
    client, order, number_as_typed, phone_as_typed
):
    response = ask(client, number_as_typed, phone_as_typed)
    assert response.status_code == 302 and response.url == SENT
    [message] = resent(order)
    assert (message.channel, message.recipient, message.status) == ("sms", "+442079460101",
                                                                      "queued")
    assert portal_url(order.link_token) in message.body
    assert order.display_number in message.body


def test_the_answer_is_the_same_whether_it_matched_or_not_and_never_shows_the_link(
    client, order, make_order
):
    other = Customer.objects.create(name="Bob Stone", phone="+442079460999")
    pages = []
    for number, phone in [
        ("R-000001", "020 7946 0101"),  # matches
        ("R-000001", "020 7946 0999"),  # a real customer's phone, but not this order's
        ("R-999999", "020 7946 0101"),  # no such order
    ]:
        response = ask(client, number, phone, follow=True)
        assert response.redirect_chain == [(SENT, 302)]
        pages.append(response)
    texts = {visible_text(page) for page in pages}
    assert len(texts) == 1
    assert "If the order number and the phone number match one of our orders" in texts.pop()
    for page in pages:
        assert order.link_token not in page.content.decode()
    assert len(resent(order)) == 1
    assert not Message.objects.filter(customer=other).exists()


def test_the_text_message_is_delivered_by_the_worker(client, order):
    ask(client, "R-000001", "020 7946 0101")
    delivery.run_round()
    [message] = resent(order)
    message.refresh_from_db()
    assert message.status == "delivered"  # the console channel counts it as delivered


def test_where_texts_are_switched_off_it_goes_by_email(client, order, settings):
    settings.NOTIFICATION_CHANNELS = {
        k: v for k, v in settings.NOTIFICATION_CHANNELS.items() if k != "sms"
    }
    ask(client, "R-000001", "020 7946 0101")
    [message] = resent(order)
    assert (message.channel, message.recipient) == ("email", "alice@example.com")


@pytest.mark.parametrize(("number", "phone", "error"), [
    ("", "020 7946 0101", "This field is required."),
    ("order one", "020 7946 0101", "Type the order number as printed"),
    ("R-000001", "12", "This is not a phone number we can send a text to"),
])
def test_bad_input_is_told_and_sends_nothing(client, order, number, phone, error):
    response = ask(client, number, phone)
    assert response.status_code == 400
    assert error in visible_text(response)
    assert resent(order) == []


def test_the_honeypot_stops_a_script_without_telling_it(client, order):
    response = ask(client, "R-000001", "020 7946 0101", website="http://spam.example")
    assert response.status_code == 302 and response.url == SENT
    assert resent(order) == []


def test_the_honeypot_field_is_hidden_from_people(client, db):
    page = client.get(FIND).content.decode()
    honeypot = page.split('<div class="hp" aria-hidden="true">', 1)[1].split("</div>", 1)[0]
    assert 'name="website"' in honeypot and 'tabindex="-1"' in honeypot


def test_too_many_look_ups_from_one_address_get_429(client, order, settings, one_window):
    settings.LOOKUPS_PER_HOUR = 3
    statuses = [ask(client, "R-000001", f"020 7946 02{n:02d}").status_code for n in range(3)]
    assert statuses == [302, 302, 302]
    refused = ask(client, "R-000001", "020 7946 0101")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert resent(order) == []  # the three guesses were wrong; the right one came too late
    assert ask(client, "R-000001", "020 7946 0101", REMOTE_ADDR="192.0.2.9").status_code == 302
    assert len(resent(order)) == 1


def test_one_order_gets_its_link_at_most_a_few_times_a_day(client, order, settings):
    settings.LINK_RESENDS_PER_DAY = 2
    for n in range(4):
        ask(client, "R-000001", "020 7946 0101", REMOTE_ADDR=f"192.0.2.{n + 1}")
    assert len(resent(order)) == 2


def test_the_look_up_page_explains_itself(client, db):
    text = visible_text(client.get(FIND))
    assert "Type the order number from your paper intake order" in text
    assert "we never show it on this page" in text


def test_an_order_whose_link_cannot_be_written_again_is_sent_a_new_one(client, order):
    """A link made before tokens were derived is kept only as a digest: asking for it sends a
    new link (the server cannot write the old one), which opens the order; the old one not."""
    old = "o" * 32
    Order.objects.filter(pk=order.pk).update(
        portal_nonce="", portal_token_digest=portal_token_digest(old),
        portal_token_prefix=old[:6])
    assert client.get(f"/o/{old}/").status_code == 200

    ask(client, order.number, "020 7946 0101")

    order.refresh_from_db()
    assert order.link_token and order.link_token != old
    [message] = resent(order)
    assert portal_url(order.link_token) in message.body
    assert order.events.filter(action="link_replaced", actor=None).count() == 1
    assert client.get(f"/o/{old}/").status_code == 404
    assert client.get(f"/o/{order.link_token}/").status_code == 200
