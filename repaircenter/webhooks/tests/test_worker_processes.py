"""Real `repaircenter worker` processes against the test database and a receiver on 127.0.0.1:
one killed in the middle of a post, two sharing two hundred deliveries, and two whose batches
outlast their lease."""

import re
import signal
from collections import Counter
from types import SimpleNamespace

import pytest

from repaircenter.notifications.tests.test_worker_processes import Worker, wait_for
from repaircenter.webhooks.models import Delivery, Endpoint, EventType
from repaircenter.webhooks.outbox import queue_test_event
from repaircenter.webhooks.testing import FakeReceiver

from .conftest import SECRET

# The seeded roles and kinds of equipment are data migrations: restored after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
NO_SMS_PROVIDER = SimpleNamespace(url="", token="")


def worker(name, folder, **settings) -> Worker:
    return Worker(name, folder, NO_SMS_PROVIDER, REPAIRCENTER_SMS_CHANNEL="console",
                  REPAIRCENTER_EMAIL_CHANNEL="console", REPAIRCENTER_WEBHOOKS_ALLOW_PRIVATE="true",
                  **settings)


def endpoint_at(receiver) -> Endpoint:
    return Endpoint.objects.create(url=receiver.url, secret=SECRET,
                                   events=[EventType.ORDER_CREATED])


def test_a_worker_killed_mid_post_leaves_the_delivery_to_another_after_the_lease(tmp_path):
    with FakeReceiver(SECRET, hang_seconds=30) as receiver:
        d = queue_test_event(endpoint_at(receiver))
        receiver.plan.append("hang")  # the first post hangs at the receiver
        lease = {"REPAIRCENTER_WEBHOOK_TIMEOUT": "5", "REPAIRCENTER_WEBHOOK_LEASE_SECONDS": "8"}
        first = worker("first", tmp_path, **lease)
        try:
            wait_for(lambda: receiver.requests, 60, "the first post")
            d.refresh_from_db()
            assert (d.status, d.attempt_count) == ("sending", 1)
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # killed mid-post
        finally:
            if first.process.poll() is None:
                first.stop(signal.SIGKILL)
        d.refresh_from_db()
        assert d.status == "sending" and not d.attempts.exists()  # the dead worker wrote nothing

        second = worker("second", tmp_path, **lease)
        try:
            wait_for(lambda: Delivery.objects.get(pk=d.pk).status == "delivered", 60,
                     "the delivery after the lease")
        finally:
            assert second.stop() == 0
        d.refresh_from_db()
        assert d.attempt_count == 2
        answers = [a.http_status or a.error for a in d.attempts.order_by("at", "pk")]
        assert answers == [
            "No answer recorded: the worker stopped or took too long; sent again.", 200]
        assert [r["headers"]["X-RepairCenter-Delivery"] for r in receiver.requests] == [
            str(d.pk)] * 2
        assert list(receiver.received) == [str(d.pk)]


def test_two_workers_post_two_hundred_deliveries_each_exactly_once(tmp_path):
    count = 200
    with FakeReceiver(SECRET) as receiver:
        endpoint = endpoint_at(receiver)
        workers = [worker(name, tmp_path, REPAIRCENTER_WEBHOOK_BATCH="10")
                   for name in ("one", "two")]
        try:
            for each in workers:
                each.wait_started()
            made = {str(queue_test_event(endpoint).pk) for _ in range(count)}
            wait_for(lambda: not Delivery.objects.exclude(status="delivered").exists(), 180,
                     "every delivery to be posted")
        finally:
            for each in workers:
                assert each.stop() == 0
        ids = [r["headers"]["X-RepairCenter-Delivery"] for r in receiver.requests]
        assert len(ids) == count and set(ids) == made  # each posted once, none twice
        assert all(r["signed"] for r in receiver.requests)
        assert set(Delivery.objects.values_list("attempt_count", flat=True)) == {1}
        # Between them the two logged each post once.
        assert sum(each.output().count("webhook webhook.test ") for each in workers) == count


def test_two_workers_whose_batches_outlast_the_lease_post_each_delivery_once(tmp_path):
    """The lease is 3 s; the receiver answers in 0–400 ms (200 ms on average); a worker claims
    20 deliveries and posts them one after another, so a batch takes about 4 s, longer than its
    lease, which it renews as it goes. It takes what 40 slow posts on two workers take (4 s),
    plus the workers' start."""
    count = 40
    with FakeReceiver(SECRET, delay=(0.0, 0.4)) as receiver:
        endpoint = endpoint_at(receiver)
        slow = {"REPAIRCENTER_WEBHOOK_LEASE_SECONDS": "3", "REPAIRCENTER_WEBHOOK_TIMEOUT": "1",
                "REPAIRCENTER_WEBHOOK_BATCH": "20"}
        workers = [worker(name, tmp_path, **slow) for name in ("one", "two")]
        try:
            for each in workers:
                each.wait_started()
            made = {str(queue_test_event(endpoint).pk) for _ in range(count)}
            wait_for(lambda: not Delivery.objects.exclude(status="delivered").exists(), 120,
                     "every delivery to be posted")
        finally:
            for each in workers:
                assert each.stop() == 0
        per_delivery = Counter(r["headers"]["X-RepairCenter-Delivery"] for r in receiver.requests)
        assert set(per_delivery) == made
        assert [d for d, times in per_delivery.items() if times > 1] == []
    posted_by = [set(re.findall(r"webhook webhook.test (\S+) ", each.output()))
                 for each in workers]
    assert not posted_by[0] & posted_by[1], "deliveries posted by both workers"
    assert posted_by[0] | posted_by[1] == made
    assert set(Delivery.objects.values_list("attempt_count", flat=True)) == {1}
