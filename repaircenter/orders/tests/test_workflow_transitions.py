"""Every entry of `workflow.TRANSITIONS`, read from the table itself: who may make it, from which
states (and, while a decision is awaited, on which kind of estimate), and what it writes; then
the rules each transition adds to the table (channels, evidence, notes, pickup codes, deadlines),
the changes that keep the state, intake, and the calendar.

Several transitions share one function, which picks the entry by the order's state: sending
(`send_estimate`, `revise_estimate`, `send_supplement`), the decisions (`approve`,
`approve_supplement`; `refuse`, `refuse_supplement`, `refuse_required_supplement`) and the
lapse of the decision period (`lapse_decision`, `lapse_supplement`,
`lapse_required_supplement`). An order awaiting a decision is in one of three situations: on
its estimate (pending_supplement ""), or on a supplementary estimate the repair can finish
without ("optional") or cannot ("required").
"""

import dataclasses
import datetime
import inspect
import uuid
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from repaircenter.accounts.roles import STAFF_ROLES, Role
from repaircenter.conftest import (
    make_user,
    mark_all_done,
    pay_balance,
    send_new_estimate,
    take_in,
    write_estimate,
)
from repaircenter.core.calendar import add_working_days, months_later
from repaircenter.core.models import CenterSettings
from repaircenter.notifications.models import Message
from repaircenter.orders import estimates, workflow
from repaircenter.orders.credentials import (
    PICKUP_ALPHABET,
    format_pickup_code,
    pickup_code_matches,
    portal_token_digest,
)
from repaircenter.orders.models import (
    READY_STATES,
    ActorKind,
    Estimate,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    EventChannel,
    Order,
    OrderEvent,
    PendingSupplement,
    Status,
    UnrepairedReason,
    format_order_number,
)
from repaircenter.orders.workflow import CUSTOMER, SYSTEM, TRANSITIONS, Actor

pytestmark = pytest.mark.django_db

NOTE = "Board inspected under the microscope; 60 min load test at full power."
LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
STAFF = sorted(STAFF_ROLES)
# Everyone who acts: each staff role, the customer through the order page, the system's sweeps.
ACTORS = [*STAFF, CUSTOMER, SYSTEM]
CLOSED = (Status.ISSUED, Status.DISPOSED)
P = PendingSupplement
AD = Status.AWAITING_DECISION

# Where an order can be: every state, and awaiting a decision on each kind of estimate.
SITUATIONS = [(state, P.NONE) for state in Status.values] + [(AD, P.OPTIONAL), (AD, P.REQUIRED)]

# The transitions made by one function, which picks among them by the order's situation.
FAMILIES = {
    "send_estimate": ("send_estimate", "revise_estimate", "send_supplement"),
    "approve": ("approve", "approve_supplement"),
    "refuse": ("refuse", "refuse_supplement", "refuse_required_supplement"),
    "lapse_decision": ("lapse_decision", "lapse_supplement", "lapse_required_supplement"),
}
FUNCTION = {name: head for head, names in FAMILIES.items() for name in names} | {
    "pass_test": "record_test", "fail_test": "record_test",
}


def function_of(name: str) -> str:
    return FUNCTION.get(name, name)


def family(name: str) -> tuple[str, ...]:
    return FAMILIES.get(FUNCTION.get(name, ""), (name,))


def applies(name: str, situation: tuple[str, str]) -> bool:
    """The table's own reading: the state is a source, and while a decision is awaited the
    decision awaited is one the transition takes."""
    state, pending = situation
    t = TRANSITIONS[name]
    return state in t.sources and (t.pending is None or state != AD or pending in t.pending)


def situation_id(situation: tuple[str, str]) -> str:
    state, pending = situation
    return f"{state}+{pending}" if pending else state


def actor_for(who: str, users_by_role) -> Actor:
    if who == CUSTOMER:
        return Actor.customer()
    if who == SYSTEM:
        return Actor.system()
    return Actor.staff(users_by_role[who])


@pytest.fixture
def make_situation(make_order, technician, cashier):
    """An order in `state`; awaiting a decision on a supplementary estimate if `pending`.
    In repair every agreed line is done, and ready orders are paid, so that the works can be
    finished and the order issued: what the transitions themselves check is tested below."""

    def make(state: str, pending: str = P.NONE) -> Order:
        if not pending:
            order = make_order(state)
            if state == Status.REPAIRING:
                mark_all_done(order, technician)
            if state in (*READY_STATES, Status.DISPOSAL_DUE):
                pay_balance(order, cashier)
            return order
        assert state == AD
        order = make_order(Status.REPAIRING)
        send_new_estimate(order, technician, lines=(("Replace the battery", "1", "30.00"),),
                          required_to_finish=pending == P.REQUIRED)
        assert (order.status, order.pending_supplement) == (AD, pending)
        return order

    return make


def past_due(order: Order, field_name: str) -> None:
    """Move one deadline of the order into the past (the date only, never the status)."""
    Order.objects.filter(pk=order.pk).update(
        **{field_name: timezone.now() - datetime.timedelta(days=1)}
    )
    order.refresh_from_db(fields=[field_name])


LINES = (("Replace the charging port", "1", "45.00"), ("Charging port (part)", "1", "12.50"))
PHONE_EVIDENCE = {"said": "Yes, go ahead with the repair.", "taken_by": "Rita"}
EVIDENCE = {
    EventChannel.PHONE: PHONE_EVIDENCE,
    EventChannel.EMAIL: {"email_text": "From: alice@example.com\n\nPlease go ahead."},
    EventChannel.IN_PERSON: {"signed_slip": True},
}


