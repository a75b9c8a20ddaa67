"""The repair checklist (orders/repair.py and its views): agreed lines marked done, undone,
and the works finished only when every one is done."""

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes, send_new_estimate
from repaircenter.orders import repair, workflow
from repaircenter.orders.models import (
    EstimateLine,
    EventChannel,
    LineDone,
    Order,
    OrderEvent,
    Status,
)
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db

TWO_LINES = (("Replace the charging port", "1", "45.00"), ("Charging port (part)", "1", "12.50"))


@pytest.fixture
def repairing(make_order, technician, receptionist):
    """An order in repair whose estimate has two agreed lines."""
    order = make_order(Status.DIAGNOSING)
    send_new_estimate(order, technician, lines=TWO_LINES)
    workflow.approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                     evidence={"said": "Yes"})
    workflow.start_repair(order=order, actor=Actor.staff(technician))
    return order


def lines(order) -> list[EstimateLine]:
    return list(EstimateLine.objects.filter(estimate__order=order, estimate__status="approved")
                .order_by("position"))


def test_marking_a_line_records_who_when_and_the_part_serials(repairing, technician):
    port, part = lines(repairing)
    done = repair.mark_line_done(order=repairing, actor=Actor.staff(technician),
                                 line_id=part.pk, part_serials="  SN-PORT-77   B2 ")
    assert (done.done_by, done.part_serials) == (technician, "SN-PORT-77 B2")
    assert done.done_at is not None
    event = OrderEvent.objects.filter(order=repairing).latest("pk")
    assert (event.action, event.note, event.actor) == ("work_done", part.description, technician)
    assert event.evidence == {"line": part.pk, "part_serials": "SN-PORT-77 B2"}
    assert Order.objects.get(pk=repairing.pk).status == Status.REPAIRING  # the state stays


def test_finishing_with_a_line_not_done_names_it(repairing, technician):
    port, part = lines(repairing)
    actor = Actor.staff(technician)
    with pytest.raises(workflow.Refused) as raised:
        workflow.finish_works(order=repairing, actor=actor)
    assert "“Replace the charging port”" in raised.value.message
    assert "“Charging port (part)”" in raised.value.message

    repair.mark_line_done(order=repairing, actor=actor, line_id=port.pk)
    with pytest.raises(workflow.Refused) as raised:
        workflow.finish_works(order=repairing, actor=actor)
    assert "“Charging port (part)”" in raised.value.message
    assert "Replace the charging port" not in raised.value.message
    assert Order.objects.get(pk=repairing.pk).status == Status.REPAIRING

    repair.mark_line_done(order=repairing, actor=actor, line_id=part.pk)
    workflow.finish_works(order=repairing, actor=actor)
    assert Order.objects.get(pk=repairing.pk).status == Status.TESTING


def test_undo_before_the_works_are_finished_and_not_after(repairing, technician, manager):
    port, part = lines(repairing)
    tech = Actor.staff(technician)
    repair.mark_line_done(order=repairing, actor=tech, line_id=port.pk)
    repair.undo_line_done(order=repairing, actor=Actor.staff(manager), line_id=port.pk)
    assert not LineDone.objects.filter(line=port).exists()
    event = OrderEvent.objects.filter(order=repairing).latest("pk")
    assert (event.action, event.actor) == ("work_undone", manager)
    with pytest.raises(workflow.Refused):
        repair.undo_line_done(order=repairing, actor=tech, line_id=port.pk)  # not done

    for line in (port, part):
        repair.mark_line_done(order=repairing, actor=tech, line_id=line.pk)
    workflow.finish_works(order=repairing, actor=tech)
    with pytest.raises(workflow.WrongState) as raised:
        repair.undo_line_done(order=repairing, actor=tech, line_id=port.pk)
    assert "only during the repair" in raised.value.message
    assert LineDone.objects.filter(line=port).exists()


def test_a_line_is_marked_once(repairing, technician, manager):
    port, _ = lines(repairing)
    repair.mark_line_done(order=repairing, actor=Actor.staff(technician), line_id=port.pk)
    with pytest.raises(workflow.Refused) as raised:
        repair.mark_line_done(order=repairing, actor=Actor.staff(manager), line_id=port.pk)
    assert "already marked done by Tom" in raised.value.message
    assert LineDone.objects.get(line=port).done_by == technician


def test_a_supplement_not_agreed_cannot_be_marked_and_finishing_does_not_need_it(
    repairing, technician, receptionist
):
    tech = Actor.staff(technician)
    for line in lines(repairing):
        repair.mark_line_done(order=repairing, actor=tech, line_id=line.pk)
    supplement = send_new_estimate(repairing, technician,
                                   lines=(("Replace the battery", "1", "30.00"),))
    extra = supplement.lines.get()
    order = Order.objects.get(pk=repairing.pk)
    assert order.status == Status.AWAITING_DECISION
    with pytest.raises(workflow.Refused) as raised:
        repair.mark_line_done(order=order, actor=tech, line_id=extra.pk)
    assert "not agreed" in raised.value.message
    # Refused: the repair goes on with the agreed lines only, and can finish without it.
    workflow.refuse(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
                    evidence={"said": "No battery"}, note="Too dear")
    order = Order.objects.get(pk=repairing.pk)
    with pytest.raises(workflow.Refused):
        repair.mark_line_done(order=order, actor=tech, line_id=extra.pk)
    workflow.finish_works(order=order, actor=tech)
    assert Order.objects.get(pk=repairing.pk).status == Status.TESTING


