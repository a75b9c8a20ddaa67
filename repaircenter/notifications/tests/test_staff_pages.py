"""The staff pages about messages, through the test client and the database: the calls to make
and what a caller records, the messages needing attention (send again, dealt with, add a call),
who may see them, the home page cards, the message history on the order page, and the manager's
template editor in the admin."""

import datetime
import html
import re
import zoneinfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.sites import site as admin_site
from django.urls import reverse
from django.utils import timezone

from repaircenter.conftest import flashes
from repaircenter.core.calendar import months_later
from repaircenter.customers.channels import CHANNELS
from repaircenter.notifications import delivery
from repaircenter.notifications.admin import MessageTemplateForm
from repaircenter.notifications.channels import DeliveryError
from repaircenter.notifications.default_templates import DEFAULTS
from repaircenter.notifications.models import DeliveryRecord, Message, MessageTemplate
from repaircenter.notifications.outbox import write_message
from repaircenter.orders.credentials import portal_url
from repaircenter.orders.models import Order, Status

pytestmark = pytest.mark.django_db

CALLS = reverse("notifications:calls")
ATTENTION = reverse("notifications:attention")
TEMPLATES = "/admin/notifications/messagetemplate/"
# The templates whose texts are counted in SMS segments: those of the SMS channel.
SEGMENTED_TEMPLATES = [pair for pair in DEFAULTS if CHANNELS[pair[1]].counts_segments]
LONDON = zoneinfo.ZoneInfo("Europe/London")
CALLED_NUMBER = "+442079460101"  # the `customer` fixture's phone

ERROR_OUTCOME = ("error", "Choose what happened on the call.")
ERROR_ALREADY_CALLED = ("error", "This call was already recorded by someone else.")
ERROR_NOT_FAILED = ("error", "This message is no longer failed; open the list again.")
ERROR_ALREADY_HANDLED = ("error", "This message was already dealt with.")
ERROR_NO_NOTE = ("error", "Say how the customer was told, or why not.")


class RefusingChannel:
    """An SMS provider that rejects the number for good."""

    def send(self, message):
        raise DeliveryError("422 invalid destination number", permanent=True)


REFUSING = f"{__name__}.RefusingChannel"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def prefers(customer):
    """Set the `customer` fixture's channels before make_order takes the order in."""

    def set_channels(*channels: str):
        customer.preferred_channels = list(channels)
        customer.save()
        return customer

    return set_channels


@pytest.fixture
def sms_refused(settings):
    settings.NOTIFICATION_CHANNELS = {**settings.NOTIFICATION_CHANNELS, "sms": REFUSING}


def as_user(client, user):
    client.force_login(user)
    return client


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces squeezed."""
    content = response.content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.DOTALL)
    content = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\s+", " ", html.unescape(content)).strip()


def element(response, element_id: str) -> str:
    """The HTML of the element with `element_id` up to its closing tag (articles, rows)."""
    content = response.content.decode()
    match = re.search(
        rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', content, re.DOTALL
    )
    assert match, f"no element #{element_id} on the page"
    return match.group(0)


def phone_message(order, event="order_received") -> Message:
    return Message.objects.get(order=order, event=event, channel="phone")


def kinds_and_outcomes(message: Message) -> list[tuple[str, str]]:
    return list(message.records.order_by("pk").values_list("kind", "outcome"))


def listed_calls(client) -> set[int]:
    response = client.get(CALLS)
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'id="call-(\d+)"', response.content.decode())}


def listed_failed(client) -> set[int]:
    response = client.get(ATTENTION)
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'id="message-(\d+)"', response.content.decode())}


def listed_unreached(client) -> set[int]:
    response = client.get(ATTENTION)
    assert response.status_code == 200
    return {int(n) for n in re.findall(r'id="order-(\d+)"', response.content.decode())}


def call(client, message: Message, outcome: str | None, note: str = ""):
    data = {"note": note}
    if outcome is not None:
        data["outcome"] = outcome
    return client.post(reverse("notifications:record_call", args=[message.pk]), data,
                       follow=True)


def frozen_now(monkeypatch, moment: datetime.datetime) -> None:
    """timezone.now() (which the worker and record_call read) returns `moment`."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def snapshot(message: Message) -> dict:
    fields = ["status", "attempt_count", "next_attempt_at", "delivered_at", "failed_at",
              "handled_at", "key", "last_answer"]
    row = Message.objects.values(*fields).get(pk=message.pk)
    row["records"] = message.records.count()
    return row


# --- calls to make -------------------------------------------------------------------------------


def test_a_phone_message_waits_in_calls_to_make_with_the_script_and_number(
    prefers, make_order, receptionist, client
):
    prefers("phone")
    order = make_order(Status.RECEIVED)
    message = phone_message(order)
    assert message.status == "queued"
    as_user(client, receptionist)
    assert listed_calls(client) == set()  # queued is not yet a call to make

    assert delivery.run_round() == 1

    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at is not None
    assert message.recipient == CALLED_NUMBER
    assert kinds_and_outcomes(message) == [("attempt", "sent")]
    response = client.get(CALLS)
    task = element(response, f"call-{message.pk}")
    assert f'href="tel:{CALLED_NUMBER}"' in task
    assert "020 7946 0101" in task  # shown as people dial it
    assert "Alice Brown" in task and order.display_number in task
    assert "Order received" in task
    # The script is the rendered phone template, not the template source.
    assert f"about order {order.display_number}" in html.unescape(task)
    assert "{{" not in task
    assert message.body.split(".")[0] in html.unescape(task)
    assert "attempt" not in task.split("</header>")[0]  # no badge on a first attempt
    assert "Calls to make (1)" in text_of(response)


