"""Email over SMTP against a real SMTP server on 127.0.0.1 (aiosmtpd, fixture smtp_server): what
the server receives, refused and deferred addresses, a server that is down, and the storage
period a delivered ready notice starts.

These tests are transactional: `run_round()` sends from a thread of its own, and the email
channel reads the center's contacts there on that thread's own database connection. Inside the
one transaction a plain django_db test runs in, that connection would find SQLite locked by the
test (and see none of its rows), and every send would fail.
"""

import datetime
import zoneinfo
from html.parser import HTMLParser

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from repaircenter.conftest import order_in_state, take_in
from repaircenter.customers.models import Customer
from repaircenter.notifications import delivery
from repaircenter.notifications.models import DeliveryRecord, Message, MessageTemplate
from repaircenter.orders.credentials import portal_url
from repaircenter.orders.models import Order, Status

from .conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ZOE_EMAIL = "zoe@example.com"
ZOE_PHONE = "+442079460155"


@pytest.fixture
def zoe(db):
    return Customer.objects.create(
        name="Zoë Brontë", phone=ZOE_PHONE, email=ZOE_EMAIL,
        preferred_channels=["email", "sms"],
    )


def email_of(order: Order, event: str = "order_received") -> Message:
    return Message.objects.get(order=order, event=event, channel="email")


def due_now(message: Message) -> None:
    """Skip the backoff wait: make the next attempt due."""
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def outcomes(message: Message) -> list[str]:
    return list(message.records.order_by("pk").values_list("outcome", flat=True))


def parts(parsed) -> tuple[str, str]:
    """The plain text and HTML parts of a received email, decoded."""
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


class HtmlSeen(HTMLParser):
    """The elements, links and text a mail client would show for an HTML part."""

    def __init__(self, source: str):
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text = ""
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))

    def handle_data(self, data):
        self.text += data


# --- a delivered email -------------------------------------------------------------------------