def draft_for(order: Order) -> Estimate:
    """A draft to send: written by the order's technician where the order takes an estimate
    now; elsewhere a draft left over from earlier (the functions must refuse to send it)."""
    try:
        estimates.draft_kind(order)
    except workflow.WrongState:
        writer = None
    else:
        writer = order.technician
    if writer is not None:
        return write_estimate(order, writer, lines=LINES,
                              required_to_finish=order.pending_supplement == P.REQUIRED)
    left = estimates.open_draft(order)
    if left is None:
        number = order.estimates.count() + 1
        left = Estimate.objects.create(order=order, number=number, kind=EstimateKind.MAIN,
                                       created_by=order.received_by, repair_days=2)
        EstimateLine.objects.create(estimate=left, line_kind="work", description="Left over",
                                    quantity=Decimal("1"), unit_price=Decimal("10.00"))
    return left


def _send(order, actor):
    return workflow.send_estimate(order=order, actor=actor, estimate=draft_for(order))


def _decide(function: str):
    def call(order, actor, note=NOTE):
        return getattr(workflow, function)(
            order=order, actor=actor, channel=EventChannel.PHONE, evidence=PHONE_EVIDENCE,
            note=note,
        )

    return call


# How to make each transition with valid inputs. The sweeps' functions take no actor.
def _lapse_decision(order, actor):
    past_due(order, "decision_due")
    return workflow.lapse_decision(order=order)


def _mark_disposal_due(order, actor):
    past_due(order, "storage_due")
    return workflow.mark_disposal_due(order=order)


def _confirm_disposal(order, actor, note=NOTE):
    if order.storage_due is None or order.storage_due > timezone.now():
        past_due(order, "storage_due")
    return workflow.confirm_disposal(order=order, actor=actor, method="recycled", note=note)


def _repair_under_warranty(order, actor):
    """Only a warranty claim takes this transition: the order is made a claim on an earlier one
    (orders/tests/test_warranty.py takes one in properly), its draft covering a line free."""
    earlier = take_in(order.received_by, order.customer, serial="EARLIER1").order
    Order.objects.filter(pk=order.pk).update(warranty_of=earlier)
    order.warranty_of = earlier
    draft = draft_for(order)
    EstimateLine.objects.create(estimate=draft, line_kind="work", description="Under warranty",
                                quantity=Decimal("1"), unit_price=Decimal("0.00"),
                                covers=draft.lines.first())
    return workflow.repair_under_warranty(order=order, actor=actor, estimate=draft)


CALLS = {
    "start_diagnosis": lambda order, actor: workflow.start_diagnosis(order=order, actor=actor),
    "send_estimate": _send,
    "revise_estimate": _send,
    "send_supplement": _send,
    "declare_not_repairable": lambda order, actor, note=NOTE: workflow.declare_not_repairable(
        order=order, actor=actor, note=note
    ),
    "approve": _decide("approve"),
    "approve_supplement": _decide("approve"),
    "refuse": _decide("refuse"),
    "refuse_supplement": _decide("refuse"),
    "refuse_required_supplement": _decide("refuse"),
    "lapse_decision": _lapse_decision,
    "lapse_supplement": _lapse_decision,
    "lapse_required_supplement": _lapse_decision,
    "start_repair": lambda order, actor: workflow.start_repair(order=order, actor=actor),
    "finish_works": lambda order, actor: workflow.finish_works(order=order, actor=actor),
    "pass_test": lambda order, actor, note=NOTE: workflow.record_test(
        order=order, actor=actor, passed=True, note=note
    ),
    "fail_test": lambda order, actor, note=NOTE: workflow.record_test(
        order=order, actor=actor, passed=False, note=note
    ),
    "mark_disposal_due": _mark_disposal_due,
    "issue": lambda order, actor: workflow.issue(
        order=order, actor=actor, pickup_code=order._pickup_code
    ),
    "confirm_disposal": _confirm_disposal,
    "repair_under_warranty": _repair_under_warranty,
    "await_parts": lambda order, actor: workflow.await_parts(order=order),
    "parts_arrived": lambda order, actor: workflow.parts_arrived(order=order),
}

# Transitions only the system makes: their functions have no actor to pass.
SYSTEM_ONLY = {name for name, t in TRANSITIONS.items() if t.roles == {SYSTEM}}


def expected_channel(name: str, actor: Actor) -> str:
    if actor.kind == ActorKind.CUSTOMER:
        return EventChannel.ORDER_PAGE
    if actor.kind == ActorKind.SYSTEM:
        return EventChannel.SYSTEM
    if "channel" in TRANSITIONS[name].needs:
        return EventChannel.PHONE  # what CALLS passes
    return EventChannel.STAFF


@dataclass(frozen=True)
class Snapshot:
    status: str
    version: int
    events: int
    pending: str = P.NONE
    # The estimates past the draft stage, with their status, and the messages queued.
    estimates: tuple = ()
    messages: int = 0


def snapshot(order: Order) -> Snapshot:
    row = Order.objects.get(pk=order.pk)
    return Snapshot(
        row.status, row.version, OrderEvent.objects.filter(order=order).count(),
        row.pending_supplement,
        tuple(row.estimates.exclude(status=EstimateStatus.DRAFT).order_by("number")
              .values_list("number", "status")),
        Message.objects.filter(order=order).count(),
    )


def _cases(*, allowed: bool):
    for name, t in TRANSITIONS.items():
        for situation in SITUATIONS:
            if not applies(name, situation):
                continue
            for who in ACTORS:
                if (who in t.roles) == allowed:
                    yield pytest.param(name, situation, who,
                                       id=f"{name}-{situation_id(situation)}-{who}")


