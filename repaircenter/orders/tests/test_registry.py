"""The registry of states and transitions (orders/states.py, orders/transitions.py) is the one
place they are declared: this walks it and checks that everything derived from it is there."""

import pytest
from django.db.models import DateField, DateTimeField
from django.urls import resolve, reverse

from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.conftest import make_user, send_new_estimate
from repaircenter.notifications.models import Event
from repaircenter.orders import workflow
from repaircenter.orders.events import EVENT_LABELS
from repaircenter.orders.models import Order, PendingSupplement, Status
from repaircenter.orders.states import QUEUES, STATES, STEPS
from repaircenter.orders.transitions import CUSTOMER, ESTIMATE, SYSTEM, TEST, TRANSITIONS

P = PendingSupplement


def test_every_state_is_declared_once_with_what_it_means():
    assert list(STATES) == list(Status.values)
    for state in STATES.values():
        assert str(state.label) and str(state.told)
        assert state.step in STEPS
        assert (state.queue == "") == state.closed, state.value  # open orders are in a queue
        if state.queue:
            assert state.value in QUEUES[state.queue].statuses
        if state.deadline:
            assert isinstance(Order._meta.get_field(state.deadline), DateField | DateTimeField)
        if state.notice:
            assert state.notice in Event.values, f"{state.value}: no message {state.notice}"
        assert not (state.closed and (state.stored or state.payable))
    assert all(queue.statuses for queue in QUEUES.values())


def test_every_transition_names_its_function_states_roles_and_labels():
    for name, transition in TRANSITIONS.items():
        assert callable(getattr(workflow, transition.function)), name
        assert transition.sources and transition.sources <= set(STATES), name
        assert transition.target in STATES, name
        assert transition.roles <= {*STAFF_ROLES, CUSTOMER, SYSTEM}, name
        assert str(transition.label) and str(transition.done) == str(EVENT_LABELS[name])
        # The system's own transitions have no button and no API operation; every other has.
        assert bool(transition.api) == transition.manual, name
        if transition.manual:  # a named operation, not the API's catch-all 404
            path = transition.api.replace("<int:estimate_number>", "1")
            assert resolve(f"/api/v1/orders/1/{path}/").url_name, name
        assert STATES[transition.target].step in STEPS


def test_no_state_is_a_dead_end_unless_closed():
    leaving = {source for t in TRANSITIONS.values() for source in t.sources}
    reached = {t.target for t in TRANSITIONS.values()} | {Status.RECEIVED}
    for state in STATES.values():
        assert state.value in reached, f"nothing leads to {state.value}"
        assert (state.value in leaving) != state.closed, state.value


# --- every transition has its button on the staff page, for its roles, and for no one else ----


def _order(make_order, technician, status, pending):
    if pending is None or status != Status.AWAITING_DECISION:
        return make_order(status)
    if pending == P.NONE:
        return make_order(Status.AWAITING_DECISION)
    order = make_order(Status.REPAIRING)
    send_new_estimate(order, technician, lines=(("Replace the battery", "1", "30.00"),),
                      required_to_finish=pending == P.REQUIRED)
    return order


def _cases():
    """(transition, source state, pending supplement) for every way a button can show."""
    for transition in TRANSITIONS.values():
        if not transition.manual:
            continue
        for source in sorted(transition.sources):
            if source != Status.AWAITING_DECISION:
                yield transition, source, None
                continue
            for pending in sorted(transition.pending or {P.NONE, P.OPTIONAL, P.REQUIRED}):
                yield transition, source, pending


def _button(transition, order) -> str:
    if transition.form == ESTIMATE:
        return reverse("staff:estimate", args=[order.number])
    if transition.form == TEST:
        return reverse("staff:stress_test", args=[order.number])
    return reverse("staff:order_action", args=[order.number, transition.name])


@pytest.mark.django_db
def test_every_transition_has_its_button_for_its_roles_and_no_other(
    client, make_order, technician
):
    orders = {}
    users = {role: make_user(f"only-{role}", role) for role in STAFF_ROLES}
    checked = 0
    for transition, source, pending in _cases():
        key = (source, pending)
        if key not in orders:
            orders[key] = _order(make_order, technician, source, pending)
        order = orders[key]
        for role, user in users.items():
            client.force_login(user)
            page = client.get(reverse("staff:order", args=[order.number])).content.decode()
            shown = f'"{_button(transition, order)}"' in page
            assert shown == (role in transition.roles), (transition.name, source, pending, role)
            checked += 1
    assert checked >= len(STAFF_ROLES) * sum(t.manual for t in TRANSITIONS.values())


# --- every transition leads to a step of the customer's timeline --------------------------------


@pytest.mark.django_db
def test_every_transition_leads_to_its_step_on_the_customers_page(make_order):
    from repaircenter.portal.selectors import customer_page

    for target in sorted({t.target for t in TRANSITIONS.values()}):
        order = make_order(target)
        steps = customer_page(order.link_token).steps
        step = STATES[target].step
        drawn = [s.state for s in steps if s.name == step]
        expected = "done" if STATES[target].closed else "current"
        assert expected in drawn, (target, step, [(s.name, s.state) for s in steps])
