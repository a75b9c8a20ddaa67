"""Posting deliveries to a real receiver on 127.0.0.1 that checks every signature: failures and
retries, timeouts, the 4xx/5xx policy, a wrong secret, a day of failures disabling the endpoint
(and the managers told by email, through a real SMTP server), claims that two workers never
share, and a lease that gives an abandoned send back."""

import datetime
import re
import shutil
import socket
import ssl
import subprocess
import time

import pytest
import time_machine
from django.utils import timezone

from repaircenter.orders import workflow
from repaircenter.orders.models import Status
from repaircenter.orders.workflow import Actor
from repaircenter.webhooks import delivery
from repaircenter.webhooks.models import Delivery, Endpoint, EventType
from repaircenter.webhooks.outbox import queue_test_event
from repaircenter.webhooks.testing import FakeReceiver

from .conftest import SECRET, due_now, subscribe

pytestmark = pytest.mark.django_db
E = EventType
HOUR = datetime.timedelta(hours=1)


def statuses(d: Delivery) -> list:
    return [a.http_status or a.error for a in d.attempts.order_by("at", "pk")]


def only_delivery() -> Delivery:
    [d] = Delivery.objects.all()
    return d


# --- the one the issue asks for ------------------------------------------------------------------


def test_fails_twice_then_accepted_one_event_received_once_with_three_attempts(
    receiver, make_order
):
    endpoint = subscribe(receiver.url, E.ORDER_CREATED)
    order = make_order(Status.RECEIVED)
    d = only_delivery()
    receiver.plan.extend([500, 503])

    assert delivery.run_round() == 1
    d.refresh_from_db()
    assert (d.status, d.attempt_count) == ("queued", 1)
    assert d.first_failure_at is not None
    assert d.next_attempt_at - d.first_failure_at == datetime.timedelta(seconds=30)
    assert delivery.run_round() == 0  # not due yet: nothing is posted
    assert len(receiver.requests) == 1

    due_now(d)
    assert delivery.run_round() == 1
    d.refresh_from_db()
    assert (d.status, d.attempt_count) == ("queued", 2)
    assert d.next_attempt_at - timezone.now() > datetime.timedelta(seconds=55)  # doubled: 60 s

    due_now(d)
    assert delivery.run_round() == 1
    d.refresh_from_db()
    assert (d.status, d.attempt_count, d.last_answer) == ("delivered", 3, 'HTTP 200 {"ok": true}')
    assert d.delivered_at is not None

    # The receiver: three requests, each correctly signed, one delivery id, one body; the event
    # received once.
    assert len(receiver.requests) == 3
    assert all(r["signed"] for r in receiver.requests)
    assert {r["headers"]["X-RepairCenter-Delivery"] for r in receiver.requests} == {str(d.pk)}
    assert len({r["body"] for r in receiver.requests}) == 1
    assert list(receiver.received) == [str(d.pk)]
    body = receiver.received[str(d.pk)]
    assert (body["id"], body["type"], body["order"]["number"]) == (
        str(d.pk), "order.created", order.display_number)
    headers = receiver.requests[-1]["headers"]
    assert headers["X-RepairCenter-Event"] == "order.created"
    assert headers["Content-Type"] == "application/json"
    assert abs(int(headers["X-RepairCenter-Timestamp"]) - timezone.now().timestamp()) < 60
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", headers["X-RepairCenter-Signature"])

    # Three attempts recorded, as the manager sees them.
    assert statuses(d) == [500, 503, 200]
    assert all(a.duration_ms is not None for a in d.attempts.all())
    assert d.attempts.last().response == '{"ok": true}'
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is None  # the success cleared it


def test_a_repeat_of_a_delivery_is_dropped_by_the_receiver_thanks_to_its_id(receiver, endpoint):
    d = queue_test_event(endpoint)
    delivery.run_round()
    # Say the worker had lost the answer and posted it again.
    Delivery.objects.filter(pk=d.pk).update(status="queued")
    delivery.run_round()
    assert len(receiver.requests) == 2
    assert list(receiver.received) == [str(d.pk)]


# --- failures ------------------------------------------------------------------------------------


def test_no_answer_within_the_timeout_is_retried(receiver, endpoint):
    d = queue_test_event(endpoint)
    receiver.plan.append("hang")
    delivery.run_round()
    d.refresh_from_db()
    assert d.status == "queued" and d.attempt_count == 1
    [attempt] = d.attempts.all()
    assert attempt.http_status is None and attempt.error == "No answer within 1 s"
    assert attempt.duration_ms >= 1000
    assert d.last_answer == "No answer within 1 s"
    due_now(d)
    delivery.run_round()
    d.refresh_from_db()
    assert d.status == "delivered"


