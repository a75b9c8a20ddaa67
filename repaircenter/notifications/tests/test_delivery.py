"""The worker's bookkeeping: claims, leases, releases, what it logs, and what it does when a
channel misbehaves. The channels themselves are tested against real servers in test_sms.py and
test_email.py."""

import datetime
import logging
import threading
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from repaircenter.customers.models import Customer
from repaircenter.notifications import delivery, outbox
from repaircenter.notifications.channels import DeliveryError, Receipt
from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.orders.models import Status

pytestmark = pytest.mark.django_db


class ExplodingChannel:
    """A channel with a bug: it raises something that is not a DeliveryError."""

    def send(self, message):
        raise RuntimeError("bug in the channel")


def queued(make_order, count: int) -> list[Message]:
    orders = [make_order(Status.RECEIVED) for _ in range(count)]
    return [Message.objects.get(order=order) for order in orders]


def test_two_claims_never_share_a_message(make_order, settings):
    settings.MESSAGE_BATCH = 3
    messages = queued(make_order, 5)
    first_claim, first = delivery.claim_due()
    second_claim, second = delivery.claim_due()
    third_claim, third = delivery.claim_due()

    assert [m.pk for m in first] == [m.pk for m in messages[:3]]  # oldest first
    assert [m.pk for m in second] == [m.pk for m in messages[3:]]
    assert third == []
    assert first_claim != second_claim
    for message in first + second:
        assert message.status == "sending"
        assert message.attempt_count == 1
        assert message.lease_until > timezone.now()


def test_a_message_not_due_yet_is_left_alone(make_order):
    [message] = queued(make_order, 1)
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert delivery.claim_due()[1] == []
    assert delivery.run_round() == 0


