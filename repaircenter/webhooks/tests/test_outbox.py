"""Which events become deliveries, what they carry, and what it costs: one SELECT when no
endpoint listens, one SELECT and one INSERT for any number that do; nothing when the change is
refused; the deadline sweep's deliveries in a fixed number of statements."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from repaircenter.conftest import pay_balance
from repaircenter.notifications import delivery as messages_delivery
from repaircenter.notifications.channels import DeliveryError
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import EventChannel, OrderEvent, Status
from repaircenter.orders.sweep import run_sweep
from repaircenter.orders.tests.test_sweep import at, awaiting_decision, copies, in_storage
from repaircenter.orders.workflow import Actor
from repaircenter.webhooks.delivery import claim_due
from repaircenter.webhooks.models import Delivery, Endpoint, EventType
from repaircenter.webhooks.outbox import queue_for_event

from .conftest import subscribe

pytestmark = pytest.mark.django_db
E = EventType
URL = "http://127.0.0.1:9/hooks"  # nothing is posted in these tests
MONEY = re.compile(r"^-?\d+\.\d\d$")


def kinds(deliveries) -> list[tuple[str, str]]:
    """(event type, the history entry's action) of each delivery, oldest first."""
    return [(d.event, d.payload["data"].get("action", "")) for d in deliveries]


def webhook_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "webhooks_" in q["sql"]]


# --- the cost ------------------------------------------------------------------------------------


def test_with_no_endpoint_an_event_costs_one_select(make_order, django_assert_num_queries):
    order = make_order(Status.RECEIVED)
    event = order.events.get(action="take_in")
    with django_assert_num_queries(1):
        assert queue_for_event(event) == []


def test_an_entry_no_webhook_announces_costs_nothing(make_order, django_assert_num_queries):
    subscribe(URL, *E.values)
    order = make_order(Status.RECEIVED)
    event = OrderEvent(order=order, action="link_replaced", at=order.received_at)
    with django_assert_num_queries(0):
        assert queue_for_event(event) == []


def test_a_transition_with_no_endpoint_adds_one_select_and_no_insert(make_order, technician):
    order = make_order(Status.RECEIVED)
    with CaptureQueriesContext(connection) as captured:
        workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    [query] = webhook_queries(captured)
    assert query.lstrip().upper().startswith("SELECT")
    assert not Delivery.objects.exists()


def test_any_number_of_endpoints_cost_one_select_and_one_insert(
    make_order, technician, django_assert_num_queries
):
    listening = [subscribe(URL + str(i), E.STATE_CHANGED) for i in range(5)]
    subscribe(URL, E.PAYMENT_RECORDED)  # not this event
    Endpoint.objects.create(url=URL, secret="x" * 20, events=list(E.values), active=False)
    order = make_order(Status.RECEIVED)
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    event = order.events.get(action="start_diagnosis")
    Delivery.objects.all().delete()

    with django_assert_num_queries(2):
        made = queue_for_event(event)

    assert sorted(d.endpoint_id for d in made) == sorted(e.pk for e in listening)
    assert Delivery.objects.count() == 5
    assert {d.event for d in made} == {E.STATE_CHANGED}


# --- what an order's life announces --------------------------------------------------------------


