"""The estimate editor, the findings form and the printed decision slip."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import Estimate, EstimateLine, Order
from repaircenter.orders.selectors import estimate_editor
from repaircenter.orders.warranty import coverable_lines
from repaircenter.orders.workflow import Actor, WorkflowError

from .forms import EstimateDetailsForm, EstimateLineForm

WRITERS = tuple(estimates.WRITERS)


def _editor(request, order: Order, *, details_form=None, line_form=None, status=200):
    draft = order.draft_estimate
    if draft is not None and draft.kind != estimates.kind_needed(order):
        draft = None  # left from an earlier stage; starting a draft replaces it
    if details_form is None and draft is not None:
        details_form = EstimateDetailsForm(initial={
            "repair_days": draft.repair_days, "recommendation": draft.recommendation,
            "internal_notes": draft.internal_notes,
            "required_to_finish": draft.required_to_finish,
        })
    part_query = " ".join(request.GET.get("part", "").split())[:100]
    if draft is not None:
        _availability_of_part_lines(order, draft)
    context = {
        "order": order,
        "draft": draft,
        "part_query": part_query,
        "parts_found": list(estimates.parts_for(order, part_query)) if part_query else [],
        "current": order.current_estimate,
        "details_form": details_form,
        "line_form": line_form or EstimateLineForm(),
        "price_list": estimates.price_list_for(order),
        "can_start": estimates.can_write_estimate(order, Actor.staff(request.user)),
        "coverable": coverable_lines(order) if order.warranty_of_id and draft else [],
        "covered_ids": {line.covers_id for line in draft.lines.all()} - {None} if draft else set(),
    }
    return render(request, "staff/estimate_editor.html", context, status=status)


def _availability_of_part_lines(order: Order, draft: Estimate) -> None:
    """Each part line of the draft learns the units available at the order's center."""
    lines = [line for line in draft.lines.all() if line.part_id]
    if not lines:
        return
    available = estimates.available_at(order.center_id, {line.part_id for line in lines})
    for line in lines:
        line.available_here = available.get(line.part_id, 0)


@require_GET
@role_required(*WRITERS)
def estimate(request, number: int):
    return _editor(request, estimate_editor(number))


def _act(request, number: int, service, done: str, **arguments) -> object:
    """Call the estimate `service` as this user and go back to the editor, saying `done` or
    what went wrong."""
    try:
        service(actor=Actor.staff(request.user), **arguments)
    except (WorkflowError, ValidationError) as error:
        text = error.message if isinstance(error, WorkflowError) else " ".join(error.messages)
        messages.error(request, text)
    else:
        messages.success(request, done)
    return redirect("staff:estimate", number=number)


@require_POST
@role_required(*WRITERS)
def estimate_start(request, number: int):
    order = get_object_or_404(Order.objects.select_related("equipment"), number=number)
    return _act(
        request, number, estimates.start_draft, _("Draft started."),
        order=order,
    )


def _draft(order_number: int, estimate_id: int) -> Estimate:
    return get_object_or_404(
        Estimate.objects.select_related("order"), pk=estimate_id, order__number=order_number
    )


@require_POST
@role_required(*WRITERS)
def estimate_details(request, number: int, estimate_id: int):
    draft = _draft(number, estimate_id)
    form = EstimateDetailsForm(request.POST)
    if not form.is_valid():
        return _editor(request, estimate_editor(number), details_form=form, status=400)
    return _act(
        request, number, estimates.update_details, _("Details saved."),
        estimate=draft, **form.cleaned_data,
    )


@require_POST
@role_required(*WRITERS)
def estimate_add_line(request, number: int, estimate_id: int):
    draft = _draft(number, estimate_id)
    form = EstimateLineForm(request.POST)
    if not form.is_valid():
        return _editor(request, estimate_editor(number), line_form=form, status=400)
    return _act(
        request, number, estimates.add_line, _("Line added."),
        estimate=draft, **form.cleaned_data,
    )


@require_POST
@role_required(*WRITERS)
def estimate_add_part(request, number: int, estimate_id: int, part_id: int):
    draft = _draft(number, estimate_id)
    try:
        quantity = Decimal(request.POST.get("quantity", "1").strip() or "1")
    except InvalidOperation:
        messages.error(request, _("The quantity must be a whole number of units."))
        return redirect("staff:estimate", number=number)
    return _act(
        request, number, estimates.add_part, _("Part added from the catalogue."),
        estimate=draft, part_id=part_id, quantity=quantity,
    )


