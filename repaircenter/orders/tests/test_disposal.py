"""Confirming disposals (workflow.confirm_disposals): one or many orders at once, all or none,
one disposal act naming exactly the orders disposed of; refused for any order whose storage
period has not run out or whose customer no notice ever reached, whoever asks; refused for
every role but the manager's."""

import datetime
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.db.models import F
from django.utils import timezone

from repaircenter.accounts.roles import Role
from repaircenter.conftest import make_user, pay_balance
from repaircenter.documents.issuing import ensure_pdf, file_sha256
from repaircenter.documents.models import Document, DocumentKind, Sequence
from repaircenter.orders import workflow
from repaircenter.orders.models import (
    DisposalAct,
    DisposalMethod,
    EventChannel,
    Order,
    OrderEvent,
    Status,
)
from repaircenter.orders.workflow import Actor


def state(*orders):
    return [Order.objects.values_list("status", "version", "disposal_act").get(pk=o.pk)
            for o in orders]


def nothing_written():
    return (DisposalAct.objects.count(), OrderEvent.objects.filter(
        action="confirm_disposal").count(),
        Document.objects.filter(kind=DocumentKind.DISPOSAL_ACT).count(),
        Sequence.objects.filter(name="document:disposal_act").first())


@pytest.fixture
def boss(manager):
    return Actor.staff(manager)


def test_a_batch_makes_one_act_listing_exactly_the_orders_confirmed(make_order, boss):
    first, second, third = (make_order(Status.DISPOSAL_DUE) for _ in range(3))
    act = workflow.confirm_disposals(numbers=[third.number, first.number], actor=boss,
                                     method=DisposalMethod.SOLD_FOR_PARTS, note="  To Parts Ltd ")
    assert act.display_number == "DA-000001"
    assert (act.method, act.note, act.confirmed_by) == (
        DisposalMethod.SOLD_FOR_PARTS, "To Parts Ltd", boss.user)
    assert sorted(act.orders.values_list("number", flat=True)) == [first.number, third.number]
    for order in (first, third):
        order.refresh_from_db()
        assert order.status == Status.DISPOSED
        assert order.disposed_at == act.confirmed_at
        [event] = OrderEvent.objects.filter(order=order, action="confirm_disposal")
        assert (event.actor, event.channel, event.from_status, event.to_status) == (
            boss.user, EventChannel.STAFF, Status.DISPOSAL_DUE, Status.DISPOSED)
        assert event.evidence == {"act": "DA-000001", "method": "sold_for_parts"}
        assert event.note == "To Parts Ltd"
    second.refresh_from_db()
    assert (second.status, second.disposal_act) == (Status.DISPOSAL_DUE, None)

    again = workflow.confirm_disposals(numbers=[second.number], actor=boss,
                                       method=DisposalMethod.SCRAPPED)
    assert again.display_number == "DA-000002"
    assert list(again.orders.all()) == [second]


def test_the_act_is_an_issued_document_listing_exactly_its_orders(make_order, boss, shots):
    """Numbered in the documents' own sequence, stored as PDF with its SHA-256, attached to
    exactly the orders disposed of; its text names each one, its equipment and serial number,
    the customer, the method and the dates the customer was notified."""
    first, kept, last = (make_order(Status.DISPOSAL_DUE) for _ in range(3))
    act = workflow.confirm_disposals(numbers=[first.number, last.number], actor=boss,
                                     method=DisposalMethod.RECYCLED,
                                     note="Collected by GreenCycle Ltd")
    document = act.document
    assert (document.kind, document.display_number) == (DocumentKind.DISPOSAL_ACT, "DA-000001")
    assert sorted(document.orders.values_list("pk", flat=True)) == [first.pk, last.pk]
    assert file_sha256(ensure_pdf(document)) == document.sha256
    assert document.issued_by == boss.user and document.issued_at == act.confirmed_at
    pdf = shots / "disposal-act-weasyprint.pdf"  # to look at: SCREENSHOT_DIR=…
    with document.file.open("rb") as stored:
        pdf.write_bytes(stored.read())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Disposal act" in text and "DA-000001" in text
    assert first.display_number in text and last.display_number in text
    assert kept.display_number not in text
    assert "R5CW31ABCDE" in text and "Alice Brown" in text
    assert "Recycled" in text and "GreenCycle" in text
    reached = timezone.localtime(Order.objects.get(pk=first.pk).customer_reached_at)
    assert f"reached on {reached:%d %b %Y}" in text  # no delivered notice: the reach date


def test_refused_before_the_storage_period_ends_whoever_asks(make_order, boss, users_by_role):
    due, early = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    Order.objects.filter(pk=early.pk).update(
        storage_due=timezone.now() + datetime.timedelta(hours=1))
    everyone = make_user("all", *Role.values)  # a manager who holds every role too
    before = state(due, early), nothing_written()
    for actor in (boss, Actor.staff(everyone)):
        with pytest.raises(workflow.Refused) as refused:
            workflow.confirm_disposals(numbers=[due.number, early.number], actor=actor,
                                       method=DisposalMethod.RECYCLED)
        assert "Nothing was disposed of." in refused.value.message
        assert f"{early.display_number}: its storage period has not run out." in (
            refused.value.message)
        assert due.display_number not in refused.value.message
    assert (state(due, early), nothing_written()) == before