def test_an_orders_life_announces_each_event_with_what_a_receiver_needs(make_order, manager):
    endpoint = subscribe(URL, *E.values)
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, manager)
    workflow.issue(order=order, actor=Actor.staff(manager), pickup_code=order._pickup_code)

    # In the order of the history, and for one entry in the order of EventType.
    deliveries = sorted(Delivery.objects.filter(endpoint=endpoint),
                        key=lambda d: (d.order_event_id, list(E.values).index(d.event)))
    assert kinds(deliveries) == [
        (E.ORDER_CREATED, "take_in"),
        (E.STATE_CHANGED, "start_diagnosis"),
        (E.STATE_CHANGED, "send_estimate"), (E.ESTIMATE_SENT, "send_estimate"),
        (E.STATE_CHANGED, "approve"), (E.DECISION_RECORDED, "approve"),
        (E.STATE_CHANGED, "start_repair"),
        (E.STATE_CHANGED, "finish_works"),
        (E.STATE_CHANGED, "pass_test"),
        (E.PAYMENT_RECORDED, "payment"),
        (E.STATE_CHANGED, "issue"),
    ]
    by_type = {}
    for d in deliveries:
        by_type.setdefault(d.event, []).append(d.payload)
        # The envelope: the delivery's own id, the type, when, the history entry, the order.
        assert d.payload["id"] == str(d.pk)
        assert d.payload["type"] == d.event
        assert d.payload["occurred_at"].endswith("Z")
        assert d.payload["order"]["id"] == order.pk
        assert d.payload["order"]["number"] == order.display_number
        event = OrderEvent.objects.get(pk=d.payload["event_id"])
        assert d.order_event_id == event.pk and event.order_id == order.pk
        assert d.payload["order"]["status"] == event.to_status
        assert d.status == "queued" and d.attempt_count == 0

    [created] = by_type[E.ORDER_CREATED]
    assert (created["data"]["from_status"], created["data"]["to_status"]) == (None, "received")
    assert [p["data"]["to_status"] for p in by_type[E.STATE_CHANGED]] == [
        Status.DIAGNOSING, Status.AWAITING_DECISION, Status.APPROVED, Status.REPAIRING,
        Status.TESTING, Status.READY_REPAIRED, Status.ISSUED]
    issued = by_type[E.STATE_CHANGED][-1]["data"]
    assert issued["from_status"] == Status.READY_REPAIRED
    assert issued["actor"] == {"kind": "staff", "id": manager.pk}

    [estimate] = by_type[E.ESTIMATE_SENT]
    sent = order.estimates.get()
    assert estimate["data"]["estimate"] == sent.display_number
    assert estimate["data"]["total"] == "45.00"  # a decimal string, never a float
    assert estimate["data"]["kind"] == "main" and estimate["data"]["replaces"] is None
    assert estimate["data"]["decision_due"].startswith(f"{sent.decision_due.year}-")

    [decision] = by_type[E.DECISION_RECORDED]
    assert decision["data"]["decision"] == "approved"
    assert decision["data"]["channel"] == EventChannel.PHONE
    assert decision["data"]["evidence"]["said"] == "Go ahead"
    assert decision["data"]["estimate"] == sent.display_number

    [payment] = by_type[E.PAYMENT_RECORDED]
    paid = order.payments.get()
    assert payment["data"]["kind"] == "payment"
    assert payment["data"]["amount"] == str(paid.amount) and MONEY.match(payment["data"]["amount"])
    assert payment["data"]["method"] == "card"
    assert payment["data"]["receipt"] == paid.receipt_number
    assert payment["order"]["status"] == Status.READY_REPAIRED


def test_a_refusal_is_a_decision_and_a_state_change(make_order, receptionist):
    endpoint = subscribe(URL, E.DECISION_RECORDED)
    order = make_order(Status.AWAITING_DECISION)
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.EMAIL,
                    evidence={"email_text": "No thank you"}, note="Too dear")
    [decision] = Delivery.objects.filter(endpoint=endpoint)
    data = decision.payload["data"]
    assert (data["decision"], data["channel"], data["to_status"]) == (
        "refused", EventChannel.EMAIL, Status.READY_UNREPAIRED)
    assert data["evidence"]["email_text"] == "No thank you" and data["note"] == "Too dear"


def test_an_endpoint_gets_only_what_it_subscribed_to(make_order, manager):
    payments = subscribe(URL, E.PAYMENT_RECORDED)
    Endpoint.objects.create(url=URL, secret="x" * 20, events=list(E.values), active=False)
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, manager)
    assert list(Delivery.objects.values_list("endpoint_id", "event")) == [
        (payments.pk, E.PAYMENT_RECORDED)]


def test_a_refused_change_leaves_no_delivery(make_order, receptionist, technician):
    subscribe(URL, *E.values)
    order = make_order(Status.RECEIVED)
    before = Delivery.objects.count()
    with pytest.raises(workflow.NotAllowed):
        workflow.start_diagnosis(order=order, actor=Actor.staff(receptionist))
    with pytest.raises(workflow.Conflict):
        workflow.start_diagnosis(order=order, actor=Actor.staff(technician),
                                 expected_version=order.version + 7)
    assert Delivery.objects.count() == before
    # The change made for real announces itself once.
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    assert Delivery.objects.count() == before + 1


# --- a message that failed for good --------------------------------------------------------------


def test_a_message_that_fails_for_good_is_announced(make_order):
    endpoint = subscribe(URL, E.MESSAGE_FAILED)
    order = make_order(Status.RECEIVED)
    make_order(Status.RECEIVED)
    claim, [message, other] = messages_delivery.claim_due()
    rejected = messages_delivery.Attempt(None, DeliveryError("HTTP 422 not a number",
                                                             permanent=True), 12)
    assert messages_delivery.record(message, claim, rejected) == "failed"
    # A temporary failure is not announced: the message is tried again.
    busy = messages_delivery.Attempt(None, DeliveryError("HTTP 503 busy"), 5)
    assert messages_delivery.record(other, claim, busy) == "retry"

    [failed] = Delivery.objects.filter(endpoint=endpoint)
    assert failed.event == E.MESSAGE_FAILED
    data = failed.payload["data"]["message"]
    assert (data["id"], data["event"], data["channel"]) == (message.pk, "order_received", "sms")
    assert data["answer"] == "HTTP 422 not a number" and data["attempts"] == 1
    assert failed.payload["order"]["number"] == order.display_number
    assert Message.objects.get(pk=other.pk).status == "queued"


