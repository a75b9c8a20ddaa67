"""Real worker processes against the test database (SQLite file or PostgreSQL) and the stand-in
SMS provider: a worker killed in the middle of a send, two workers sharing a thousand
messages, and two workers whose batches outlast their lease."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.notifications.testing import FakeSmsProvider
from repaircenter.orders.models import Status

# The seeded roles and kinds of equipment are data migrations: restored after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] or "postgres"
        return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{Path(db['NAME']).resolve()}"


class Worker:
    """`repaircenter worker` in its own process, its log in a file."""

    def __init__(self, name: str, folder: Path, provider: FakeSmsProvider, **extra):
        self.log_path = folder / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REPAIRCENTER_DATA": str(folder / "data"),
            "REPAIRCENTER_SMS_CHANNEL": "http",
            "REPAIRCENTER_SMS_API_URL": provider.url,
            "REPAIRCENTER_SMS_API_TOKEN": provider.token,
            "REPAIRCENTER_WORKER_INTERVAL": "1",
            "REPAIRCENTER_LOG_LEVEL": "INFO",
            **extra,
        }
        self.log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "repaircenter", "worker"], env=env,
            stdout=self.log, stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_started(self, timeout: float = 30) -> None:
        wait_for(lambda: "worker: started" in self.output(), timeout, "worker start")

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self.log.close()
        return code

    def sends(self) -> int:
        return self.output().count("send message ")


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_send_leaves_the_message_to_be_sent_once_after_restart(
    make_order, tmp_path
):
    with FakeSmsProvider("token", hang_seconds=4) as provider:
        provider.plan.append("hang")  # the first send hangs at the provider
        first = Worker("first", tmp_path, provider, REPAIRCENTER_MESSAGE_LEASE_SECONDS="2")
        try:
            first.wait_started()
            order = make_order(Status.RECEIVED)
            message = Message.objects.get(order=order)
            assert provider.request_seen.wait(30)
            message.refresh_from_db()
            assert message.status == "sending"
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # killed mid-send
        finally:
            if first.process.poll() is None:
                first.stop(signal.SIGKILL)

        message.refresh_from_db()
        assert message.status == "sending"  # nothing recorded by the dead worker
        assert not message.records.exists()

        second = Worker("second", tmp_path, provider, REPAIRCENTER_MESSAGE_LEASE_SECONDS="2")
        try:
            wait_for(lambda: Message.objects.get(pk=message.pk).status == "sent", 60,
                     "the message to be sent after the lease")
        finally:
            assert second.stop() == 0
        assert "worker: stopped" in second.output()

        message.refresh_from_db()
        assert message.attempt_count == 2
        assert list(message.records.values_list("outcome", flat=True)) == ["sent"]
        # Two requests reached the provider with one key; it sent one SMS.
        time.sleep(provider.hang_seconds)  # let the hung request finish at the provider
        keys = {r["headers"]["Idempotency-Key"] for r in provider.requests}
        assert keys == {str(message.key)}
        assert len(provider.requests) == 2
        assert len(provider.accepted) == 1


def test_two_workers_send_a_thousand_messages_each_exactly_once(make_order, tmp_path):
    count = 1000
    order = make_order()  # every message is about an order (or answers an advice request)
    Message.objects.filter(order=order).delete()  # its intake notice is not one of the thousand
    customer = order.customer
    # Each answer takes 1-3 ms, as a provider's does: a worker alone then needs longer than
    # the other's wake-up interval (1 s) to send them all, and both have their share (40-60%
    # here). With instant answers the first to wake sent 80-86% of them, and on a busy
    # machine (a CI run beside a browser) all of them: 0 and 1000.
    with FakeSmsProvider("token", delay=(0.001, 0.003)) as provider:
        workers = [
            Worker(name, tmp_path, provider, REPAIRCENTER_MESSAGE_BATCH="20")
            for name in ("one", "two")
        ]
        try:
            for worker in workers:
                worker.wait_started()
            # Both are waiting; the messages appear at once, as after a busy hour of intake.
            Message.objects.bulk_create(
                Message(order=order, customer=customer, event="order_received", channel="sms",
                        recipient=str(customer.phone), body=f"Message {n}")
                for n in range(count)
            )
            wait_for(lambda: not Message.objects.exclude(status="sent").exists(), 180,
                     "every message to be sent")
        finally:
            codes = [worker.stop() for worker in workers]
        assert codes == [0, 0]

        bodies = [r["payload"]["text"] for r in provider.requests]
        assert len(bodies) == count  # no message was posted twice
        assert sorted(bodies) == sorted(f"Message {n}" for n in range(count))
        assert len({r["headers"]["Idempotency-Key"] for r in provider.requests}) == count
        assert set(Message.objects.values_list("attempt_count", flat=True)) == {1}
        assert DeliveryRecord.objects.count() == count
        sends = [worker.sends() for worker in workers]
        assert sum(sends) == count
        assert all(sends), f"both workers should have sent some: {sends}"



def test_two_workers_whose_batches_outlast_the_lease_send_each_message_once(make_order, tmp_path):
    """The lease is 2 s; the provider answers in 0–600 ms (300 ms on average); a worker claims
    100 messages and has 8 sends under way, so a batch takes about 100 × 0.3 / 8 ≈ 4 s, twice
    its lease. A worker that did not renew its lease lost the end of every batch to the other
    worker, and both sent those messages (100 to 260 of the 300 here). It takes what 300 slow
    sends on 2 × 8 threads take (about 6 s) plus the workers' start: fewer messages or a faster
    provider would not outlast the lease."""
    count = 300
    order = make_order()
    Message.objects.filter(order=order).delete()  # its intake notice is not one of them
    slow = {"REPAIRCENTER_MESSAGE_LEASE_SECONDS": "2", "REPAIRCENTER_MESSAGE_BATCH": "100",
            "REPAIRCENTER_MESSAGE_SEND_CONCURRENCY": "8"}
    with FakeSmsProvider("token", delay=(0.0, 0.6)) as provider:
        workers = [Worker(name, tmp_path, provider, **slow) for name in ("one", "two")]
        try:
            for worker in workers:
                worker.wait_started()
            # A different number each: two sends to one number never run at once.
            Message.objects.bulk_create(
                Message(order=order, customer=order.customer, event="order_received",
                        channel="sms", recipient=f"+44770090{n:04d}", body=f"Message {n}")
                for n in range(count)
            )
            wait_for(lambda: not Message.objects.exclude(status="sent").exists(), 120,
                     "every message to be sent")
        finally:
            codes = [worker.stop() for worker in workers]
        assert codes == [0, 0]

        per_key = Counter(r["headers"]["Idempotency-Key"] for r in provider.requests)
        twice = sorted(key for key, times in per_key.items() if times > 1)
        assert twice == [], (f"{len(twice)} messages were posted more than once; "
                             f"{len(provider.requests)} requests for {count} messages")
        assert len(per_key) == len(provider.accepted) == count
    sent_by = [set(re.findall(r"send message (\d+) ", worker.output())) for worker in workers]
    assert not sent_by[0] & sent_by[1], "messages sent by both workers"
    assert len(sent_by[0] | sent_by[1]) == count
    assert all(sent_by), "both workers should have sent some"
    assert set(Message.objects.values_list("attempt_count", flat=True)) == {1}
    assert DeliveryRecord.objects.count() == count
