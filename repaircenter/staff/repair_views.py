"""The repair checklist, the stress test form and unlocking issuance, on the staff order page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import Role
from repaircenter.orders import repair, workflow
from repaircenter.orders.models import EstimateLine, Order
from repaircenter.orders.selectors import procedures_for
from repaircenter.orders.workflow import Actor, WorkflowError

from .forms import LineDoneForm, StressTestForm, UnlockForm

REPAIRERS = tuple(repair.REPAIRERS)


def _back(number: int, anchor: str = ""):
    response = redirect("staff:order", number=number)
    response["Location"] += anchor
    return response


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_POST
@role_required(*REPAIRERS)
def line_done(request, number: int, line_id: int):
    order = get_object_or_404(Order, number=number)
    form = LineDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(number, "#repair")
    try:
        repair.mark_line_done(order=order, actor=Actor.staff(request.user), line_id=line_id,
                              part_serials=form.cleaned_data["part_serials"])
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        line = EstimateLine.objects.get(pk=line_id)
        messages.success(request, _("Done: %(line)s.") % {"line": line.description})
    return _back(number, "#repair")


@require_POST
@role_required(*REPAIRERS)
def line_undo(request, number: int, line_id: int):
    order = get_object_or_404(Order, number=number)
    try:
        repair.undo_line_done(order=order, actor=Actor.staff(request.user), line_id=line_id)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        line = EstimateLine.objects.get(pk=line_id)
        messages.success(request,
                         _("Marked not done again: %(line)s.") % {"line": line.description})
    return _back(number, "#repair")


@require_POST
@role_required(*REPAIRERS)
def stress_test(request, number: int):
    order = get_object_or_404(Order.objects.select_related("equipment"), number=number)
    form = StressTestForm(request.POST, procedures=procedures_for(order))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(number, "#stress-test")
    data = form.cleaned_data
    template = data["template"]
    run = workflow.TestRun(
        procedure=data["procedure"], duration_minutes=data["duration_minutes"],
        measurements=data["measurements"], name=template.name if template else "",
        template_id=template.pk if template else None,
    )
    passed = data["result"] == "passed"
    try:
        workflow.record_test(order=order, actor=Actor.staff(request.user), passed=passed,
                             note=data["note"], run=run, expected_version=data["version"])
    except WorkflowError as error:
        messages.error(request, error.message)
        return _back(number, "#stress-test")
    if passed:
        messages.success(request,
                         _("Stress test passed: the order is ready and the customer is told."))
    else:
        # A failure is recorded as it should be, but it is not good news: a warning, not green.
        messages.warning(request, _("Stress test failed: the order is back in repair, with "
                                    "the failure on record."))
    return _back(number)


@require_POST
@role_required(Role.MANAGER)
def unlock_issuance(request, number: int):
    order = get_object_or_404(Order, number=number)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(number)
    try:
        workflow.unlock_issuance(order=order, actor=Actor.staff(request.user),
                                 note=form.cleaned_data["note"])
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Issuance unlocked: the pickup code can be tried again."))
    return _back(number)