def test_a_failure_reported_by_the_provider_a_wrong_number_and_no_channel_are_announced(
    make_order, receptionist
):
    from repaircenter.notifications import outbox as messages_outbox
    from repaircenter.notifications.channels import Receipt

    endpoint = subscribe(URL, E.MESSAGE_FAILED)
    reported, called, unreachable = (make_order(Status.RECEIVED) for _ in range(3))
    claim, batch = messages_delivery.claim_due()
    sms = next(m for m in batch if m.order_id == reported.pk)
    messages_delivery.record(sms, claim, messages_delivery.Attempt(
        Receipt(delivered=False, answer="HTTP 200"), None, 3))
    assert messages_delivery.record_report(sms, "undeliverable", "absent subscriber") == "failed"

    call = Message.objects.get(order=called)
    Message.objects.filter(pk=call.pk).update(channel="phone", status="sent")
    call.refresh_from_db()
    messages_delivery.record_call(call, messages_delivery.CallOutcome.WRONG_NUMBER, receptionist)

    unreachable.customer.preferred_channels = []
    unreachable.customer.save()
    Message.objects.create(order=unreachable, customer=unreachable.customer,
                           event="decision_reminder", channel="", recipient="", body="",
                           status="pending")
    messages_outbox.write_pending()

    found = {d.payload["order"]["id"]: d.payload["data"]["message"]
             for d in Delivery.objects.filter(endpoint=endpoint)}
    assert found[reported.pk]["answer"] == "absent subscriber"
    assert (found[called.pk]["channel"], found[called.pk]["answer"]) == ("phone", "Wrong number")
    assert found[unreachable.pk]["event"] == "decision_reminder"
    assert found[unreachable.pk]["answer"].startswith("The customer has no channel we can use")
    assert len(found) == 3


# --- the deadline sweep --------------------------------------------------------------------------


def sweep_statements(make_order, count: int) -> tuple[int, list[int]]:
    awaiting = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))  # decision due 1 September
    stored = in_storage(make_order, at(2027, 3, 1, 10, 0))  # storage until 1 September
    lapsing = [awaiting, *copies(awaiting, count)]
    ending = [stored, *copies(stored, count)]
    Delivery.objects.all().delete()
    with (time_machine.travel(at(2027, 9, 1, 10, 0), tick=False),
          CaptureQueriesContext(connection) as captured):
        run_sweep()
    return len(captured.captured_queries), [o.pk for o in lapsing + ending]


@pytest.mark.parametrize("count", [10, 300])
def test_the_sweeps_deliveries_take_the_same_statements_for_any_number_of_orders(
    make_order, count
):
    endpoint = subscribe(URL, E.STATE_CHANGED)
    subscribe(URL, E.PAYMENT_RECORDED)
    statements, changed = sweep_statements(make_order, count)
    # 25 without webhooks (orders/tests/test_sweep.py), and per step that changed orders
    # (lapse_decision, mark_disposal_due): the SELECT of endpoints and one INSERT … SELECT;
    # and the lapsed orders' reserved parts, looked up once (orders/workflow/parts.py).
    assert statements == 25 + 2 * 2 + 1
    deliveries = Delivery.objects.filter(endpoint=endpoint)
    assert deliveries.count() == len(changed) == 2 * (count + 1)
    assert set(deliveries.values_list("order_event__order_id", flat=True)) == set(changed)
    assert not Delivery.objects.exclude(endpoint=endpoint).exists()


def test_the_worker_makes_the_sweeps_payloads_from_the_history(make_order):
    endpoint = subscribe(URL, E.STATE_CHANGED)
    sweep_statements(make_order, 2)
    assert not Delivery.objects.exclude(payload=None).exists()  # written without one

    with time_machine.travel(at(2027, 9, 1, 10, 5), tick=False):
        claim, batch = claim_due(limit=100)
    assert len(batch) == 6
    for delivery in batch:
        stored = Delivery.objects.get(pk=delivery.pk)
        assert stored.payload == delivery.payload  # kept: every attempt sends the same body
        assert stored.payload["id"] == str(stored.pk)
        event = stored.order_event
        data = stored.payload["data"]
        assert stored.endpoint_id == endpoint.pk
        assert stored.payload["event_id"] == event.pk
        assert (data["action"], data["from_status"], data["to_status"]) == (
            event.action, event.from_status, event.to_status)
        assert data["actor"] == {"kind": "system", "id": None}
    actions = sorted(d.payload["data"]["action"] for d in batch)
    assert actions == ["lapse_decision"] * 3 + ["mark_disposal_due"] * 3


def test_a_warranty_claims_deliveries_carry_the_order_it_claims_on(make_order, receptionist,
                                                                   customer):
    from repaircenter.conftest import take_in

    issued = make_order(Status.ISSUED)
    endpoint = subscribe("https://example.com/hook", EventType.ORDER_CREATED)
    claim = take_in(receptionist, customer, warranty_of=issued).order
    [delivery] = Delivery.objects.filter(endpoint=endpoint)
    assert delivery.payload["order"]["number"] == claim.display_number
    assert delivery.payload["order"]["warranty_of"] == {"id": issued.pk,
                                                        "number": issued.display_number}