def _wrong_state_cases():
    """Each function, from every situation where none of the transitions it makes applies."""
    for name in TRANSITIONS:
        if name in FUNCTION and FUNCTION[name] in FAMILIES and FAMILIES[FUNCTION[name]][0] != name:
            continue  # one of a family: the family's first one stands for the function
        for situation in SITUATIONS:
            if not any(applies(member, situation) for member in family(name)):
                yield pytest.param(name, situation, id=f"{name}-{situation_id(situation)}")


def _first_allowed(t) -> str:
    return next(who for who in ACTORS if who in t.roles)


def first_situation(name: str) -> tuple[str, str]:
    return next(s for s in SITUATIONS if applies(name, s))


# --- the table itself -------------------------------------------------------------------------


def test_every_transition_of_the_table_is_exercised_here():
    assert set(CALLS) == set(TRANSITIONS)
    for name, t in TRANSITIONS.items():
        assert t.name == name
        assert t.roles <= set(ACTORS), f"{name} names a role nobody has"
        assert t.sources <= set(Status.values) and t.target in Status.values
        assert t.manual == (SYSTEM not in t.roles)
        assert callable(getattr(workflow, function_of(name)))
        if t.pending is not None:
            # Only a decision that is awaited has a kind of estimate it is awaited on.
            assert AD in t.sources and t.pending <= set(P.values)
        assert any(applies(name, s) for s in SITUATIONS), f"{name} never applies"


def test_each_function_makes_at_most_one_transition_in_any_situation():
    for head, names in FAMILIES.items():
        assert all(function_of(name) == head for name in names)
        # One function, one set of roles: who may ask does not depend on the situation.
        assert len({TRANSITIONS[name].roles for name in names}) == 1, head
        for situation in SITUATIONS:
            applying = [name for name in names if applies(name, situation)]
            assert len(applying) <= 1, (head, situation, applying)


def test_only_issued_and_disposed_are_final_and_every_state_is_reachable():
    sources = set().union(*(t.sources for t in TRANSITIONS.values()))
    assert set(Status.values) - sources == {Status.ISSUED, Status.DISPOSED}
    reached, frontier = {Status.RECEIVED}, [Status.RECEIVED]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS.values():
            if state in t.sources and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(Status.values)


@pytest.mark.parametrize("name,situation,who", list(_cases(allowed=True)))
def test_an_allowed_actor_moves_the_order_and_one_event_says_so(
    name, situation, who, make_situation, users_by_role
):
    t = TRANSITIONS[name]
    source, _ = situation
    order = make_situation(*situation)
    actor = actor_for(who, users_by_role)
    before = snapshot(order)
    last_event = OrderEvent.objects.filter(order=order).latest("pk").pk

    result = CALLS[name](order, actor)

    assert (result.status, result.version) == (t.target, before.version + 1)
    order.refresh_from_db()
    assert order.status == t.target
    assert order.version == before.version + 1
    events = list(OrderEvent.objects.filter(order=order, pk__gt=last_event))
    assert len(events) == 1
    event = events[0]
    assert event.action == name
    assert (event.from_status, event.to_status) == (source, t.target)
    assert event.actor_kind == actor.kind
    assert event.actor_id == (actor.user.pk if actor.user else None)
    assert event.channel == expected_channel(name, actor)
    if "note" in t.needs:
        assert event.note == NOTE
    if t.target != AD:
        # A decision taken, or none awaited any more: nothing is pending.
        assert order.pending_supplement == P.NONE


@pytest.mark.parametrize("name,situation,who", list(_cases(allowed=False)))
def test_an_actor_whose_role_is_not_listed_is_not_allowed_and_nothing_changes(
    name, situation, who, make_situation, users_by_role
):
    source, _ = situation
    order = make_situation(*situation)
    actor = actor_for(who, users_by_role)
    assert not workflow.is_allowed(name, order, actor)
    assert name not in {t.name for t in workflow.allowed_transitions(order, actor)}
    if name in SYSTEM_ONLY:
        # The sweep's function takes no actor: no page or person can make this change.
        function = getattr(workflow, function_of(name))
        assert "actor" not in inspect.signature(function).parameters
        return
    before = snapshot(order)

    with pytest.raises(workflow.NotAllowed):
        CALLS[name](order, actor)

    assert snapshot(order) == before
    assert order.status == source


@pytest.mark.parametrize("name,situation", list(_wrong_state_cases()))
def test_from_a_state_not_in_sources_the_order_is_named_and_nothing_changes(
    name, situation, make_situation, users_by_role
):
    order = make_situation(*situation)
    actor = actor_for(_first_allowed(TRANSITIONS[name]), users_by_role)
    for member in family(name):
        assert not workflow.is_allowed(member, order, actor)
    before = snapshot(order)

    with pytest.raises(workflow.WrongState) as raised:
        CALLS[name](order, actor)

    assert order.display_number in raised.value.message
    assert snapshot(order) == before


@pytest.mark.parametrize("situation", SITUATIONS, ids=situation_id)
def test_allowed_transitions_lists_what_the_table_allows(situation, make_situation,
                                                         users_by_role):
    order = make_situation(*situation)
    for who in ACTORS:
        expected = [
            name for name, t in TRANSITIONS.items()
            if t.manual and applies(name, situation) and who in t.roles
            and not t.claim_only  # this order is no warranty claim
        ]
        actor = actor_for(who, users_by_role)
        assert [t.name for t in workflow.allowed_transitions(order, actor)] == expected, who


