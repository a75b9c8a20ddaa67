"""The stress test: its form on the order page (staff:stress_test) and workflow.record_test."""

import html

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import (
    EquipmentKind,
    Order,
    OrderEvent,
    Status,
    StressTest,
)
from repaircenter.orders.models import TestProcedure as Procedure  # not a test class
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedures(phone_kind):
    laptop = EquipmentKind.objects.get_or_create(name="Laptop")[0]
    return {
        "phone": Procedure.objects.create(
            equipment_kind=phone_kind, name="Battery cycle",
            procedure="Charge to 100 %, discharge under video playback to 20 %.",
            duration_minutes=180),
        "any": Procedure.objects.create(
            name="Burn-in", procedure="Full load on every core.", duration_minutes=60),
        "laptop": Procedure.objects.create(
            equipment_kind=laptop, name="CPU and GPU load 60 min",
            procedure="Prime95 and FurMark together.", duration_minutes=60),
        "retired": Procedure.objects.create(
            equipment_kind=phone_kind, name="Old drop test", procedure="x",
            duration_minutes=5, active=False),
    }


def submit(client, order, result, **data):
    form = {"version": order.version, "procedure": "Charge and discharge twice",
            "duration_minutes": "180", "measurements": "Capacity 97 %, 38 °C at most",
            "note": "Held its charge", "result": result, **data}
    response = client.post(reverse("staff:stress_test", args=[order.number]), form)
    assert response.status_code == 302
    return client.get(response.url.split("#")[0])


def test_the_form_offers_the_procedures_for_the_kind(client, make_order, technician, procedures):
    order = make_order(Status.TESTING)
    client.force_login(technician)
    content = client.get(reverse("staff:order", args=[order.number])).content.decode()
    form = content.split('class="test-form"', 1)[1].split("</form>", 1)[0]
    assert "Battery cycle" in form and "Burn-in" in form
    assert "CPU and GPU load 60 min" not in form  # another kind's
    assert "Old drop test" not in form  # no longer offered
    assert 'data-minutes="180"' in form
    assert 'value="passed"' in form and 'value="failed"' in form


def test_a_passed_test_makes_the_order_ready_and_keeps_the_run(
    client, make_order, technician, procedures
):
    order = make_order(Status.TESTING)
    client.force_login(technician)
    page = submit(client, order, "passed", template=procedures["phone"].pk)
    assert flashes(page) == [
        ("success", "Stress test passed: the order is ready and the customer is told.")
    ]
    order.refresh_from_db()
    assert order.status == Status.READY_REPAIRED
    [run] = StressTest.objects.filter(order=order)
    assert (run.name, run.procedure, run.duration_minutes, run.passed, run.run_by) == (
        "Battery cycle", "Charge and discharge twice", 180, True, technician,
    )
    assert run.procedure_template == procedures["phone"]
    assert "Capacity 97 %" in run.measurements and "Held its charge" in run.measurements
    assert Message.objects.filter(order=order, event="ready_repaired").count() == 1
    event = OrderEvent.objects.filter(order=order).latest("pk")
    assert (event.action, event.note) == ("pass_test", "Held its charge")
    content = html.unescape(page.content.decode())
    assert "Battery cycle" in content and "Passed" in content


def test_a_failed_test_goes_back_to_repair_with_the_failure_on_record(
    client, make_order, technician, manager
):
    order = make_order(Status.TESTING)
    client.force_login(technician)
    page = submit(client, order, "failed", note="Shut down after 40 min at 92 °C",
                  measurements="CPU 92 °C")
    # Shown as a warning, not in the green of success.
    assert flashes(page)[0] == (
        "warning", "Stress test failed: the order is back in repair, with the failure on record."
    )
    order.refresh_from_db()
    assert order.status == Status.REPAIRING
    [run] = StressTest.objects.filter(order=order)
    assert not run.passed and "Shut down after 40 min" in run.measurements
    assert not Message.objects.filter(order=order, event="ready_repaired").exists()
    # Repaired again, finished, and passed: both runs are kept.
    workflow.finish_works(order=order, actor=Actor.staff(technician))
    workflow.record_test(order=Order.objects.get(pk=order.pk), actor=Actor.staff(manager),
                         passed=True, note="Stable at 71 °C",
                         run=workflow.TestRun(procedure="Load 60 min", duration_minutes=60))
    assert list(StressTest.objects.filter(order=order).values_list("passed", flat=True)) == [
        False, True]
    content = html.unescape(client.get(reverse("staff:order", args=[order.number]))
                            .content.decode())
    assert content.count("badge-fail") == 1 and content.count("badge-pass") == 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [({"note": "  "}, "Outcome"), ({"procedure": ""}, "What was run"),
     ({"duration_minutes": "0"}, "Duration"), ({"duration_minutes": "abc"}, "number"),
     ({"outcome": "maybe"}, "maybe")],
)
def test_an_incomplete_form_is_refused_and_nothing_changes(
    client, make_order, technician, changes, words
):
    order = make_order(Status.TESTING)
    client.force_login(technician)
    changes = dict(changes)
    page = submit(client, order, changes.pop("outcome", "passed"), **changes)
    [(level, text)] = flashes(page)
    assert level == "error"
    order.refresh_from_db()
    assert order.status == Status.TESTING
    assert not StressTest.objects.exists()


@pytest.mark.parametrize("role", ["receptionist", "cashier", "consultant"])
def test_other_roles_may_not_record_a_test(client, request, make_order, role):
    order = make_order(Status.TESTING)
    client.force_login(request.getfixturevalue(role))
    response = client.post(reverse("staff:stress_test", args=[order.number]),
                           {"version": order.version, "procedure": "x", "duration_minutes": 5,
                            "note": "x", "result": "passed"})
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == Status.TESTING
    content = client.get(reverse("staff:order", args=[order.number])).content.decode()
    assert 'class="test-form"' not in content


@pytest.mark.parametrize("status", [Status.REPAIRING, Status.APPROVED, Status.READY_REPAIRED])
def test_no_test_outside_testing_and_no_way_to_ready_but_a_passed_test(
    client, make_order, technician, status
):
    """Ready without a passed test: from repair (or anywhere but testing) the order cannot be
    made ready; the only transition into ready (repaired) is a passed test."""
    order = make_order(status)
    client.force_login(technician)
    page = submit(client, order, "passed")
    assert flashes(page)[0][0] == "error"
    assert Order.objects.get(pk=order.pk).status == status
    into_ready = [t for t in workflow.TRANSITIONS.values()
                  if t.target == Status.READY_REPAIRED]
    assert [t.name for t in into_ready] == ["pass_test"]
    assert into_ready[0].sources == {Status.TESTING}


def test_a_stale_form_is_refused(client, make_order, technician):
    order = make_order(Status.TESTING)
    drawn = order.version
    workflow.record_test(order=order, actor=Actor.staff(technician), passed=False, note="Hot")
    workflow.finish_works(order=Order.objects.get(pk=order.pk), actor=Actor.staff(technician))
    client.force_login(technician)
    page = submit(client, Order.objects.get(pk=order.pk), "passed", version=drawn)
    assert "changed by someone else" in flashes(page)[0][1]
    assert StressTest.objects.filter(order=order).count() == 1


def test_stress_test_records_are_never_changed(make_order, technician):
    from django.core.exceptions import ValidationError

    order = make_order(Status.READY_REPAIRED)
    run = StressTest.objects.get(order=order)
    run.passed = False
    with pytest.raises(ValidationError):
        run.save()
