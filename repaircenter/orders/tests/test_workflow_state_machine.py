"""Random walks through orders' lives, checked against a model built from `TRANSITIONS`.

Each example takes a new order in and then makes random changes to it: any transition of the
table by anyone (each staff role, the customer, the system), reprints of the customer's copy,
link replacements, the storage clock, and changes submitted from a page loaded earlier. When
the order is issued or disposed of, the next one is taken in. Estimates are real drafts written
by the technician with random lines; a supplementary estimate is drawn as needed to finish the
repair or not.

Several transitions share one function, which picks the entry by the order's situation (its
state and, while a decision is awaited, the kind of estimate awaited: Order.pending_supplement).
The model picks the same way, then says what must happen (the table allows this actor in this
situation: the target state; otherwise the error and no change). After every step each order
in the database must match the model: its state, version, the decision awaited, its events
(exactly the history the model recorded, chained along the table), the status and the lines of
every estimate sent, the messages queued for the customer, and the amount due.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
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
from repaircenter.conftest import pay_balance, take_in, write_estimate
from repaircenter.orders import estimates, repair, workflow
from repaircenter.orders.credentials import format_pickup_code
from repaircenter.orders.dues import amount_due
from repaircenter.orders.models import (
    READY_STATES,
    ActorKind,
    EquipmentKind,
    Estimate,
    EstimateStatus,
    EventChannel,
    Order,
    PendingSupplement,
    Status,
)
from repaircenter.orders.workflow import CUSTOMER, SYSTEM, TRANSITIONS, Actor

NOTE = "Checked: 30 min under load, temperatures normal."
ACTORS = [*sorted(STAFF_ROLES), CUSTOMER, SYSTEM]
COUNTER = {Role.RECEPTIONIST, Role.MANAGER}  # who reprints the copy and replaces the link
WRITERS = {Role.TECHNICIAN, Role.MANAGER}  # who writes estimates and findings
CLOSED = {Status.ISSUED, Status.DISPOSED}
SIDE_ACTIONS = {"link_replaced", "pickup_code_reissued", "storage_started", "findings_recorded",
                "work_done", "payment"}
SYSTEM_ONLY = {name for name, t in TRANSITIONS.items() if t.roles == {SYSTEM}}
P = PendingSupplement
AD = Status.AWAITING_DECISION
FEE = Decimal("25.00")  # the diagnostics fee of the kind of equipment taken in
CENT = Decimal("0.01")

# The transitions made by one function, which picks among them by the order's situation.
FAMILIES = {
    "send_estimate": ("send_estimate", "revise_estimate", "send_supplement"),
    "approve": ("approve", "approve_supplement"),
    "refuse": ("refuse", "refuse_supplement", "refuse_required_supplement"),
    "lapse_decision": ("lapse_decision", "lapse_supplement", "lapse_required_supplement"),
}
FUNCTION = {name: head for head, names in FAMILIES.items() for name in names}
SENDS, APPROVALS = FAMILIES["send_estimate"], FAMILIES["approve"]
REFUSALS, LAPSES = FAMILIES["refuse"], FAMILIES["lapse_decision"]

# Transitions whose only rules besides the table are a note or a channel (with its evidence),
# which a page loaded earlier supplies as well as a fresh one (issuance and disposal also check
# the order's fields; sending needs a draft).
FROM_A_PAGE = [
    name for name, t in TRANSITIONS.items()
    if t.manual and set(t.needs) <= {"note", "channel"} and name != "confirm_disposal"
]
EVIDENCE = {
    EventChannel.PHONE: {"said": "Yes, do it.", "taken_by": "test"},
    EventChannel.EMAIL: {"email_text": "Please go ahead."},
    EventChannel.IN_PERSON: {"signed_slip": True},
}
LINES = st.lists(
    st.tuples(
        st.sampled_from(["Replace the charging port", "New battery", "Clean the board"]),
        st.sampled_from(["1", "2", "0.5", "1.25"]),
        st.sampled_from(["0.00", "0.10", "19.99", "33.33", "45.00"]),
    ),
    min_size=1,
    max_size=3,
)


def applies(name: str, state: str, pending: str) -> bool:
    t = TRANSITIONS[name]
    if t.claim_only:  # the walks' orders are no warranty claims (see test_warranty.py)
        return False
    return state in t.sources and (t.pending is None or state != AD or pending in t.pending)


def dispatch(name: str, state: str, pending: str) -> str:
    """The transition the function of `name` makes in this situation: the one of its family
    that applies, else the family's first (which then refuses)."""
    names = FAMILIES.get(FUNCTION.get(name, ""), (name,))
    return next((n for n in names if applies(n, state, pending)), names[0])