@pytest.mark.parametrize("what", ["no event", "no date"])
def test_refused_for_an_order_no_notice_ever_reached(make_order, boss, what):
    """The dates alone do not make an order disposable: its history must show the customer was
    reached (the notice that started the storage period)."""
    order = make_order(Status.READY_REPAIRED)
    long_ago = timezone.now() - datetime.timedelta(days=300)
    # A storage deadline set by hand (an import, an edit in the database), not by a notice.
    Order.objects.filter(pk=order.pk).update(
        storage_due=long_ago, customer_reached_at=None if what == "no date" else long_ago)
    order.refresh_from_db()
    workflow.mark_disposal_due(order=order)
    assert not OrderEvent.objects.filter(order=order, action="storage_started").exists()
    before = state(order), nothing_written()
    with pytest.raises(workflow.Refused) as refused:
        workflow.confirm_disposals(numbers=[order.number], actor=boss,
                                   method=DisposalMethod.RECYCLED)
    assert "no notice ever reached the customer" in refused.value.message
    assert (state(order), nothing_written()) == before


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.TECHNICIAN, Role.CONSULTANT,
                                  Role.CASHIER])
def test_refused_for_a_role_other_than_manager(make_order, users_by_role, role):
    order = make_order(Status.DISPOSAL_DUE)
    before = state(order), nothing_written()
    with pytest.raises(workflow.NotAllowed):
        workflow.confirm_disposals(numbers=[order.number], actor=Actor.staff(users_by_role[role]),
                                   method=DisposalMethod.RECYCLED)
    with pytest.raises(workflow.NotAllowed):
        workflow.confirm_disposals(numbers=[order.number], actor=Actor.system(),
                                   method=DisposalMethod.RECYCLED)
    assert (state(order), nothing_written()) == before


def test_a_manager_who_lost_the_role_is_refused(make_order, manager):
    order = make_order(Status.DISPOSAL_DUE)
    manager.groups.remove(Group.objects.get(name=Role.MANAGER))
    manager = type(manager).objects.get(pk=manager.pk)
    with pytest.raises(workflow.NotAllowed):
        workflow.confirm_disposals(numbers=[order.number], actor=Actor.staff(manager),
                                   method=DisposalMethod.RECYCLED)


def test_all_or_nothing(make_order, boss):
    due = make_order(Status.DISPOSAL_DUE)
    ready = make_order(Status.READY_REPAIRED)
    before = state(due, ready), nothing_written()
    with pytest.raises(workflow.Refused) as refused:
        workflow.confirm_disposals(numbers=[due.number, ready.number, 999], actor=boss,
                                   method=DisposalMethod.RECYCLED)
    assert "There is no order number 999." in refused.value.message
    with pytest.raises(workflow.Refused) as refused:
        workflow.confirm_disposals(numbers=[due.number, ready.number], actor=boss,
                                   method=DisposalMethod.RECYCLED)
    assert (f"{ready.display_number} is ready for collection (repaired), not due for disposal."
            in refused.value.message)
    assert (state(due, ready), nothing_written()) == before


@pytest.mark.parametrize("method", ["", "burnt", "RECYCLED"])
def test_the_method_must_be_one_of_the_three(make_order, boss, method):
    order = make_order(Status.DISPOSAL_DUE)
    before = state(order), nothing_written()
    with pytest.raises(workflow.Refused, match="Choose how the equipment is disposed of"):
        workflow.confirm_disposals(numbers=[order.number], actor=boss, method=method)
    with pytest.raises(workflow.Refused, match="Tick the orders"):
        workflow.confirm_disposals(numbers=[], actor=boss, method="recycled")
    assert (state(order), nothing_written()) == before


def test_the_customer_can_still_collect_until_confirmed(make_order, boss, receptionist):
    order = make_order(Status.DISPOSAL_DUE)
    pay_balance(order, boss.user)
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=order._pickup_code)
    order.refresh_from_db()
    assert order.status == Status.ISSUED
    with pytest.raises(workflow.Refused, match="is issued, not due for disposal"):
        workflow.confirm_disposals(numbers=[order.number], actor=boss,
                                   method=DisposalMethod.RECYCLED)
    assert DisposalAct.objects.count() == 0


def test_confirming_twice_disposes_once(make_order, boss):
    order = make_order(Status.DISPOSAL_DUE)
    workflow.confirm_disposals(numbers=[order.number], actor=boss, method="recycled")
    with pytest.raises(workflow.Refused, match="is disposed, not due for disposal"):
        workflow.confirm_disposals(numbers=[order.number], actor=boss, method="recycled")
    assert DisposalAct.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, action="confirm_disposal").count() == 1


def test_an_order_collected_between_the_check_and_the_update_is_a_conflict(
    make_order, boss, monkeypatch
):
    """The UPDATE repeats every condition (compare-and-set): an order issued after the checks
    read it is not disposed of, and the act and its number are rolled back."""
    due, collected = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    checks = workflow.disposal_refusals

    def then_collected(orders, now):
        reasons = checks(orders, now)
        Order.objects.filter(pk=collected.pk).update(status=Status.ISSUED,
                                                     version=F("version") + 1)
        return reasons

    monkeypatch.setattr(workflow.disposal, "disposal_refusals", then_collected)
    with pytest.raises(workflow.Conflict):
        workflow.confirm_disposals(numbers=[due.number, collected.number], actor=boss,
                                   method="recycled")
    due.refresh_from_db()
    assert due.status == Status.DISPOSAL_DUE
    assert nothing_written() == (0, 0, 0, None)


def test_the_order_page_button_makes_an_act_of_one(make_order, boss):
    order = make_order(Status.DISPOSAL_DUE)
    workflow.confirm_disposal(order=order, actor=boss, method="scrapped", note="Board cracked")
    assert order.status == Status.DISPOSED
    assert order.disposal_act.method == "scrapped"
    assert list(order.disposal_act.orders.all()) == [order]
    with pytest.raises(workflow.Conflict):
        other = make_order(Status.DISPOSAL_DUE)
        workflow.confirm_disposal(order=other, actor=boss, method="scrapped", note="x",
                                  expected_version=other.version - 1)