def test_an_approved_supplement_adds_lines_that_must_be_done(repairing, technician, receptionist):
    tech = Actor.staff(technician)
    for line in lines(repairing):
        repair.mark_line_done(order=repairing, actor=tech, line_id=line.pk)
    send_new_estimate(repairing, technician, lines=(("Replace the battery", "1", "30.00"),))
    workflow.approve(order=Order.objects.get(pk=repairing.pk), actor=Actor.staff(receptionist),
                     channel=EventChannel.PHONE, evidence={"said": "Yes, the battery too"})
    order = Order.objects.get(pk=repairing.pk)
    with pytest.raises(workflow.Refused) as raised:
        workflow.finish_works(order=order, actor=tech)
    assert "Replace the battery" in raised.value.message


def test_a_line_of_another_order_is_refused(repairing, make_order, technician):
    other = make_order(Status.REPAIRING)
    foreign = EstimateLine.objects.filter(estimate__order=other).first()
    with pytest.raises(workflow.Refused) as raised:
        repair.mark_line_done(order=repairing, actor=Actor.staff(technician), line_id=foreign.pk)
    assert "not part of this order" in raised.value.message
    assert not LineDone.objects.exists()


@pytest.mark.parametrize("role", ["receptionist", "cashier", "consultant"])
def test_only_technicians_and_managers_mark_lines(request, repairing, role):
    port, _ = lines(repairing)
    with pytest.raises(workflow.NotAllowed):
        repair.mark_line_done(order=repairing, actor=Actor.staff(request.getfixturevalue(role)),
                              line_id=port.pk)
    assert not LineDone.objects.exists()


@pytest.mark.parametrize("status", [Status.APPROVED, Status.TESTING, Status.READY_REPAIRED])
def test_lines_are_marked_only_during_the_repair(make_order, technician, status):
    order = make_order(status)
    line = EstimateLine.objects.filter(estimate__order=order).first()
    LineDone.objects.filter(line=line).delete()
    with pytest.raises(workflow.WrongState):
        repair.mark_line_done(order=order, actor=Actor.staff(technician), line_id=line.pk)


# --- the views -------------------------------------------------------------------------------


def test_the_checklist_on_the_order_page(client, repairing, technician, receptionist):
    port, part = lines(repairing)
    client.force_login(technician)
    url = reverse("staff:line_done", args=[repairing.number, part.pk])
    response = client.post(url, {"part_serials": "SN-4411"})
    assert response.status_code == 302 and response.url.endswith("#repair")
    page = client.get(response.url.split("#")[0])
    assert flashes(page) == [("success", "Done: Charging port (part).")]
    content = page.content.decode()
    assert "1 of 2 done" in content
    assert "SN-4411" in content
    assert reverse("staff:line_undo", args=[repairing.number, part.pk]) in content
    assert reverse("staff:line_done", args=[repairing.number, port.pk]) in content
    # The receptionist sees the checklist and cannot change it.
    client.force_login(receptionist)
    content = client.get(reverse("staff:order", args=[repairing.number])).content.decode()
    assert "1 of 2 done" in content
    assert reverse("staff:line_done", args=[repairing.number, port.pk]) not in content
    assert client.post(reverse("staff:line_done", args=[repairing.number, port.pk])
                       ).status_code == 403
    assert client.post(reverse("staff:line_undo", args=[repairing.number, part.pk])
                       ).status_code == 403
    assert LineDone.objects.filter(line=port).count() == 0
    assert LineDone.objects.filter(line=part).count() == 1


def test_the_views_tell_what_went_wrong(client, repairing, technician):
    port, _ = lines(repairing)
    client.force_login(technician)
    url = reverse("staff:line_done", args=[repairing.number, port.pk])
    client.get(client.post(url).url.split("#")[0])  # done, and its message read
    page = client.get(client.post(url).url.split("#")[0])
    assert [level for level, _ in flashes(page)] == ["error"]
    assert "already marked done" in flashes(page)[0][1]
    page = client.get(client.post(url, {"part_serials": "x" * 301}).url.split("#")[0])
    assert flashes(page)[0][0] == "error"
    undo = reverse("staff:line_undo", args=[repairing.number, port.pk])
    client.get(client.post(undo).url.split("#")[0])
    page = client.get(client.post(undo).url.split("#")[0])
    assert "is not marked done" in flashes(page)[0][1]
    assert client.get(url).status_code == 405