def test_the_order_received_email_reaches_the_server_as_sent(smtp_server, receptionist, zoe):
    order = take_in(receptionist, zoe).order
    message = email_of(order)
    assert Message.objects.filter(order=order).count() == 1  # email only: the first channel
    assert message.status == "queued" and message.recipient == ZOE_EMAIL

    assert delivery.run_round() == 1

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [ZOE_EMAIL]
    parsed = smtp_server.parsed()
    assert parsed["To"] == ZOE_EMAIL
    assert parsed["Subject"] == message.subject
    assert message.subject == f"We have your Phone Samsung Galaxy S23: order {order.display_number}"
    assert f"<{message.key}@" in parsed["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in parsed.iter_parts()]
    assert types == ["text/plain", "text/html"]

    plain_part = parsed.get_body(("plain",))
    assert plain_part.get_content_charset() == "utf-8"
    plain = plain_part.get_payload(decode=True).decode("utf-8")  # strict: raises if not UTF-8
    assert "Hello Zoë Brontë," in plain
    link = portal_url(order.link_token)
    assert link in plain.split()
    assert order.display_number in plain
    assert plain.replace("\r\n", "\n").strip() == message.body  # SMTP carries CRLF lines

    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.attempt_count == 1
    assert message.sent_at is not None and message.delivered_at is not None
    assert "accepted" in message.last_answer
    [record] = message.records.all()
    assert (record.kind, record.outcome) == (DeliveryRecord.Kind.ATTEMPT,
                                             DeliveryRecord.Outcome.DELIVERED)
    assert record.duration_ms is not None
    # An order_received notice starts no storage period.
    assert Order.objects.get(pk=order.pk).customer_reached_at is None


def test_a_non_ascii_subject_arrives_intact(smtp_server, receptionist, zoe):
    MessageTemplate.objects.filter(event="order_received", channel="email").update(
        subject="{{ customer.name }}, we have order {{ order.number }} — thank you"
    )
    order = take_in(receptionist, zoe).order
    delivery.run_round()
    assert email_of(order).status == "delivered"
    # Django folds a long encoded subject onto a continuation line; after unfolding the parser
    # keeps the folding space in front, which mail clients drop.
    subject = smtp_server.parsed()["Subject"].strip()
    assert subject == f"Zoë Brontë, we have order {order.display_number} — thank you"
    # On the wire the header is ASCII (RFC 2047 encoded words).
    raw_headers = smtp_server.envelopes[0].original_content.split(b"\r\n\r\n")[0]
    assert raw_headers.isascii()


def test_the_html_part_has_the_link_as_an_anchor(smtp_server, receptionist, zoe):
    order = take_in(receptionist, zoe).order
    delivery.run_round()
    _plain, html = parts(smtp_server.parsed())
    seen = HtmlSeen(html)
    link = portal_url(order.link_token)
    assert seen.hrefs == [link]
    assert seen.tags.count("p") > 3  # the paragraphs are elements, not text
    assert "<p>" not in seen.text and "<a" not in seen.text
    assert "Hello Zoë Brontë," in seen.text


def test_the_html_part_never_carries_markup_from_a_customer_name(smtp_server, receptionist):
    """Safety, whatever else is wrong with the HTML part: a name is never markup."""
    bold = Customer.objects.create(name="<b>Bold</b> & Co", phone="+442079460156",
                                   email="bold@example.com", preferred_channels=["email"])
    take_in(receptionist, bold)
    delivery.run_round()
    plain, html = parts(smtp_server.parsed())
    assert "Hello <b>Bold</b> & Co," in plain  # the text part is text: as typed
    assert "<b>" not in html
    assert "b" not in HtmlSeen(html).tags


def test_a_customer_name_with_markup_is_escaped_once_in_the_html_part(smtp_server,
                                                                        receptionist):
    bold = Customer.objects.create(name="<b>Bold</b> & Co", phone="+442079460156",
                                   email="bold@example.com", preferred_channels=["email"])
    take_in(receptionist, bold)
    delivery.run_round()
    _plain, html = parts(smtp_server.parsed())
    assert "Hello &lt;b&gt;Bold&lt;/b&gt; &amp; Co," in html
    # What the reader sees is the name as typed.
    assert "Hello <b>Bold</b> & Co," in HtmlSeen(html).text


# --- a refused address -------------------------------------------------------------------------


def test_a_refused_address_fails_at_once_and_the_sms_takes_over(smtp_server, receptionist, zoe):
    smtp_server.refuse.add(ZOE_EMAIL)
    order = take_in(receptionist, zoe).order
    message = email_of(order)

    delivery.run_round()

    assert smtp_server.envelopes == []  # nothing was accepted
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.failed_at is not None and message.delivered_at is None
    assert message.attempt_count == 1  # permanent: not tried again
    assert "550" in message.last_answer
    assert "No such mailbox" in message.last_answer
    assert outcomes(message) == ["failed"]

    fallback = Message.objects.get(replaces=message)
    assert (fallback.channel, fallback.event) == ("sms", "order_received")
    assert fallback.recipient == ZOE_PHONE
    assert fallback.subject == ""
    assert order.display_number in fallback.body
    assert portal_url(order.link_token) in fallback.body
    # It went out in the same round (the console SMS channel in tests).
    assert fallback.status == "delivered"
    # The failed email stays failed: the next round does not pick it up again.
    assert delivery.run_round() == 0
    message.refresh_from_db()
    assert message.status == "failed" and message.attempt_count == 1


def test_a_refused_address_without_another_channel_just_fails(smtp_server, receptionist):
    only_email = Customer.objects.create(name="Eve Only", phone="+442079460157",
                                         email="eve@example.com", preferred_channels=["email"])
    smtp_server.refuse.add("eve@example.com")
    order = take_in(receptionist, only_email).order
    delivery.run_round()
    message = email_of(order)
    assert message.status == "failed"
    assert not Message.objects.filter(replaces=message).exists()
    assert Message.objects.filter(order=order).count() == 1


# --- temporary failures ------------------------------------------------------------------------


def test_a_deferred_address_is_retried_with_backoff_then_falls_back(smtp_server, receptionist,
                                                                    zoe, settings):
    smtp_server.defer.add(ZOE_EMAIL)
    order = take_in(receptionist, zoe).order
    message = email_of(order)

    before = timezone.now()
    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.attempt_count == 1
    assert "451" in message.last_answer
    wait = (message.next_attempt_at - before).total_seconds()
    assert settings.MESSAGE_RETRY_BASE <= wait <= settings.MESSAGE_RETRY_BASE + 5
    assert not Message.objects.filter(replaces=message).exists()
    assert delivery.run_round() == 0  # not due yet

    for _ in range(settings.MESSAGE_MAX_ATTEMPTS - 1):
        due_now(message)
        delivery.run_round()
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempt_count == settings.MESSAGE_MAX_ATTEMPTS
    assert outcomes(message) == ["retry"] * (settings.MESSAGE_MAX_ATTEMPTS - 1) + ["failed"]
    fallback = Message.objects.get(replaces=message)
    assert (fallback.channel, fallback.event) == ("sms", "order_received")
    assert smtp_server.envelopes == []


def test_a_stopped_server_is_a_temporary_failure_and_the_retry_delivers(smtp_server,
                                                                        receptionist, zoe,
                                                                        settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    order = take_in(receptionist, zoe).order
    message = email_of(order)

    before = timezone.now()
    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.attempt_count == 1
    assert message.failed_at is None
    assert "unreachable" in message.last_answer
    wait = (message.next_attempt_at - before).total_seconds()
    assert settings.MESSAGE_RETRY_BASE <= wait <= settings.MESSAGE_RETRY_BASE + 5
    assert not Message.objects.filter(replaces=message).exists()  # no fallback yet
    assert delivery.run_round() == 0  # not due yet

    settings.EMAIL_PORT = smtp_server.port  # the server is back
    due_now(message)
    assert delivery.run_round() == 1
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.attempt_count == 2
    assert outcomes(message) == ["retry", "delivered"]
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [ZOE_EMAIL]
    assert f"<{message.key}@" in smtp_server.parsed()["Message-ID"]


def test_a_server_down_for_good_fails_after_the_last_attempt_and_falls_back(
    smtp_server, receptionist, zoe, settings
):
    settings.EMAIL_PORT = free_port()
    order = take_in(receptionist, zoe).order
    message = email_of(order)
    waits = []
    for _ in range(settings.MESSAGE_MAX_ATTEMPTS):
        started = timezone.now()
        delivery.run_round()
        message.refresh_from_db()
        if message.status == "queued":
            waits.append(round((message.next_attempt_at - started).total_seconds()))
            due_now(message)
    base = settings.MESSAGE_RETRY_BASE
    assert waits == [base * 2 ** n for n in range(settings.MESSAGE_MAX_ATTEMPTS - 1)]
    assert message.status == "failed" and message.failed_at is not None
    assert message.attempt_count == settings.MESSAGE_MAX_ATTEMPTS
    assert outcomes(message) == ["retry"] * (settings.MESSAGE_MAX_ATTEMPTS - 1) + ["failed"]
    fallback = Message.objects.get(replaces=message)
    assert (fallback.channel, fallback.event, fallback.recipient) == (
        "sms", "order_received", ZOE_PHONE)
    # Nothing more for the email.
    assert delivery.run_round() == 0


# --- the storage period ------------------------------------------------------------------------


def six_months_later_in_london(moment: datetime.datetime) -> datetime.datetime:
    zone = zoneinfo.ZoneInfo("Europe/London")
    local = moment.astimezone(zone).replace(tzinfo=None)
    return (local + relativedelta(months=6)).replace(tzinfo=zone)


def ready_order_for(customer, receptionist, technician, manager) -> Order:
    return order_in_state(Status.READY_REPAIRED, customer=customer, receptionist=receptionist,
                          technician=technician, manager=manager)


def test_a_delivered_ready_email_starts_the_storage_period(smtp_server, receptionist,
                                                           technician, manager, zoe):
    order = ready_order_for(zoe, receptionist, technician, manager)
    assert Order.objects.get(pk=order.pk).storage_due is None

    delivery.run_round()

    notice = email_of(order, "ready_repaired")
    assert notice.status == "delivered"
    assert "is repaired" in smtp_server.parsed(-1)["Subject"]
    order.refresh_from_db()
    assert order.customer_reached_at == notice.delivered_at
    assert order.storage_due == six_months_later_in_london(notice.delivered_at)
    event = order.events.get(action="storage_started")
    assert event.channel == "email"
    assert ZOE_EMAIL in event.note


def test_a_refused_ready_email_starts_no_storage_period(smtp_server, receptionist, technician,
                                                        manager):
    only_email = Customer.objects.create(name="Eve Only", phone="+442079460157",
                                         email="eve@example.com", preferred_channels=["email"])
    smtp_server.refuse.add("eve@example.com")
    order = ready_order_for(only_email, receptionist, technician, manager)

    delivery.run_round()

    notice = email_of(order, "ready_repaired")
    assert notice.status == "failed"
    order.refresh_from_db()
    assert order.storage_due is None
    assert order.customer_reached_at is None
    assert not order.events.filter(action="storage_started").exists()


def test_after_a_refused_ready_email_storage_starts_when_the_sms_reaches_the_customer(
    smtp_server, receptionist, technician, manager, zoe
):
    smtp_server.refuse.add(ZOE_EMAIL)
    order = ready_order_for(zoe, receptionist, technician, manager)

    delivery.run_round()

    email = email_of(order, "ready_repaired")
    sms = Message.objects.get(replaces=email)
    assert email.status == "failed" and sms.status == "delivered"
    order.refresh_from_db()
    assert order.customer_reached_at == sms.delivered_at
    assert order.storage_due == six_months_later_in_london(sms.delivered_at)
    assert order.events.get(action="storage_started").channel == "sms"
