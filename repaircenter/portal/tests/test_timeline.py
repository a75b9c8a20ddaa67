"""The steps of the customer's timeline in each state, and the expected end of the repair in the
center's working days."""

import datetime

import pytest
from django.utils import timezone

from repaircenter.conftest import send_new_estimate
from repaircenter.core.calendar import add_working_days, center_date
from repaircenter.core.models import Holiday
from repaircenter.orders import workflow
from repaircenter.orders.models import Order, Status
from repaircenter.orders.states import STATES, STEPS
from repaircenter.orders.workflow import Actor
from repaircenter.portal import selectors, timeline

pytestmark = pytest.mark.django_db

D, C, L = timeline.DONE, timeline.CURRENT, timeline.LATER
START = [("Received at the center", D)]
EXPECTED = {
    Status.RECEIVED: [*START, ("Diagnostics", C), ("Estimate and your decision", L),
                      ("Repair", L), ("Stress test", L), ("Ready to collect", L),
                      ("Collected", L)],
    Status.AWAITING_DECISION: [*START, ("Diagnostics", D), ("Your decision on the estimate", C),
                               ("Repair", L), ("Stress test", L), ("Ready to collect", L),
                               ("Collected", L)],
    Status.REPAIRING: [*START, ("Diagnostics", D), ("Your decision on the estimate", D),
                       ("Repair", C), ("Stress test", L), ("Ready to collect", L),
                       ("Collected", L)],
    Status.TESTING: [*START, ("Diagnostics", D), ("Your decision on the estimate", D),
                     ("Repair", D), ("Stress test", C), ("Ready to collect", L),
                     ("Collected", L)],
    Status.READY_UNREPAIRED: [*START, ("Diagnostics", D), ("Your decision on the estimate", D),
                              ("Ready to collect, not repaired", C), ("Collected", L)],
    Status.ISSUED: [*START, ("Diagnostics", D), ("Your decision on the estimate", D),
                    ("Repair", D), ("Stress test", D), ("Ready to collect", D),
                    ("Collected", D)],
    Status.DISPOSED: [*START, ("Diagnostics", D), ("Your decision on the estimate", D),
                      ("Repair", D), ("Stress test", D), ("Ready to collect", D),
                      ("Storage period ended", D), ("Disposed of", D)],
}


def steps_of(order: Order) -> list[timeline.Step]:
    page = selectors.order_page(order.link_token)
    return timeline.steps(page, ready_by=timeline.expected_ready(page))


@pytest.mark.parametrize("status", list(EXPECTED))
def test_the_steps_in_each_state(make_order, status):
    steps = steps_of(make_order(status))
    assert [(s.title, s.state) for s in steps] == EXPECTED[status]
    for step in steps:
        if step.state == D and step.title != "Repair":
            assert step.at is not None, step  # a step done says when


@pytest.mark.parametrize("status", list(STATES))
def test_every_state_has_a_step_the_timeline_draws_and_one_current_step(make_order, status):
    """The registry's step of each state is drawn, in the registry's order of steps: current,
    and the only one current; or done, with none current, once the order is closed."""
    state = STATES[status]
    steps = steps_of(make_order(status))
    names = [step.name for step in steps]
    assert set(names) <= set(STEPS) and names == sorted(names, key=STEPS.index)
    assert state.step in names
    current = [step.name for step in steps if step.state == C]
    if state.closed:
        assert current == []
        assert steps[names.index(state.step)].state == D
    else:
        assert current == [state.step]


def test_while_a_supplement_awaits_the_repair_is_the_one_current_step(make_order, technician):
    order = make_order(Status.REPAIRING)
    send_new_estimate(order, technician, lines=(("Battery", "1", "39.00"),))
    steps = steps_of(order)
    assert [step.name for step in steps if step.state == C] == ["repair"]
    decision = steps[2]
    assert (decision.name, decision.state, decision.note) == ("decision", D, "approved")


def test_the_current_step_says_what_it_waits_for(make_order):
    received = make_order(Status.RECEIVED)
    diagnostics = steps_of(received)[1]
    assert diagnostics.expected == received.diagnosis_due
    awaiting = make_order(Status.AWAITING_DECISION)
    decision = steps_of(awaiting)[2]
    assert decision.expected == Order.objects.get(pk=awaiting.pk).decision_due


def test_the_repair_is_expected_after_the_repair_time_in_working_days(make_order):
    order = make_order(Status.AWAITING_DECISION)
    decided = center_date(timezone.now())
    # A holiday right after the decision pushes the end back by a day.
    next_working_day = add_working_days(decided, 1)
    Holiday.objects.create(date=next_working_day, name="Bank holiday")
    workflow.approve(order=order, actor=Actor.customer(), channel="", evidence={"ip": "x"})
    page = selectors.order_page(order.link_token)
    ready_by = timeline.expected_ready(page)
    assert ready_by == add_working_days(decided, 2, {next_working_day})  # repair_days=2
    repair = steps_of(order)[3]
    assert (repair.title, repair.state, repair.expected) == ("Repair", C, ready_by)


def test_a_supplement_awaiting_a_decision_keeps_the_repair_current(make_order, technician):
    order = make_order(Status.REPAIRING)
    send_new_estimate(order, technician, lines=(("Battery", "1", "39.00"),))
    repair = steps_of(order)[3]
    assert (repair.state, repair.note) == (C, "waiting for your decision on the extra work")


def test_a_lapsed_decision_is_named(make_order):
    order = make_order(Status.AWAITING_DECISION)
    Order.objects.filter(pk=order.pk).update(
        decision_due=timezone.now() - datetime.timedelta(minutes=1)
    )
    order.refresh_from_db()
    workflow.lapse_decision(order=order)
    decision = steps_of(order)[2]
    assert (decision.state, decision.note) == (D, "no decision in time")


@pytest.mark.parametrize("status", list(STATES))
def test_past_ready_the_steps_do_not_show_the_expected_end(make_order, status):
    """The page reads the holidays for the repair's expected end only where a step shows it."""
    page = selectors.order_page(make_order(status).link_token)
    if not timeline.shows_expected_ready(page):
        assert timeline.steps(page, ready_by=timeline.expected_ready(page)) == timeline.steps(
            page, ready_by=None)
        assert timeline.steps(page, ready_by=datetime.date(2030, 1, 1)) == timeline.steps(
            page, ready_by=None)
