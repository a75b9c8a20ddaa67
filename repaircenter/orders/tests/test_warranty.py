"""Warranty per line, the device across orders, and warranty claims (issue 16)."""

import datetime
from decimal import Decimal

import pytest

from repaircenter.conftest import mark_all_done, take_in, write_estimate
from repaircenter.customers.devices import (
    SeveralDevices,
    device_for_intake,
    matching_devices,
    normalize_serial,
)
from repaircenter.customers.models import Device
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders import estimates, workflow
from repaircenter.orders.dues import stored_balance_due
from repaircenter.orders.models import (
    EquipmentKind,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    EventChannel,
    PriceListEntry,
    Status,
)
from repaircenter.orders.warranty import check_claim, history, warranty_end
from repaircenter.orders.workflow import Actor

D = datetime.date


# --- the period, across month ends -------------------------------------------------------------


@pytest.mark.parametrize("start, months, until", [
    (D(2026, 3, 5), 3, D(2026, 6, 4)),  # the same day less one
    (D(2026, 1, 31), 1, D(2026, 2, 28)),  # 31 February does not exist: to the month's end
    (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a leap year
    (D(2026, 1, 30), 1, D(2026, 2, 28)),
    (D(2026, 1, 28), 1, D(2026, 2, 27)),
    (D(2026, 3, 1), 1, D(2026, 3, 31)),  # a whole calendar month
    (D(2026, 8, 31), 6, D(2027, 2, 28)),
    (D(2026, 12, 15), 12, D(2027, 12, 14)),  # across the year's end
    (D(2026, 5, 31), 1, D(2026, 6, 30)),
])
def test_a_period_runs_to_the_day_before_the_same_date_or_the_months_end(start, months, until):
    assert warranty_end(start, months) == until


def test_no_months_is_no_warranty():
    assert warranty_end(D(2026, 3, 5), 0) is None


def test_end_dates_never_go_backwards_as_the_start_moves_on():
    start = D(2026, 1, 1)
    ends = [warranty_end(start + datetime.timedelta(days=n), 1) for n in range(400)]
    assert ends == sorted(ends)


# --- each line its own period ------------------------------------------------------------------


def _issued(make_order):
    return make_order(Status.ISSUED)


@pytest.mark.django_db
def test_a_line_takes_the_price_lists_period_else_the_kinds(make_order, technician):
    kind = EquipmentKind.objects.get_or_create(name="Phone")[0]
    kind.warranty_months = 3
    kind.save()
    screen = PriceListEntry.objects.create(line_kind="part", description="Screen",
                                           unit_price=Decimal("90.00"), warranty_months=12)
    order = make_order(Status.DIAGNOSING)
    actor = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=actor)
    from_list = estimates.add_from_price_list(estimate=draft, actor=actor, entry_id=screen.pk)
    plain = estimates.add_line(estimate=draft, actor=actor, line_kind="work",
                               description="Cleaning", quantity=Decimal("1"),
                               unit_price=Decimal("10.00"))
    assert from_list.warranty_months == 12
    assert plain.warranty_months is None  # the kind's, whatever it is at issuance


@pytest.mark.django_db
def test_issuance_fixes_each_lines_end_date_and_the_card_lists_them(
    make_order, technician, receptionist, manager
):
    from repaircenter.conftest import pay_balance

    order = make_order(Status.READY_REPAIRED)
    line = EstimateLine.objects.get(estimate__order=order)
    EstimateLine.objects.filter(pk=line.pk).update(warranty_months=6)
    EstimateLine.objects.create(estimate=line.estimate, position=2, line_kind="part",
                                description="Battery", quantity=1, unit_price=Decimal("0.00"))
    pay_balance(order, manager)
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=order._pickup_code)
    order.refresh_from_db()
    start = order.center.local_date(order.issued_at)
    lines = {ln.description: ln for ln in EstimateLine.objects.filter(estimate__order=order)}
    assert lines["Replace the charging port"].warranty_until == warranty_end(start, 6)
    assert lines["Battery"].warranty_until == warranty_end(start, 3)  # the kind's default
    card = Document.objects.get(kind=DocumentKind.WARRANTY_CARD, orders=order)
    html = card.html if hasattr(card, "html") else ""
    if html:
        assert "6 months" in html and "3 months" in html


