"""The deadline sweep, with the clock under the test's control (time-machine): decision periods
that lapse, reminders that go once each, storage periods that run out, a worker that was down,
month ends, leap years and the end of summer time."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError

from repaircenter.conftest import send_new_estimate
from repaircenter.core.models import CenterSettings, parse_reminder_days
from repaircenter.notifications import outbox
from repaircenter.notifications.models import Message, MessageStatus, MessageTemplate
from repaircenter.orders import workflow
from repaircenter.orders.models import (
    ActorKind,
    Equipment,
    Estimate,
    EstimateStatus,
    EventChannel,
    Order,
    OrderEvent,
    Status,
    UnrepairedReason,
)
from repaircenter.orders.sweep import run_sweep

LONDON = zoneinfo.ZoneInfo("Europe/London")
DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _center_in_london(settings):
    settings.TIME_ZONE = "Europe/London"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def sweep(moment: datetime.datetime):
    with time_machine.travel(moment, tick=False):
        result = run_sweep()
        outbox.write_all_pending()
    return result


def awaiting_decision(make_order, moment):
    with time_machine.travel(moment, tick=False):
        return make_order(Status.AWAITING_DECISION)


def in_storage(make_order, reached, status=Status.READY_REPAIRED):
    with time_machine.travel(reached - DAY, tick=False):
        order = make_order(status)
    workflow.start_storage_clock(order=order, reached_at=reached, channel=EventChannel.SMS)
    order.refresh_from_db()
    return order


def messages(order, event):
    return list(Message.objects.filter(order=order, event=event).order_by("created_at", "pk"))


def events(order, action):
    return list(OrderEvent.objects.filter(order=order, action=action))


# --- the decision period ----------------------------------------------------------------------


def test_a_decision_period_without_a_decision_lapses_at_its_end(make_order):
    order = awaiting_decision(make_order, at(2027, 3, 1, 14, 30))
    assert order.decision_due == at(2027, 9, 1, 14, 30)

    assert not sweep(at(2027, 9, 1, 14, 29)).lapsed
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DECISION

    result = sweep(at(2027, 9, 1, 14, 30))
    assert result.lapsed == 1
    order.refresh_from_db()
    assert order.status == Status.READY_UNREPAIRED
    assert order.unrepaired_reason == UnrepairedReason.DECISION_LAPSED
    assert order.ready_at == at(2027, 9, 1, 14, 30)
    assert order.version == 4  # taken in 1, diagnosing 2, estimate sent 3, lapsed 4
    [event] = events(order, "lapse_decision")
    assert (event.actor_kind, event.actor, event.channel) == (
        ActorKind.SYSTEM, None, EventChannel.SYSTEM)
    assert (event.from_status, event.to_status) == (Status.AWAITING_DECISION,
                                                    Status.READY_UNREPAIRED)
    assert event.at == at(2027, 9, 1, 14, 30)
    assert [e.status for e in order.estimates.all()] == [EstimateStatus.LAPSED]
    [message] = messages(order, "ready_unrepaired")
    assert message.status == MessageStatus.QUEUED
    assert message.channel == "sms"
    assert message.recipient == "+442079460101"
    assert order.display_number in message.body

    # Again, and again later: nothing more happens.
    assert not sweep(at(2027, 9, 1, 14, 30))
    assert not sweep(at(2027, 9, 20, 9, 0))
    assert len(events(order, "lapse_decision")) == 1
    assert len(messages(order, "ready_unrepaired")) == 1


@pytest.mark.parametrize(
    ("required", "target", "action", "message"),
    [
        (False, Status.REPAIRING, "lapse_supplement", None),
        (True, Status.READY_UNREPAIRED, "lapse_required_supplement", "ready_unrepaired"),
    ],
)
def test_a_supplementary_estimate_lapses_as_its_kind_says(
    make_order, technician, required, target, action, message
):
    with time_machine.travel(at(2027, 1, 10, 11, 0), tick=False):
        order = make_order(Status.REPAIRING)
        send_new_estimate(order, technician, required_to_finish=required,
                          lines=(("Replace the battery", "1", "30.00"),))
    sweep(at(2027, 7, 10, 11, 0))
    order.refresh_from_db()
    assert order.status == target
    assert order.pending_supplement == ""
    assert [e.from_status for e in events(order, action)] == [Status.AWAITING_DECISION]
    assert len(messages(order, "ready_unrepaired")) == (1 if message else 0)
    # The main estimate stays approved; the supplement lapsed.
    assert sorted(order.estimates.values_list("status", flat=True)) == [
        EstimateStatus.APPROVED, EstimateStatus.LAPSED]


def test_a_decided_order_is_left_alone(make_order, receptionist):
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    workflow.approve(order=order, actor=workflow.Actor.staff(receptionist),
                     channel=EventChannel.PHONE, evidence={"said": "Yes"})
    assert not sweep(at(2027, 9, 2, 10, 0))
    order.refresh_from_db()
    assert order.status == Status.APPROVED
    assert messages(order, "decision_reminder") == []


# --- reminders --------------------------------------------------------------------------------


def test_each_decision_reminder_goes_once_on_its_day(make_order):
    order = awaiting_decision(make_order, at(2027, 3, 1, 14, 30))
    day = at(2027, 3, 1, 15, 0)
    while day < at(2027, 9, 10, 15, 0):  # daily sweeps through the period and past it
        sweep(day)
        day += DAY
    reminders = messages(order, "decision_reminder")
    assert [(m.days_before, m.created_at) for m in reminders] == [
        (30, at(2027, 8, 2, 15, 0)),  # 1 September less 30 days, the first sweep after 14:30
        (7, at(2027, 8, 25, 15, 0)),
    ]
    assert {m.deadline for m in reminders} == {order.decision_due}
    assert all(m.status == MessageStatus.QUEUED and "1 September 2027" in m.body
               for m in reminders)


def test_each_storage_reminder_goes_once_then_the_warning_once(make_order):
    order = in_storage(make_order, at(2027, 2, 1, 9, 15))
    assert order.storage_due == at(2027, 8, 1, 9, 15)
    moment = at(2027, 2, 1, 10, 0)
    while moment < at(2027, 8, 20, 10, 0):  # every six hours
        sweep(moment)
        moment += datetime.timedelta(hours=6)
    assert [(m.days_before, m.created_at) for m in messages(order, "storage_reminder")] == [
        (60, at(2027, 6, 2, 10, 0)), (30, at(2027, 7, 2, 10, 0)), (7, at(2027, 7, 25, 10, 0)),
    ]
    order.refresh_from_db()
    assert order.status == Status.DISPOSAL_DUE
    [event] = events(order, "mark_disposal_due")
    assert event.at == at(2027, 8, 1, 10, 0)
    assert (event.from_status, event.actor_kind) == (Status.READY_REPAIRED, ActorKind.SYSTEM)
    [warning] = messages(order, "disposal_warning")
    assert warning.created_at == at(2027, 8, 1, 10, 0)
    assert "1 August 2027" in warning.body


def test_the_reminder_days_are_the_managers_setting(make_order):
    center = CenterSettings.load()
    center.decision_reminder_days = "14, 3"
    center.storage_reminder_days = ""
    center.save()
    order = awaiting_decision(make_order, at(2027, 3, 1, 12, 0))
    stored = in_storage(make_order, at(2027, 3, 1, 12, 0))
    day = at(2027, 3, 1, 13, 0)
    while day < at(2027, 9, 3, 13, 0):
        sweep(day)
        day += DAY
    assert [(m.days_before, m.created_at.date()) for m in messages(order, "decision_reminder")
            ] == [(14, datetime.date(2027, 8, 18)), (3, datetime.date(2027, 8, 29))]
    assert messages(stored, "storage_reminder") == []


def test_a_new_decision_period_has_its_own_reminders(make_order, receptionist, technician):
    """A supplementary estimate later in the same order starts a new period: its reminders go
    although the first period's went (a reminder is once per deadline and day)."""
    order = awaiting_decision(make_order, at(2027, 1, 5, 10, 0))
    sweep(at(2027, 6, 5, 10, 0))  # 30 days before 5 July
    assert len(messages(order, "decision_reminder")) == 1
    with time_machine.travel(at(2027, 6, 10, 10, 0), tick=False):
        workflow.approve(order=order, actor=workflow.Actor.staff(receptionist),
                         channel=EventChannel.PHONE, evidence={"said": "Yes"})
        workflow.start_repair(order=order, actor=workflow.Actor.staff(technician))
        send_new_estimate(order, technician, lines=(("Replace the screen", "1", "80.00"),))
    order.refresh_from_db()
    sweep(order.decision_due - datetime.timedelta(days=29))
    assert [(m.deadline, m.days_before) for m in messages(order, "decision_reminder")] == [
        (at(2027, 7, 5, 10, 0), 30), (at(2027, 12, 10, 10, 0), 30)]


