"""SMS through the HTTP provider, against a stand-in provider on 127.0.0.1: the request it gets,
retries, a timeout, a rejected number, and the signed delivery reports."""

import datetime
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from repaircenter.core.calendar import months_later
from repaircenter.customers.models import Customer
from repaircenter.notifications import delivery
from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.notifications.testing import signed_report
from repaircenter.orders.models import Order, Status

from .conftest import REPORT_SECRET

pytestmark = pytest.mark.django_db

REPORT_URL = "/hooks/sms/report/"


def sms_of(order, event="order_received") -> Message:
    return Message.objects.get(order=order, event=event, channel="sms")


def due_now(message: Message) -> None:
    """Skip the backoff wait: make the next attempt due."""
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def outcomes(message: Message) -> list[str]:
    return list(message.records.order_by("pk").values_list("outcome", flat=True))


def post_report(client, report: dict, *, secret=REPORT_SECRET, at=None, header=True):
    body, signature = signed_report(secret, report, at=at)
    extra = {"HTTP_X_SIGNATURE": signature} if header else {}
    return client.post(REPORT_URL, body, content_type="application/json", **extra)


def test_the_provider_gets_the_number_the_text_the_token_and_a_stable_key(
    sms_provider, make_order, settings
):
    order = make_order(Status.RECEIVED)
    message = sms_of(order)

    assert delivery.run_round() == 1

    message.refresh_from_db()
    assert message.status == "sent"  # handed over; delivered comes with the report
    assert message.provider_ref == "sms-1"
    assert message.sent_at is not None and message.delivered_at is None
    assert outcomes(message) == ["sent"]
    [request] = sms_provider.requests
    assert request["headers"]["Authorization"] == "Bearer provider-token"
    assert request["headers"]["Idempotency-Key"] == str(message.key)
    payload = request["payload"]
    assert payload["to"] == "+442079460101"  # E.164
    assert payload["text"] == message.body and order.display_number in payload["text"]
    assert payload["reference"] == str(message.key)
    assert payload["report_url"] == settings.SITE_URL + REPORT_URL
    # Sent is not reached: the storage clock does not start on a handed-over SMS.
    assert Order.objects.get(pk=order.pk).customer_reached_at is None


def test_a_server_error_is_retried_later_and_then_succeeds(sms_provider, make_order, settings):
    order = make_order(Status.RECEIVED)
    message = sms_of(order)
    sms_provider.plan.append(500)

    before = timezone.now()
    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.attempt_count == 1
    assert "HTTP 500" in message.last_answer
    wait = message.next_attempt_at - before
    assert settings.MESSAGE_RETRY_BASE <= wait.total_seconds() <= settings.MESSAGE_RETRY_BASE + 5
    # Not due yet: the next round leaves it alone.
    assert delivery.run_round() == 0

    due_now(message)
    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempt_count == 2
    assert outcomes(message) == ["retry", "sent"]
    assert len(sms_provider.requests) == 2
    assert len(sms_provider.accepted) == 1


def test_backoff_doubles_and_gives_up_after_the_last_attempt(sms_provider, make_order,
                                                             settings):
    settings.MESSAGE_MAX_ATTEMPTS = 3
    order = make_order(Status.RECEIVED)
    message = sms_of(order)
    sms_provider.plan.extend([503, 503, 503])
    waits = []
    for _ in range(3):
        started = timezone.now()
        delivery.run_round()
        message.refresh_from_db()
        if message.status == "queued":
            waits.append(round((message.next_attempt_at - started).total_seconds()))
            due_now(message)
    assert waits == [settings.MESSAGE_RETRY_BASE, 2 * settings.MESSAGE_RETRY_BASE]
    assert message.status == "failed"
    assert outcomes(message) == ["retry", "retry", "failed"]
    # The customer's next channel (email, the console here) carries the news instead, in the
    # same round.
    fallback = Message.objects.get(replaces=message)
    assert (fallback.channel, fallback.event, fallback.status) == ("email", "order_received",
                                                                    "delivered")