@pytest.mark.django_db
def test_the_period_starts_on_the_day_of_issuance_in_the_centers_zone(
    make_order, receptionist, manager
):
    """23:30 in London on 31 January is already 1 February in Tokyo."""
    from repaircenter.orders.warranty import fix_warranty

    order = make_order(Status.ISSUED)
    order.center.time_zone = "Asia/Tokyo"
    order.center.save()
    moment = datetime.datetime(2026, 1, 31, 23, 30, tzinfo=datetime.UTC)
    fix_warranty(order, order.center.local_date(moment))
    line = EstimateLine.objects.get(estimate__order=order)
    assert line.warranty_until == D(2026, 4, 30)  # 1 Feb + 3 months - 1 day
    order.center.time_zone = "Europe/London"
    fix_warranty(order, order.center.local_date(moment))
    line.refresh_from_db()
    assert line.warranty_until == D(2026, 4, 30)  # 31 Jan + 3 months: 30 April, the end


# --- devices ---------------------------------------------------------------------------------


def test_serials_are_normalised():
    assert normalize_serial(" r5cw 31-abc.de ") == "R5CW31ABCDE"


@pytest.mark.django_db
def test_one_device_across_orders_and_customers(receptionist, customer, make_order):
    from repaircenter.customers.models import Customer

    first = take_in(receptionist, customer, serial="R5CW31ABCDE").order
    other = Customer.objects.create(name="New Owner", phone="+447700900222")
    second = take_in(receptionist, other, serial="r5cw 31abcde").order
    assert first.equipment.device_id == second.equipment.device_id
    assert Device.objects.count() == 1
    no_serial = take_in(receptionist, customer, serial="").order
    assert no_serial.equipment.device is None


@pytest.mark.django_db
def test_a_serial_matching_several_devices_asks_which(receptionist, customer):
    a = Device.objects.create(serial_number="ABC123", brand="Samsung")
    b = Device.objects.create(serial_number="ABC123", brand="Lenovo")
    with pytest.raises(SeveralDevices) as several:
        device_for_intake(serial_number="abc123", imei="", brand="Lenovo", model="")
    assert {d.pk for d in several.value.devices} == {a.pk, b.pk}
    with pytest.raises(workflow.SeveralDevicesMatch) as refused:
        take_in(receptionist, customer, serial="ABC123")
    assert "2 devices" in refused.value.message
    from repaircenter.orders.models import Order
    assert not Order.objects.exists()  # nothing half-saved
    assert device_for_intake(serial_number="ABC123", imei="", brand="", model="",
                             device_id=b.pk) == b
    # A device chosen that does not match the serial is no choice.
    c = Device.objects.create(serial_number="ZZZ")
    with pytest.raises(SeveralDevices):
        device_for_intake(serial_number="ABC123", imei="", brand="", model="", device_id=c.pk)


@pytest.mark.django_db
def test_an_imei_finds_the_device_whichever_box_it_was_typed_in():
    device = Device.objects.create(imei="490154203237518")
    assert matching_devices(serial_number="49015420 3237518") == [device]
    assert matching_devices(imei="49-015420-323751-8") == [device]


@pytest.mark.django_db
def test_the_history_shows_earlier_orders_what_was_done_and_running_warranties(
    make_order, receptionist, customer
):
    issued = make_order(Status.ISSUED)
    device_id = issued.equipment.device_id
    current = take_in(receptionist, customer).order
    today = issued.center.local_date(issued.issued_at)
    past = history([device_id], today=today, exclude=current.pk)
    assert [p.order.pk for p in past] == [issued.pk]
    assert [ln.description for ln in past[0].lines] == ["Replace the charging port"]
    assert past[0].running and past[0].claimable
    later = history([device_id], today=today + datetime.timedelta(days=400))
    assert not later[-1].running


# --- claims ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_on_an_order_never_issued_is_refused_with_the_reason(make_order, receptionist,
                                                                       customer):
    ready = make_order(Status.READY_REPAIRED)
    with pytest.raises(workflow.Refused, match="never handed over"):
        take_in(receptionist, customer, warranty_of=ready)


@pytest.mark.django_db
def test_a_claim_on_an_order_returned_unrepaired_is_refused(make_order, receptionist, customer,
                                                            manager):
    order = make_order(Status.READY_UNREPAIRED)
    from repaircenter.conftest import pay_balance

    pay_balance(order, manager)
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=order._pickup_code)
    with pytest.raises(workflow.Refused, match="returned unrepaired"):
        take_in(receptionist, customer, warranty_of=order)