def test_a_worker_down_for_ten_days_sends_the_missed_reminder_once(make_order, settings):
    """The worker itself (`worker --once`): stopped before the 60-day reminder's day, started
    ten days later; the reminder goes then, once, and is sent."""
    order = in_storage(make_order, at(2027, 2, 1, 9, 0))  # storage until 1 August
    with time_machine.travel(at(2027, 5, 28, 9, 0), tick=False):  # 65 days before
        call_command("worker", once=True)
    assert messages(order, "storage_reminder") == []
    with time_machine.travel(at(2027, 6, 7, 9, 0), tick=False):  # ten days later
        call_command("worker", once=True)
        call_command("worker", once=True)
    [reminder] = messages(order, "storage_reminder")
    assert reminder.days_before == 60
    assert reminder.status == MessageStatus.DELIVERED  # the console channel counts it so
    # The next day and on: nothing more until the 30-day reminder.
    for day in range(1, 26):  # to 2 July, 30 days before 1 August
        sweep(at(2027, 6, 7, 9, 0) + day * DAY)
    assert [m.days_before for m in messages(order, "storage_reminder")] == [60, 30]


def test_a_worker_down_past_two_reminder_days_sends_only_the_nearer(make_order):
    order = awaiting_decision(make_order, at(2027, 3, 1, 12, 0))  # due 1 September
    sweep(at(2027, 7, 31, 12, 0))  # 32 days before: nothing yet
    sweep(at(2027, 8, 27, 12, 0))  # down for 27 days; 5 days before the deadline
    sweep(at(2027, 8, 28, 12, 0))
    assert [m.days_before for m in messages(order, "decision_reminder")] == [7]


