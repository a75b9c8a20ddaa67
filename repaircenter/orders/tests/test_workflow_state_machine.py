"""Random walks through orders' lives, checked against a model built from `TRANSITIONS`.

Each example takes a new order in and then makes random changes to it: any transition of the
table by anyone (each staff role, the customer, the system), reprints of the customer's copy,
link replacements, the storage clock, and changes submitted from a page loaded earlier. When
the order is issued or disposed of, the next one is taken in. The model says what must happen
(the table allows this actor in this state: the target state; otherwise the error and no
change), and after every step each order in the database must match the model, and its events
must tell exactly the history the model recorded.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from repaircenter.accounts.roles import STAFF_ROLES, Role
from repaircenter.conftest import take_in
from repaircenter.orders import workflow
from repaircenter.orders.credentials import format_pickup_code
from repaircenter.orders.models import READY_STATES, ActorKind, EventChannel, Order, Status
from repaircenter.orders.workflow import CUSTOMER, SYSTEM, TRANSITIONS, Actor

NOTE = "Checked: 30 min under load, temperatures normal."
ACTORS = [*sorted(STAFF_ROLES), CUSTOMER, SYSTEM]
COUNTER = {Role.RECEPTIONIST, Role.MANAGER}  # who reprints the copy and replaces the link
CLOSED = {Status.ISSUED, Status.DISPOSED}
SIDE_ACTIONS = {"link_replaced", "pickup_code_reissued", "storage_started"}
SYSTEM_ONLY = {name for name, t in TRANSITIONS.items() if t.roles == {SYSTEM}}
# Transitions whose only rules besides the table are a note or a channel, which a page loaded
# earlier supplies as well as a fresh one (issuance and disposal also check the order's fields).
FROM_A_PAGE = [
    name for name, t in TRANSITIONS.items()
    if t.manual and set(t.needs) <= {"note", "channel"} and name != "confirm_disposal"
]


def _steps_to_close() -> dict[str, int]:
    """For each state, the fewest transitions of the table that lead to issued or disposed."""
    steps = dict.fromkeys(CLOSED, 0)
    while len(steps) < len(Status.values):
        steps.update({
            source: min(steps[t.target] for t in TRANSITIONS.values()
                        if source in t.sources and t.target in steps) + 1
            for t in TRANSITIONS.values() if t.target in steps
            for source in t.sources if source not in steps
        })
    return steps


DEPTH = _steps_to_close()


def past(order: Order, field_name: str) -> None:
    """Move one deadline into the past, as time passing would (the date only)."""
    Order.objects.filter(pk=order.pk).update(
        **{field_name: timezone.now() - datetime.timedelta(days=1)}
    )
    order.refresh_from_db(fields=[field_name])


@dataclass
class Expected:
    """What the model says about one order."""

    pk: int
    code: str
    state: str = Status.RECEIVED
    moves: list = field(default_factory=lambda: [("take_in", "", Status.RECEIVED)])
    side: list = field(default_factory=list)
    reached: bool = False  # the storage clock started
    reprints: int = 0  # a reprinted customer's copy raises the version too

    @property
    def version(self) -> int:
        return len(self.moves) + self.reprints


class WorkflowMachine(RuleBasedStateMachine):
    users: dict  # role -> User, set by the test
    customer = None

    @initialize()
    def first_order(self):
        self.done: list[Expected] = []
        self.page = None
        self.next_order()

    def next_order(self):
        intake = take_in(self.users[Role.RECEPTIONIST], self.customer)
        self.model = Expected(pk=intake.order.pk, code=intake.pickup_code)
        self.page = None

    # --- helpers ---------------------------------------------------------------------------

    def actor(self, who: str) -> Actor:
        if who == CUSTOMER:
            return Actor.customer()
        if who == SYSTEM:
            return Actor.system()
        return Actor.staff(self.users[who])

    def order(self) -> Order:
        return Order.objects.get(pk=self.model.pk)

    def call(self, name, order, actor, data, issue_by="code"):
        """Make transition `name` with valid inputs; returns what the event's channel must be."""
        if name == "lapse_decision":
            past(order, "decision_due")
            workflow.lapse_decision(order=order)
            return EventChannel.SYSTEM
        if name == "mark_disposal_due":
            past(order, "storage_due")
            workflow.mark_disposal_due(order=order)
            return EventChannel.SYSTEM
        if name in ("approve", "refuse"):
            channel = data.draw(st.sampled_from(workflow.STAFF_DECISION_CHANNELS))
            getattr(workflow, name)(order=order, actor=actor, channel=channel,
                                    evidence={"taken_by": "test"})
            return EventChannel.ORDER_PAGE if actor.kind == ActorKind.CUSTOMER else channel
        if name in ("pass_test", "fail_test"):
            workflow.record_test(order=order, actor=actor, passed=name == "pass_test", note=NOTE)
        elif name == "declare_not_repairable":
            workflow.declare_not_repairable(order=order, actor=actor, note=NOTE)
        elif name == "confirm_disposal":
            if order.storage_due is None or order.storage_due > timezone.now():
                past(order, "storage_due")
            workflow.confirm_disposal(order=order, actor=actor, note=NOTE)
        elif name == "issue":
            if issue_by == "identity":
                workflow.issue(order=order, actor=actor, identity_document="Passport 987654")
            else:
                code = self.model.code
                typed = code if issue_by == "code" else format_pickup_code(code).lower()
                workflow.issue(order=order, actor=actor, pickup_code=typed)
        else:
            getattr(workflow, name)(order=order, actor=actor)
        return EventChannel.SYSTEM if actor.kind == ActorKind.SYSTEM else EventChannel.STAFF

    def attempt(self, name: str, who: str, data) -> None:
        order = self.order()
        if name in SYSTEM_ONLY and who != SYSTEM:
            # The sweeps' functions take no actor: nobody else can even ask.
            assert not workflow.is_allowed(name, order, self.actor(who))
            return
        t = TRANSITIONS[name]
        issue_by = "code"
        if name == "issue":
            issue_by = data.draw(st.sampled_from(["code", "typed", "identity"]))
        if who not in t.roles:
            expected = workflow.NotAllowed
        elif self.model.state not in t.sources:
            expected = workflow.WrongState
        elif issue_by == "identity" and who != Role.MANAGER:
            expected = workflow.NotAllowed  # without the original: managers only
        else:
            expected = None
        actor = self.actor(who)
        if expected is not None:
            with pytest.raises(expected):
                self.call(name, order, actor, data, issue_by)
            note_outcome(expected.__name__)
            return
        channel = self.call(name, order, actor, data, issue_by)
        self.record(name, actor, channel)

    def record(self, name: str, actor: Actor, channel: str) -> None:
        target = TRANSITIONS[name].target
        event = self.order().events.latest("pk")
        assert (event.action, event.from_status, event.to_status) == (
            name, self.model.state, target
        )
        assert (event.actor_kind, event.actor_id, event.channel) == (
            actor.kind, actor.user.pk if actor.user else None, channel
        )
        note_outcome(f"reached {target}")
        self.model.moves.append((name, self.model.state, target))
        self.model.state = target

    # --- rules -----------------------------------------------------------------------------

    @rule(name=st.sampled_from(list(TRANSITIONS)), who=st.sampled_from(ACTORS), data=st.data())
    def any_transition_by_anyone(self, name, who, data):
        self.attempt(name, who, data)

    @precondition(lambda self: self.model.state not in CLOSED)
    @rule(data=st.data())
    def a_transition_the_table_allows(self, data):
        choices = [
            (name, who) for name, t in TRANSITIONS.items() if self.model.state in t.sources
            for who in ACTORS if who in t.roles
        ]
        names = sorted({name for name, _ in choices})
        if not data.draw(st.booleans()):
            # Explore: somewhere this order has not been yet, as far from closing as possible.
            visited = {to for _, _, to in self.model.moves}
            names = [n for n in names if TRANSITIONS[n].target not in visited] or names
            deepest = max(DEPTH[TRANSITIONS[n].target] for n in names)
            names = [n for n in names if DEPTH[TRANSITIONS[n].target] == deepest]
        name = data.draw(st.sampled_from(names))
        who = data.draw(st.sampled_from([who for n, who in choices if n == name]))
        self.attempt(name, who, data)

    @precondition(lambda self: self.model.state in CLOSED)
    @rule()
    def the_next_customer(self):
        self.done.append(self.model)
        self.next_order()

    @rule(change=st.sampled_from(["notified", "copy reprinted", "link replaced"]),
          who=st.sampled_from(ACTORS))
    def a_change_that_keeps_the_state(self, change, who):
        order, model = self.order(), self.model
        if change == "notified":  # the first notification that reached the customer
            started = workflow.start_storage_clock(
                order=order, reached_at=timezone.now(), channel=EventChannel.EMAIL
            )
            assert started == (model.state in READY_STATES and not model.reached)
            if started:
                model.reached = True
                model.side.append(("storage_started", model.state, model.state))
            return
        act = (workflow.reissue_pickup_code if change == "copy reprinted"
               else workflow.replace_portal_link)
        if who not in COUNTER:
            with pytest.raises(workflow.NotAllowed):
                act(order=order, actor=self.actor(who))
            return
        if change == "copy reprinted":
            if model.state in CLOSED:
                with pytest.raises(workflow.WrongState):
                    act(order=order, actor=self.actor(who))
                return
            old, model.code = model.code, act(order=order, actor=self.actor(who))
            assert model.code != old
            model.side.append(("pickup_code_reissued", model.state, model.state))
            model.reprints += 1
        else:
            old = order.portal_token
            token = act(order=order, actor=self.actor(who))
            assert token != old
            assert self.order().portal_token == token
            model.side.append(("link_replaced", model.state, model.state))

    @rule()
    def someone_opens_the_order_page(self):
        self.page = self.order()

    @precondition(lambda self: self.page is not None)
    @rule(data=st.data())
    def submit_from_the_page_opened_earlier(self, data):
        """The page shows the order as it was; the change is made against that version."""
        page, model = self.page, self.model
        # Mostly a change the page offered (it shows no button for the others).
        offered = [n for n in FROM_A_PAGE if page.status in TRANSITIONS[n].sources]
        name = data.draw(st.sampled_from(
            offered if offered and not data.draw(st.booleans()) else FROM_A_PAGE))
        t = TRANSITIONS[name]
        # Mostly someone who may make the change (who may not is tested everywhere else).
        who = data.draw(st.sampled_from([w for w in ACTORS if w in t.roles] + [Role.CASHIER]))
        if who not in t.roles:
            expected = workflow.NotAllowed
        elif page.status not in t.sources:
            expected = workflow.WrongState  # the page itself already says it is not possible
        elif page.version == model.version:
            expected = None  # nothing changed since: as good as a fresh page
        elif model.state not in t.sources:
            expected = workflow.WrongState  # "R-000001 is now ..."
        else:
            expected = workflow.Conflict  # still possible, but not against what the page saw
        actor = self.actor(who)
        if expected is not None:
            with pytest.raises(expected) as raised:
                self.call(name, page, actor, data)
            note_outcome(f"page loaded earlier: {expected.__name__}")
            if expected is not workflow.NotAllowed:
                assert page.display_number in raised.value.message
            return
        assert page.status == model.state
        channel = self.call(name, page, actor, data)
        self.record(name, actor, channel)

    # --- what must always hold -------------------------------------------------------------

    @invariant()
    def the_database_matches_the_model(self):
        for model in [*self.done, self.model]:
            self.check(model)

    @staticmethod
    def check(model: Expected) -> None:
        order = Order.objects.get(pk=model.pk)
        assert order.status == model.state
        # One version per change of state and per reprint; take-in is version 1.
        assert order.version == model.version
        events = list(order.events.order_by("pk").values_list(
            "action", "from_status", "to_status"))
        moves = [e for e in events if e[1] != e[2]]
        assert moves == model.moves
        # The events chain from intake to the current state, each along an edge of the table.
        assert moves[0] == ("take_in", "", Status.RECEIVED)
        for (_, _, before), (action, after_from, after_to) in zip(moves, moves[1:]):
            assert before == after_from
            assert after_from in TRANSITIONS[action].sources
            assert after_to == TRANSITIONS[action].target
        assert moves[-1][2] == order.status
        others = [e for e in events if e[1] == e[2]]
        assert others == model.side
        assert {action for action, _, _ in others} <= SIDE_ACTIONS


@pytest.mark.django_db
def test_random_walks_follow_the_table(users_by_role, customer):
    machine = type("Machine", (WorkflowMachine,), {"users": users_by_role, "customer": customer})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