def test_an_abandoned_send_is_taken_over_after_its_lease_and_the_late_worker_changes_nothing(
    make_order,
):
    [message] = queued(make_order, 1)
    stale_claim, [held] = delivery.claim_due()
    # Its worker stopped answering; the lease runs out.
    assert delivery.claim_due()[1] == []  # not before
    Message.objects.filter(pk=message.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    fresh_claim, [taken] = delivery.claim_due()
    assert taken.pk == message.pk and taken.attempt_count == 2

    delivery.deliver(taken, fresh_claim)
    # The first worker wakes up and finishes its send: it records its attempt, but the status
    # and times belong to the worker that holds the message now.
    delivered_at = Message.objects.get(pk=message.pk).delivered_at
    delivery.deliver(held, stale_claim)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.delivered_at == delivered_at
    assert message.records.count() == 2


STOP = threading.Event()


class StopRequestedDuringSend:
    """A console-like channel during whose first send SIGTERM arrives."""

    def send(self, message):
        STOP.set()
        return Receipt(delivered=True, answer="ok")


def test_a_stopping_worker_gives_back_what_it_has_not_sent(make_order, settings):
    settings.MESSAGE_BATCH = 10
    settings.NOTIFICATION_CHANNELS = {
        **settings.NOTIFICATION_CHANNELS,
        "sms": "repaircenter.notifications.tests.test_delivery.StopRequestedDuringSend",
    }
    settings.MESSAGE_SEND_CONCURRENCY = 2
    messages = queued(make_order, 6)
    STOP.clear()
    handled = delivery.run_round(STOP)
    # The sends under way when the signal came are finished (at most two at once here); the
    # rest go back to the queue.
    assert handled in (1, 2, 3)
    states = [(m.status, m.attempt_count, m.claim) for m in Message.objects.order_by("pk")]
    assert states[:handled] == [("delivered", 1, "")] * handled
    assert states[handled:] == [("queued", 0, "")] * (6 - handled)
    assert len(messages) == 6


def test_a_channel_bug_is_logged_and_retried_not_lost(make_order, settings, caplog):
    settings.NOTIFICATION_CHANNELS = {
        **settings.NOTIFICATION_CHANNELS,
        "sms": "repaircenter.notifications.tests.test_delivery.ExplodingChannel",
    }
    [message] = queued(make_order, 1)
    with caplog.at_level(logging.INFO, logger="repaircenter.worker"):
        assert delivery.run_round() == 1
    message.refresh_from_db()
    assert message.status == "queued"
    assert "bug in the channel" in message.last_answer
    assert message.next_attempt_at > timezone.now()
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


def test_a_channel_switched_off_after_queueing_fails_over_to_the_next(make_order, settings):
    [message] = queued(make_order, 1)  # sms, then email
    settings.NOTIFICATION_CHANNELS = {
        k: v for k, v in settings.NOTIFICATION_CHANNELS.items() if k != "sms"
    }
    delivery.run_round()
    message.refresh_from_db()
    assert message.status == "failed"
    assert "switched off" in message.last_answer
    assert Message.objects.get(replaces=message).status == "delivered"


def test_the_outbox_skips_switched_off_channels_and_customers_without_an_address(
    make_order, settings, receptionist
):
    from repaircenter.conftest import take_in

    settings.NOTIFICATION_CHANNELS = {
        k: v for k, v in settings.NOTIFICATION_CHANNELS.items() if k != "sms"
    }
    order = make_order(Status.RECEIVED)  # prefers sms, then email
    assert order.messages.get().channel == "email"

    no_email = Customer.objects.create(name="Eve Stone", phone="+442079460188",
                                       preferred_channels=["sms", "email"])
    assert not take_in(receptionist, no_email).order.messages.exists()


def test_the_fallback_never_goes_back_to_a_channel_already_tried(make_order, settings):
    [message] = queued(make_order, 1)
    Message.objects.filter(pk=message.pk).update(status="failed")
    email = outbox.queue_next_channel(message)
    assert email.channel == "email" and email.replaces == message
    Message.objects.filter(pk=email.pk).update(status="failed")
    assert outbox.queue_next_channel(Message.objects.get(pk=email.pk)) is None


def test_the_worker_logs_one_line_per_send(make_order, caplog):
    queued(make_order, 3)
    with caplog.at_level(logging.INFO, logger="repaircenter.worker"):
        call_command("worker", "--once")
    sends = [r.getMessage() for r in caplog.records if r.getMessage().startswith("send message")]
    assert len(sends) == 3
    for line in sends:
        assert "sms order_received to +442…101 (R-0000" in line
        assert ": delivered in " in line
        assert "+442079460101" not in line  # the log does not carry the whole number


class RejectsEveryThird:
    """A provider that takes messages (no delivery report yet) but turns away, for now, every
    message whose id is a multiple of three."""

    def send(self, message):
        if message.pk % 3 == 0:
            raise DeliveryError("HTTP 503 busy")
        return Receipt(delivered=False, answer="HTTP 202 queued", provider_ref=f"p{message.pk}")


# Transactional: outside a transaction block, PostgreSQL writes the plain sends in a pipeline.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_plain_sends_are_written_together_and_in_order_around_a_failure(make_order, settings):
    settings.NOTIFICATION_CHANNELS = {
        **settings.NOTIFICATION_CHANNELS,
        "sms": "repaircenter.notifications.tests.test_delivery.RejectsEveryThird",
    }
    settings.MESSAGE_SEND_CONCURRENCY = 2
    messages = queued(make_order, 8)
    assert delivery.run_round() == 8
    for message in messages:
        message.refresh_from_db()
        [line] = message.records.all()
        if message.pk % 3 == 0:
            assert (message.status, line.outcome) == ("queued", "retry")
        else:
            assert (message.status, line.outcome) == ("sent", "sent")
            assert message.provider_ref == f"p{message.pk}" and message.claim == ""
            assert message.sent_at is not None and message.lease_until is None
    # One history line each, in the order the messages were claimed: the plain sends before a
    # failure were written before it.
    lines = DeliveryRecord.objects.order_by("pk").values_list("message_id", flat=True)
    assert list(lines) == sorted(m.pk for m in messages)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_plain_send_taken_over_meanwhile_keeps_its_new_worker_s_state(make_order):
    first, second = queued(make_order, 2)
    claim, batch = delivery.claim_due()
    # The lease ran out and another worker took the second message before these were written.
    Message.objects.filter(pk=second.pk).update(claim="another-round")
    accepted = delivery.Attempt(Receipt(delivered=False, answer="HTTP 202"), None, 5)
    done = [(message, accepted) for message in batch]
    delivery.record_plain_sends(done, claim)
    assert done == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.claim) == ("sent", "")
    assert (second.status, second.claim) == ("sending", "another-round")
    assert first.records.count() == second.records.count() == 1  # both attempts on record


