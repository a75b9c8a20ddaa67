"""Two people change the same order at the same moment: one wins, the other is told, and the
history holds exactly one event for the change that happened.

Each thread has its own database connection (transactional tests), loads the order itself (its
own page), waits at a barrier, and then both submit. Which thread wins is up to the database;
the loser's answer depends on where the winner left the order:

- the same change twice (both take the order for diagnostics): the winner moved the order out
  of the states the change starts from, so the loser gets `WrongState` ("R-000001 is now
  diagnosing");
- approve against refuse: if refuse wins the order is ready unrepaired and approve gets
  `WrongState`; if approve wins the order is approved, from which a refusal is still possible,
  so refuse gets `Conflict` (the order changed since it was loaded; nothing saved).

On PostgreSQL the second UPDATE waits for the first transaction's row lock and then matches no
row. SQLite locks the whole database: the settings open every transaction with BEGIN IMMEDIATE
and a 20 s busy timeout, so the second writer waits for the first to commit. pytest-django's
SQLite test database is in memory with a shared cache, where a second writer fails at once with
"database table is locked" (SQLITE_LOCKED never waits); the race therefore runs on a copy of
the test database in a file, opened with the project's own options (WAL, IMMEDIATE, timeout),
which is how the product runs on SQLite.
"""

import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from repaircenter.conftest import race, take_in, write_estimate
from repaircenter.orders import estimates, workflow
from repaircenter.orders.credentials import pickup_code_matches
from repaircenter.orders.models import (
    Estimate,
    EstimateLine,
    EstimateStatus,
    EventChannel,
    Order,
    OrderEvent,
    Status,
)
from repaircenter.orders.workflow import Actor

ROUNDS = 5
# The seeded roles and kinds of equipment are data migrations: flushed after a transactional
# test unless restored.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_same_change_twice_at_once_happens_once(separate_connections, make_order, technician,
                                                    manager):
    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert not connection.is_in_memory_db()
    for _ in range(ROUNDS):
        order = make_order(Status.RECEIVED)
        version = order.version

        def take_for_diagnostics(user):
            def prepare():
                page = Order.objects.get(pk=order.pk)
                return lambda: workflow.start_diagnosis(
                    order=page, actor=Actor.staff(user), expected_version=version
                )
            return prepare

        results = race(take_for_diagnostics(technician), take_for_diagnostics(manager))

        assert [r == "ok" for r in results].count(True) == 1, results
        [lost] = [r for r in results if r != "ok"]
        assert isinstance(lost, workflow.WrongState), repr(lost)
        assert order.display_number in lost.message
        assert "diagnosing" in lost.message
        winner = (technician, manager)[results.index("ok")]
        order.refresh_from_db()
        assert (order.status, order.version) == (Status.DIAGNOSING, version + 1)
        assert order.technician == winner
        events = OrderEvent.objects.filter(order=order, action="start_diagnosis")
        assert [e.actor for e in events] == [winner]


def test_approve_and_refuse_at_once_one_decision_is_recorded(
    separate_connections, make_order, receptionist, manager
):
    outcomes = set()
    for _ in range(ROUNDS):
        order = make_order(Status.AWAITING_DECISION)
        version = order.version

        def decide(name, actor, channel, evidence, note=""):
            def prepare():
                page = Order.objects.get(pk=order.pk)
                return lambda: getattr(workflow, name)(
                    order=page, actor=actor, channel=channel, evidence=evidence, note=note,
                    expected_version=version,
                )
            return prepare

        results = race(
            decide("approve", Actor.customer(), "", {"ip": "203.0.113.7"}),
            decide("refuse", Actor.staff(receptionist), EventChannel.PHONE,
                   {"said": "No, thanks."}, note="Too expensive"),
        )

        assert [r == "ok" for r in results].count(True) == 1, results
        approved = results[0] == "ok"
        lost = results[1] if approved else results[0]
        order.refresh_from_db()
        assert order.version == version + 1
        if approved:
            # Refusal is still possible from approved, but not against the version it saw.
            assert order.status == Status.APPROVED
            assert isinstance(lost, workflow.Conflict), repr(lost)
            assert order.display_number in lost.message
        else:
            assert order.status == Status.READY_UNREPAIRED
            assert isinstance(lost, workflow.WrongState), repr(lost)
            assert order.display_number in lost.message
        decisions = list(OrderEvent.objects.filter(order=order, action__in=["approve", "refuse"])
                         .values_list("action", flat=True))
        assert decisions == ["approve" if approved else "refuse"]
        # The estimate took the one decision recorded.
        assert list(order.estimates.values_list("status", flat=True)) == [
            EstimateStatus.APPROVED if approved else EstimateStatus.REFUSED
        ]
        outcomes.add((decisions[0], type(lost).__name__))
    assert outcomes  # which one wins is the database's choice; either is correct