@pytest.mark.django_db
def test_a_claim_after_the_period_is_refused_with_the_end_date(make_order, receptionist,
                                                               customer):
    from repaircenter.orders.models import Order

    issued = make_order(Status.ISSUED)
    EstimateLine.objects.filter(estimate__order=issued).update(warranty_until=D(2026, 2, 28))
    with pytest.raises(workflow.Refused, match="ended on 28 February 2026"):
        take_in(receptionist, customer, warranty_of=issued)
    assert Order.objects.count() == 1
    # It can still be taken in as an ordinary order.
    assert take_in(receptionist, customer).order.warranty_of is None


def _claim(issued, receptionist, customer, technician):
    claim = take_in(receptionist, customer, warranty_of=issued)
    order = claim.order
    order._pickup_code = claim.pickup_code
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    return order


@pytest.mark.django_db
def test_a_covered_claim_costs_nothing_needs_no_decision_and_keeps_the_end_date(
    make_order, receptionist, customer, technician
):
    issued = make_order(Status.ISSUED)
    original = EstimateLine.objects.get(estimate__order=issued)
    order = _claim(issued, receptionist, customer, technician)
    assert order.warranty_of == issued
    assert order.equipment.device_id == issued.equipment.device_id
    tech = Actor.staff(technician)
    draft = estimates.start_draft(order=order, actor=tech)
    with pytest.raises(workflow.Refused, match="No line is covered"):
        estimates.update_details(estimate=draft, actor=tech, repair_days=1, recommendation="",
                                 internal_notes="")
        workflow.repair_under_warranty(order=order, actor=tech, estimate=draft)
    [covered] = estimates.assess_warranty(estimate=draft, actor=tech, covered=[original.pk],
                                          not_covered=[])
    assert covered.unit_price == 0 and covered.covers == original
    workflow.repair_under_warranty(order=order, actor=tech, estimate=draft)
    order.refresh_from_db()
    assert order.status == Status.REPAIRING
    draft.refresh_from_db()
    assert draft.status == EstimateStatus.APPROVED
    assert not order.events.filter(action__in=["approve", "send_estimate"]).exists()
    mark_all_done(order, technician)
    workflow.finish_works(order=order, actor=tech)
    workflow.record_test(order=order, actor=tech, passed=True, note="ok")
    assert stored_balance_due(order) == 0
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=order._pickup_code)
    covered.refresh_from_db()
    original.refresh_from_db()
    assert covered.warranty_until == original.warranty_until  # no restart
    card = Document.objects.filter(kind=DocumentKind.WARRANTY_CARD, orders=order).get()
    assert card is not None


@pytest.mark.django_db
def test_uncovered_lines_become_an_ordinary_supplement_with_its_own_period(
    make_order, receptionist, customer, technician, manager
):
    issued = make_order(Status.ISSUED)
    original = EstimateLine.objects.get(estimate__order=issued)
    order = _claim(issued, receptionist, customer, technician)
    tech = Actor.staff(technician)
    draft = write_estimate(order, technician, lines=(("New speaker", "1", "25.00"),))
    estimates.assess_warranty(estimate=draft, actor=tech, covered=[original.pk], not_covered=[])
    workflow.repair_under_warranty(order=order, actor=tech, estimate=draft)
    supplement = order.estimates.get(status=EstimateStatus.DRAFT)
    assert supplement.kind == EstimateKind.SUPPLEMENT
    assert [ln.description for ln in supplement.lines.all()] == ["New speaker"]
    workflow.send_estimate(order=order, actor=tech, estimate=supplement)
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DECISION  # the customer decides on the charged part
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "yes"})
    assert stored_balance_due(order) == Decimal("25.00")
    # Issued a year after the first repair: the covered line keeps the first end date, the new
    # part its own period from this issuance.
    import time_machine

    from repaircenter.conftest import pay_balance

    EstimateLine.objects.filter(estimate__order=issued).update(warranty_until=D(2027, 1, 20))
    with time_machine.travel(datetime.datetime(2026, 12, 31, 12, tzinfo=datetime.UTC)):
        mark_all_done(order, technician)
        workflow.finish_works(order=order, actor=tech)
        workflow.record_test(order=order, actor=tech, passed=True, note="ok")
        pay_balance(order, manager)
        workflow.issue(order=order, actor=Actor.staff(receptionist),
                       pickup_code=order._pickup_code)
    lines = {ln.description: ln for ln in EstimateLine.objects.filter(estimate__order=order)}
    assert lines["Replace the charging port"].warranty_until == D(2027, 1, 20)  # no restart
    assert lines["New speaker"].warranty_until == D(2027, 3, 30)  # 31 Dec + 3 months - 1 day


