"""Equipment waiting for collection: where it is (the storage page, the location on each order),
and what the storage period ran out on (the manager's disposal list, the disposal acts)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import STAFF_ROLES, Role
from repaircenter.core.calendar import center_date
from repaircenter.orders import workflow
from repaircenter.orders.models import Order
from repaircenter.orders.selectors import disposal_act, recent_disposal_acts, storage_shelves
from repaircenter.orders.workflow import Actor, WorkflowError

from .forms import DisposalForm, StorageLocationForm
from .selectors import disposal_list

ANY_STAFF = tuple(STAFF_ROLES)


def _days_between(later, earlier) -> int | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).days


@require_GET
@role_required(*ANY_STAFF)
def storage(request):
    """What is on each shelf, with the days of storage left."""
    today = center_date(timezone.now())
    shelves = []
    for location, orders in storage_shelves(request.workplace):
        rows = []
        for order in orders:
            left = _days_between(order.storage_due and center_date(order.storage_due), today)
            rows.append((order, left, -left if left is not None and left < 0 else 0))
        shelves.append((location, rows))
    return render(request, "staff/storage.html", {
        "shelves": shelves,
        "count": sum(len(orders) for _location, orders in shelves),
    })


@require_POST
@role_required(*workflow.STORAGE_ROLES)
def set_storage_location(request, number: int):
    order = get_object_or_404(Order, number=number)
    form = StorageLocationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["location"]))
        return redirect("staff:order", number=number)
    try:
        workflow.set_storage_location(
            order=order, actor=Actor.staff(request.user), location=form.cleaned_data["location"]
        )
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Put away at %(location)s.")
                         % {"location": order.storage_location})
    return redirect("staff:order", number=number)


def _disposal_page(request, form: DisposalForm, status: int = 200):
    now = timezone.now()
    today = center_date(now)
    orders = disposal_list(request.workplace)
    refusals = workflow.disposal_refusals(orders, now)
    rows = [
        (order, _days_between(today, center_date(order.storage_due)), refusals.get(order.number))
        for order in orders
    ]
    ticked = set(form["orders"].value() or []) if form.is_bound else set()
    return render(request, "staff/disposal_list.html", {
        "rows": rows, "form": form, "acts": recent_disposal_acts(),
        "ticked": {str(n) for n in ticked},
    }, status=status)


@require_GET
@role_required(Role.MANAGER)
def disposal(request):
    """The manager's list of equipment due for disposal, oldest first."""
    return _disposal_page(request, DisposalForm())


@require_POST
@role_required(Role.MANAGER)
def confirm_disposal(request):
    form = DisposalForm(request.POST)
    if not form.is_valid():
        return _disposal_page(request, form, status=400)
    data = form.cleaned_data
    try:
        act = workflow.confirm_disposals(
            numbers=data["orders"], actor=Actor.staff(request.user), method=data["method"],
            note=data["note"],
        )
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:disposal")
    count = len(data["orders"])
    messages.success(request, ngettext(
        "Disposal act %(act)s: %(count)s order disposed of. Print the act and sign it.",
        "Disposal act %(act)s: %(count)s orders disposed of. Print the act and sign it.",
        count,
    ) % {"act": act.display_number, "count": count})
    return redirect("staff:disposal_act", number=act.number)


@require_GET
@role_required(Role.MANAGER)
def disposal_act_page(request, number: int):
    """The disposal act as issued, to print and sign, with a print bar on screen only."""
    act = disposal_act(number)
    if act.document is None:
        raise Http404
    bar = render_to_string("staff/_act_bar.html", {
        "document": act.document, "first_order": act.orders.all()[0],
    }, request=request)
    response = HttpResponse(act.document.html.replace("<body>", "<body>" + bar, 1))
    response["Cache-Control"] = "private, no-store"
    return response