def test_calls_to_make_lists_only_phone_messages_waiting_for_a_person(
    prefers, make_order, receptionist, client
):
    order = make_order(Status.RECEIVED)  # SMS first: the console delivers it
    delivery.run_round()
    sms = Message.objects.get(order=order)
    assert sms.status == "delivered"
    as_user(client, receptionist)
    response = client.get(CALLS)
    assert f"call-{sms.pk}" not in response.content.decode()
    assert "No calls to make." in text_of(response)


def test_reached_on_a_ready_notice_delivers_it_and_starts_six_months_of_storage(
    prefers, make_order, receptionist, client, settings, monkeypatch
):
    settings.TIME_ZONE = "Europe/London"
    prefers("phone")
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notice = phone_message(order, "ready_repaired")
    other_calls = set(
        Message.objects.filter(order=order).exclude(pk=notice.pk).values_list("pk", flat=True)
    )
    assert notice.status == "sent"
    as_user(client, receptionist)
    assert notice.pk in listed_calls(client)

    # 23:30 UTC on 31 August is already 1 September in London (summer time): six months on is
    # 1 March, in winter time; arithmetic in UTC would give 29 February.
    reached_at = datetime.datetime(2027, 8, 31, 23, 30, tzinfo=datetime.UTC)
    frozen_now(monkeypatch, reached_at)
    as_user(client, receptionist)  # a session that is valid at that moment
    response = call(client, notice, "reached", note="Will come on Friday")
    monkeypatch.undo()

    assert response.redirect_chain == [(CALLS, 302)]
    assert flashes(response) == [("success", f"Call recorded for {CALLED_NUMBER}.")]
    notice.refresh_from_db()
    assert notice.status == "delivered"
    assert notice.delivered_at == reached_at
    record = notice.records.get(kind="call")
    assert record.outcome == "delivered"
    assert record.by == receptionist
    assert record.answer == "Reached — Will come on Friday"
    order.refresh_from_db()
    assert order.customer_reached_at == reached_at
    assert order.storage_due == months_later(reached_at, 6)
    assert order.storage_due == datetime.datetime(2028, 3, 1, 0, 30, tzinfo=LONDON)
    started = order.events.get(action="storage_started")
    assert started.channel == "phone"
    assert CALLED_NUMBER in started.note
    # The call left the list; the order's other calls are still there.
    assert listed_calls(client) == other_calls


def test_reached_on_another_notice_does_not_start_storage(
    prefers, make_order, receptionist, client
):
    prefers("phone")
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    as_user(client, receptionist)

    call(client, phone_message(order, "estimate_ready"), "reached")

    assert phone_message(order, "estimate_ready").status == "delivered"
    order.refresh_from_db()
    assert order.customer_reached_at is None and order.storage_due is None


def test_no_answer_puts_the_call_back_until_its_retry_time(
    prefers, make_order, receptionist, client, settings, monkeypatch
):
    settings.CALL_RETRY_BASE = 1800
    prefers("phone")
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    message = phone_message(order)
    as_user(client, receptionist)

    before = timezone.now()
    response = call(client, message, "no_answer", note="Voicemail full")
    after = timezone.now()

    assert flashes(response) == [("success", f"Call recorded for {CALLED_NUMBER}.")]
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.last_answer == "No answer"
    retry_at = message.next_attempt_at
    assert before + datetime.timedelta(seconds=1800) <= retry_at
    assert retry_at <= after + datetime.timedelta(seconds=1800)
    record = message.records.get(kind="call")
    assert (record.outcome, record.by, record.answer) == (
        "retry", receptionist, "No answer — Voicemail full"
    )
    assert message.pk not in listed_calls(client)

    # The worker running before that time leaves it alone.
    assert delivery.run_round() == 0
    frozen_now(monkeypatch, retry_at - datetime.timedelta(seconds=1))
    assert delivery.run_round() == 0
    monkeypatch.undo()
    assert Message.objects.get(pk=message.pk).status == "queued"
    assert message.pk not in listed_calls(client)

    # After it, the call is back, as the second attempt.
    frozen_now(monkeypatch, retry_at + datetime.timedelta(seconds=1))
    assert delivery.run_round() == 1
    monkeypatch.undo()
    message.refresh_from_db()
    assert (message.status, message.attempt_count) == ("sent", 2)
    assert message.pk in listed_calls(client)
    task = element(client.get(CALLS), f"call-{message.pk}")
    assert "attempt 2" in task

    # A second "no answer" waits twice as long.
    before = timezone.now()
    call(client, message, "no_answer")
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.next_attempt_at >= before + datetime.timedelta(seconds=3600)
    assert message.next_attempt_at <= timezone.now() + datetime.timedelta(seconds=3600)