def test_an_endpoint_nobody_listens_on_is_retried(endpoint):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/hooks"
    Endpoint.objects.filter(pk=endpoint.pk).update(url=closed)
    d = queue_test_event(Endpoint.objects.get(pk=endpoint.pk))
    delivery.run_round()
    d.refresh_from_db()
    assert d.status == "queued"
    assert d.attempts.get().error == "Could not connect: ConnectionError"


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        # Temporary: the receiver is down, overloaded or asks to slow down.
        (500, "queued"), (502, "queued"), (503, "queued"), (408, "queued"), (429, "queued"),
        # Permanent: it refused this request and would refuse it again. Redirects are not
        # followed (they could lead anywhere).
        (400, "failed"), (401, "failed"), (404, "failed"), (410, "failed"), (422, "failed"),
        (301, "failed"),
    ],
)
def test_5xx_is_retried_and_4xx_fails_at_once(receiver, endpoint, answer, status):
    d = queue_test_event(endpoint)
    receiver.plan.append(answer)
    delivery.run_round()
    d.refresh_from_db()
    assert d.status == status
    assert statuses(d) == [answer]
    due_now(d)
    delivery.run_round()
    assert len(receiver.requests) == (2 if status == "queued" else 1)


def test_a_wrong_secret_is_detected_by_the_receiver(receiver, endpoint):
    Endpoint.objects.filter(pk=endpoint.pk).update(secret="not-the-receivers-secret")
    d = queue_test_event(Endpoint.objects.get(pk=endpoint.pk))
    delivery.run_round()
    [request] = receiver.requests
    assert request["signed"] is False
    assert receiver.received == {}
    d.refresh_from_db()
    assert d.status == "failed" and statuses(d) == [401]