def test_a_user_with_several_roles_may_do_what_each_role_may(make_order):
    both = make_user("terry", Role.TECHNICIAN, Role.RECEPTIONIST)
    order = make_order(Status.RECEIVED)
    workflow.start_diagnosis(order=order, actor=Actor.staff(both))
    draft = write_estimate(order, both)
    workflow.send_estimate(order=order, actor=Actor.staff(both), estimate=draft)
    workflow.approve(order=order, actor=Actor.staff(both), channel=EventChannel.IN_PERSON,
                     evidence={"signed_slip": True})
    order.refresh_from_db()
    assert (order.status, order.technician) == (Status.APPROVED, both)


def test_a_deactivated_user_has_no_role(make_order, manager):
    order = make_order(Status.RECEIVED)
    manager.is_active = False
    manager.save()
    inactive = type(manager).objects.get(pk=manager.pk)
    before = snapshot(order)
    with pytest.raises(workflow.NotAllowed):
        workflow.start_diagnosis(order=order, actor=Actor.staff(inactive))
    assert snapshot(order) == before


def test_an_old_expected_version_is_a_conflict_that_names_the_order(make_order, receptionist):
    order = make_order(Status.AWAITING_DECISION)
    before = snapshot(order)
    with pytest.raises(workflow.Conflict) as raised:
        workflow.approve(
            order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
            evidence=PHONE_EVIDENCE, expected_version=order.version - 1,
        )
    assert order.display_number in raised.value.message
    assert snapshot(order) == before


# --- what each transition records besides the state -------------------------------------------


def test_start_diagnosis_records_the_technician(make_order, technician):
    order = make_order(Status.RECEIVED)
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    order.refresh_from_db()
    assert order.technician == technician
    assert order.diagnosis_started_at is not None


@pytest.mark.parametrize(
    "name,situation,reason",
    [
        ("refuse", (Status.RECEIVED, P.NONE), UnrepairedReason.REFUSED),
        ("refuse", (Status.DIAGNOSING, P.NONE), UnrepairedReason.REFUSED),
        ("refuse", (AD, P.NONE), UnrepairedReason.REFUSED),
        ("refuse", (Status.APPROVED, P.NONE), UnrepairedReason.REFUSED),
        ("refuse_required_supplement", (AD, P.REQUIRED), UnrepairedReason.REFUSED),
        ("declare_not_repairable", (Status.DIAGNOSING, P.NONE), UnrepairedReason.NOT_REPAIRABLE),
        ("lapse_decision", (AD, P.NONE), UnrepairedReason.DECISION_LAPSED),
        ("lapse_required_supplement", (AD, P.REQUIRED), UnrepairedReason.DECISION_LAPSED),
    ],
    ids=lambda value: situation_id(value) if isinstance(value, tuple) else str(value),
)
def test_a_return_unrepaired_says_why_and_when_it_became_ready(
    name, situation, reason, make_situation, users_by_role
):
    order = make_situation(*situation)
    actor = actor_for(_first_allowed(TRANSITIONS[name]), users_by_role)
    CALLS[name](order, actor)
    order.refresh_from_db()
    assert order.status == Status.READY_UNREPAIRED
    assert order.unrepaired_reason == reason
    assert order.ready_at is not None
    assert order.pending_supplement == P.NONE
    message = Message.objects.filter(order=order).latest("pk")
    assert message.event == "ready_unrepaired"


@pytest.mark.parametrize("name", ["refuse_supplement", "lapse_supplement"])
def test_without_an_optional_supplement_the_repair_goes_on(name, make_situation, users_by_role):
    order = make_situation(AD, P.OPTIONAL)
    actor = actor_for(_first_allowed(TRANSITIONS[name]), users_by_role)
    messages = Message.objects.filter(order=order).count()
    CALLS[name](order, actor)
    order.refresh_from_db()
    assert (order.status, order.pending_supplement) == (Status.REPAIRING, P.NONE)
    assert (order.unrepaired_reason, order.ready_at) == ("", None)
    assert Message.objects.filter(order=order).count() == messages  # nothing to tell yet


@pytest.mark.parametrize(
    "situation", [(Status.DIAGNOSING, P.NONE), (AD, P.NONE), (Status.REPAIRING, P.NONE),
                  (AD, P.OPTIONAL)],
    ids=situation_id,
)
def test_send_estimate_starts_six_months_of_decision_in_the_centers_calendar(
    situation, make_situation, technician
):
    order = make_situation(*situation)
    draft = draft_for(order)
    before = timezone.now()
    workflow.send_estimate(order=order, actor=Actor.staff(technician), estimate=draft)
    after = timezone.now()
    order.refresh_from_db()
    draft.refresh_from_db()
    assert before <= order.estimate_sent_at <= after
    assert order.decision_due == months_later(order.estimate_sent_at, workflow.DECISION_MONTHS)
    assert workflow.DECISION_MONTHS == 6
    assert order.events.latest("pk").at == order.estimate_sent_at
    assert order.decided_at is None
    assert (draft.status, draft.sent_at, draft.sent_by, draft.decision_due) == (
        EstimateStatus.SENT, order.estimate_sent_at, technician, order.decision_due
    )
    assert workflow.current_estimate(order) == draft


# --- decisions: who, through which channel ----------------------------------------------------

DECISIONS = [name for name, t in TRANSITIONS.items() if "channel" in t.needs]


def test_the_decisions_are_approve_and_refuse_of_either_estimate():
    assert sorted(DECISIONS) == ["approve", "approve_supplement", "refuse",
                                 "refuse_required_supplement", "refuse_supplement"]
    assert {function_of(name) for name in DECISIONS} == {"approve", "refuse"}


def _decision_situation(name: str) -> tuple[str, str]:
    return next(s for s in SITUATIONS if s[0] == AD and applies(name, s))