def test_no_reminder_once_the_deadline_passed(make_order):
    order = in_storage(make_order, at(2027, 2, 1, 9, 0))
    sweep(at(2027, 8, 3, 9, 0))  # down through every reminder day and the deadline
    assert messages(order, "storage_reminder") == []
    assert len(messages(order, "disposal_warning")) == 1


# --- calendars: month ends, leap years, summer time -------------------------------------------


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (at(2027, 8, 31, 10, 0), at(2028, 2, 29, 10, 0)),  # into a leap February
        (at(2026, 8, 31, 10, 0), at(2027, 2, 28, 10, 0)),  # an ordinary one
        (at(2027, 12, 31, 16, 45), at(2028, 6, 30, 16, 45)),  # a 30-day month
        (at(2028, 2, 29, 9, 0), at(2028, 8, 29, 9, 0)),  # from the leap day
    ],
)
def test_month_ends_and_leap_years(make_order, sent, due):
    order = awaiting_decision(make_order, sent)
    assert order.decision_due == due
    sweep(due - 7 * DAY - MINUTE)
    assert [m.days_before for m in messages(order, "decision_reminder")] == [30]
    sweep(due - 7 * DAY)
    assert [m.days_before for m in messages(order, "decision_reminder")] == [30, 7]
    sweep(due - MINUTE)
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DECISION
    sweep(due)
    order.refresh_from_db()
    assert order.status == Status.READY_UNREPAIRED


def test_the_end_of_summer_time(make_order):
    """Reached at noon in summer: storage ends at noon in winter (GMT), and the 7-day reminder
    goes at noon summer time, 7 calendar days before, not 7 × 24 hours (which is 13:00)."""
    order = in_storage(make_order, at(2027, 5, 5, 12, 0))  # 11:00 UTC
    assert order.storage_due == at(2027, 11, 5, 12, 0)
    assert order.storage_due.astimezone(datetime.UTC).hour == 12  # GMT now
    sweep(at(2027, 10, 29, 11, 59))  # the first sweep: the 30-day reminder, late
    assert [m.days_before for m in messages(order, "storage_reminder")] == [30]
    sweep(at(2027, 10, 29, 12, 0))  # still summer time: 31 October ends it
    assert [m.days_before for m in messages(order, "storage_reminder")] == [30, 7]
    sweep(at(2027, 11, 5, 11, 59))
    order.refresh_from_db()
    assert order.status == Status.READY_REPAIRED
    sweep(at(2027, 11, 5, 12, 0))
    order.refresh_from_db()
    assert order.status == Status.DISPOSAL_DUE


def test_the_start_of_summer_time(make_order):
    order = awaiting_decision(make_order, at(2027, 9, 28, 12, 0))  # due 28 March 2028, BST
    assert order.decision_due == at(2028, 3, 28, 12, 0)
    sweep(at(2028, 3, 21, 11, 59))  # GMT; summer time starts on 26 March
    assert [m.days_before for m in messages(order, "decision_reminder")] == [30]
    sweep(at(2028, 3, 21, 12, 0))
    assert [m.days_before for m in messages(order, "decision_reminder")] == [30, 7]