def test_no_answer_on_the_last_attempt_fails_the_call(
    prefers, make_order, receptionist, client, settings
):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    prefers("phone")
    order = make_order(Status.RECEIVED)
    message = phone_message(order)
    as_user(client, receptionist)

    for attempt in (1, 2, 3):
        Message.objects.filter(pk=message.pk).update(
            next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert delivery.run_round() == 1
        message.refresh_from_db()
        assert (message.status, message.attempt_count) == ("sent", attempt)
        call(client, message, "no_answer")
        message.refresh_from_db()
        assert message.status == ("failed" if attempt == 3 else "queued")

    assert message.failed_at is not None
    assert [o for k, o in kinds_and_outcomes(message) if k == "call"] == [
        "retry", "retry", "failed"
    ]
    # The customer has no other channel: nothing replaces it, and it needs attention.
    assert not Message.objects.filter(replaces=message).exists()
    assert message.pk not in listed_calls(client)
    assert message.pk in listed_failed(client)


def test_wrong_number_fails_the_call_and_the_next_channel_takes_over(
    prefers, make_order, receptionist, client
):
    prefers("phone", "sms")
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notice = phone_message(order, "ready_repaired")
    as_user(client, receptionist)

    response = call(client, notice, "wrong_number", note="A bakery answered")

    assert flashes(response) == [("success", f"Call recorded for {CALLED_NUMBER}.")]
    notice.refresh_from_db()
    assert notice.status == "failed" and notice.failed_at is not None
    assert notice.last_answer == "Wrong number"
    record = notice.records.get(kind="call")
    assert (record.outcome, record.by, record.answer) == (
        "failed", receptionist, "Wrong number — A bakery answered"
    )
    sms = Message.objects.get(replaces=notice)
    assert (sms.channel, sms.event, sms.status) == ("sms", "ready_repaired", "queued")
    assert sms.recipient == CALLED_NUMBER
    # Replaced by the SMS: not a message needing attention.
    assert notice.pk not in listed_failed(client)
    assert Order.objects.get(pk=order.pk).customer_reached_at is None

    delivery.run_round()  # the console delivers the SMS: storage starts from it
    sms.refresh_from_db()
    assert sms.status == "delivered"
    order.refresh_from_db()
    assert order.customer_reached_at == sms.delivered_at
    assert order.events.get(action="storage_started").channel == "sms"


@pytest.mark.parametrize("second", ["reached", "no_answer", "wrong_number"])
def test_a_second_answer_for_the_same_call_is_refused_and_changes_nothing(
    second, prefers, make_order, receptionist, consultant, client
):
    prefers("phone", "sms")
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notice = phone_message(order, "ready_repaired")
    as_user(client, receptionist)
    call(client, notice, "reached")
    before = snapshot(notice)
    storage_due = Order.objects.get(pk=order.pk).storage_due
    messages_before = Message.objects.count()

    # A double click, and a colleague who had the list open.
    for user in (receptionist, consultant):
        response = call(as_user(client, user), notice, second)
        assert flashes(response) == [ERROR_ALREADY_CALLED]

    assert snapshot(notice) == before
    assert notice.records.filter(kind="call").count() == 1
    assert Message.objects.count() == messages_before  # no fallback written
    assert Order.objects.get(pk=order.pk).storage_due == storage_due


def test_a_call_put_back_by_no_answer_cannot_be_answered_again_before_the_next_attempt(
    prefers, make_order, receptionist, client
):
    prefers("phone", "sms")
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    message = phone_message(order)
    as_user(client, receptionist)
    call(client, message, "no_answer")
    before = snapshot(message)

    for outcome in ("no_answer", "reached", "wrong_number"):
        assert flashes(call(client, message, outcome)) == [ERROR_ALREADY_CALLED]

    assert snapshot(message) == before
    assert not Message.objects.filter(replaces=message).exists()


@pytest.mark.parametrize("outcome", [None, "", "maybe", "Reached", "delivered"])
def test_a_missing_or_unknown_outcome_is_refused_and_changes_nothing(
    outcome, prefers, make_order, receptionist, client
):
    prefers("phone", "sms")
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notice = phone_message(order, "ready_repaired")
    before = snapshot(notice)
    messages_before = Message.objects.count()

    response = call(as_user(client, receptionist), notice, outcome, note="whatever")

    assert response.redirect_chain == [(CALLS, 302)]
    assert flashes(response) == [ERROR_OUTCOME]
    assert snapshot(notice) == before
    assert Message.objects.count() == messages_before
    assert Order.objects.get(pk=order.pk).customer_reached_at is None
    assert notice.pk in listed_calls(client)


def test_a_call_outcome_for_a_message_that_is_not_a_call_is_not_found(
    make_order, receptionist, client
):
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    sms = Message.objects.get(order=order)
    as_user(client, receptionist)
    for pk in (sms.pk, sms.pk + 1000):
        response = client.post(reverse("notifications:record_call", args=[pk]),
                               {"outcome": "reached"})
        assert response.status_code == 404
    assert Message.objects.get(pk=sms.pk).records.count() == 1


@pytest.mark.parametrize(
    "name", ["notifications:record_call", "notifications:requeue", "notifications:handled",
             "notifications:call_customer"]
)
def test_get_is_not_allowed_on_the_actions(name, make_order, receptionist, client):
    order = make_order(Status.READY_REPAIRED)
    message = Message.objects.get(order=order, event="ready_repaired")
    arg = order.number if name == "notifications:call_customer" else message.pk
    before = snapshot(message)

    response = as_user(client, receptionist).get(reverse(name, args=[arg]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert snapshot(message) == before
    assert Message.objects.filter(order=order, channel="phone").count() == 0


@pytest.mark.parametrize("url", [CALLS, ATTENTION])
def test_the_lists_cannot_be_posted_to(url, receptionist, client):
    assert as_user(client, receptionist).post(url).status_code == 405


# --- messages needing attention ------------------------------------------------------------------


@pytest.fixture
def failed_sms(sms_refused, prefers, make_order):
    """An SMS the provider refused, for a customer with no other channel."""
    prefers("sms")
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    message = Message.objects.get(order=order)
    assert message.status == "failed"
    return message


def test_failed_messages_not_handled_and_not_replaced_are_listed(
    failed_sms, prefers, make_order, receptionist, client
):
    # Another customer's failed SMS that email took over: not listed.
    prefers("sms", "email")
    replaced_order = make_order(Status.RECEIVED)
    delivery.run_round()
    replaced = Message.objects.get(order=replaced_order, channel="sms")
    assert replaced.status == "failed"
    assert Message.objects.get(replaces=replaced).status == "delivered"

    as_user(client, receptionist)
    response = client.get(ATTENTION)

    assert listed_failed(client) == {failed_sms.pk}
    row = html.unescape(element(response, f"message-{failed_sms.pk}"))
    assert failed_sms.order.display_number in row
    assert "Order received" in row
    assert "020 7946 0101" in row  # as people dial it
    assert "422 invalid destination number" in row
    assert "Send again" in row and "Dealt with" in row
    assert "Failed messages (1)" in text_of(response)


def test_send_again_queues_the_message_as_a_new_send(failed_sms, receptionist, client, settings):
    old_key = failed_sms.key
    assert failed_sms.attempt_count == 1
    as_user(client, receptionist)

    response = client.post(reverse("notifications:requeue", args=[failed_sms.pk]), follow=True)

    assert response.redirect_chain == [(ATTENTION, 302)]
    assert flashes(response) == [("success", "The message is queued to be sent again.")]
    failed_sms.refresh_from_db()
    assert failed_sms.status == "queued"
    assert failed_sms.key != old_key
    assert failed_sms.attempt_count == 0
    assert failed_sms.failed_at is None
    assert failed_sms.next_attempt_at <= timezone.now()
    record = failed_sms.records.get(kind="staff")
    assert (record.outcome, record.by) == ("requeued", receptionist)
    assert failed_sms.pk not in listed_failed(client)

    # A second click: refused, nothing changes.
    before = snapshot(failed_sms)
    again = client.post(reverse("notifications:requeue", args=[failed_sms.pk]), follow=True)
    assert flashes(again) == [ERROR_NOT_FAILED]
    assert snapshot(failed_sms) == before

    # The number was corrected at the provider: the worker sends it with the new key.
    settings.NOTIFICATION_CHANNELS = {**settings.NOTIFICATION_CHANNELS,
                                      "sms": settings.CHANNEL_CLASSES["console"]}
    assert delivery.run_round() == 1
    failed_sms.refresh_from_db()
    assert (failed_sms.status, failed_sms.attempt_count) == ("delivered", 1)


def test_send_again_after_the_address_is_corrected_goes_to_the_new_address(
    failed_sms, receptionist, client
):
    customer = failed_sms.customer
    customer.phone = "+442079460999"  # the right number, from the customer at the counter
    customer.save()
    as_user(client, receptionist)

    client.post(reverse("notifications:requeue", args=[failed_sms.pk]))

    failed_sms.refresh_from_db()
    assert failed_sms.status == "queued"
    assert failed_sms.recipient == "+442079460999"


def test_send_again_refuses_a_message_that_did_not_fail(make_order, receptionist, client):
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    delivered = Message.objects.get(order=order)
    before = snapshot(delivered)

    response = as_user(client, receptionist).post(
        reverse("notifications:requeue", args=[delivered.pk]), follow=True
    )

    assert flashes(response) == [ERROR_NOT_FAILED]
    assert snapshot(delivered) == before


@pytest.mark.parametrize("note", [None, "", "   "])
def test_dealt_with_needs_a_note(note, failed_sms, receptionist, client):
    as_user(client, receptionist)
    data = {} if note is None else {"note": note}
    before = snapshot(failed_sms)

    response = client.post(reverse("notifications:handled", args=[failed_sms.pk]), data,
                           follow=True)

    assert response.redirect_chain == [(ATTENTION, 302)]
    assert flashes(response) == [ERROR_NO_NOTE]
    assert snapshot(failed_sms) == before
    assert failed_sms.pk in listed_failed(client)


def test_dealt_with_takes_the_message_off_the_list_once(failed_sms, receptionist, manager,
                                                        client):
    as_user(client, receptionist)
    url = reverse("notifications:handled", args=[failed_sms.pk])

    response = client.post(url, {"note": "  Told her at the counter  "}, follow=True)

    assert flashes(response) == [("success", "Marked as dealt with.")]
    failed_sms.refresh_from_db()
    assert failed_sms.status == "failed"
    assert failed_sms.handled_at is not None and failed_sms.handled_by == receptionist
    record = failed_sms.records.get(kind="staff")
    assert (record.outcome, record.by, record.answer) == (
        "handled", receptionist, "Told her at the counter"
    )
    assert failed_sms.pk not in listed_failed(client)

    # Twice (or a colleague): refused, and no second record.
    before = snapshot(failed_sms)
    for user in (receptionist, manager):
        again = as_user(client, user).post(url, {"note": "Again"}, follow=True)
        assert flashes(again) == [ERROR_ALREADY_HANDLED]
    assert snapshot(failed_sms) == before
    assert Message.objects.get(pk=failed_sms.pk).handled_by == receptionist

    # Once dealt with, it cannot be sent again either.
    requeued = client.post(reverse("notifications:requeue", args=[failed_sms.pk]), follow=True)
    assert flashes(requeued) == [ERROR_NOT_FAILED]
    assert snapshot(failed_sms) == before


@pytest.mark.parametrize("status", [Status.READY_REPAIRED, Status.READY_UNREPAIRED])
def test_a_ready_order_whose_customer_was_not_reached_can_be_added_to_the_calls(
    status, sms_refused, prefers, make_order, receptionist, client
):
    prefers("sms")
    order = make_order(status)
    delivery.run_round()
    event = status  # the ready notice is named after the state
    assert Message.objects.get(order=order, event=event).status == "failed"
    as_user(client, receptionist)
    response = client.get(ATTENTION)
    row = html.unescape(element(response, f"order-{order.number}"))
    assert order.display_number in row and "Alice Brown" in row
    assert "Add to calls to make" in row
    url = reverse("notifications:call_customer", args=[order.number])

    response = client.post(url, follow=True)

    assert response.redirect_chain == [(ATTENTION, 302)]
    assert flashes(response) == [("success", "Added to the calls to make.")]
    [phone] = Message.objects.filter(order=order, channel="phone")
    assert (phone.event, phone.status, phone.recipient) == (event, "queued", CALLED_NUMBER)
    assert order.display_number in phone.body
    row = html.unescape(element(response, f"order-{order.number}"))
    assert "Call waiting" in row and "Add to calls to make" not in row

    # A second click: one call is enough.
    again = client.post(url, follow=True)
    assert flashes(again) == [("info", "A call to this customer is already waiting.")]
    assert Message.objects.filter(order=order, channel="phone").count() == 1

    # The worker puts it in the calls to make; reaching the customer ends the wait.
    delivery.run_round()
    assert phone.pk in listed_calls(client)
    call(client, phone, "reached")
    order.refresh_from_db()
    assert order.customer_reached_at is not None
    assert order.number not in listed_unreached(client)


def test_a_ready_order_whose_notice_was_delivered_is_not_listed(make_order, receptionist,
                                                                client):
    order = make_order(Status.READY_REPAIRED)
    as_user(client, receptionist)
    assert order.number in listed_unreached(client)  # the notice is still queued

    delivery.run_round()

    assert Order.objects.get(pk=order.pk).customer_reached_at is not None
    assert order.number not in listed_unreached(client)


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.REPAIRING, Status.ISSUED])
def test_add_to_calls_refuses_an_order_not_ready(status, make_order, receptionist, client):
    order = make_order(status)
    response = as_user(client, receptionist).post(
        reverse("notifications:call_customer", args=[order.number]), follow=True
    )
    assert flashes(response) == [("error", "Only an order ready for collection needs this call.")]
    assert not Message.objects.filter(order=order, channel="phone").exists()


def test_add_to_calls_for_an_unknown_order_is_not_found(receptionist, client):
    response = as_user(client, receptionist).post(
        reverse("notifications:call_customer", args=[999])
    )
    assert response.status_code == 404


def test_add_to_calls_refuses_an_order_whose_customer_was_reached_meanwhile(
    make_order, receptionist, client
):
    """The button shows only for unreached customers, but a page opened before the SMS was
    delivered still posts it: the customer would be called about news they already have."""
    order = make_order(Status.READY_REPAIRED)
    as_user(client, receptionist)
    assert order.number in listed_unreached(client)  # the page is opened now…
    delivery.run_round()  # …and the SMS reaches the customer meanwhile
    assert Order.objects.get(pk=order.pk).customer_reached_at is not None

    response = client.post(reverse("notifications:call_customer", args=[order.number]),
                           follow=True)

    assert not Message.objects.filter(order=order, channel="phone").exists()
    assert flashes(response)[0][0] in ("info", "error")


# --- who may see them ----------------------------------------------------------------------------


@pytest.fixture
def one_of_each(prefers, make_order, manager, settings):
    """A call to make, a failed message, and a ready order nobody reached."""
    prefers("phone")
    waiting = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    call_task = phone_message(waiting, "order_received")
    settings.NOTIFICATION_CHANNELS = {**settings.NOTIFICATION_CHANNELS, "sms": REFUSING}
    prefers("sms")
    failed_order = make_order(Status.RECEIVED)
    delivery.run_round()
    failed = Message.objects.get(order=failed_order)
    assert (call_task.status, failed.status) == ("sent", "failed")
    return {"call": call_task, "failed": failed, "ready": waiting}


def actions(objects) -> list[str]:
    return [
        reverse("notifications:record_call", args=[objects["call"].pk]),
        reverse("notifications:requeue", args=[objects["failed"].pk]),
        reverse("notifications:handled", args=[objects["failed"].pk]),
        reverse("notifications:call_customer", args=[objects["ready"].number]),
    ]


ACTION_DATA = {"outcome": "reached", "note": "x"}


@pytest.mark.parametrize("role", ["technician", "cashier"])
def test_technicians_and_cashiers_are_kept_out(role, one_of_each, users_by_role, client):
    as_user(client, users_by_role[role])
    before = {name: snapshot(m) for name, m in one_of_each.items() if name != "ready"}
    messages_before = Message.objects.count()

    for url in (CALLS, ATTENTION):
        assert client.get(url).status_code == 403, url
    for url in actions(one_of_each):
        assert client.post(url, ACTION_DATA).status_code == 403, url

    assert {name: snapshot(m) for name, m in one_of_each.items() if name != "ready"} == before
    assert Message.objects.count() == messages_before


def test_strangers_are_sent_to_log_in(one_of_each, client):
    before = {name: snapshot(m) for name, m in one_of_each.items() if name != "ready"}
    messages_before = Message.objects.count()
    login = reverse("login")

    for url in (CALLS, ATTENTION):
        response = client.get(url)
        assert response.status_code == 302 and response.url == f"{login}?next={url}"
    for url in actions(one_of_each):
        response = client.post(url, ACTION_DATA)
        assert response.status_code == 302 and response.url.startswith(f"{login}?next=")

    assert {name: snapshot(m) for name, m in one_of_each.items() if name != "ready"} == before
    assert Message.objects.count() == messages_before


@pytest.mark.parametrize("role", ["receptionist", "consultant", "manager"])
def test_callers_see_both_lists(role, one_of_each, users_by_role, client):
    as_user(client, users_by_role[role])
    assert one_of_each["call"].pk in listed_calls(client)
    assert one_of_each["failed"].pk in listed_failed(client)
    assert one_of_each["ready"].number in listed_unreached(client)


@pytest.mark.parametrize("role", ["receptionist", "consultant", "manager"])
def test_callers_may_act(role, one_of_each, users_by_role, client):
    user = users_by_role[role]
    as_user(client, user)
    call(client, one_of_each["call"], "reached")
    response = client.post(reverse("notifications:handled", args=[one_of_each["failed"].pk]),
                           {"note": "Told in person"}, follow=True)
    assert response.status_code == 200
    assert one_of_each["call"].records.get(kind="call").by == user
    assert Message.objects.get(pk=one_of_each["failed"].pk).handled_by == user


def home_cards(response) -> dict[str, str]:
    """The home page's cards: title → count."""
    content = response.content.decode()
    cards = re.findall(r'<span class="count">\s*(\d*)\s*</span>\s*([^<]+?)\s*</a>', content)
    return {title.strip(): count for count, title in cards}


@pytest.mark.parametrize("role", ["receptionist", "consultant", "manager"])
def test_home_shows_the_message_cards_to_callers(role, one_of_each, users_by_role, client):
    response = as_user(client, users_by_role[role]).get(reverse("staff:home"))
    assert response.status_code == 200
    cards = home_cards(response)
    calls = Message.objects.filter(channel="phone", status="sent").count()
    assert calls == 3  # the ready order's three notices, each a call
    assert cards["Calls to make"] == "3"
    assert cards["Messages needing attention"] == "1"  # the failed SMS…
    content = response.content.decode()
    assert "and 1 ready order whose customer was not reached" in content  # …and the order
    assert f'href="{CALLS}"' in content and f'href="{ATTENTION}"' in content


def test_home_shows_the_message_cards_with_nothing_to_do(receptionist, client):
    cards = home_cards(as_user(client, receptionist).get(reverse("staff:home")))
    assert cards["Calls to make"] == "0"
    assert cards["Messages needing attention"] == "0"
    assert "and 0 ready orders whose customer was not reached" in html.unescape(
        as_user(client, receptionist).get(reverse("staff:home")).content.decode()
    )


@pytest.mark.parametrize("role", ["technician", "cashier"])
def test_home_hides_the_message_cards_from_others(role, one_of_each, users_by_role, client):
    response = as_user(client, users_by_role[role]).get(reverse("staff:home"))
    assert response.status_code == 200
    cards = home_cards(response)
    assert cards  # the queue cards are there…
    assert "Calls to make" not in cards and "Messages needing attention" not in cards
    content = response.content.decode()
    assert CALLS not in content and ATTENTION not in content


# --- the order page ------------------------------------------------------------------------------


def test_the_order_page_shows_each_message_and_its_history(
    prefers, make_order, receptionist, client, settings
):
    settings.MESSAGE_MAX_ATTEMPTS = 6
    prefers("phone", "sms")
    order = make_order(Status.RECEIVED)
    as_user(client, receptionist)
    page = reverse("staff:order", args=[order.number])
    call_message = phone_message(order)

    row = text_of_row(client.get(page), call_message)
    assert "Queued" in row and "Send attempt" not in row

    delivery.run_round()
    call(client, call_message, "no_answer", note="Rang ten times")
    row = text_of_row(client.get(page), call_message)
    assert "Send attempt: Sent" in row
    assert "waiting in the calls to make" in row
    assert "Call: Failed, will retry (Rita) — No answer — Rang ten times" in row
    assert "next try" in row

    Message.objects.filter(pk=call_message.pk).update(next_attempt_at=timezone.now())
    delivery.run_round()
    call(client, call_message, "wrong_number")
    response = client.get(page)
    row = text_of_row(response, call_message)
    assert "Call: Failed (Rita) — Wrong number" in row
    assert row.count("Send attempt: Sent") == 2

    delivery.run_round()
    sms = Message.objects.get(replaces=call_message)
    sms_row = text_of_row(client.get(page), sms)
    assert "after the previous channel failed" in sms_row
    assert re.search(r"Delivered \d\d \w{3} [\d:]+ · Send attempt: Delivered", sms_row)
    assert "written to the log" in sms_row


def test_the_table_of_messages_is_drawn_again_only_when_a_message_changes(
    prefers, make_order, receptionist, client
):
    """The table is kept once drawn (staff/customer_messages.py): a later view does not read the
    delivery records; a new record, or any column a row shows changed (a state set by the
    worker's UPDATE, with no record), draws it again; each language has its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prefers("phone", "sms")
    order = make_order(Status.RECEIVED)
    as_user(client, receptionist)
    page = reverse("staff:order", args=[order.number])
    message = phone_message(order)
    assert "Queued" in text_of_row(client.get(page), message)

    def records_read() -> bool:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        # The records' own statement (the messages' one names them in its stamp only).
        return any(q["sql"].startswith('SELECT "notifications_deliveryrecord"."id"')
                   for q in queries.captured_queries)

    assert not records_read()  # kept: drawn from the messages' columns and records' stamps

    delivery.run_round()  # the call is handed to a person: a record
    assert records_read()
    assert "Send attempt: Sent" in text_of_row(client.get(page), message)
    assert not records_read()

    Message.objects.filter(pk=message.pk).update(status="failed")  # no record
    assert "Failed" in text_of_row(client.get(page), message)
    Message.objects.filter(pk=message.pk).update(body="Your equipment is with us, said again.")
    assert "said again" in text_of_row(client.get(page), message)

    receptionist.language = "ru"
    receptionist.save()
    russian = text_of_row(client.get(page), message)
    assert "Failed" not in russian and "Send attempt" not in russian
    receptionist.language = "en"
    receptionist.save()
    assert "Failed" in text_of_row(client.get(page), message)


def text_of_row(response, message: Message) -> str:
    row = element(response, f"message-{message.pk}")
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()


# --- the template editor in the admin ------------------------------------------------------------


@pytest.fixture
def admin_manager(manager):
    """The manager, with access to the admin (as the demo data and the setup give them)."""
    manager.is_staff = True
    manager.save()
    return manager


def template(event: str, channel: str) -> MessageTemplate:
    return MessageTemplate.objects.get(event=event, channel=channel)


def change_url(tpl: MessageTemplate) -> str:
    return f"{TEMPLATES}{tpl.pk}/change/"


def preview_text(response) -> str:
    content = response.content.decode()
    match = re.search(r'id="template-preview".*', content, re.DOTALL)
    assert match, "no preview on the page"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))))




def test_the_manager_sees_the_list_of_templates_with_sms_segment_counts(admin_manager, client):
    response = as_user(client, admin_manager).get(TEMPLATES)
    assert response.status_code == 200
    assert MessageTemplate.objects.count() == len(DEFAULTS)
    content = response.content.decode()
    sms = template("order_received", "sms")
    assert change_url(sms) in content
    cells = re.findall(r'<td class="field-sms_segments">(.*?)</td>', content)
    assert len(cells) == len(DEFAULTS)
    assert sum(cell.startswith("1 segment (GSM-7") for cell in cells) >= 7
    # Email and phone have no segments.
    assert cells.count("—") == len(DEFAULTS) - len(SEGMENTED_TEMPLATES)


def test_the_manager_opens_a_template_and_sees_the_preview_on_the_newest_order(
    admin_manager, make_order, client
):
    make_order(Status.RECEIVED)
    newest = make_order(Status.READY_REPAIRED)
    sms = template("ready_repaired", "sms")

    response = as_user(client, admin_manager).get(change_url(sms))

    assert response.status_code == 200
    preview = preview_text(response)
    assert f"As the customer of order {newest.display_number} would receive it:" in preview
    assert f"{newest.display_number}: your Phone Samsung Galaxy S23 is repaired." in preview
    assert "This text is 1 segment (GSM-7," in preview


@pytest.mark.parametrize("asked", ["R-000001", "1", "r-000001", "R-1"])
def test_the_preview_shows_the_order_asked_for(asked, admin_manager, make_order, client):
    first = make_order(Status.RECEIVED)
    make_order(Status.RECEIVED)
    response = as_user(client, admin_manager).get(
        change_url(template("order_received", "email")), {"order": asked}
    )
    assert response.status_code == 200
    preview = preview_text(response)
    assert f"As the customer of order {first.display_number} would receive it:" in preview
    assert "Thank you for leaving your Phone Samsung Galaxy S23 with us" in preview
    assert "SMS segment" not in preview  # email: no segment count
    assert 'id="sms-segments"' not in response.content.decode()


def test_the_segment_line_counts_two_segments_for_a_long_text(admin_manager, make_order,
                                                              client):
    make_order(Status.RECEIVED)
    sms = template("order_received", "sms")
    sms.body = "{{ order.number }} " + "x" * 180
    sms.save()
    response = as_user(client, admin_manager).get(change_url(sms))
    assert response.status_code == 200
    line = element(response, "sms-segments")
    assert "This text is 2 segments (GSM-7, 189 characters, 153 per segment)" in " ".join(
        line.split()
    )


def test_preview_renders_the_saved_text_on_the_order_asked_for_or_the_newest(
    admin_manager, make_order
):
    """The preview's logic, called directly."""
    first = make_order(Status.RECEIVED)
    newest = make_order(Status.RECEIVED)
    model_admin = admin_site._registry[MessageTemplate]
    sms = template("order_received", "sms")

    for asked, expected in [("", newest), ("R-000001", first), ("1", first), ("5", newest),
                            ("no number", newest), ("R-99999999999999999999999", newest)]:
        shown = model_admin.preview(sms, asked)
        assert shown["preview_order"] == expected, asked
        assert shown["preview"].body.startswith(
            f"Repair Center: we have your Phone Samsung Galaxy S23, order "
            f"{expected.display_number}."
        )
        assert expected.link_token in shown["preview"].body
        assert shown["segments"].count == 1 and shown["segments"].encoding == "GSM-7"

    sms.body = "{{ order.number }} " + "x" * 180
    sms.save()
    shown = model_admin.preview(sms, "")
    assert (shown["segments"].count, shown["segments"].units) == (2, 189)
    email = model_admin.preview(template("order_received", "email"), "")
    assert email["segments"] is None
    assert email["preview"].subject == (
        f"We have your Phone Samsung Galaxy S23: order {newest.display_number}"
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Order {{ order.number }} {% if order.link %}", "Text: Unclosed tag"),
        ("Order {{ order.number|shout }}", "Text: Invalid filter: 'shout'"),
        ("Call {{ order.customer.phone }} now", "Unknown names: order.customer.phone."),
        ("Your link: {{ order.link_token }}", "Unknown names: order.link_token."),
        ("{% include 'base.html' %}", "Text: base.html"),
        ("{% load static %}{% static 'x' %}", "Text: 'static' is not a registered tag library"),
    ],
)
def test_the_template_form_refuses_syntax_errors_and_unknown_names(body, problem, db):
    sms = template("order_received", "sms")
    form = MessageTemplateForm(data={"subject": "", "body": body}, instance=sms)
    assert not form.is_valid()
    errors = " ".join(form.non_field_errors())
    assert problem in errors


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Order {{ order.number }} {% if order.link %}", "Unclosed tag"),
        ("Call {{ order.customer.phone }} now", "Unknown names: order.customer.phone."),
        ("Your link: {{ order.link_token }}", "Unknown names: order.link_token."),
    ],
)
def test_saving_a_broken_template_is_refused_on_the_page(body, problem, admin_manager, client):
    sms = template("order_received", "sms")
    stored = sms.body
    client.raise_request_exception = False

    response = as_user(client, admin_manager).post(
        change_url(sms), {"subject": "", "body": body, "_continue": "Save"}
    )

    assert template("order_received", "sms").body == stored
    assert response.status_code == 200
    assert problem in html.unescape(response.content.decode())


