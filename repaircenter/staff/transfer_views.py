"""Equipment sent between centers: sending it with its seal, receiving it, and the list of what
is on its way to or from the center one works in."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.orders import workflow
from repaircenter.orders.models import Order
from repaircenter.orders.selectors import transfers_under_way
from repaircenter.orders.workflow import Actor, WorkflowError

from .forms import TransferForm


@require_POST
@role_required(*workflow.TRANSFER_ROLES)
def send(request, number: int):
    order = get_object_or_404(Order.objects.select_related("center"), number=number)
    form = TransferForm(request.POST, centers=request.workplace.chain)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("staff:order", number=number)
    to_center = form.cleaned_data["to_center"]
    try:
        workflow.send_transfer(order=order, actor=Actor.staff(request.user),
                               to_center=to_center, seal=form.cleaned_data["seal"])
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sent to %(center)s. It shows as on its way until it is "
                                    "received there.") % {"center": to_center.name})
    return redirect("staff:order", number=number)


@require_POST
@role_required(*workflow.TRANSFER_ROLES)
def receive(request, number: int, pk: int):
    order = get_object_or_404(Order, number=number)
    try:
        received = workflow.receive_transfer(order=order, actor=Actor.staff(request.user),
                                             transfer_id=pk)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        if received:
            messages.success(request, _("Received."))
        else:
            messages.info(request, _("It had already been received."))
    if request.POST.get("back") == "list":  # received from the list of what is on its way
        return redirect("staff:transfers")
    return redirect("staff:order", number=number)


@require_GET
@role_required(*STAFF_ROLES)
def under_way(request):
    now = timezone.now()
    rows = [(t, workflow.is_overdue(t, now)) for t in transfers_under_way(request.workplace)]
    return render(request, "staff/transfers.html", {
        "rows": rows, "center": request.workplace.center, "now": now,
        "can_receive": request.user.has_role(*workflow.TRANSFER_ROLES),
    })