# --- one statement per step, in one transaction ---------------------------------------------


def test_an_interrupted_step_leaves_nothing_half_done(make_order, monkeypatch):
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))

    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(outbox, "queue_pending_messages", broken)
    with pytest.raises(DatabaseError):
        sweep(at(2027, 9, 1, 10, 0))
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DECISION
    assert events(order, "lapse_decision") == []
    assert [e.status for e in order.estimates.all()] == [EstimateStatus.SENT]

    monkeypatch.undo()
    assert sweep(at(2027, 9, 1, 10, 5)).lapsed == 1
    assert len(events(order, "lapse_decision")) == 1
    assert len(messages(order, "ready_unrepaired")) == 1


def test_a_customer_without_a_usable_channel_gets_a_failed_message_staff_see(make_order,
                                                                            customer):
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    customer.preferred_channels = ["email"]
    customer.email = ""
    customer.save()
    sweep(at(2027, 9, 1, 10, 0))
    [message] = messages(order, "ready_unrepaired")
    assert message.status == MessageStatus.FAILED
    assert "no channel" in message.last_answer


def test_the_sweep_command(make_order, capsys):
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    with time_machine.travel(at(2027, 9, 1, 10, 0), tick=False):
        call_command("sweep")
    out = capsys.readouterr().out
    assert "Decisions lapsed: 1." in out
    assert "Messages written: 1." in out
    order.refresh_from_db()
    assert order.status == Status.READY_UNREPAIRED
    assert Message.objects.filter(status=MessageStatus.PENDING).count() == 0


def test_the_reminder_is_unique_in_the_database(make_order):
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    sweep(at(2027, 8, 2, 10, 0))
    [reminder] = messages(order, "decision_reminder")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            order=order, customer=order.customer, event="decision_reminder", channel="sms",
            recipient="+442079460101", body="again", deadline=reminder.deadline,
            days_before=30,
        )
    assert Order.objects.get(pk=order.pk).status == Status.AWAITING_DECISION


def copies(order: Order, count: int, **changes) -> list[Order]:
    """`count` copies of an order walked through the workflow, with its equipment and estimate
    (the copies of a sent estimate stay sent): many orders in a few statements."""
    fields = {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields
              if not f.primary_key}
    start = Order.objects.order_by("-number").values_list("number", flat=True).first()
    made = Order.objects.bulk_create([
        Order(**{**fields, "number": start + i + 1, "center_number": start + i + 1,
                 "portal_token_digest": f"copy-{start + i}",
                 "intake_key": None, **changes})
        for i in range(count)
    ])
    equipment = order.equipment
    Equipment.objects.bulk_create([
        Equipment(**{**{f.attname: getattr(equipment, f.attname)
                        for f in Equipment._meta.concrete_fields}, "order_id": copy.pk})
        for copy in made
    ])
    for estimate in order.estimates.all():
        Estimate.objects.bulk_create([
            Estimate(order=copy, number=estimate.number, kind=estimate.kind,
                     status=estimate.status, created_by_id=estimate.created_by_id,
                     repair_days=estimate.repair_days, sent_at=estimate.sent_at,
                     decision_due=estimate.decision_due)
            for copy in made
        ])
    return made


# 1 + 1 (the centers' time zones) + 12 (three lapses: update, events, estimates, messages)
# + 5 (one per reminder day) + 6 (two source states: update and events each; the warnings):
# measured 25, at any size.
# Plus the webhooks' SELECT of the active endpoints in each step that changed orders (here
# lapse_decision and mark_disposal_due); webhooks/tests pins the sweep with an endpoint subscribed.
# Plus one: the orders returned unrepaired that hold reserved parts (workflow/parts.py).
SWEEP_QUERY_BOUND = 25 + 2 + 1