def test_saving_a_broken_template_leaves_the_stored_text(admin_manager, client):
    """Whatever the page does with the error, the text is not saved."""
    sms = template("order_received", "sms")
    stored = sms.body
    client.raise_request_exception = False
    as_user(client, admin_manager)
    for body in ("{{ order.link_token }}", "{% if %}", "{{ order.customer.phone }}"):
        response = client.post(change_url(sms), {"subject": "", "body": body, "_save": "Save"})
        assert response.status_code != 302, body
        assert template("order_received", "sms").body == stored


def test_a_saved_edit_is_the_text_of_the_next_message(admin_manager, make_order, client):
    sms = template("order_received", "sms")
    body = "{{ center.name }}: order {{ order.number }} is in. Details: {{ order.link }}"

    response = as_user(client, admin_manager).post(
        change_url(sms), {"subject": "ignored for SMS", "body": body, "_save": "Save"}
    )

    assert response.status_code == 302 and response.url == TEMPLATES
    sms.refresh_from_db()
    assert sms.body == body
    order = make_order(Status.RECEIVED)
    message = Message.objects.get(order=order)
    assert message.template == sms
    assert message.body == (
        f"Repair Center: order {order.display_number} is in. Details: "
        f"{portal_url(order.link_token)}"
    )


def test_an_email_subject_is_checked_and_saved_too(admin_manager, make_order, client):
    email = template("order_received", "email")
    stored = (email.subject, email.body)
    client.raise_request_exception = False
    as_user(client, admin_manager)

    bad = client.post(change_url(email), {"subject": "{{ order.link_token }}",
                                           "body": email.body, "_save": "Save"})
    assert bad.status_code != 302
    email.refresh_from_db()
    assert (email.subject, email.body) == stored

    good = client.post(change_url(email), {"subject": "Order {{ order.number }} is in",
                                            "body": email.body, "_save": "Save"})
    assert good.status_code == 302
    order = make_order(Status.RECEIVED)
    # The customer prefers SMS: the email is written as the fallback would write it.
    message = write_message(order=order, event="order_received", channel="email")
    assert message.subject == f"Order {order.display_number} is in"