@require_POST
@role_required(*WRITERS)
def estimate_add_from_price_list(request, number: int, estimate_id: int, entry_id: int):
    draft = _draft(number, estimate_id)
    return _act(
        request, number, estimates.add_from_price_list, _("Line added from the price list."),
        estimate=draft, entry_id=entry_id,
    )


def _line(number: int, estimate_id: int, line_id: int) -> EstimateLine:
    return get_object_or_404(
        EstimateLine.objects.select_related("estimate__order"),
        pk=line_id, estimate_id=estimate_id, estimate__order__number=number,
    )


@require_POST
@role_required(*WRITERS)
def estimate_update_line(request, number: int, estimate_id: int, line_id: int):
    line = _line(number, estimate_id, line_id)
    form = EstimateLineForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, _("Line not changed. %(errors)s") % {"errors": errors})
        return redirect("staff:estimate", number=number)
    data = form.cleaned_data
    return _act(
        request, number, estimates.update_line, _("Line saved."),
        line=line, description=data["description"], quantity=data["quantity"],
        unit_price=data["unit_price"],
    )


@require_POST
@role_required(*WRITERS)
def estimate_remove_line(request, number: int, estimate_id: int, line_id: int):
    line = _line(number, estimate_id, line_id)
    return _act(
        request, number, estimates.remove_line, _("Line removed."),
        line=line,
    )


@require_POST
@role_required(*WRITERS)
def estimate_discard(request, number: int, estimate_id: int):
    draft = _draft(number, estimate_id)
    return _act(
        request, number, estimates.discard_draft, _("Draft discarded."),
        estimate=draft,
    )


@require_POST
@role_required(*WRITERS)
def estimate_send(request, number: int, estimate_id: int):
    draft = _draft(number, estimate_id)
    try:
        version = int(request.POST["version"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest(_("The form was incomplete; reload the page and retry."))
    try:
        workflow.send_estimate(
            order=draft.order, actor=Actor.staff(request.user), estimate=draft,
            expected_version=version,
        )
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:estimate", number=number)
    messages.success(request, _("Estimate %(number)s sent to the customer.")
                     % {"number": draft.display_number})
    return redirect("staff:order", number=number)


@require_POST
@role_required(*WRITERS)
def estimate_warranty(request, number: int, estimate_id: int):
    """The technician's verdict on a warranty claim: each line of the earlier order covered
    or not covered."""
    draft = _draft(number, estimate_id)
    verdicts = {key.removeprefix("line_"): value for key, value in request.POST.items()
                if key.startswith("line_")}
    if not all(key.isdigit() and value in ("covered", "not_covered")
               for key, value in verdicts.items()):
        return HttpResponseBadRequest(_("The form was incomplete; reload the page and retry."))
    return _act(
        request, number, estimates.assess_warranty, _("Warranty verdict recorded."),
        estimate=draft, note=request.POST.get("note", "")[:2000],
        covered=[int(k) for k, v in verdicts.items() if v == "covered"],
        not_covered=[int(k) for k, v in verdicts.items() if v == "not_covered"],
    )


@require_POST
@role_required(*WRITERS)
def estimate_repair_under_warranty(request, number: int, estimate_id: int):
    draft = _draft(number, estimate_id)
    try:
        version = int(request.POST["version"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest(_("The form was incomplete; reload the page and retry."))
    try:
        workflow.repair_under_warranty(order=draft.order, actor=Actor.staff(request.user),
                                       estimate=draft, expected_version=version)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:estimate", number=number)
    messages.success(request, _("Repair under warranty started; the customer pays nothing for "
                                "the covered lines."))
    return redirect("staff:order", number=number)


@require_POST
@role_required(*WRITERS)
def findings(request, number: int):
    order = get_object_or_404(Order, number=number)
    text = request.POST.get("findings", "").strip()[:8000]
    try:
        workflow.record_findings(order=order, actor=Actor.staff(request.user), findings=text)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Findings saved."))
    return redirect("staff:order", number=number)


@require_GET
@role_required(*STAFF_ROLES)
def decision_slip(request, number: int):
    """The estimate on paper, for the customer at the counter to sign their decision."""
    order = estimate_editor(number)
    current = order.current_estimate
    if current is None:
        messages.error(request, _("No estimate is awaiting the customer's decision."))
        return redirect("staff:order", number=number)
    return render(request, "staff/decision_slip.html", {
        "order": order, "estimate": current, "center": order.center,
    })