@pytest.mark.parametrize("count", [10, 1000])
def test_the_sweep_runs_a_bounded_number_of_statements(make_order, count,
                                                       django_assert_max_num_queries):
    """Each step is a fixed few statements whatever the number of orders: the same bound for
    10 orders in each situation as for 1,000."""
    awaiting = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))  # due 1 September
    stored = in_storage(make_order, at(2027, 3, 1, 10, 0))  # until 1 September
    lapsing = copies(awaiting, count)
    reminded = copies(awaiting, count, decision_due=at(2027, 9, 20, 10, 0))
    storage_reminded = copies(stored, count, storage_due=at(2027, 10, 1, 10, 0))
    ending = copies(stored, count)
    outbox.write_all_pending()
    queued = Message.objects.count()

    with (time_machine.travel(at(2027, 9, 1, 10, 0), tick=False),
          django_assert_max_num_queries(SWEEP_QUERY_BOUND)):
        result = run_sweep()
    # Every order was dealt with, each with its event and its message.
    assert result.lapsed == count + 1
    assert result.decision_reminders == count
    assert result.storage_reminders == count
    assert result.disposal_due == count + 1
    assert OrderEvent.objects.filter(action="lapse_decision").count() == count + 1
    assert OrderEvent.objects.filter(action="mark_disposal_due").count() == count + 1
    pending = Message.objects.filter(status=MessageStatus.PENDING)
    assert pending.count() == Message.objects.count() - queued == 4 * count + 2
    for group, event in ((lapsing, "ready_unrepaired"), (reminded, "decision_reminder"),
                         (storage_reminded, "storage_reminder"), (ending, "disposal_warning")):
        assert set(pending.filter(event=event).values_list("order_id", flat=True)) >= {
            o.pk for o in group}
    assert Estimate.objects.filter(status=EstimateStatus.SENT,
                                   order__status=Status.READY_UNREPAIRED).count() == 0


# --- the manager's settings and templates, even when broken ----------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [("30, 7", [30, 7]), ("7,30;30", [30, 7]), ("", []), (" 150 ", [150])],
)
def test_reminder_days_are_read_furthest_first(text, days):
    assert parse_reminder_days(text) == days


@pytest.mark.parametrize("text", ["0", "151", "seven", "30, -7", "3.5"])
def test_reminder_days_the_form_refuses(db, text):
    center = CenterSettings.load()
    center.storage_reminder_days = text
    with pytest.raises(ValidationError) as error:
        center.full_clean()
    assert "storage_reminder_days" in error.value.message_dict


def test_unreadable_reminder_days_fall_back_to_the_defaults(make_order, caplog):
    CenterSettings.load()
    CenterSettings.objects.update(decision_reminder_days="soon")  # around the form
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    sweep(at(2027, 8, 2, 10, 0))
    assert [m.days_before for m in messages(order, "decision_reminder")] == [30]
    assert "unreadable" in caplog.text


def test_a_broken_template_fails_its_message_and_the_worker_goes_on(make_order):
    order = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    other = awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    # Saved around the editor, which checks templates.
    MessageTemplate.objects.update_or_create(event="ready_unrepaired", channel="sms",
                                             defaults={"body": "{% if %}"})
    sweep(at(2027, 9, 1, 10, 0))
    for lapsed in (order, other):
        [message] = messages(lapsed, "ready_unrepaired")
        assert message.status == MessageStatus.FAILED
        assert "could not be written" in message.last_answer


def test_the_sweep_lapses_exactly_the_decisions_that_are_no_longer_open(make_order):
    """One rule of "the decision is still open": the workflow's and the customer's page's
    predicate (workflow.decision_open) and the sweep's set-based SQL agree, to the microsecond."""
    now = at(2027, 9, 1, 10, 0)
    orders = []
    for microseconds in (-1, 0, 1):
        order = make_order(Status.AWAITING_DECISION)
        Order.objects.filter(pk=order.pk).update(
            decision_due=now + datetime.timedelta(microseconds=microseconds))
        order.refresh_from_db()
        orders.append((order, workflow.decision_open(order, now)))
    assert [still_open for _order, still_open in orders] == [False, False, True]
    assert workflow.lapse_decisions(now=now) == 2
    for order, still_open in orders:
        order.refresh_from_db()
        assert (order.status == Status.AWAITING_DECISION) is still_open


def test_two_sweeps_at_once_count_each_message_once(make_order):
    """The second sweep looks at the same pending messages the first one writes meanwhile: it
    counts only what it changed itself."""
    for _ in range(3):
        awaiting_decision(make_order, at(2027, 3, 1, 10, 0))
    with time_machine.travel(at(2027, 9, 1, 10, 0), tick=False):
        run_sweep()
        pending = Message.objects.filter(status=MessageStatus.PENDING).count()
        assert pending >= 3
        second = outbox.pending_batch()  # the second sweep has read the pending rows …
        assert outbox.write_all_pending() == pending  # … when the first writes them all
        assert outbox.write_messages(second) == (pending, 0)
        assert outbox.write_pending() == 0
