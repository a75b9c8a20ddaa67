"""Issue 3 at the level of the services: the estimate a technician writes (`orders.estimates`),
sending it, and the customer's decision through every channel (`orders.workflow`); the
supplementary estimate; the money (`billing.dues.amount_due`); the deadlines in the center's
calendar; and the messages queued for the customer (`notifications.models.Message`).

The clock is fixed with `unittest.mock.patch("django.utils.timezone.now")` where a test needs a
given moment of sending: that is time, not a collaborator.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from repaircenter.conftest import send_new_estimate, take_in, write_estimate
from repaircenter.core.calendar import months_later
from repaircenter.core.models import CenterSettings, Holiday
from repaircenter.core.templatetags.money import money
from repaircenter.customers.models import Customer
from repaircenter.notifications.models import Message
from repaircenter.orders import estimates, workflow
from repaircenter.orders.credentials import portal_url
from repaircenter.orders.dues import amount_due
from repaircenter.orders.models import (
    ActorKind,
    EquipmentKind,
    Estimate,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    EventChannel,
    Order,
    OrderEvent,
    PendingSupplement,
    PriceListEntry,
    Status,
    UnrepairedReason,
)
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
P = PendingSupplement
AD = Status.AWAITING_DECISION
FEE = Decimal("20.00")
REASON = "The customer finds it too expensive."

# The estimate make_order sends: one line of 45.00.
MAIN_TOTAL = Decimal("45.00")
SUPPLEMENT_LINES = (("Replace the battery", "1", "30.00"), ("Battery (part)", "1", "19.99"))
SUPPLEMENT_TOTAL = Decimal("49.99")

PHONE_EVIDENCE = {"said": "Yes, go ahead with the repair.", "taken_by": "Rita",
                  "called_at": "2026-05-14T10:20"}
STAFF_CHANNELS = [
    pytest.param(EventChannel.PHONE, PHONE_EVIDENCE, id="phone"),
    pytest.param(EventChannel.EMAIL,
                 {"email_text": "From: alice@example.com\nSubject: R-000001\n\nYes, please."},
                 id="email"),
    pytest.param(EventChannel.IN_PERSON, {"signature_file": "signatures/1/decision.png"},
                 id="in-person-pad"),
    pytest.param(EventChannel.IN_PERSON, {"signed_slip": True}, id="in-person-slip"),
]


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def fee(db):
    """The kind of equipment make_order takes in charges FEE when returned unrepaired."""
    EquipmentKind.objects.update_or_create(name="Phone", defaults={"diagnostics_fee": FEE})
    return FEE


@pytest.fixture
def make_situation(make_order, technician):
    """An order in `state`; awaiting a decision on a supplementary estimate if `pending`."""

    def make(state: str, pending: str = P.NONE) -> Order:
        if not pending:
            return make_order(state)
        order = make_order(Status.REPAIRING)
        send_new_estimate(order, technician, lines=SUPPLEMENT_LINES,
                          required_to_finish=pending == P.REQUIRED)
        assert (order.status, order.pending_supplement) == (AD, pending)
        return order

    return make


@dataclass(frozen=True)
class Snapshot:
    status: str
    version: int
    pending: str
    events: int
    estimates: tuple
    lines: tuple
    messages: int


def snapshot(order: Order) -> Snapshot:
    row = Order.objects.get(pk=order.pk)
    return Snapshot(
        row.status, row.version, row.pending_supplement, row.events.count(),
        tuple(row.estimates.order_by("number").values_list("number", "status")),
        tuple(EstimateLine.objects.filter(estimate__order=row).order_by("pk").values_list(
            "pk", "estimate_id", "position", "line_kind", "description", "quantity",
            "unit_price")),
        row.messages.count(),
    )


def lines_of(estimate: Estimate) -> list[tuple]:
    return list(estimate.lines.order_by("position").values_list(
        "position", "line_kind", "description", "quantity", "unit_price"))


def due(order: Order) -> Decimal:
    return amount_due(Order.objects.get(pk=order.pk))


# --- the decision, through each channel -------------------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "refuse"])
@pytest.mark.parametrize("channel,evidence", STAFF_CHANNELS)
def test_staff_record_the_decision_with_the_channel_and_its_evidence(
    decision, channel, evidence, make_order, receptionist
):
    order = make_order(AD)
    estimate = workflow.current_estimate(order)
    getattr(workflow, decision)(order=order, actor=Actor.staff(receptionist), channel=channel,
                                evidence=evidence, note=REASON if decision == "refuse" else "")
    event = order.events.latest("pk")
    assert event.action == decision
    assert (event.actor_kind, event.actor, event.channel) == (
        ActorKind.STAFF, receptionist, channel
    )
    # The evidence as given, and which estimate the decision was taken on.
    assert event.evidence == {**evidence, "estimate": estimate.display_number}
    if decision == "refuse":
        assert event.note == REASON
    order.refresh_from_db()
    estimate.refresh_from_db()
    assert order.status == (Status.APPROVED if decision == "approve" else Status.READY_UNREPAIRED)
    assert estimate.status == (
        EstimateStatus.APPROVED if decision == "approve" else EstimateStatus.REFUSED
    )
    assert estimate.decided_at == order.decided_at == event.at


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_the_customer_decides_on_the_order_page_without_staff_evidence(decision, make_order):
    order = make_order(AD)
    estimate = workflow.current_estimate(order)
    browser = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (Android 14)"}
    # Whatever channel a caller passes, the customer's own channel is the order page, and a
    # refusal needs no reason from them.
    getattr(workflow, decision)(order=order, actor=Actor.customer(), channel=EventChannel.PHONE,
                                evidence=browser)
    event = order.events.latest("pk")
    assert (event.action, event.actor_kind, event.actor, event.channel) == (
        decision, ActorKind.CUSTOMER, None, EventChannel.ORDER_PAGE
    )
    assert event.evidence == {**browser, "estimate": estimate.display_number}
    assert event.note == ""


MISSING_EVIDENCE = [
    pytest.param(EventChannel.PHONE, {}, "what the customer said", id="phone-nothing"),
    pytest.param(EventChannel.PHONE, {"said": ""}, "what the customer said", id="phone-empty"),
    pytest.param(EventChannel.PHONE, {"said": None, "taken_by": "Rita"},
                 "what the customer said", id="phone-who-but-not-what"),
    pytest.param(EventChannel.PHONE, {"email_text": "Yes"}, "what the customer said",
                 id="phone-with-an-email"),
    pytest.param(EventChannel.EMAIL, {}, "text of the customer's email", id="email-nothing"),
    pytest.param(EventChannel.EMAIL, {"said": "Yes"}, "text of the customer's email",
                 id="email-with-words"),
    pytest.param(EventChannel.IN_PERSON, {}, "sign", id="in-person-nothing"),
    pytest.param(EventChannel.IN_PERSON, {"signed_slip": ""}, "sign", id="in-person-unticked"),
    pytest.param(EventChannel.IN_PERSON, {"said": "Yes"}, "sign", id="in-person-words-only"),
]


@pytest.mark.parametrize("decision", ["approve", "refuse"])
@pytest.mark.parametrize("channel,evidence,says", MISSING_EVIDENCE)
def test_a_staff_decision_without_its_evidence_is_refused_saying_what_is_missing(
    decision, channel, evidence, says, make_order, receptionist
):
    order = make_order(AD)
    before = snapshot(order)
    with pytest.raises(workflow.Refused) as raised:
        getattr(workflow, decision)(order=order, actor=Actor.staff(receptionist),
                                    channel=channel, evidence=evidence, note=REASON)
    assert says in raised.value.message
    assert snapshot(order) == before


@pytest.mark.parametrize("note", ["", "  \n"])
def test_a_staff_refusal_needs_the_customers_reason(note, make_order, receptionist):
    order = make_order(AD)
    before = snapshot(order)
    with pytest.raises(workflow.Refused) as raised:
        workflow.refuse(order=order, actor=Actor.staff(receptionist),
                        channel=EventChannel.PHONE, evidence=PHONE_EVIDENCE, note=note)
    assert raised.value.message == "Write the customer's reason for refusing."
    assert snapshot(order) == before


# --- refusal from every state -----------------------------------------------------------------

SITUATIONS = [(state, P.NONE) for state in Status.values] + [(AD, P.OPTIONAL), (AD, P.REQUIRED)]
# Where a refusal leads: any time before the repair starts, back unrepaired; a supplementary
# estimate refused, the repair goes on unless it cannot finish without it.
REFUSAL = {
    (Status.RECEIVED, P.NONE): Status.READY_UNREPAIRED,
    (Status.DIAGNOSING, P.NONE): Status.READY_UNREPAIRED,
    (AD, P.NONE): Status.READY_UNREPAIRED,
    (Status.APPROVED, P.NONE): Status.READY_UNREPAIRED,
    (Status.WAITING_FOR_PARTS, P.NONE): Status.READY_UNREPAIRED,
    (AD, P.OPTIONAL): Status.REPAIRING,
    (AD, P.REQUIRED): Status.READY_UNREPAIRED,
}


def _situation_id(situation):
    state, pending = situation
    return f"{state}+{pending}" if pending else state


@pytest.mark.parametrize("who", ["receptionist", "manager", "customer"])
@pytest.mark.parametrize("situation", list(REFUSAL), ids=_situation_id)
def test_refusal_is_possible_from_every_state_before_the_repair(
    situation, who, make_situation, users_by_role, fee
):
    order = make_situation(*situation)
    actor = Actor.customer() if who == "customer" else Actor.staff(users_by_role[who])
    workflow.refuse(order=order, actor=actor, channel=EventChannel.IN_PERSON,
                    evidence={"signed_slip": True}, note=REASON)
    order.refresh_from_db()
    target = REFUSAL[situation]
    assert (order.status, order.pending_supplement) == (target, P.NONE)
    event = order.events.latest("pk")
    assert (event.from_status, event.to_status) == (situation[0], target)
    if target == Status.READY_UNREPAIRED:
        assert order.unrepaired_reason == UnrepairedReason.REFUSED
        assert order.ready_at == event.at
        assert due(order) == fee
        assert order.messages.latest("pk").event == "ready_unrepaired"
    else:
        assert (order.unrepaired_reason, order.ready_at) == ("", None)
        assert due(order) == MAIN_TOTAL


@pytest.mark.parametrize(
    "situation", [s for s in SITUATIONS if s not in REFUSAL], ids=_situation_id
)
def test_refusal_from_any_other_state_is_wrong_state_naming_the_order_and_its_state(
    situation, make_situation, receptionist
):
    order = make_situation(*situation)
    before = snapshot(order)
    for actor in (Actor.staff(receptionist), Actor.customer()):
        with pytest.raises(workflow.WrongState) as raised:
            workflow.refuse(order=order, actor=actor, channel=EventChannel.PHONE,
                            evidence=PHONE_EVIDENCE, note=REASON)
        assert order.display_number in raised.value.message
        assert order.get_status_display().lower() in raised.value.message
    assert snapshot(order) == before


# --- writing the estimate ---------------------------------------------------------------------


def test_start_draft_gives_the_orders_one_draft(make_order, technician, manager):
    order = make_order(Status.DIAGNOSING)
    first = estimates.start_draft(order=order, actor=Actor.staff(technician))
    again = estimates.start_draft(order=order, actor=Actor.staff(manager))
    assert again.pk == first.pk
    assert (first.kind, first.status, first.number) == (EstimateKind.MAIN, EstimateStatus.DRAFT, 1)
    assert order.estimates.count() == 1
    # Writing an estimate does not change the order.
    order.refresh_from_db()
    assert (order.status, order.version) == (Status.DIAGNOSING, 2)


@pytest.mark.parametrize("role", ["receptionist", "consultant", "cashier"])
def test_only_technicians_and_managers_write_estimates(role, make_order, users_by_role):
    order = make_order(Status.DIAGNOSING)
    with pytest.raises(workflow.NotAllowed):
        estimates.start_draft(order=order, actor=Actor.staff(users_by_role[role]))
    assert not order.estimates.exists()


@pytest.mark.parametrize("state", [Status.RECEIVED, Status.APPROVED, Status.TESTING,
                                   Status.READY_UNREPAIRED, Status.ISSUED])
def test_no_estimate_is_written_outside_diagnostics_a_decision_or_the_repair(
    state, make_order, technician
):
    order = make_order(state)
    with pytest.raises(workflow.WrongState) as raised:
        estimates.start_draft(order=order, actor=Actor.staff(technician))
    assert order.display_number in raised.value.message
    assert not order.estimates.filter(status=EstimateStatus.DRAFT).exists()


def test_a_price_list_entry_fills_a_line_that_can_be_edited(make_order, technician, phone_kind):
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    screen = PriceListEntry.objects.create(equipment_kind=phone_kind, line_kind="part",
                                           description="Screen", unit_price=Decimal("89.90"))
    other_kind = EquipmentKind.objects.get_or_create(name="Laptop")[0]
    keyboard = PriceListEntry.objects.create(equipment_kind=other_kind, line_kind="part",
                                             description="Keyboard",
                                             unit_price=Decimal("40.00"))
    draft = estimates.start_draft(order=order, actor=actor)
    line = estimates.add_from_price_list(estimate=draft, actor=actor, entry_id=screen.pk)
    assert (line.description, line.quantity, line.unit_price, line.price_list_entry) == (
        "Screen", Decimal("1"), Decimal("89.90"), screen
    )
    estimates.update_line(line=line, actor=actor, description="Screen (OEM)",
                          quantity=Decimal("1"), unit_price=Decimal("79.90"))
    assert lines_of(draft) == [(1, "part", "Screen (OEM)", Decimal("1.00"), Decimal("79.90"))]
    with pytest.raises(workflow.Refused):  # another kind's entry is not offered
        estimates.add_from_price_list(estimate=draft, actor=actor, entry_id=keyboard.pk)
    assert draft.lines.count() == 1


# --- a sent estimate never changes ------------------------------------------------------------


def _estimate_in(status: str, make_order, technician, receptionist) -> Estimate:
    """An estimate that has left the draft stage with `status`."""
    if status == EstimateStatus.APPROVED:
        order = make_order(Status.APPROVED)
        return order.estimates.get()
    order = make_order(AD)
    estimate = workflow.current_estimate(order)
    if status == EstimateStatus.REPLACED:
        send_new_estimate(order, technician, lines=(("Replace the port", "1", "40.00"),))
    elif status == EstimateStatus.REFUSED:
        workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                        evidence=PHONE_EVIDENCE, note=REASON)
    elif status == EstimateStatus.LAPSED:
        Order.objects.filter(pk=order.pk).update(decision_due=timezone.now())
        order.refresh_from_db(fields=["decision_due"])
        workflow.lapse_decision(order=order)
    estimate.refresh_from_db()
    assert estimate.status == status
    return estimate


CHANGES = {
    "add_line": lambda estimate, line, actor, entry: estimates.add_line(
        estimate=estimate, actor=actor, line_kind="part", description="Extra cable",
        quantity=Decimal("1"), unit_price=Decimal("5.00")),
    "add_from_price_list": lambda estimate, line, actor, entry: estimates.add_from_price_list(
        estimate=estimate, actor=actor, entry_id=entry.pk),
    "update_line": lambda estimate, line, actor, entry: estimates.update_line(
        line=line, actor=actor, description="Cheaper port", quantity=Decimal("1"),
        unit_price=Decimal("1.00")),
    "remove_line": lambda estimate, line, actor, entry: estimates.remove_line(
        line=line, actor=actor),
    "update_details": lambda estimate, line, actor, entry: estimates.update_details(
        estimate=estimate, actor=actor, repair_days=30, recommendation="Changed",
        internal_notes="Changed"),
    "discard_draft": lambda estimate, line, actor, entry: estimates.discard_draft(
        estimate=estimate, actor=actor),
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("status", [EstimateStatus.SENT, EstimateStatus.APPROVED,
                                    EstimateStatus.REPLACED, EstimateStatus.REFUSED,
                                    EstimateStatus.LAPSED])
def test_a_sent_estimate_cannot_be_changed(status, change, make_order, technician,
                                           receptionist):
    estimate = _estimate_in(status, make_order, technician, receptionist)
    entry = PriceListEntry.objects.create(line_kind="work", description="Cleaning",
                                          unit_price=Decimal("15.00"))
    line = estimate.lines.get()
    order = estimate.order
    before = snapshot(order)
    details = Estimate.objects.filter(pk=estimate.pk).values(
        "repair_days", "recommendation", "internal_notes", "status", "sent_at").get()

    with pytest.raises(workflow.Refused) as raised:
        CHANGES[change](estimate, line, Actor.staff(technician), entry)

    assert raised.value.message == (
        f"Estimate {estimate.display_number} has been sent and can no longer change. "
        "Write a new one to replace it."
    )
    # Not a line added, changed or removed; not a detail changed.
    assert snapshot(order) == before
    assert Estimate.objects.filter(pk=estimate.pk).values(
        "repair_days", "recommendation", "internal_notes", "status", "sent_at").get() == details


def test_a_draft_cannot_be_sent_twice(make_order, technician):
    order = make_order(Status.DIAGNOSING)
    draft = write_estimate(order, technician)
    workflow.send_estimate(order=order, actor=Actor.staff(technician), estimate=draft)
    order.refresh_from_db()
    before = snapshot(order)
    with pytest.raises(workflow.Conflict):
        workflow.send_estimate(order=order, actor=Actor.staff(technician),
                               estimate=Estimate.objects.get(pk=draft.pk))
    assert snapshot(order) == before


@pytest.mark.parametrize("fault", ["no line", "no repair time", "another order's draft"])
def test_an_incomplete_or_foreign_draft_is_not_sent(fault, make_order, technician):
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    if fault == "another order's draft":
        other = make_order(Status.DIAGNOSING)
        draft = write_estimate(other, technician)
    else:
        draft = estimates.start_draft(order=order, actor=actor)
        if fault == "no repair time":
            estimates.add_line(estimate=draft, actor=actor, line_kind="work",
                               description="Replace the port", quantity=Decimal("1"),
                               unit_price=Decimal("45.00"))
    before = snapshot(order)
    with pytest.raises(workflow.Refused) as raised:
        workflow.send_estimate(order=order, actor=actor, estimate=draft)
    assert raised.value.message == {
        "no line": "Add at least one line before sending the estimate.",
        "no repair time": "Give the expected repair time in working days.",
        "another order's draft": "This estimate belongs to another order.",
    }[fault]
    assert snapshot(order) == before
    draft.refresh_from_db()
    assert draft.status == EstimateStatus.DRAFT


# --- a revision replaces the estimate ---------------------------------------------------------


def test_a_revision_starts_as_a_copy_and_replaces_the_estimate_when_sent(
    make_order, technician
):
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    first = send_new_estimate(
        order, technician, lines=(("Replace the port", "1", "45.00"), ("Cable", "2", "3.50")),
        repair_days=3, recommendation="Worth repairing.", internal_notes="Check the cable.",
    )
    first_lines = lines_of(first)

    draft = estimates.start_draft(order=order, actor=actor)
    assert (draft.kind, draft.number, draft.status) == (
        EstimateKind.MAIN, 2, EstimateStatus.DRAFT
    )
    assert lines_of(draft) == first_lines
    assert (draft.repair_days, draft.recommendation, draft.internal_notes) == (
        3, "Worth repairing.", "Check the cable."
    )
    # Until it is sent, the customer still has the first one before them.
    assert workflow.current_estimate(order) == first
    port = draft.lines.get(position=1)
    estimates.update_line(line=port, actor=actor, description="Replace the port",
                          quantity=Decimal("1"), unit_price=Decimal("39.00"))
    workflow.send_estimate(order=order, actor=actor, estimate=draft)

    first.refresh_from_db()
    draft.refresh_from_db()
    order.refresh_from_db()
    assert first.status == EstimateStatus.REPLACED
    assert (draft.status, draft.replaces) == (EstimateStatus.SENT, first)
    assert workflow.current_estimate(order) == draft
    assert (order.status, order.pending_supplement) == (AD, P.NONE)
    assert lines_of(first) == first_lines  # the replaced estimate is kept as it was sent
    assert draft.total == Decimal("46.00")
    event = order.events.latest("pk")
    assert (event.action, event.from_status, event.to_status) == ("revise_estimate", AD, AD)
    assert event.evidence == {"estimate": draft.display_number,
                              "replaces": first.display_number}
    # Six months from the revision.
    assert order.decision_due == months_later(draft.sent_at, 6) == draft.decision_due


@pytest.mark.parametrize("decision", ["approve", "refuse"])
@pytest.mark.parametrize("who", ["receptionist", "customer"])
def test_the_replaced_estimate_can_no_longer_be_decided_on_even_when_named(
    decision, who, make_order, technician, users_by_role
):
    order = make_order(AD)
    replaced = workflow.current_estimate(order)
    current = send_new_estimate(order, technician, lines=(("Replace the port", "1", "39.00"),))
    actor = Actor.customer() if who == "customer" else Actor.staff(users_by_role[who])
    before = snapshot(order)

    with pytest.raises(workflow.Refused) as raised:
        getattr(workflow, decision)(order=order, actor=actor, channel=EventChannel.PHONE,
                                    evidence=PHONE_EVIDENCE, note=REASON,
                                    estimate_id=replaced.pk)

    # The order is awaiting a decision, but not on that estimate; the message names the one.
    assert order.status == AD
    assert current.display_number in raised.value.message
    assert "no longer the one awaiting a decision" in raised.value.message
    assert snapshot(order) == before

    getattr(workflow, decision)(order=order, actor=actor, channel=EventChannel.PHONE,
                                evidence=PHONE_EVIDENCE, note=REASON, estimate_id=current.pk)
    replaced.refresh_from_db()
    current.refresh_from_db()
    assert replaced.status == EstimateStatus.REPLACED
    assert current.status == (
        EstimateStatus.APPROVED if decision == "approve" else EstimateStatus.REFUSED
    )
    if decision == "approve":
        # The agreed works are the revision's: the copied line and the new one.
        assert due(order) == current.total == Decimal("84.00")


def test_another_orders_estimate_is_not_decided_on(make_order, receptionist):
    order, other = make_order(AD), make_order(AD)
    before = snapshot(order)
    with pytest.raises(workflow.Refused) as raised:
        workflow.approve(order=order, actor=Actor.staff(receptionist),
                         channel=EventChannel.PHONE, evidence=PHONE_EVIDENCE,
                         estimate_id=workflow.current_estimate(other).pk)
    assert workflow.current_estimate(order).display_number in raised.value.message
    assert snapshot(order) == before


def test_approving_from_a_page_loaded_before_a_refusal_is_told_the_order_moved_on(
    make_order, receptionist
):
    order = make_order(AD)
    page = Order.objects.get(pk=order.pk)
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence=PHONE_EVIDENCE, note=REASON)
    before = snapshot(order)
    with pytest.raises(workflow.WrongState) as raised:
        workflow.approve(order=page, actor=Actor.customer(), channel="")
    assert order.display_number in raised.value.message
    assert "ready for collection (unrepaired)" in raised.value.message
    assert snapshot(order) == before


# --- approval and the amount due --------------------------------------------------------------


def test_approval_makes_the_estimates_lines_the_agreed_works(make_order, technician,
                                                             receptionist):
    order = make_order(Status.DIAGNOSING)
    estimate = send_new_estimate(order, technician, lines=(
        ("Replace the port", "1", "45.00"), ("Port (part)", "1", "12.50"),
        ("Cleaning", "0.5", "20.00"),
    ))
    assert due(order) == Decimal("0.00")  # nothing agreed yet
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence=PHONE_EVIDENCE)
    estimate.refresh_from_db()
    order.refresh_from_db()
    assert (order.status, estimate.status) == (Status.APPROVED, EstimateStatus.APPROVED)
    assert due(order) == Decimal("67.50")
    assert str(due(order)) == "67.50"


@pytest.mark.parametrize(
    "lines,line_totals,total",
    [
        ((("Labour", "3", "33.33"),), ["99.99"], "99.99"),
        ((("A", "1", "0.10"), ("B", "1", "0.20")), ["0.10", "0.20"], "0.30"),
        ((("A", "3", "0.10"),), ["0.30"], "0.30"),
        # Line totals are rounded to the penny with quantize's default, half to even:
        # 1.5 x 19.99 = 29.985 -> 29.98; 1.5 x 19.97 = 29.955 -> 29.96.
        ((("Labour", "1.5", "19.99"),), ["29.98"], "29.98"),
        ((("Labour", "1.5", "19.97"),), ["29.96"], "29.96"),
        ((("Labour", "0.5", "0.01"), ("Labour", "0.5", "0.03")), ["0.00", "0.02"], "0.02"),
        ((("Part", "0.01", "0.01"),), ["0.00"], "0.00"),
        ((("Free check", "1", "0"),), ["0.00"], "0.00"),
        ((("Bulk", "9999", "1000000"), ("Bulk", "9999", "1000000")),
         ["9999000000.00", "9999000000.00"], "19998000000.00"),
    ],
    ids=["3x33.33", "0.1+0.2", "3x0.10", "1.5x19.99", "1.5x19.97", "half-pennies", "tiny",
         "zero", "largest"],
)
def test_totals_are_exact_decimals(lines, line_totals, total, make_order, technician,
                                   receptionist):
    order = make_order(Status.DIAGNOSING)
    estimate = send_new_estimate(order, technician, lines=lines)
    stored = Estimate.objects.get(pk=estimate.pk)  # as read back from the database
    assert [str(line.total) for line in stored.lines.all()] == line_totals
    assert all(type(line.total) is Decimal for line in stored.lines.all())
    assert stored.total == Decimal(total) and str(stored.total) == total
    message = order.messages.get(event="estimate_ready")
    assert f": {money(Decimal(total))}." in message.body  # "19,998,000,000.00 GBP"
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence=PHONE_EVIDENCE)
    assert str(due(order)) == total


BAD_LINES = [
    pytest.param("quantity", "0", "greater than or equal to 0.01", id="quantity-zero"),
    pytest.param("quantity", "-1", "greater than or equal to 0.01", id="quantity-negative"),
    pytest.param("quantity", "10000", "less than or equal to 9999", id="quantity-too-large"),
    pytest.param("quantity", "9999.01", "less than or equal to 9999", id="quantity-just-over"),
    pytest.param("quantity", "1.001", "no more than 2 decimal places", id="quantity-decimals"),
    pytest.param("quantity", "NaN", "must be a decimal number", id="quantity-nan"),
    pytest.param("quantity", "abc", "must be a decimal number", id="quantity-text"),
    pytest.param("unit_price", "-0.01", "greater than or equal to 0", id="price-negative"),
    pytest.param("unit_price", "1000000.01", "less than or equal to 1000000",
                 id="price-too-large"),
    pytest.param("unit_price", "19.999", "no more than 2 decimal places", id="price-decimals"),
    pytest.param("unit_price", "Infinity", "must be a decimal number", id="price-infinite"),
    pytest.param("unit_price", "12,50", "must be a decimal number", id="price-comma"),
]


def _value(text: str):
    try:
        return Decimal(text)
    except ArithmeticError:
        return text  # not a number at all, as a form would pass it on


@pytest.mark.parametrize("field,value,says", BAD_LINES)
def test_a_bad_quantity_or_price_is_refused_with_a_clear_message(
    field, value, says, make_order, technician
):
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=actor)
    good = {"quantity": Decimal("1"), "unit_price": Decimal("45.00")}
    with pytest.raises(ValidationError) as raised:
        estimates.add_line(estimate=draft, actor=actor, line_kind="work",
                           description="Replace the port", **{**good, field: _value(value)})
    assert list(raised.value.message_dict) == [field]
    assert any(says in message for message in raised.value.message_dict[field]), (
        raised.value.message_dict
    )
    assert not draft.lines.exists()

    # The same values are refused when a line is edited, and the line stays as it was.
    line = estimates.add_line(estimate=draft, actor=actor, line_kind="work",
                              description="Replace the port", **good)
    with pytest.raises(ValidationError) as raised:
        estimates.update_line(line=line, actor=actor, description="Replace the port",
                              **{**good, field: _value(value)})
    assert field in raised.value.message_dict
    assert lines_of(draft) == [(1, "work", "Replace the port", Decimal("1.00"),
                                Decimal("45.00"))]


def test_the_largest_quantity_and_price_are_accepted(make_order, technician):
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=actor)
    line = estimates.add_line(estimate=draft, actor=actor, line_kind="part",
                              description="Bulk", quantity=Decimal("9999"),
                              unit_price=Decimal("1000000.00"))
    assert line.total == Decimal("9999000000.00")


# --- the supplementary estimate ---------------------------------------------------------------


def test_a_supplementary_estimate_is_its_own_estimate_with_its_own_deadline(
    make_order, technician
):
    order = make_order(Status.REPAIRING)
    main = order.estimates.get()
    draft = estimates.start_draft(order=order, actor=Actor.staff(technician))
    # Only the new lines: the agreed ones are not copied into it.
    assert (draft.kind, draft.number, list(draft.lines.all())) == (EstimateKind.SUPPLEMENT, 2, [])
    supplement = write_estimate(order, technician, lines=SUPPLEMENT_LINES,
                                required_to_finish=True)
    assert supplement.pk == draft.pk
    workflow.send_estimate(order=order, actor=Actor.staff(technician), estimate=supplement)
    order.refresh_from_db()
    supplement.refresh_from_db()
    main.refresh_from_db()
    assert (order.status, order.pending_supplement) == (AD, P.REQUIRED)
    assert order.events.latest("pk").action == "send_supplement"
    assert supplement.status == EstimateStatus.SENT
    assert supplement.decision_due == order.decision_due == months_later(supplement.sent_at, 6)
    assert main.decision_due < supplement.decision_due
    assert main.status == EstimateStatus.APPROVED
    assert workflow.current_estimate(order) == supplement
    assert due(order) == MAIN_TOTAL  # the supplement is not agreed yet


@pytest.mark.parametrize("pending", [P.OPTIONAL, P.REQUIRED])
def test_an_approved_supplement_joins_the_agreed_works(pending, make_situation, receptionist):
    order = make_situation(AD, pending)
    supplement = workflow.current_estimate(order)
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.EMAIL,
                     evidence={"email_text": "Yes, the battery too."})
    order.refresh_from_db()
    supplement.refresh_from_db()
    assert (order.status, order.pending_supplement) == (Status.REPAIRING, P.NONE)
    assert order.events.latest("pk").action == "approve_supplement"
    assert supplement.status == EstimateStatus.APPROVED
    assert due(order) == MAIN_TOTAL + SUPPLEMENT_TOTAL == Decimal("94.99")


def test_an_optional_supplement_refused_the_repair_goes_on_with_the_agreed_lines(
    make_situation, receptionist, fee
):
    order = make_situation(AD, P.OPTIONAL)
    supplement = workflow.current_estimate(order)
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence=PHONE_EVIDENCE, note="Only the port, please.")
    order.refresh_from_db()
    supplement.refresh_from_db()
    assert (order.status, order.pending_supplement, order.unrepaired_reason) == (
        Status.REPAIRING, P.NONE, ""
    )
    assert order.events.latest("pk").action == "refuse_supplement"
    assert supplement.status == EstimateStatus.REFUSED
    assert due(order) == MAIN_TOTAL
    assert not order.messages.filter(event="ready_unrepaired").exists()


def test_a_required_supplement_refused_the_equipment_goes_back_for_the_fee(
    make_situation, receptionist, fee
):
    order = make_situation(AD, P.REQUIRED)
    supplement = workflow.current_estimate(order)
    workflow.refuse(order=order, actor=Actor.staff(receptionist),
                    channel=EventChannel.IN_PERSON, evidence={"signed_slip": True},
                    note="Not worth it with the battery.")
    order.refresh_from_db()
    supplement.refresh_from_db()
    assert (order.status, order.pending_supplement, order.unrepaired_reason) == (
        Status.READY_UNREPAIRED, P.NONE, UnrepairedReason.REFUSED
    )
    assert order.events.latest("pk").action == "refuse_required_supplement"
    assert supplement.status == EstimateStatus.REFUSED
    assert order.ready_at is not None
    # Charged only what the regulation says: the diagnostics fee, not the agreed works.
    assert due(order) == fee
    assert order.messages.latest("pk").event == "ready_unrepaired"


@pytest.mark.parametrize(
    "pending,action,target,reason,expected_due",
    [
        (P.NONE, "lapse_decision", Status.READY_UNREPAIRED, UnrepairedReason.DECISION_LAPSED,
         FEE),
        (P.OPTIONAL, "lapse_supplement", Status.REPAIRING, "", MAIN_TOTAL),
        (P.REQUIRED, "lapse_required_supplement", Status.READY_UNREPAIRED,
         UnrepairedReason.DECISION_LAPSED, FEE),
    ],
    ids=["estimate", "optional-supplement", "required-supplement"],
)
def test_a_lapsed_decision_for_each_kind_of_estimate(
    pending, action, target, reason, expected_due, make_situation, fee
):
    order = make_situation(AD, pending)
    estimate = workflow.current_estimate(order)
    with pytest.raises(workflow.Refused):  # not before the deadline
        workflow.lapse_decision(order=order)
    # Time passes: the deadline only, nothing else.
    past = timezone.now() - datetime.timedelta(minutes=1)
    Order.objects.filter(pk=order.pk).update(decision_due=past)
    order.refresh_from_db(fields=["decision_due"])
    workflow.lapse_decision(order=order)

    order.refresh_from_db()
    estimate.refresh_from_db()
    assert (order.status, order.pending_supplement, order.unrepaired_reason) == (
        target, P.NONE, reason
    )
    event = order.events.latest("pk")
    assert (event.action, event.actor_kind, event.channel) == (
        action, ActorKind.SYSTEM, EventChannel.SYSTEM
    )
    assert estimate.status == EstimateStatus.LAPSED
    assert due(order) == expected_due
    told = order.messages.filter(event="ready_unrepaired").exists()
    assert told == (target == Status.READY_UNREPAIRED)


@pytest.mark.parametrize("first,revised", [(False, True), (True, False)])
def test_a_revised_supplement_is_decided_by_what_the_revision_says(
    first, revised, make_order, technician, receptionist
):
    order = make_order(Status.REPAIRING)
    send_new_estimate(order, technician, lines=SUPPLEMENT_LINES, required_to_finish=first)
    revision = send_new_estimate(order, technician, required_to_finish=revised)
    assert revision.required_to_finish is revised
    order.refresh_from_db()
    assert order.pending_supplement == (P.REQUIRED if revised else P.OPTIONAL)
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence=PHONE_EVIDENCE, note=REASON)
    order.refresh_from_db()
    assert order.status == (Status.READY_UNREPAIRED if revised else Status.REPAIRING)


def test_a_revision_left_unsent_does_not_become_the_supplementary_estimate(
    make_order, technician, receptionist
):
    order = make_order(AD)
    tech = Actor.staff(technician)
    left = estimates.start_draft(order=order, actor=tech)  # a revision begun, never sent
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence=PHONE_EVIDENCE)
    workflow.start_repair(order=order, actor=tech)
    draft = estimates.start_draft(order=order, actor=tech)
    assert draft.kind == EstimateKind.SUPPLEMENT
    assert not draft.lines.exists()
    assert not Estimate.objects.filter(pk=left.pk).exists()
    supplement = write_estimate(order, technician, lines=SUPPLEMENT_LINES)
    assert supplement.pk == draft.pk
    workflow.send_estimate(order=order, actor=tech, estimate=supplement)
    order.refresh_from_db()
    assert (order.status, order.pending_supplement) == (AD, P.OPTIONAL)


# --- not repairable, and the diagnostics fee --------------------------------------------------


def test_not_repairable_returns_the_equipment_for_the_diagnostics_fee(make_order, technician,
                                                                     fee):
    order = make_order(Status.DIAGNOSING)
    assert order.diagnostics_fee == fee
    workflow.declare_not_repairable(order=order, actor=Actor.staff(technician),
                                    note="Board corroded beyond repair.")
    order.refresh_from_db()
    assert (order.status, order.unrepaired_reason) == (
        Status.READY_UNREPAIRED, UnrepairedReason.NOT_REPAIRABLE
    )
    assert due(order) == fee
    assert order.messages.latest("pk").event == "ready_unrepaired"


@pytest.mark.parametrize("end", ["not repairable", "refused"])
def test_no_fee_when_the_center_does_not_charge_diagnostics(end, make_order, technician,
                                                            receptionist, fee):
    center = CenterSettings.load()
    center.charge_diagnostics = False
    center.save()
    order = make_order(Status.DIAGNOSING if end == "not repairable" else AD)
    assert order.diagnostics_fee == Decimal("0.00")
    if end == "not repairable":
        workflow.declare_not_repairable(order=order, actor=Actor.staff(technician),
                                        note="No parts made any more.")
    else:
        workflow.refuse(order=order, actor=Actor.staff(receptionist),
                        channel=EventChannel.PHONE, evidence=PHONE_EVIDENCE, note=REASON)
    assert due(order) == Decimal("0.00")


def test_the_fee_is_the_one_in_force_at_intake(make_order, receptionist, fee):
    order = make_order(AD)
    EquipmentKind.objects.filter(name="Phone").update(diagnostics_fee=Decimal("35.00"))
    center = CenterSettings.load()
    center.charge_diagnostics = False
    center.save()
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence=PHONE_EVIDENCE, note=REASON)
    order.refresh_from_db()
    assert order.diagnostics_fee == fee
    assert due(order) == fee


def test_an_approved_repair_refused_before_it_starts_costs_the_fee(make_order, receptionist,
                                                                  fee):
    order = make_order(Status.APPROVED)
    assert due(order) == MAIN_TOTAL
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence=PHONE_EVIDENCE, note="Changed my mind.")
    assert due(order) == fee


# --- the findings -----------------------------------------------------------------------------


def test_the_technician_writes_the_findings_without_changing_the_state(make_order, technician):
    order = make_order(Status.DIAGNOSING)
    before = snapshot(order)
    workflow.record_findings(order=order, actor=Actor.staff(technician),
                             findings="Charging port worn; battery at 71 %.")
    order.refresh_from_db()
    assert order.findings == "Charging port worn; battery at 71 %."
    assert (order.status, order.version) == (before.status, before.version)
    event = order.events.latest("pk")
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "findings_recorded", Status.DIAGNOSING, Status.DIAGNOSING, technician
    )


def test_findings_are_written_by_a_technician_in_diagnostics_or_repair(make_order, technician,
                                                                       receptionist):
    order = make_order(Status.RECEIVED)
    with pytest.raises(workflow.WrongState):
        workflow.record_findings(order=order, actor=Actor.staff(technician), findings="x")
    order = make_order(Status.DIAGNOSING)
    with pytest.raises(workflow.NotAllowed):
        workflow.record_findings(order=order, actor=Actor.staff(receptionist), findings="x")
    assert not OrderEvent.objects.filter(action="findings_recorded").exists()


# --- deadlines in the center's calendar -------------------------------------------------------


def _send_at(moment: datetime.datetime, order: Order, user, **kwargs) -> Estimate:
    draft = write_estimate(order, user, **kwargs)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        workflow.send_estimate(order=order, actor=Actor.staff(user), estimate=draft)
    draft.refresh_from_db()
    return draft


@pytest.mark.parametrize(
    "sent,due_at",
    [
        # The end of August plus six months is the end of February...
        (datetime.datetime(2026, 8, 31, 12, 0, tzinfo=LONDON),
         datetime.datetime(2027, 2, 28, 12, 0, tzinfo=LONDON)),
        # ...the 29th in a leap year.
        (datetime.datetime(2027, 8, 31, 12, 0, tzinfo=LONDON),
         datetime.datetime(2028, 2, 29, 12, 0, tzinfo=LONDON)),
        (datetime.datetime(2027, 8, 29, 9, 15, tzinfo=LONDON),
         datetime.datetime(2028, 2, 29, 9, 15, tzinfo=LONDON)),
        # A month end that exists six months later is kept.
        (datetime.datetime(2026, 12, 31, 17, 0, tzinfo=LONDON),
         datetime.datetime(2027, 6, 30, 17, 0, tzinfo=LONDON)),
        # After midnight in London, still 30 August in UTC: London's date counts.
        (datetime.datetime(2027, 8, 30, 23, 30, tzinfo=UTC),
         datetime.datetime(2028, 2, 29, 0, 30, tzinfo=LONDON)),
    ],
    ids=["31aug-28feb", "31aug-29feb-leap", "29aug-29feb", "31dec-30jun", "utc-late-evening"],
)
def test_decision_due_is_six_months_after_sending_in_the_centers_calendar(
    london, sent, due_at, make_order, technician
):
    order = make_order(Status.DIAGNOSING)
    estimate = _send_at(sent, order, technician)
    order.refresh_from_db()
    assert order.estimate_sent_at == estimate.sent_at == sent
    assert order.decision_due == estimate.decision_due == due_at
    local = timezone.localtime(order.decision_due, LONDON)
    assert (local.date(), local.time()) == (due_at.date(), due_at.time())


@pytest.mark.parametrize(
    "sent,due_at,utc_hours",
    [
        # Sent in summer time (10:00 BST = 09:00 UTC), due after the October change:
        # 10:00 GMT = 10:00 UTC. The wall clock is kept, not the hours in between.
        (datetime.datetime(2027, 5, 20, 10, 0, tzinfo=LONDON),
         datetime.datetime(2027, 11, 20, 10, 0, tzinfo=LONDON), (9, 10)),
        # Sent in winter (10:00 GMT), due after the March change: 10:00 BST = 09:00 UTC.
        (datetime.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON),
         datetime.datetime(2027, 6, 1, 10, 0, tzinfo=LONDON), (10, 9)),
        # Both in summer time, before the October change: the same UTC hour.
        (datetime.datetime(2027, 4, 15, 10, 0, tzinfo=LONDON),
         datetime.datetime(2027, 10, 15, 10, 0, tzinfo=LONDON), (9, 9)),
    ],
    ids=["bst-to-gmt", "gmt-to-bst", "bst-to-bst"],
)
def test_decision_due_keeps_the_london_wall_clock_across_a_change_of_clocks(
    london, sent, due_at, utc_hours, make_order, technician
):
    order = make_order(Status.DIAGNOSING)
    _send_at(sent, order, technician)
    order.refresh_from_db()
    assert order.decision_due == due_at
    assert timezone.localtime(order.decision_due, LONDON).time() == datetime.time(10, 0)
    assert (sent.astimezone(UTC).hour, order.decision_due.astimezone(UTC).hour) == utc_hours


def test_a_supplements_decision_due_counts_from_its_own_sending(london, make_order, technician):
    order = make_order(Status.REPAIRING)
    sent = datetime.datetime(2027, 8, 31, 16, 45, tzinfo=LONDON)
    supplement = _send_at(sent, order, technician, lines=SUPPLEMENT_LINES)
    order.refresh_from_db()
    assert supplement.kind == EstimateKind.SUPPLEMENT
    assert order.decision_due == supplement.decision_due == datetime.datetime(
        2028, 2, 29, 16, 45, tzinfo=LONDON
    )
    # The deadline is exact: not lapsed a microsecond before, lapsed at it.
    with pytest.raises(workflow.Refused):
        workflow.lapse_decision(order=order,
                                now=order.decision_due - datetime.timedelta(microseconds=1))
    workflow.lapse_decision(order=order, now=order.decision_due)
    order.refresh_from_db()
    assert order.status == Status.REPAIRING


FRIDAY = datetime.datetime(2026, 5, 15, 10, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    "holidays,expected",
    [
        ([], datetime.date(2026, 5, 19)),  # Friday + 2 working days: Tuesday
        (["2026-05-18"], datetime.date(2026, 5, 20)),  # Monday closed: Wednesday
        (["2026-05-18", "2026-05-19"], datetime.date(2026, 5, 21)),  # two days closed
        (["2026-05-16"], datetime.date(2026, 5, 19)),  # a holiday on a Saturday changes nothing
        (["2026-05-15"], datetime.date(2026, 5, 19)),  # the day of intake itself is not counted
        (["2026-05-20"], datetime.date(2026, 5, 19)),  # after the target: no effect
    ],
    ids=["weekend", "holiday-monday", "two-holidays", "holiday-saturday", "holiday-intake-day",
         "holiday-after"],
)
def test_diagnosis_is_due_in_working_days_skipping_weekends_and_holidays(
    london, holidays, expected, customer, receptionist
):
    for day in holidays:
        Holiday.objects.create(date=datetime.date.fromisoformat(day), name="Bank holiday")
    assert CenterSettings.load().diagnostics_target_days == 2
    order = take_in(receptionist, customer, now=FRIDAY).order
    order.refresh_from_db()
    assert order.received_at == FRIDAY
    assert order.diagnosis_due == expected


def test_the_diagnostics_target_is_a_setting(london, customer, receptionist):
    center = CenterSettings.load()
    center.diagnostics_target_days = 5
    center.save()
    Holiday.objects.create(date=datetime.date(2026, 5, 25), name="Spring bank holiday")
    order = take_in(receptionist, customer, now=FRIDAY).order
    # Mon 18 .. Fri 22 are five working days.
    assert Order.objects.get(pk=order.pk).diagnosis_due == datetime.date(2026, 5, 22)
    center.diagnostics_target_days = 6
    center.save()
    order = take_in(receptionist, customer, now=FRIDAY).order
    # The sixth would be Monday 25, a holiday: Tuesday 26.
    assert Order.objects.get(pk=order.pk).diagnosis_due == datetime.date(2026, 5, 26)


# --- the messages queued for the customer -----------------------------------------------------


@pytest.mark.parametrize(
    "channels,email,channel,recipient",
    [
        (["sms", "email"], "bob@example.com", "sms", "+442079460199"),
        (["email", "sms"], "bob@example.com", "email", "bob@example.com"),
        (["email", "sms"], "", "sms", "+442079460199"),  # no address for the first choice
        (["phone"], "", "phone", "+442079460199"),
        (["email"], "", None, None),  # no channel with an address: nothing to queue
        ([], "bob@example.com", None, None),
    ],
    ids=["sms-first", "email-first", "email-without-address", "phone", "no-address", "none"],
)
def test_one_estimate_ready_message_per_send_on_the_first_channel_with_an_address(
    channels, email, channel, recipient, receptionist, technician
):
    bob = Customer.objects.create(name="Bob Green", phone="+442079460199", email=email,
                                  preferred_channels=channels)
    order = take_in(receptionist, bob).order
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    send_new_estimate(order, technician, lines=(("Labour", "3", "33.33"),))
    send_new_estimate(order, technician, lines=(("Discount line", "1", "0.01"),))  # a revision

    ready = list(Message.objects.filter(order=order, event="estimate_ready").order_by("pk"))
    if channel is None:
        assert ready == []
        return
    assert len(ready) == 2
    # The revision's lines are the first one's plus the new one.
    for message, total in zip(ready, ["99.99", "100.00"]):
        assert (message.channel, message.recipient, message.customer) == (
            channel, recipient, bob
        )
        assert f"{total} {settings.CURRENCY}" in message.body
        # A call's script has no link to read out; written messages carry it.
        assert (portal_url(order.link_token) in message.body) == (channel != "phone")
        assert order.display_number in message.body
        assert message.status == "queued"
        if channel == "email":
            assert order.display_number in message.subject
        else:
            assert message.subject == ""


def test_the_messages_of_an_orders_life(make_order, receptionist):
    repaired = make_order(Status.READY_REPAIRED)
    assert list(repaired.messages.values_list("event", flat=True)) == [
        "order_received", "estimate_ready", "ready_repaired"
    ]
    refused = make_order(AD)
    workflow.refuse(order=refused, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence=PHONE_EVIDENCE, note=REASON)
    assert list(refused.messages.values_list("event", flat=True)) == [
        "order_received", "estimate_ready", "ready_unrepaired"
    ]
    # A change that is refused queues nothing.
    before = refused.messages.count()
    with pytest.raises(workflow.WrongState):
        workflow.refuse(order=refused, actor=Actor.staff(receptionist),
                        channel=EventChannel.PHONE, evidence=PHONE_EVIDENCE, note=REASON)
    assert refused.messages.count() == before


def test_not_repairable_keeps_the_findings_written_before(make_order, technician):
    order = make_order(Status.DIAGNOSING)
    workflow.record_findings(order=order, actor=Actor.staff(technician),
                             findings="Board shows liquid damage.")
    workflow.declare_not_repairable(order=order, actor=Actor.staff(technician),
                                    note="Corrosion under the CPU; not worth repairing.")
    order.refresh_from_db()
    assert order.findings == (
        "Board shows liquid damage.\n\nCorrosion under the CPU; not worth repairing."
    )