@pytest.mark.parametrize("channel", workflow.STAFF_DECISION_CHANNELS)
@pytest.mark.parametrize("name", DECISIONS)
@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.MANAGER])
def test_staff_record_a_decision_with_its_channel_and_evidence(
    role, name, channel, make_situation, users_by_role
):
    order = make_situation(*_decision_situation(name))
    current = workflow.current_estimate(order)
    evidence = EVIDENCE[channel]
    getattr(workflow, function_of(name))(
        order=order, actor=Actor.staff(users_by_role[role]), channel=channel, evidence=evidence,
        note=NOTE,
    )
    event = order.events.latest("pk")
    assert (event.action, event.channel, event.note) == (name, channel, NOTE)
    assert event.evidence == {**evidence, "estimate": current.display_number}
    order.refresh_from_db()
    assert order.decided_at is not None


@pytest.mark.parametrize(
    "channel", ["", "staff", "order_page", "system", "api", "fax", "PHONE"]
)
@pytest.mark.parametrize("name", DECISIONS)
@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.MANAGER])
def test_staff_decision_without_a_phone_email_or_visit_is_refused(
    role, name, channel, make_situation, users_by_role
):
    order = make_situation(*_decision_situation(name))
    before = snapshot(order)
    # Evidence of every kind: only the channel is wrong.
    evidence = {key: value for each in EVIDENCE.values() for key, value in each.items()}
    with pytest.raises(workflow.Refused) as raised:
        getattr(workflow, function_of(name))(
            order=order, actor=Actor.staff(users_by_role[role]), channel=channel,
            evidence=evidence, note=NOTE,
        )
    assert "telephone, email or in person" in raised.value.message
    assert snapshot(order) == before


@pytest.mark.parametrize("channel", ["", EventChannel.PHONE, EventChannel.STAFF])
@pytest.mark.parametrize("name", DECISIONS)
def test_a_customers_decision_is_recorded_from_the_order_page(name, channel, make_situation):
    order = make_situation(*_decision_situation(name))
    current = workflow.current_estimate(order)
    evidence = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}
    # The customer gives no reason for refusing unless they want to.
    getattr(workflow, function_of(name))(
        order=order, actor=Actor.customer(), channel=channel, evidence=evidence
    )
    event = order.events.latest("pk")
    assert event.action == name
    assert (event.actor_kind, event.actor, event.channel) == (
        ActorKind.CUSTOMER, None, EventChannel.ORDER_PAGE
    )
    assert event.evidence == {**evidence, "estimate": current.display_number}


# --- notes ------------------------------------------------------------------------------------

NOTED = [name for name, t in TRANSITIONS.items() if "note" in t.needs]


def test_the_transitions_that_need_a_note():
    assert sorted(NOTED) == ["confirm_disposal", "declare_not_repairable", "fail_test",
                             "pass_test", "refuse", "refuse_required_supplement",
                             "refuse_supplement"]


@pytest.mark.parametrize("note", ["", "   ", "\n\t "])
@pytest.mark.parametrize("name", NOTED)
def test_a_transition_that_needs_a_note_is_refused_without_one(
    name, note, make_situation, users_by_role
):
    t = TRANSITIONS[name]
    order = make_situation(*first_situation(name))
    actor = actor_for(_first_allowed(t), users_by_role)
    assert actor.kind == ActorKind.STAFF
    before = snapshot(order)
    with pytest.raises(workflow.Refused):
        CALLS[name](order, actor, note=note)
    assert snapshot(order) == before


# --- issuance ---------------------------------------------------------------------------------


def _wrong(code: str) -> str:
    other = next(ch for ch in PICKUP_ALPHABET if ch != code[0])
    return other + code[1:]


def test_a_wrong_pickup_code_is_refused(make_situation, receptionist, manager):
    order = make_situation(Status.READY_REPAIRED)
    before = snapshot(order)
    for user in (receptionist, manager):
        with pytest.raises(workflow.Refused):
            workflow.issue(order=order, actor=Actor.staff(user), pickup_code=_wrong(
                order._pickup_code))
        # A wrong code is not saved by an identity document shown with it.
        with pytest.raises(workflow.Refused):
            workflow.issue(
                order=order, actor=Actor.staff(user), pickup_code="WRONG",
                lost_original=workflow.LostOriginal("Passport", "123456789", "Lost it"),
            )
    after = snapshot(order)
    # Nothing changed but the count of wrong codes, which the history shows.
    assert (after.status, after.version) == (before.status, before.version)
    assert after.events == before.events + 4
    assert Order.objects.get(pk=order.pk).pickup_failures == 4


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: format_pickup_code(code),
        lambda code: format_pickup_code(code).lower(),
        lambda code: f"  {code[:5]} {code[5:]}  ",
        lambda code: f"{code[:3].lower()} - {code[3:7]} -{code[7:].lower()}",
    ],
    ids=["lower", "dash", "lower-dash", "spaces", "mixed"],
)
def test_the_pickup_code_is_accepted_as_people_type_it(typed, make_situation, receptionist):
    order = make_situation(Status.READY_REPAIRED)
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=typed(
        order._pickup_code))
    order.refresh_from_db()
    assert order.status == Status.ISSUED
    assert order.issued_at is not None
    assert order.events.latest("pk").evidence == {"original": "pickup code presented"}


def test_a_manager_issues_on_an_identity_document_when_the_original_is_lost(
    make_situation, manager
):
    order = make_situation(Status.READY_UNREPAIRED)
    workflow.issue(
        order=order, actor=Actor.staff(manager),
        lost_original=workflow.LostOriginal(" Passport ", " 123456789 ", "I lost the paper. "),
    )
    order.refresh_from_db()
    assert order.status == Status.ISSUED
    event = order.events.latest("pk")
    assert event.actor == manager
    assert event.evidence == {
        "original": "lost", "identity_document_type": "Passport",
        "identity_document_number": "123456789", "statement": "I lost the paper.",
    }