class ProviderClock(threading.local):
    """The worker's clock in these tests: in each thread, only the provider's own delay passes.
    On a busy machine a stalled instant send would otherwise read as a slow provider."""

    now = 0.0

    def monotonic(self) -> float:
        return self.now


PROVIDER_CLOCK = ProviderClock()


@pytest.fixture
def provider_clock(monkeypatch):
    monkeypatch.setattr(delivery, "time", PROVIDER_CLOCK)


class RecordsItsThread:
    """A provider that answers at once, or after SLOW seconds; notes which thread sent what."""

    slow = 0.0
    threads: list[str] = []

    def send(self, message):
        RecordsItsThread.threads.append(threading.current_thread().name)
        time.sleep(self.slow)
        PROVIDER_CLOCK.now += self.slow
        return Receipt(delivered=False, answer="HTTP 202")


@pytest.mark.parametrize("slow,first_batch,later_batches", [
    (0.0, "send", "MainThread"),  # a provider on the local network: no hand-offs
    (0.02, "send", "send"),  # one that makes every send wait: the threads send side by side
])
def test_the_first_batch_finds_out_whether_sending_threads_pay_off(
    make_order, settings, provider_clock, slow, first_batch, later_batches
):
    settings.NOTIFICATION_CHANNELS = {
        **settings.NOTIFICATION_CHANNELS,
        "sms": "repaircenter.notifications.tests.test_delivery.RecordsItsThread",
    }
    settings.MESSAGE_BATCH = 4
    RecordsItsThread.slow, RecordsItsThread.threads = slow, []
    queued(make_order, 12)
    assert delivery.run_round() == 12
    threads = [name.split("_")[0] for name in RecordsItsThread.threads]
    assert threads[:4] == [first_batch] * 4
    assert threads[4:] == [later_batches] * 8
    assert Message.objects.filter(status="sent").count() == 12


def test_a_provider_that_slows_down_goes_back_to_the_threads_at_once(
    make_order, settings, monkeypatch, provider_clock
):
    class SlowsDownAfterFive(RecordsItsThread):
        def send(self, message):
            self.slow = 0.02 if len(RecordsItsThread.threads) >= 5 else 0.0
            return super().send(message)

    provider = SlowsDownAfterFive()
    monkeypatch.setattr(delivery, "channel_for", lambda name: provider)
    settings.MESSAGE_BATCH = 4
    RecordsItsThread.threads = []
    queued(make_order, 12)
    assert delivery.run_round() == 12
    threads = [name.split("_")[0] for name in RecordsItsThread.threads]
    # Batch 1 in threads; batch 2 from the worker's thread until its second send was slow; the
    # rest of that batch, and the next, in threads again.
    assert threads == ["send"] * 4 + ["MainThread"] * 2 + ["send"] * 6


@pytest.mark.parametrize("attempts,seconds", [(1, 60), (2, 120), (3, 240), (6, 1920)])
def test_retry_delay_doubles(attempts, seconds, settings):
    settings.MESSAGE_RETRY_BASE = 60
    assert delivery.retry_delay(attempts) == datetime.timedelta(seconds=seconds)