@pytest.mark.django_db
def test_the_technician_records_lines_not_covered(make_order, receptionist, customer,
                                                 technician):
    issued = make_order(Status.ISSUED)
    original = EstimateLine.objects.get(estimate__order=issued)
    order = _claim(issued, receptionist, customer, technician)
    tech = Actor.staff(technician)
    draft = write_estimate(order, technician, lines=())
    assert estimates.assess_warranty(estimate=draft, actor=tech, covered=[],
                                     not_covered=[original.pk], note="Liquid damage") == []
    event = order.events.get(action="warranty_assessed")
    assert event.evidence["not_covered"] == ["Replace the charging port"]
    with pytest.raises(workflow.Refused, match="No line is covered"):
        workflow.repair_under_warranty(order=order, actor=tech, estimate=draft)


@pytest.mark.django_db
def test_claim_rules_refuse_bad_input(make_order, receptionist, customer, technician):
    issued = make_order(Status.ISSUED)
    original = EstimateLine.objects.get(estimate__order=issued)
    tech = Actor.staff(technician)
    ordinary = make_order(Status.DIAGNOSING)
    draft = estimates.start_draft(order=ordinary, actor=tech)
    with pytest.raises(workflow.Refused, match="not a warranty claim"):
        estimates.assess_warranty(estimate=draft, actor=tech, covered=[original.pk],
                                  not_covered=[])
    with pytest.raises(workflow.WorkflowError):
        workflow.repair_under_warranty(order=ordinary, actor=tech, estimate=draft)
    order = _claim(issued, receptionist, customer, technician)
    draft = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=draft, actor=tech, repair_days=1, recommendation="",
                             internal_notes="")
    with pytest.raises(workflow.Refused, match="each once"):
        estimates.assess_warranty(estimate=draft, actor=tech, covered=[original.pk],
                                  not_covered=[original.pk])
    with pytest.raises(workflow.Refused, match="each once"):
        estimates.assess_warranty(estimate=draft, actor=tech, covered=[10**6], not_covered=[])
    with pytest.raises(workflow.NotAllowed):
        estimates.assess_warranty(estimate=draft, actor=Actor.staff(receptionist),
                                  covered=[original.pk], not_covered=[])
    estimates.assess_warranty(estimate=draft, actor=tech, covered=[original.pk], not_covered=[])
    with pytest.raises(workflow.Refused, match="already covered"):
        estimates.assess_warranty(estimate=draft, actor=tech, covered=[original.pk],
                                  not_covered=[])
    with pytest.raises(workflow.NotAllowed):
        workflow.repair_under_warranty(order=order, actor=Actor.staff(receptionist),
                                       estimate=draft)
    workflow.repair_under_warranty(order=order, actor=tech, estimate=draft)
    with pytest.raises(workflow.WrongState):  # twice: the order is repairing already
        workflow.repair_under_warranty(order=order, actor=tech, estimate=draft)


@pytest.mark.django_db
def test_a_claim_within_the_period_lists_the_running_lines(make_order):
    issued = make_order(Status.ISSUED)
    today = issued.center.local_date(issued.issued_at)
    assert [ln.description for ln in check_claim(issued, today)] == ["Replace the charging port"]


@pytest.mark.django_db
def test_only_a_claim_offers_the_repair_under_warranty(make_order, receptionist, customer,
                                                      technician):
    issued = make_order(Status.ISSUED)
    plain = make_order(Status.DIAGNOSING)
    tech = Actor.staff(technician)
    assert "repair_under_warranty" not in {t.name for t in workflow.allowed_transitions(plain,
                                                                                        tech)}
    claim = _claim(issued, receptionist, customer, technician)
    assert "repair_under_warranty" in {t.name for t in workflow.allowed_transitions(claim, tech)}
    assert not workflow.is_allowed("repair_under_warranty", claim, Actor.staff(receptionist))