def test_templates_cannot_be_added_or_deleted(admin_manager, client):
    sms = template("order_received", "sms")
    as_user(client, admin_manager)
    assert client.get(f"{TEMPLATES}add/").status_code == 403
    assert client.post(f"{TEMPLATES}add/", {"subject": "", "body": "x"}).status_code == 403
    assert client.get(f"{TEMPLATES}{sms.pk}/delete/").status_code == 403
    assert client.post(f"{TEMPLATES}{sms.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.get(TEMPLATES)
    content = response.content.decode()
    assert f"{TEMPLATES}add/" not in content
    assert 'value="delete_selected"' not in content
    assert 'value="restore_defaults"' in content
    # Neither does the bulk delete action work when posted anyway.
    client.post(TEMPLATES, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [sms.pk],
                            "post": "yes"})
    assert MessageTemplate.objects.filter(pk=sms.pk).exists()
    assert MessageTemplate.objects.count() == len(DEFAULTS)


def test_restore_the_built_in_text(admin_manager, client):
    sms, email, untouched = (template("ready_repaired", "sms"),
                             template("ready_repaired", "email"),
                             template("order_received", "sms"))
    MessageTemplate.objects.filter(pk=sms.pk).update(body="Ready: {{ order.number }}")
    MessageTemplate.objects.filter(pk=email.pk).update(subject="Hi", body="Ready")
    MessageTemplate.objects.filter(pk=untouched.pk).update(body="Mine: {{ order.number }}")

    response = as_user(client, admin_manager).post(
        TEMPLATES, {"action": "restore_defaults", ACTION_CHECKBOX_NAME: [sms.pk, email.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Built-in text restored." in text_of(response)
    sms.refresh_from_db()
    email.refresh_from_db()
    assert sms.body == DEFAULTS[("ready_repaired", "sms")][1]
    assert (email.subject, email.body) == DEFAULTS[("ready_repaired", "email")]
    assert template("order_received", "sms").body == "Mine: {{ order.number }}"


def test_a_receptionist_cannot_reach_the_template_editor(receptionist, client):
    sms = template("order_received", "sms")
    stored = sms.body
    as_user(client, receptionist)

    # Not admin staff: sent to the admin's log-in.
    for url in (TEMPLATES, change_url(sms)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
    client.post(change_url(sms), {"subject": "", "body": "Hacked"})

    # Even flagged as staff by mistake, without the manager's permissions: refused.
    receptionist.is_staff = True
    receptionist.save()
    assert client.get(TEMPLATES).status_code == 403
    assert client.get(change_url(sms)).status_code == 403
    assert client.post(change_url(sms), {"subject": "", "body": "Hacked"}).status_code == 403
    client.post(TEMPLATES, {"action": "restore_defaults", ACTION_CHECKBOX_NAME: [sms.pk]})
    assert template("order_received", "sms").body == stored


def test_every_built_in_sms_text_fits_one_segment_on_the_sample_values(admin_manager, client):
    response = as_user(client, admin_manager).get(TEMPLATES)
    cells = re.findall(r'<td class="field-sms_segments">(.*?)</td>', response.content.decode())
    counts = [cell for cell in cells if cell != "—"]
    assert len(counts) == len(SEGMENTED_TEMPLATES)
    assert all(cell.startswith("1 segment ") for cell in counts), counts


def test_delivery_records_show_who_acted(failed_sms, receptionist, client):
    """The staff's records name the user; the worker's do not."""
    as_user(client, receptionist)
    client.post(reverse("notifications:requeue", args=[failed_sms.pk]))
    by = dict(
        DeliveryRecord.objects.filter(message=failed_sms).values_list("kind", "by")
    )
    assert by == {"attempt": None, "staff": receptionist.pk}