def test_a_receptionist_may_not_issue_on_an_identity_document(make_situation, receptionist):
    order = make_situation(Status.READY_REPAIRED)
    before = snapshot(order)
    with pytest.raises(workflow.NotAllowed):
        workflow.issue(
            order=order, actor=Actor.staff(receptionist),
            lost_original=workflow.LostOriginal("Passport", "123", "Lost"),
        )
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "lost",
    [None, workflow.LostOriginal("", "", ""), workflow.LostOriginal("  ", "123", "Lost"),
     workflow.LostOriginal("Passport", "123", " "), workflow.LostOriginal("Passport", "", "x")],
)
def test_issue_with_neither_code_nor_a_complete_lost_original_record_is_refused(
    lost, make_situation, manager
):
    order = make_situation(Status.READY_REPAIRED)
    before = snapshot(order)
    with pytest.raises(workflow.Refused):
        workflow.issue(order=order, actor=Actor.staff(manager), lost_original=lost)
    assert snapshot(order) == before


# --- deadlines of the system's transitions ----------------------------------------------------


@pytest.mark.parametrize(
    "pending,target",
    [(P.NONE, Status.READY_UNREPAIRED), (P.OPTIONAL, Status.REPAIRING),
     (P.REQUIRED, Status.READY_UNREPAIRED)],
)
def test_lapse_decision_waits_for_the_decision_deadline(pending, target, make_situation):
    order = make_situation(AD, pending)
    due = order.decision_due
    assert due > timezone.now()
    before = snapshot(order)
    for early in (None, due - datetime.timedelta(seconds=1)):
        with pytest.raises(workflow.Refused):
            workflow.lapse_decision(order=order, now=early)
    assert snapshot(order) == before

    current = workflow.current_estimate(order)
    workflow.lapse_decision(order=order, now=due)
    order.refresh_from_db()
    assert order.status == target
    assert order.ready_at == (due if target == Status.READY_UNREPAIRED else None)
    assert order.events.latest("pk").at == due
    current.refresh_from_db()
    assert current.status == EstimateStatus.LAPSED


def _start_clock(order, reached_at):
    assert workflow.start_storage_clock(
        order=order, reached_at=reached_at, channel=EventChannel.EMAIL
    )
    order.refresh_from_db()


@pytest.mark.parametrize("ready", READY_STATES)
def test_mark_disposal_due_waits_for_the_storage_deadline(ready, make_order):
    order = make_order(ready)
    with pytest.raises(workflow.Refused):  # no notification reached the customer yet
        workflow.mark_disposal_due(order=order)
    _start_clock(order, timezone.now())
    before = snapshot(order)
    due = order.storage_due
    for early in (None, due - datetime.timedelta(microseconds=1)):
        with pytest.raises(workflow.Refused):
            workflow.mark_disposal_due(order=order, now=early)
    assert snapshot(order) == before

    workflow.mark_disposal_due(order=order, now=due)
    order.refresh_from_db()
    assert order.status == Status.DISPOSAL_DUE


@pytest.mark.parametrize("storage_due", ["future", None])
def test_confirm_disposal_refuses_while_the_storage_period_runs(
    storage_due, make_order, manager
):
    order = make_order(Status.DISPOSAL_DUE)
    value = timezone.now() + datetime.timedelta(days=1) if storage_due else None
    Order.objects.filter(pk=order.pk).update(storage_due=value)
    order.refresh_from_db(fields=["storage_due"])
    before = snapshot(order)
    with pytest.raises(workflow.Refused):
        workflow.confirm_disposal(order=order, actor=Actor.staff(manager), method="scrapped",
                                  note=NOTE)
    assert snapshot(order) == before


def test_confirm_disposal_records_when(make_order, manager):
    order = make_order(Status.DISPOSAL_DUE)
    workflow.confirm_disposal(order=order, actor=Actor.staff(manager), method="recycled",
                              note="Recycled")
    order.refresh_from_db()
    assert order.status == Status.DISPOSED
    assert order.disposed_at is not None


# --- the storage clock ------------------------------------------------------------------------


@pytest.mark.parametrize("ready", READY_STATES)
def test_the_first_notification_that_reached_the_customer_starts_the_storage_clock(
    ready, make_order
):
    order = make_order(ready)
    before = snapshot(order)
    reached = datetime.datetime(2027, 8, 31, 10, 0, tzinfo=LONDON)

    assert workflow.start_storage_clock(
        order=order, reached_at=reached, channel=EventChannel.EMAIL, note="Email delivered"
    )

    order.refresh_from_db()
    assert order.customer_reached_at == reached
    assert order.storage_due == datetime.datetime(2028, 2, 29, 10, 0, tzinfo=LONDON)
    assert order.storage_due == months_later(reached, workflow.STORAGE_MONTHS)
    # Not a change of state: same status, same version, one event that says so.
    assert (order.status, order.version) == (before.status, before.version)
    event = order.events.latest("pk")
    assert (event.action, event.from_status, event.to_status) == ("storage_started", ready, ready)
    assert (event.actor_kind, event.channel, event.at) == (
        ActorKind.SYSTEM, EventChannel.EMAIL, reached
    )

    # A later notification changes nothing.
    again = snapshot(order)
    assert not workflow.start_storage_clock(
        order=order, reached_at=reached + datetime.timedelta(days=3), channel=EventChannel.PHONE
    )
    order.refresh_from_db()
    assert snapshot(order) == again
    assert order.customer_reached_at == reached
    assert order.storage_due == datetime.datetime(2028, 2, 29, 10, 0, tzinfo=LONDON)