def line_total(quantity: str, price: str) -> Decimal:
    return (Decimal(quantity) * Decimal(price)).quantize(CENT)


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
    pending: str = P.NONE  # the kind of estimate a decision is awaited on
    moves: list = field(default_factory=lambda: [("take_in", "", Status.RECEIVED)])
    side: list = field(default_factory=list)
    reached: bool = False  # the storage clock started
    reprints: int = 0  # a reprinted customer's copy raises the version too
    # Every estimate sent: its status, and its lines (description, quantity, price) as sent.
    estimates: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    messages: list = field(default_factory=lambda: ["order_received"])
    unrepaired: bool = False

    @property
    def version(self) -> int:
        return len(self.moves) + self.reprints

    @property
    def current(self) -> int | None:
        """The estimate awaiting the customer's decision."""
        sent = [pk for pk, status in self.estimates.items() if status == EstimateStatus.SENT]
        assert len(sent) <= 1
        return sent[0] if sent else None

    @property
    def due(self) -> Decimal:
        if self.unrepaired:
            return FEE
        return sum((line_total(q, p) for pk, status in self.estimates.items()
                    if status == EstimateStatus.APPROVED for _, q, p in self.lines[pk]),
                   Decimal("0.00"))


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

    def draft(self, order: Order, data) -> tuple[Estimate, list]:
        """The technician's draft with random lines; where the order takes no estimate now, a
        draft left from earlier. Returns it and the lines it must have when sent."""
        lines = data.draw(LINES)
        try:
            estimates.draft_kind(order)
        except workflow.WrongState:
            left = Estimate.objects.create(order=order, number=order.estimates.count() + 1,
                                           kind="main", created_by=self.users[Role.TECHNICIAN],
                                           repair_days=1)
            return left, lines
        if order.status == Status.REPAIRING:
            required = data.draw(st.booleans())
        else:  # a revision keeps what the estimate it replaces says
            required = order.pending_supplement == P.REQUIRED
        draft = write_estimate(order, self.users[Role.TECHNICIAN], lines=lines,
                               required_to_finish=required)
        # A revision starts as a copy of the estimate it replaces.
        copied = self.model.lines[self.model.current] if order.status == AD else []
        return draft, [*copied, *lines]

    def call(self, name, order, actor, data, issue_by="code"):
        """Make the change that `name` stands for with valid inputs (its function picks the
        transition); returns what the event's channel must be and, for a send, the estimate
        and its lines."""
        function = FUNCTION.get(name, name)
        if function == "send_estimate":
            draft, lines = self.draft(order, data)
            try:
                workflow.send_estimate(order=order, actor=actor, estimate=draft)
            except workflow.WorkflowError:
                # Nothing was sent: the test throws its draft away, as the technician would.
                Estimate.objects.filter(pk=draft.pk, status=EstimateStatus.DRAFT).delete()
                raise
            return EventChannel.STAFF, (draft.pk, lines)
        if function == "lapse_decision":
            past(order, "decision_due")
            workflow.lapse_decision(order=order)
            return EventChannel.SYSTEM, None
        if name in ("await_parts", "parts_arrived"):  # the system's, on the parts (no actor)
            getattr(workflow, name)(order=order)
            return EventChannel.SYSTEM, None
        if name == "mark_disposal_due":
            past(order, "storage_due")
            workflow.mark_disposal_due(order=order)
            return EventChannel.SYSTEM, None
        if function in ("approve", "refuse"):
            channel = data.draw(st.sampled_from(workflow.STAFF_DECISION_CHANNELS))
            getattr(workflow, function)(order=order, actor=actor, channel=channel,
                                        evidence=EVIDENCE[channel], note=NOTE)
            return (EventChannel.ORDER_PAGE if actor.kind == ActorKind.CUSTOMER else channel), None
        if name == "finish_works":
            self.prepare_to_finish()
        if name == "issue":
            self.prepare_to_issue()
        if name in ("pass_test", "fail_test"):
            workflow.record_test(order=order, actor=actor, passed=name == "pass_test", note=NOTE)
        elif name == "declare_not_repairable":
            workflow.declare_not_repairable(order=order, actor=actor, note=NOTE)
        elif name == "confirm_disposal":
            if order.storage_due is None or order.storage_due > timezone.now():
                past(order, "storage_due")
            workflow.confirm_disposal(order=order, actor=actor, method="recycled", note=NOTE)
        elif name == "issue":
            if issue_by == "identity":
                workflow.issue(order=order, actor=actor, lost_original=workflow.LostOriginal(
                    "Passport", "987654", "I lost the paper copy."))
            else:
                code = self.model.code
                typed = code if issue_by == "code" else format_pickup_code(code).lower()
                workflow.issue(order=order, actor=actor, pickup_code=typed)
        else:
            getattr(workflow, name)(order=order, actor=actor)
        return (EventChannel.SYSTEM if actor.kind == ActorKind.SYSTEM else EventChannel.STAFF), None

    def prepare_to_finish(self) -> None:
        """At the bench the technician marks every agreed line done before finishing."""
        order, model = self.order(), self.model
        if model.state != Status.REPAIRING:
            return
        for line in workflow.lines_not_done(order):
            repair.mark_line_done(order=order, actor=self.actor(Role.TECHNICIAN),
                                  line_id=line.pk)
            model.side.append(("work_done", model.state, model.state))

    def prepare_to_issue(self) -> None:
        """At the counter the cashier takes what is due before the equipment is handed over."""
        order, model = self.order(), self.model
        if model.state not in (*READY_STATES, Status.DISPOSAL_DUE):
            return
        if pay_balance(order, self.users[Role.CASHIER]) is not None:
            model.side.append(("payment", model.state, model.state))

    def attempt(self, name: str, who: str, data) -> None:
        order = self.order()
        if name in SYSTEM_ONLY and who != SYSTEM:
            # The sweeps' functions take no actor: nobody else can even ask.
            assert not workflow.is_allowed(name, order, self.actor(who))
            return
        model = self.model
        made = dispatch(name, model.state, model.pending)
        t = TRANSITIONS[made]
        issue_by = "code"
        if name == "issue":
            issue_by = data.draw(st.sampled_from(["code", "typed", "identity"]))
        if who not in t.roles:
            expected = workflow.NotAllowed
        elif not applies(made, model.state, model.pending):
            expected = workflow.WrongState
        elif issue_by == "identity" and who != Role.MANAGER:
            expected = workflow.NotAllowed  # without the original: managers only
        elif made == "confirm_disposal" and not model.reached:
            expected = workflow.Refused  # no notice ever reached the customer
        else:
            expected = None
        actor = self.actor(who)
        if expected is not None:
            with pytest.raises(expected):
                self.call(name, order, actor, data, issue_by)
            note_outcome(expected.__name__)
            return
        channel, sent = self.call(name, order, actor, data, issue_by)
        self.record(made, actor, channel, sent)

    def record(self, name: str, actor: Actor, channel: str, sent=None) -> None:
        model = self.model
        target = TRANSITIONS[name].target
        event = self.order().events.latest("pk")
        assert (event.action, event.from_status, event.to_status) == (
            name, model.state, target
        )
        assert (event.actor_kind, event.actor_id, event.channel) == (
            actor.kind, actor.user.pk if actor.user else None, channel
        )
        current = model.current
        if current is not None and name in (*APPROVALS, *REFUSALS):
            # The decision names the estimate it was taken on.
            assert event.evidence["estimate"] == Estimate.objects.get(pk=current).display_number
        note_outcome(f"reached {target} by {name}")
        model.moves.append((name, model.state, target))
        model.state = target

        # What the change does to the estimates, the decision awaited and the messages.
        if name in SENDS:
            pk, lines = sent
            if current is not None:
                model.estimates[current] = EstimateStatus.REPLACED
            model.estimates[pk], model.lines[pk] = EstimateStatus.SENT, lines
            estimate = Estimate.objects.get(pk=pk)
            if name == "send_supplement":
                model.pending = P.REQUIRED if estimate.required_to_finish else P.OPTIONAL
            elif name == "send_estimate":
                model.pending = P.NONE
            model.messages.append("estimate_ready")
            total = sum((line_total(q, p) for _, q, p in lines), Decimal("0.00"))
            message = self.order().messages.latest("pk")
            assert f"{total} {django_settings.CURRENCY}" in message.body, (message.body, total)
        elif name in (*APPROVALS, *REFUSALS, *LAPSES):
            if current is not None:
                model.estimates[current] = (
                    EstimateStatus.APPROVED if name in APPROVALS
                    else EstimateStatus.REFUSED if name in REFUSALS else EstimateStatus.LAPSED
                )
            model.pending = P.NONE
        if target == Status.READY_UNREPAIRED:
            model.unrepaired = True
            model.messages.append("ready_unrepaired")
        elif target == Status.READY_REPAIRED:
            model.messages.append("ready_repaired")
        elif target == Status.DISPOSAL_DUE:
            model.messages.append("disposal_warning")

    # --- rules -----------------------------------------------------------------------------

    @rule(name=st.sampled_from([n for n, t in TRANSITIONS.items() if not t.claim_only]),
          who=st.sampled_from(ACTORS), data=st.data())
    def any_transition_by_anyone(self, name, who, data):
        self.attempt(name, who, data)

    @precondition(lambda self: self.model.state not in CLOSED)
    @rule(data=st.data())
    def a_transition_the_table_allows(self, data):
        model = self.model
        choices = [
            (name, who) for name, t in TRANSITIONS.items()
            if applies(name, model.state, model.pending)
            for who in ACTORS if who in t.roles
        ]
        names = sorted({name for name, _ in choices})
        if data.draw(st.integers(0, 3)):  # mostly explore; sometimes any change allowed
            # Explore: a change no order of this walk has been through yet (a supplementary
            # estimate, its refusal, its lapse...), as far from closing as possible.
            made = {name for m in [*self.done, model] for name, _, _ in m.moves}
            names = [n for n in names if n not in made] or names
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

    @rule(change=st.sampled_from(["notified", "copy reprinted", "link replaced", "findings"]),
          who=st.sampled_from(ACTORS))
    def a_change_that_keeps_the_state(self, change, who):
        order, model = self.order(), self.model
        if change == "findings":  # the technician's findings
            if who not in WRITERS:
                with pytest.raises(workflow.NotAllowed):
                    workflow.record_findings(order=order, actor=self.actor(who), findings=NOTE)
                return
            if model.state not in (Status.DIAGNOSING, Status.REPAIRING):
                with pytest.raises(workflow.WrongState):
                    workflow.record_findings(order=order, actor=self.actor(who), findings=NOTE)
                return
            workflow.record_findings(order=order, actor=self.actor(who), findings=NOTE)
            model.side.append(("findings_recorded", model.state, model.state))
            return
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
            old = order.link_token
            token = act(order=order, actor=self.actor(who))
            assert token != old
            assert self.order().link_token == token
            model.side.append(("link_replaced", model.state, model.state))

    @rule()
    def someone_opens_the_order_page(self):
        self.page = self.order()

    @precondition(lambda self: self.page is not None)
    @rule(data=st.data())
    def submit_from_the_page_opened_earlier(self, data):
        """The page shows the order as it was; the change is made against that version, and
        its function picks the transition by the situation the page shows."""
        page, model = self.page, self.model
        # Mostly a change the page offered (it shows no button for the others).
        offered = [n for n in FROM_A_PAGE
                   if applies(n, page.status, page.pending_supplement)]
        name = data.draw(st.sampled_from(
            offered if offered and not data.draw(st.booleans()) else FROM_A_PAGE))
        made = dispatch(name, page.status, page.pending_supplement)
        t = TRANSITIONS[made]
        # Mostly someone who may make the change (who may not is tested everywhere else).
        who = data.draw(st.sampled_from([w for w in ACTORS if w in t.roles] + [Role.CASHIER]))
        if who not in t.roles:
            expected = workflow.NotAllowed
        elif not applies(made, page.status, page.pending_supplement):
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
        assert (page.status, page.pending_supplement) == (model.state, model.pending)
        channel, sent = self.call(name, page, actor, data)
        self.record(made, actor, channel, sent)

    # --- what must always hold -------------------------------------------------------------

    @invariant()
    def the_database_matches_the_model(self):
        for model in [*self.done, self.model]:
            self.check(model)

    @staticmethod
    def check(model: Expected) -> None:
        order = Order.objects.prefetch_related("estimates__lines").get(pk=model.pk)
        assert order.status == model.state
        assert order.pending_supplement == model.pending
        # One version per change of state and per reprint; take-in is version 1.
        assert order.version == model.version
        events = list(order.events.order_by("pk").values_list(
            "action", "from_status", "to_status"))
        # A revision is a transition that keeps the state; a side change is not a transition.
        moves = [e for e in events if e[0] in TRANSITIONS or e[0] == "take_in"]
        assert moves == model.moves
        # The events chain from intake to the current state, each along an edge of the table.
        assert moves[0] == ("take_in", "", Status.RECEIVED)
        for (_, _, before), (action, after_from, after_to) in zip(moves, moves[1:]):
            assert before == after_from
            assert after_from in TRANSITIONS[action].sources
            assert after_to == TRANSITIONS[action].target
        assert moves[-1][2] == order.status
        others = [e for e in events if e not in moves]
        assert all(before == after for _, before, after in others)
        assert others == model.side
        assert {action for action, _, _ in others} <= SIDE_ACTIONS

        # Estimates: only a draft is ever left unsent, and a sent one never changes.
        sent = {e.pk: e for e in order.estimates.all() if e.status != EstimateStatus.DRAFT}
        assert {pk: e.status for pk, e in sent.items()} == model.estimates
        for pk, estimate in sent.items():
            assert [(line.description, line.quantity, line.unit_price)
                    for line in estimate.lines.all()] == [
                (d, Decimal(q), Decimal(p)) for d, q, p in model.lines[pk]
            ]
        # A decision is awaited exactly while one estimate awaits it.
        assert (order.status == AD) == (model.current is not None)
        assert list(order.messages.values_list("event", flat=True)) == model.messages
        assert amount_due(order) == model.due


@pytest.mark.django_db
def test_random_walks_follow_the_table(users_by_role, customer):
    EquipmentKind.objects.update_or_create(name="Phone", defaults={"diagnostics_fee": FEE})
    machine = type("Machine", (WorkflowMachine,), {"users": users_by_role, "customer": customer})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