def test_a_timeout_is_retried_with_the_same_key_and_the_provider_sends_once(
    sms_provider, make_order
):
    order = make_order(Status.RECEIVED)
    message = sms_of(order)
    sms_provider.plan.append("hang")  # answers after 3 s; the channel waits 1 s

    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "queued"
    assert "no answer from the provider" in message.last_answer
    assert outcomes(message) == ["retry"]

    time.sleep(sms_provider.hang_seconds)  # the provider went on and sent it meanwhile
    due_now(message)
    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "sent"
    keys = [r["headers"]["Idempotency-Key"] for r in sms_provider.requests]
    assert keys == [str(message.key)] * 2
    assert len(sms_provider.accepted) == 1  # one SMS reached the phone network


def test_a_rejected_number_fails_at_once_and_the_next_channel_takes_over(
    sms_provider, make_order, customer
):
    order = make_order(Status.RECEIVED)
    message = sms_of(order)
    sms_provider.plan.append(422)

    delivery.run_round()

    message.refresh_from_db()
    assert message.status == "failed" and message.failed_at is not None
    assert message.attempt_count == 1  # permanent: no retries
    assert "HTTP 422" in message.last_answer
    fallback = Message.objects.get(replaces=message)
    assert (fallback.channel, fallback.recipient) == ("email", customer.email)
    assert fallback.subject and order.display_number in fallback.subject
    # The email went in the same round (console channel here): the customer is told.
    fallback.refresh_from_db()
    assert fallback.status == "delivered"


def test_without_another_channel_a_rejected_message_just_fails(sms_provider, receptionist):
    from repaircenter.conftest import take_in

    only_sms = Customer.objects.create(name="Dan Ash", phone="+442079460177",
                                       preferred_channels=["sms"])
    order = take_in(receptionist, only_sms).order
    sms_provider.plan.append(400)
    delivery.run_round()
    message = sms_of(order)
    assert message.status == "failed"
    assert not Message.objects.filter(replaces=message).exists()


def test_a_bad_token_is_not_a_reason_to_give_up_on_the_customer(sms_provider, make_order,
                                                                settings):
    settings.SMS_API_TOKEN = "wrong"
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    message = sms_of(order)
    assert message.status == "queued"  # 401: our configuration, retried after it is fixed
    assert "HTTP 401" in message.last_answer


def test_an_unreachable_provider_is_a_temporary_failure(sms_provider, make_order, settings):
    from .conftest import free_port

    settings.SMS_API_URL = f"http://127.0.0.1:{free_port()}/messages"
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    message = sms_of(order)
    assert message.status == "queued"
    assert "provider unreachable" in message.last_answer


# --- delivery reports -------------------------------------------------------------------------


def test_a_delivery_report_marks_a_ready_notice_delivered_and_starts_storage(
    sms_provider, make_order, client
):
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notice = sms_of(order, "ready_repaired")
    assert notice.status == "sent"
    assert Order.objects.get(pk=order.pk).storage_due is None

    response = post_report(client, {"reference": str(notice.key), "status": "delivered"})

    assert response.status_code == 200
    assert response.json() == {"result": "delivered"}
    notice.refresh_from_db()
    assert notice.status == "delivered" and notice.delivered_at is not None
    assert outcomes(notice) == ["sent", "delivered"]
    order.refresh_from_db()
    assert order.customer_reached_at == notice.delivered_at
    assert order.storage_due == months_later(notice.delivered_at, 6)
    event = order.events.get(action="storage_started")
    assert event.channel == "sms"

    # The provider repeats the report: nothing changes.
    again = post_report(client, {"reference": str(notice.key), "status": "delivered"})
    assert again.status_code == 200 and again.json() == {"result": "noted"}
    assert Order.objects.get(pk=order.pk).storage_due == order.storage_due


def test_storage_starts_at_the_first_delivered_notice_not_at_a_failed_one(
    sms_provider, make_order, client
):
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    sms = sms_of(order, "ready_repaired")

    # The network could not deliver the SMS: it fails, and email (console here) takes over.
    failed = post_report(client, {"reference": str(sms.key), "status": "undeliverable",
                                  "error": "absent subscriber"})
    assert failed.json() == {"result": "failed"}
    sms.refresh_from_db()
    assert sms.status == "failed" and "absent subscriber" in sms.last_answer
    assert Order.objects.get(pk=order.pk).storage_due is None  # a failed notice starts nothing

    time.sleep(0.01)
    delivery.run_round()  # the email fallback is delivered
    email = Message.objects.get(replaces=sms)
    assert email.status == "delivered"
    order.refresh_from_db()
    assert order.customer_reached_at == email.delivered_at > sms.failed_at
    assert order.storage_due == months_later(email.delivered_at, 6)

    # A later notice that reaches the customer does not move the deadline.
    later = Message.objects.create(order=order, customer=order.customer, event="ready_repaired",
                                   channel="sms", recipient=str(order.customer.phone), body="x")
    delivery.run_round()
    post_report(client, {"reference": str(later.key), "status": "delivered"})
    assert Order.objects.get(pk=order.pk).storage_due == order.storage_due