@pytest.mark.parametrize("state", [s for s in Status.values if s not in READY_STATES])
def test_the_storage_clock_starts_only_when_the_order_is_ready(state, make_order):
    order = make_order(state)
    order.refresh_from_db()
    before = snapshot(order)
    due, reached = order.storage_due, order.customer_reached_at
    assert not workflow.start_storage_clock(
        order=order, reached_at=timezone.now(), channel=EventChannel.EMAIL
    )
    order.refresh_from_db()
    assert snapshot(order) == before
    assert (order.storage_due, order.customer_reached_at) == (due, reached)


# --- the customer's copy and link -------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.MANAGER])
def test_a_reprinted_copy_voids_the_old_pickup_code(role, make_situation, users_by_role):
    order = make_situation(Status.READY_REPAIRED)
    old = order._pickup_code
    actor = Actor.staff(users_by_role[role])
    new = workflow.reissue_pickup_code(order=order, actor=actor)
    assert new != old
    event = order.events.latest("pk")
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "pickup_code_reissued", Status.READY_REPAIRED, Status.READY_REPAIRED, actor.user
    )
    order = Order.objects.get(pk=order.pk)
    with pytest.raises(workflow.Refused):
        workflow.issue(order=order, actor=actor, pickup_code=old)
    workflow.issue(order=order, actor=actor, pickup_code=new)
    order.refresh_from_db()
    assert order.status == Status.ISSUED


@pytest.mark.parametrize("state", Status.values)
def test_a_copy_is_reprinted_in_every_state_but_the_closed_ones(state, make_order, receptionist):
    order = make_order(state)
    before = snapshot(order)
    digest = Order.objects.get(pk=order.pk).pickup_code_digest
    actor = Actor.staff(receptionist)
    if state in CLOSED:
        with pytest.raises(workflow.WrongState):
            workflow.reissue_pickup_code(order=order, actor=actor)
        assert snapshot(order) == before
        assert Order.objects.get(pk=order.pk).pickup_code_digest == digest
        return
    new = workflow.reissue_pickup_code(order=order, actor=actor)
    stored = Order.objects.get(pk=order.pk).pickup_code_digest
    assert pickup_code_matches(new, stored)
    assert not pickup_code_matches(order._pickup_code, stored)
    # The version rises: a page loaded before the reprint can no longer issue with the old code.
    assert snapshot(order) == dataclasses.replace(
        before, version=before.version + 1, events=before.events + 1
    )


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CONSULTANT, Role.CASHIER])
def test_only_the_counter_reprints_the_copy_or_replaces_the_link(role, make_order, users_by_role):
    order = make_order(Status.READY_REPAIRED)
    stored = Order.objects.get(pk=order.pk)
    before = snapshot(order)
    actor = Actor.staff(users_by_role[role])
    with pytest.raises(workflow.NotAllowed):
        workflow.reissue_pickup_code(order=order, actor=actor)
    with pytest.raises(workflow.NotAllowed):
        workflow.replace_portal_link(order=order, actor=actor)
    assert snapshot(order) == before
    after = Order.objects.get(pk=order.pk)
    assert (after.pickup_code_digest, after.portal_token_digest, after.link_token) == (
        stored.pickup_code_digest, stored.portal_token_digest, stored.link_token
    )


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.MANAGER])
def test_replacing_the_link_revokes_the_old_token(role, make_order, users_by_role):
    order = make_order(Status.AWAITING_DECISION)
    old = order.link_token
    before = snapshot(order)
    token = workflow.replace_portal_link(order=order, actor=Actor.staff(users_by_role[role]))
    assert token != old and len(token) >= 32  # 192 bits, URL-safe
    assert Order.objects.get(pk=order.pk).link_token == token
    assert not Order.objects.filter(portal_token_digest=portal_token_digest(old)).exists()
    assert Order.objects.filter(portal_token_digest=portal_token_digest(token)).count() == 1
    event = order.events.latest("pk")
    assert (event.action, event.from_status, event.to_status) == (
        "link_replaced", Status.AWAITING_DECISION, Status.AWAITING_DECISION
    )
    assert snapshot(order) == dataclasses.replace(before, events=before.events + 1)


# --- intake -----------------------------------------------------------------------------------


def test_a_repeated_intake_submission_makes_one_order_and_only_the_last_code_works(
    customer, receptionist
):
    key = uuid.uuid4()
    first = take_in(receptionist, customer, intake_key=key)
    second = take_in(receptionist, customer, intake_key=key)

    assert (first.repeated, second.repeated) == (False, True)
    assert second.order.pk == first.order.pk
    assert Order.objects.count() == 1
    assert second.pickup_code != first.pickup_code
    order = Order.objects.get(pk=first.order.pk)
    assert not pickup_code_matches(first.pickup_code, order.pickup_code_digest)
    assert pickup_code_matches(second.pickup_code, order.pickup_code_digest)
    assert list(order.events.values_list("action", flat=True)) == [
        "take_in", "pickup_code_reissued"
    ]

    desk = Actor.staff(receptionist)
    workflow.refuse(order=order, actor=desk, channel=EventChannel.IN_PERSON,
                    evidence={"signed_slip": True}, note="Will buy a new one")
    with pytest.raises(workflow.Refused):
        workflow.issue(order=order, actor=desk, pickup_code=first.pickup_code)
    workflow.issue(order=order, actor=desk, pickup_code=second.pickup_code)
    order.refresh_from_db()
    assert order.status == Status.ISSUED