def test_a_private_address_is_refused_before_anything_is_sent(receiver, endpoint, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    d = queue_test_event(endpoint)
    delivery.run_round()
    d.refresh_from_db()
    assert d.status == "failed"
    assert "local or private address" in d.attempts.get().error
    assert receiver.requests == []


def test_backoff_doubles_up_to_the_cap(settings):
    settings.WEBHOOK_RETRY_BASE, settings.WEBHOOK_RETRY_MAX = 30, 3600
    seconds = [delivery.retry_delay(n).total_seconds() for n in range(1, 11)]
    assert seconds == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert delivery.retry_delay(500).total_seconds() == 3600


def test_a_day_of_failures_fails_the_delivery_and_disables_the_endpoint_and_tells_managers(
    receiver, make_order, manager, technician, smtp_server, django_capture_on_commit_callbacks
):
    manager.email = "maria@example.com"
    manager.save()
    endpoint = subscribe(receiver.url, E.ORDER_CREATED, E.STATE_CHANGED)
    receiver.plan.extend([500] * 1000)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = make_order(Status.RECEIVED)
        delivery.run_round()
    first = Delivery.objects.get(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == start

    # Half a day on: still failing, still active; a new event still queues.
    with time_machine.travel(start + 12 * HOUR, tick=False):
        workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
        due_now(*Delivery.objects.all())
        delivery.run_round()
    endpoint.refresh_from_db()
    assert endpoint.active
    first.refresh_from_db()
    assert first.status == "queued"
    assert first.next_attempt_at <= start + 24 * HOUR  # never beyond the day

    # A day after the first failure: the delivery fails for good and the endpoint is disabled.
    with (time_machine.travel(start + 24 * HOUR + datetime.timedelta(minutes=1), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        Delivery.objects.filter(endpoint=endpoint).exclude(pk=first.pk).update(
            next_attempt_at=start + 99 * HOUR)  # only the first one is due now
        due_now(first)
        delivery.run_round()
    first.refresh_from_db()
    assert first.status == "failed" and first.failed_at is not None
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert "Every delivery failed from" in endpoint.disabled_reason
    assert "HTTP 500" in endpoint.disabled_reason
    # Its other deliveries are not left waiting.
    assert set(Delivery.objects.filter(endpoint=endpoint).values_list("status", flat=True)) == {
        "failed"}
    assert Delivery.objects.filter(
        endpoint=endpoint, last_answer="Not sent: the endpoint was disabled.").count() == 1

    # The manager was told by email.
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["maria@example.com"]
    mail = smtp_server.parsed()
    assert mail["Subject"] == f"Webhook endpoint disabled: {receiver.url}"
    assert "enable the endpoint" in mail.get_body(("plain",)).get_content()

    # New events do not queue for it, and nothing more is posted to it.
    posted = len(receiver.requests)
    make_order(Status.RECEIVED)
    assert Delivery.objects.count() == 2
    due_now(*Delivery.objects.all())
    assert delivery.run_round() == 0
    assert len(receiver.requests) == posted


def test_a_success_within_the_day_keeps_the_endpoint(receiver, endpoint):
    receiver.plan.extend([500])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        d = queue_test_event(endpoint)
        delivery.run_round()
    with time_machine.travel(start + 23 * HOUR, tick=False):
        due_now(d)
        delivery.run_round()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is None
    with time_machine.travel(start + 25 * HOUR, tick=False):
        receiver.plan.extend([500])
        queue_test_event(endpoint)
        delivery.run_round()
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since == start + 25 * HOUR


# --- claims and leases ---------------------------------------------------------------------------


def test_a_claimed_delivery_is_not_claimed_again_and_a_late_worker_changes_nothing(
    receiver, endpoint, settings
):
    d = queue_test_event(endpoint)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first_claim, [mine] = delivery.claim_due()
        assert delivery.claim_due()[1] == []  # nothing left to take
    # The first worker takes longer than the lease: another takes it over.
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        second_claim, [theirs] = delivery.claim_due()
    assert theirs.pk == mine.pk and second_claim != first_claim
    assert delivery.record(mine, first_claim, delivery.post(mine)) == "delivered late"
    d.refresh_from_db()
    # The late answer changed nothing.
    assert d.status == "sending" and d.claim == second_claim.token
    assert delivery.record(theirs, second_claim, delivery.post(theirs)) == "delivered"
    d.refresh_from_db()
    assert d.status == "delivered" and d.attempt_count == 2
    # Posted twice, received once: the receiver drops the repeat by its id.
    assert len(receiver.requests) == 2 and list(receiver.received) == [str(d.pk)]


def test_a_worker_that_vanished_mid_send_leaves_the_delivery_to_be_claimed_after_the_lease(
    receiver, endpoint
):
    d = queue_test_event(endpoint)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        delivery.claim_due()  # ... and the worker dies before it posts or records anything
    with time_machine.travel(start + datetime.timedelta(seconds=59), tick=False):
        assert delivery.run_round() == 0  # the lease still holds
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        assert delivery.run_round() == 1
    d.refresh_from_db()
    assert (d.status, d.attempt_count) == ("delivered", 2)
    assert statuses(d) == [
        "No answer recorded: the worker stopped or took too long; sent again.", 200]
    assert list(receiver.received) == [str(d.pk)]


def test_a_disabled_endpoints_deliveries_are_not_claimed(receiver, endpoint):
    queue_test_event(endpoint)
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert delivery.run_round() == 0 and receiver.requests == []
    Endpoint.objects.filter(pk=endpoint.pk).update(active=True)  # paused, not dropped
    assert delivery.run_round() == 1 and len(receiver.received) == 1


def test_a_batch_that_outlasts_its_lease_keeps_it_and_no_other_worker_takes_it(
    receiver, endpoint, settings, monkeypatch
):
    """A batch to a slow endpoint may outlast its lease: the round renews the lease before a
    post once less than one post's time (the timeout and a second) is left, so no second worker
    takes a delivery this one still holds. Lease 3 s, timeout 1 s: three posts that each time out
    take longer than the lease, and another worker looks for due deliveries after each."""
    settings.WEBHOOK_LEASE, settings.WEBHOOK_TIMEOUT = 3, 1
    receiver.hang_seconds = 1.5
    # Three endpoints (one that fails rests for the round; these are three receivers).
    made = [queue_test_event(endpoint)] + [
        queue_test_event(subscribe(receiver.url, E.ORDER_CREATED)) for _ in range(2)]
    receiver.plan.extend(["hang"] * 3)
    batches, others = [], []
    claim_due, post = delivery.claim_due, delivery.post

    def counted(**kwargs):
        lease, batch = claim_due(**kwargs)
        batches.append(len(batch))
        return lease, batch

    def post_then_look(d, session=None):
        result = post(d, session)
        others.append(len(claim_due()[1]))  # another worker, meanwhile
        return result

    monkeypatch.setattr(delivery, "claim_due", counted)
    monkeypatch.setattr(delivery, "post", post_then_look)
    started = time.monotonic()
    assert delivery.run_round() == 3
    assert time.monotonic() - started >= settings.WEBHOOK_LEASE  # it did outlast the lease
    assert batches == [3, 0]  # one claim: nothing given back
    assert others == [0, 0, 0]  # nothing taken over
    for d in made:
        d.refresh_from_db()
        assert (d.status, d.attempt_count, d.attempts.count()) == ("queued", 1, 1)
    assert len(receiver.requests) == 3


def test_a_receiver_that_is_down_does_not_hold_up_the_others(receiver, endpoint):
    """Its first delivery times out; its others wait with it, unposted and uncounted, while the
    other endpoint's go at once."""
    slow = FakeReceiver(SECRET, hang_seconds=2)
    with slow:
        down = subscribe(slow.url, E.ORDER_CREATED)
        waiting = [queue_test_event(down) for _ in range(4)]
        fine = [queue_test_event(endpoint) for _ in range(3)]
        slow.plan.extend(["hang"] * 4)
        started = timezone.now()
        assert delivery.run_round() == 4  # one to the receiver that is down, three to the other
        assert (timezone.now() - started).total_seconds() < 4 * 1  # not four timeouts
        assert len(slow.requests) == 1
    assert len(receiver.received) == 3
    assert {d.status for d in Delivery.objects.filter(pk__in=[f.pk for f in fine])} == {
        "delivered"}
    rows = list(Delivery.objects.filter(pk__in=[w.pk for w in waiting]))
    assert {(d.status, d.attempt_count) for d in rows} == {("queued", 1), ("queued", 0)}
    tried = next(d for d in rows if d.attempt_count == 1)
    assert all(d.next_attempt_at >= tried.next_attempt_at - datetime.timedelta(seconds=1)
               for d in rows)
    assert delivery.run_round() == 0  # none of them is due again yet


def test_what_the_round_still_holds_for_an_endpoint_it_disabled_is_not_posted(
    receiver, endpoint, django_capture_on_commit_callbacks
):
    start = timezone.now()
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=start)
    receiver.plan.extend([500] * 10)
    with time_machine.travel(start + 25 * HOUR, tick=False):
        made = [queue_test_event(endpoint) for _ in range(3)]
        with django_capture_on_commit_callbacks(execute=True):
            assert delivery.run_round() == 1
    assert len(receiver.requests) == 1
    rows = Delivery.objects.filter(pk__in=[d.pk for d in made])
    assert {d.status for d in rows} == {"failed"}
    assert sorted(d.last_answer for d in rows) == [
        "HTTP 500 {\"error\": \"planned\"}", "Not sent: the endpoint was disabled.",
        "Not sent: the endpoint was disabled."]
    assert sorted(d.attempt_count for d in rows) == [0, 0, 1]


def test_the_post_goes_to_the_address_that_was_checked_not_to_a_second_look_up(
    receiver, settings, monkeypatch
):
    """DNS rebinding: the name answers a (here: allowed) address to the check and another one
    to any later look-up. The delivery reaches the checked address, and the name is looked up
    once per attempt."""
    from repaircenter.webhooks import addresses

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(addresses, "_public", lambda address: address == "127.0.0.1")
    real_getaddrinfo = socket.getaddrinfo
    looked_up = []

    def rebinding(host, port, *args, **kwargs):  # the attacker's name server
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        looked_up.append(host)
        address = "127.0.0.1" if len(looked_up) == 1 else "127.0.0.2"  # nothing listens there
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.url.split(":")[2].split("/")[0]
    d = queue_test_event(subscribe(f"http://hooks.rebind.test:{port}/hooks", E.ORDER_CREATED))
    delivery.run_round()
    d.refresh_from_db()
    assert d.status == "delivered", statuses(d)
    assert looked_up == ["hooks.rebind.test"]
    [request] = receiver.requests
    assert request["signed"] is True
    assert request["headers"]["Host"] == f"hooks.rebind.test:{port}"


def _self_signed(folder, name: str):
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize(("certified", "delivered"), [("hooks.rebind.test", True),
                                                      ("someone.else.test", False)])
def test_over_https_the_checked_address_is_asked_for_the_endpoints_name(
    settings, monkeypatch, tmp_path, certified, delivered
):
    """HTTPS to the pinned address still sends the endpoint's name in the handshake and checks
    the certificate against it: a certificate for another name is refused."""
    from repaircenter.webhooks import addresses

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = _self_signed(tmp_path, certified)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(addresses, "_public", lambda address: address == "127.0.0.1")
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "hooks.rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with FakeReceiver(SECRET) as receiver:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        server_names = []
        tls.sni_callback = lambda sock, name, context: server_names.append(name)
        receiver.server.socket = tls.wrap_socket(receiver.server.socket, server_side=True)
        port = receiver.server.server_port
        d = queue_test_event(subscribe(f"https://hooks.rebind.test:{port}/hooks",
                                       E.ORDER_CREATED))
        session = delivery.new_session()
        session.verify = str(cert)
        result = delivery.post(d, session)
    assert server_names == ["hooks.rebind.test"]
    assert result.ok is delivered, result.answer
    if delivered:
        assert receiver.requests[0]["headers"]["Host"] == f"hooks.rebind.test:{port}"
    else:
        assert "SSLError" in result.answer and receiver.requests == []