@pytest.mark.parametrize("refused", ["before", "after"])
def test_a_refusal_committed_while_an_approval_checks_is_told_as_the_order_moving_on(
    make_order, receptionist, monkeypatch, refused
):
    """The race above at the moments the threads rarely meet: the refusal commits while the
    approval reads what it checks, just before or just after its read of the estimate. Either
    way the approval is told the order has moved on (and its number), not that there is no
    estimate to approve."""
    from repaircenter.orders.workflow import decisions

    order = make_order(Status.AWAITING_DECISION)
    page = Order.objects.get(pk=order.pk)  # the customer's page, read before the refusal
    read_estimate = decisions.current_estimate

    def refuse():
        monkeypatch.setattr(decisions, "current_estimate", read_estimate)  # the refusal's own
        workflow.refuse(order=Order.objects.get(pk=order.pk), actor=Actor.staff(receptionist),
                        channel=EventChannel.PHONE, evidence={"said": "No."}, note="No.")

    def refused_meanwhile(order_read):
        if refused == "before":
            refuse()
        estimate = read_estimate(order_read)
        if refused == "after":
            refuse()
        return estimate

    monkeypatch.setattr(decisions, "current_estimate", refused_meanwhile)
    with pytest.raises(workflow.WrongState) as lost:
        workflow.approve(order=page, actor=Actor.customer(), channel="",
                         evidence={"ip": "203.0.113.7"}, expected_version=page.version)
    assert order.display_number in lost.value.message


def test_the_same_estimate_sent_twice_at_once_is_sent_once(
    separate_connections, make_order, technician, manager
):
    for _ in range(ROUNDS):
        order = make_order(Status.DIAGNOSING)
        draft = write_estimate(order, technician)
        version = order.version

        def send(user):
            def prepare():
                page = Order.objects.get(pk=order.pk)
                estimate = Estimate.objects.get(pk=draft.pk)
                return lambda: workflow.send_estimate(
                    order=page, actor=Actor.staff(user), estimate=estimate,
                    expected_version=version,
                )
            return prepare

        results = race(send(technician), send(manager))

        assert [r == "ok" for r in results].count(True) == 1, results
        [lost] = [r for r in results if r != "ok"]
        assert isinstance(lost, workflow.Conflict), repr(lost)
        winner = (technician, manager)[results.index("ok")]
        order.refresh_from_db()
        draft.refresh_from_db()
        assert (order.status, order.version) == (Status.AWAITING_DECISION, version + 1)
        assert (draft.status, draft.sent_by) == (EstimateStatus.SENT, winner)
        assert [e.actor for e in order.events.filter(action="send_estimate")] == [winner]
        assert order.messages.filter(event="estimate_ready").count() == 1


def _wait_until_blocked_on_a_lock(timeout: float = 10) -> None:
    """PostgreSQL: until another connection waits for a row lock. SQLite has no such view:
    the other connection waits at BEGIN IMMEDIATE, before it reads anything."""
    if connection.vendor != "postgresql":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the send never waited for the edit's lock")


