"""Two technicians start the same repair under warranty at once: it starts once, the other is
told; two verdicts covering the same line at once: it is covered once."""

import pytest

from repaircenter.conftest import race, take_in, write_estimate
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EstimateLine, EstimateStatus, Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _claim(make_order, receptionist, customer, technician):
    issued = make_order(Status.ISSUED)
    claim = take_in(receptionist, customer, warranty_of=issued).order
    workflow.start_diagnosis(order=claim, actor=Actor.staff(technician))
    draft = write_estimate(claim, technician, lines=())
    return issued, claim, draft


def test_the_repair_under_warranty_starts_once(separate_connections, make_order, receptionist,
                                               customer, technician, manager):
    issued, claim, draft = _claim(make_order, receptionist, customer, technician)
    original = EstimateLine.objects.get(estimate__order=issued)
    estimates.assess_warranty(estimate=draft, actor=Actor.staff(technician),
                              covered=[original.pk], not_covered=[])

    def start(user):
        def prepare():
            order = Order.objects.get(pk=claim.pk)
            return lambda: workflow.repair_under_warranty(
                order=order, actor=Actor.staff(user), estimate=draft,
                expected_version=order.version)
        return prepare

    results = race(start(technician), start(manager))
    assert sorted(r == "ok" for r in results) == [False, True]
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, workflow.WorkflowError)
    assert Order.objects.get(pk=claim.pk).status == Status.REPAIRING
    assert OrderEvent.objects.filter(order=claim, action="repair_under_warranty").count() == 1
    assert claim.estimates.filter(status=EstimateStatus.APPROVED).count() == 1


def test_two_verdicts_at_once_cover_a_line_once(separate_connections, make_order, receptionist,
                                                customer, technician, manager):
    issued, claim, draft = _claim(make_order, receptionist, customer, technician)
    original = EstimateLine.objects.get(estimate__order=issued)

    def cover(user):
        def prepare():
            return lambda: estimates.assess_warranty(
                estimate=draft, actor=Actor.staff(user), covered=[original.pk], not_covered=[])
        return prepare

    results = race(cover(technician), cover(manager))
    assert sorted(r == "ok" for r in results) == [False, True]
    assert isinstance(next(r for r in results if r != "ok"), workflow.Refused)
    assert draft.lines.filter(covers=original).count() == 1