def test_two_intakes_with_different_keys_make_two_orders(customer, receptionist):
    first = take_in(receptionist, customer, intake_key=uuid.uuid4())
    second = take_in(receptionist, customer, intake_key=uuid.uuid4())
    assert not second.repeated
    assert first.order.pk != second.order.pk


def test_intake_writes_the_received_event(customer, receptionist):
    intake = take_in(receptionist, customer)
    order = Order.objects.get(pk=intake.order.pk)
    assert (order.status, order.version, order.received_by) == (
        Status.RECEIVED, 1, receptionist
    )
    [event] = order.events.all()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "take_in", "", Status.RECEIVED, receptionist
    )
    assert pickup_code_matches(intake.pickup_code, order.pickup_code_digest)


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CONSULTANT, Role.CASHIER])
def test_only_the_counter_takes_equipment_in(role, customer, users_by_role):
    with pytest.raises(workflow.NotAllowed):
        take_in(users_by_role[role], customer, intake_key=uuid.uuid4())
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


def test_order_numbers_are_sequential_and_displayed_with_six_digits(customer, receptionist):
    assert not Order.objects.exists()
    orders = [take_in(receptionist, customer).order for _ in range(3)]
    assert [o.number for o in orders] == [1, 2, 3]
    assert [o.display_number for o in orders] == ["R-000001", "R-000002", "R-000003"]
    assert str(orders[0]) == "R-000001"
    assert format_order_number("T", 1234567) == "T-1234567"


def test_diagnostics_are_due_in_working_days_of_the_centers_calendar(customer, receptionist):
    center = CenterSettings.load()
    center.diagnostics_target_days = 1
    center.save()
    # Thursday 23:30 UTC is already Friday 00:30 in London: one working day later is Monday.
    now = datetime.datetime(2026, 5, 14, 23, 30, tzinfo=UTC)
    order = take_in(receptionist, customer, now=now).order
    order.refresh_from_db()
    assert order.received_at == now
    assert order.diagnosis_due == datetime.date(2026, 5, 18)


# --- the calendar -----------------------------------------------------------------------------


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.mark.parametrize(
    "moment,expected",
    [
        # The end of August plus six months clamps to the end of February...
        (datetime.datetime(2026, 8, 31, 12, 0, tzinfo=LONDON),
         datetime.datetime(2027, 2, 28, 12, 0, tzinfo=LONDON)),
        # ...which has 29 days in a leap year.
        (datetime.datetime(2027, 8, 31, 12, 0, tzinfo=LONDON),
         datetime.datetime(2028, 2, 29, 12, 0, tzinfo=LONDON)),
        # The same wall-clock time across the change to summer time (GMT -> BST)...
        (datetime.datetime(2027, 1, 15, 9, 0, tzinfo=LONDON),
         datetime.datetime(2027, 7, 15, 9, 0, tzinfo=LONDON)),
        # ...and back (BST -> GMT).
        (datetime.datetime(2026, 10, 1, 18, 45, tzinfo=LONDON),
         datetime.datetime(2027, 4, 1, 18, 45, tzinfo=LONDON)),
        # Just after midnight in London is still the day before in UTC: London's date counts.
        (datetime.datetime(2027, 8, 30, 23, 30, tzinfo=UTC),
         datetime.datetime(2028, 2, 29, 0, 30, tzinfo=LONDON)),
        (datetime.datetime(2027, 8, 31, 23, 30, tzinfo=UTC),
         datetime.datetime(2028, 3, 1, 0, 30, tzinfo=LONDON)),
    ],
    ids=["31aug-28feb", "31aug-29feb-leap", "gmt-to-bst", "bst-to-gmt", "utc-30aug",
         "utc-31aug"],
)
def test_months_later_counts_in_the_centers_time_zone(london, moment, expected):
    result = months_later(moment, 6)
    assert result == expected
    local = timezone.localtime(result, LONDON)
    assert local.replace(tzinfo=None) == expected.replace(tzinfo=None)
    # Across a change of clocks the wall-clock time is kept, so the hours between differ.
    assert timezone.localtime(moment, LONDON).time() == local.time()


def test_months_later_crossing_dst_keeps_the_wall_clock_not_the_hours(london):
    start = datetime.datetime(2027, 1, 15, 9, 0, tzinfo=LONDON)  # 09:00 GMT
    result = months_later(start, 6)
    assert result.astimezone(UTC) == datetime.datetime(2027, 7, 15, 8, 0, tzinfo=UTC)


def test_months_later_uses_the_center_time_zone_whatever_zone_is_active(london):
    moment = datetime.datetime(2027, 8, 31, 12, 0, tzinfo=UTC)  # 13:00 in London
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        result = months_later(moment, 6)
    assert result == datetime.datetime(2028, 2, 29, 13, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    "start,days,expected",
    [
        ("2026-05-15", 1, "2026-05-18"),  # Friday -> Monday
        ("2026-05-16", 1, "2026-05-18"),  # Saturday -> Monday
        ("2026-05-17", 1, "2026-05-18"),  # Sunday -> Monday
        ("2026-05-14", 2, "2026-05-18"),  # Thursday -> Monday
        ("2026-05-18", 5, "2026-05-25"),  # a working week
        ("2026-05-15", 10, "2026-05-29"),  # two working weeks
        ("2026-05-13", 1, "2026-05-14"),  # Wednesday -> Thursday
        ("2026-05-13", 0, "2026-05-13"),
    ],
)
def test_add_working_days_skips_weekends(start, days, expected):
    result = add_working_days(datetime.date.fromisoformat(start), days)
    assert result == datetime.date.fromisoformat(expected)
    assert result.weekday() < 5 or days == 0