@pytest.mark.parametrize("edit", ["remove the line", "raise the price"])
def test_an_edit_committed_while_the_estimate_is_being_sent(
    request, edit, separate_connections, make_order, technician, manager
):
    """The edit holds the draft when the send arrives: the send waits for it. What is sent must
    then be what the send checked and told the customer: at least one line, and the total the
    message gives."""
    order = make_order(Status.DIAGNOSING)
    draft = write_estimate(order, technician, lines=(("Replace the charging port", "1", "45.00"),))
    line = draft.lines.get()
    holding, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def editor():
        try:
            with transaction.atomic():
                held = EstimateLine.objects.select_related("estimate").get(pk=line.pk)
                if edit == "remove the line":
                    estimates.remove_line(line=held, actor=Actor.staff(technician))
                else:
                    estimates.update_line(line=held, actor=Actor.staff(technician),
                                          description=held.description, quantity=held.quantity,
                                          unit_price=Decimal("450.00"))
                holding.set()
                assert release.wait(30)
        except Exception as error:
            outcome["editor"] = error
            holding.set()
        finally:
            connection.close()

    def sender():
        try:
            workflow.send_estimate(order=Order.objects.get(pk=order.pk),
                                   actor=Actor.staff(manager),
                                   estimate=Estimate.objects.get(pk=draft.pk))
            outcome["send"] = "ok"
        except Exception as error:
            outcome["send"] = error
        finally:
            connection.close()

    edit_thread = threading.Thread(target=editor)
    edit_thread.start()
    assert holding.wait(30)
    send_thread = threading.Thread(target=sender)
    send_thread.start()
    try:
        _wait_until_blocked_on_a_lock()
    finally:
        release.set()
        edit_thread.join(30)
        send_thread.join(30)
    assert not edit_thread.is_alive() and not send_thread.is_alive()
    assert "editor" not in outcome, outcome

    draft.refresh_from_db()
    lines = list(draft.lines.all())
    if outcome["send"] == "ok":
        assert draft.status == EstimateStatus.SENT
        assert lines, "an estimate with no line was sent"
        [message] = order.messages.filter(event="estimate_ready")
        assert f"{draft.total} " in message.body, (message.body, draft.total)
    else:
        # Sent after the edit: refused, because no line is left.
        assert edit == "remove the line"
        assert isinstance(outcome["send"], workflow.Refused), repr(outcome["send"])
        assert (draft.status, lines) == (EstimateStatus.DRAFT, [])


def test_a_double_submitted_intake_makes_one_order(separate_connections, customer, receptionist):
    for _ in range(ROUNDS):
        key = uuid.uuid4()
        intakes = []

        def submit():
            def prepare():
                return lambda: intakes.append(take_in(receptionist, customer, intake_key=key))
            return prepare

        results = race(submit(), submit())

        assert results == ["ok", "ok"], results
        assert sorted(i.repeated for i in intakes) == [False, True]
        order = Order.objects.get(intake_key=key)
        assert {i.order.pk for i in intakes} == {order.pk}
        assert order.events.filter(action="take_in").count() == 1
        # The repeat's code replaced the first one.
        [repeat] = [i for i in intakes if i.repeated]
        [first] = [i for i in intakes if not i.repeated]
        assert pickup_code_matches(repeat.pickup_code, order.pickup_code_digest)
        assert not pickup_code_matches(first.pickup_code, order.pickup_code_digest)
    numbers = sorted(Order.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + ROUNDS))  # no number lost or doubled


# --- the same interleavings, one after the other, from a page loaded earlier ------------------


def test_a_page_loaded_before_the_change_gets_wrong_state(separate_connections, make_order,
                                                          technician, manager):
    order = make_order(Status.RECEIVED)
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    workflow.start_diagnosis(order=first, actor=Actor.staff(technician))
    with pytest.raises(workflow.WrongState) as raised:
        workflow.start_diagnosis(order=second, actor=Actor.staff(manager))
    assert order.display_number in raised.value.message
    order.refresh_from_db()
    assert (order.status, order.version, order.technician) == (Status.DIAGNOSING, 2, technician)
    assert order.events.filter(action="start_diagnosis").count() == 1


def test_a_page_loaded_before_the_change_gets_conflict_where_the_change_is_still_possible(
    separate_connections, make_order, receptionist
):
    order = make_order(Status.AWAITING_DECISION)
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    desk = Actor.staff(receptionist)
    workflow.approve(order=first, actor=desk, channel=EventChannel.PHONE,
                     evidence={"said": "Go ahead."})
    with pytest.raises(workflow.Conflict) as raised:
        workflow.refuse(order=second, actor=desk, channel=EventChannel.EMAIL,
                        evidence={"email_text": "Please don't repair it."}, note="Changed mind")
    assert order.display_number in raised.value.message
    order.refresh_from_db()
    assert order.status == Status.APPROVED
    assert not order.events.filter(action="refuse").exists()


def test_a_code_voided_while_the_page_was_open_does_not_issue(
    separate_connections, make_order, receptionist, manager
):
    order = make_order(Status.READY_REPAIRED)
    counter_page = Order.objects.get(pk=order.pk)  # the issuing desk opens the order
    workflow.reissue_pickup_code(order=Order.objects.get(pk=order.pk), actor=Actor.staff(manager))
    with pytest.raises(workflow.WorkflowError):
        workflow.issue(order=counter_page, actor=Actor.staff(receptionist),
                       pickup_code=order._pickup_code)
    order.refresh_from_db()
    assert order.status == Status.READY_REPAIRED