def test_a_report_that_overtakes_the_worker_is_not_overwritten(sms_provider, make_order, client):
    order = make_order(Status.RECEIVED)
    claim, [message] = delivery.claim_due()
    # The provider reports delivery before the worker has written "sent".
    assert post_report(client, {"reference": str(message.key), "status": "delivered"}
                       ).json() == {"result": "delivered"}
    delivery.deliver(message, claim)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert outcomes(message) == ["delivered", "sent"]
    assert order.pk == message.order_id


@pytest.mark.parametrize(
    "case",
    ["no-header", "wrong-secret", "stale", "future", "tampered", "no-secret-configured"],
)
def test_forged_reports_are_refused_and_change_nothing(case, sms_provider, make_order, client,
                                                      settings):
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notice = sms_of(order, "ready_repaired")
    report = {"reference": str(notice.key), "status": "delivered"}
    now = int(time.time())
    if case == "no-header":
        response = post_report(client, report, header=False)
    elif case == "wrong-secret":
        response = post_report(client, report, secret="guessed")
    elif case == "stale":
        response = post_report(client, report, at=now - 301)  # a replay of an old report
    elif case == "future":
        response = post_report(client, report, at=now + 301)
    elif case == "tampered":
        body, signature = signed_report(REPORT_SECRET, {**report, "status": "failed"})
        response = client.post(REPORT_URL, json.dumps(report), content_type="application/json",
                               HTTP_X_SIGNATURE=signature)
        assert body != json.dumps(report).encode()
    else:
        settings.SMS_REPORT_SECRET = ""
        response = post_report(client, report, secret="")
    assert response.status_code == 403
    assert response.json() == {"error": "bad or missing signature"}
    notice.refresh_from_db()
    assert notice.status == "sent"
    assert Order.objects.get(pk=order.pk).storage_due is None
    assert not notice.records.filter(kind=DeliveryRecord.Kind.REPORT).exists()


def test_malformed_and_unknown_reports(sms_provider, make_order, client):
    order = make_order(Status.RECEIVED)
    delivery.run_round()
    message = sms_of(order)
    # Signed, but not the JSON we expect.
    body, signature = b"not json", None
    _, signature = signed_report(REPORT_SECRET, {})
    at = signature.split(",")[0][2:]
    import hashlib
    import hmac

    digest = hmac.new(REPORT_SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256)
    bad = client.post(REPORT_URL, body, content_type="application/json",
                      HTTP_X_SIGNATURE=f"t={at},v1={digest.hexdigest()}")
    assert bad.status_code == 400
    assert post_report(client, {"status": "delivered"}).status_code == 400
    assert post_report(client, {"reference": "not-a-key", "status": "delivered"}
                       ).status_code == 404
    other = "00000000-0000-4000-8000-000000000000"
    assert post_report(client, {"reference": other, "status": "delivered"}).status_code == 404
    # A status that is neither delivered nor failed is noted in the history only.
    noted = post_report(client, {"reference": str(message.key), "status": "buffered"})
    assert noted.json() == {"result": "noted"}
    message.refresh_from_db()
    assert message.status == "sent"
    assert client.get(REPORT_URL).status_code == 405


def test_reports_are_rate_limited_per_address(client, settings, monkeypatch):
    settings.SMS_REPORT_SECRET = REPORT_SECRET
    # All 601 requests in one minute's window, even if the test runs across a minute's end.
    from repaircenter.core import ratelimit

    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    statuses = [
        client.post(REPORT_URL, b"{}", content_type="application/json").status_code
        for _ in range(601)
    ]
    assert statuses[:600] == [403] * 600
    assert statuses[600] == 429
    # Another address is not affected.
    other = client.post(REPORT_URL, b"{}", content_type="application/json",
                        REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 403


def test_the_report_url_is_the_one_the_channel_announces():
    assert reverse("sms_report") == REPORT_URL
