from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.core.templatetags.money import money
from repaircenter.orders.models import Order
from repaircenter.orders.workflow import Actor, WorkflowError

from . import services
from .forms import PaymentForm

CASHIERS = tuple(services.PAYMENT_ROLES)


def _back(number: int):
    response = redirect("staff:order", number=number)
    response["Location"] += "#payments"
    return response


@require_POST
@role_required(*CASHIERS)
def take_payment(request, number: int):
    """A payment or a refund from the order page's forms."""
    order = get_object_or_404(Order, number=number)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(number)
    data = form.cleaned_data
    actor = Actor.staff(request.user)
    try:
        if data["refund"]:
            result = services.record_refund(
                order=order, actor=actor, amount=data["amount"], method=data["method"],
                reason=data["reason"], idempotency_key=data["idempotency_key"],
            )
        else:
            result = services.record_payment(
                order=order, actor=actor, amount=data["amount"], method=data["method"],
                note=data["note"], idempotency_key=data["idempotency_key"],
            )
    except WorkflowError as error:
        messages.error(request, error.message)
        return _back(number)
    payment = result.payment
    if result.repeated:
        messages.info(request, _("This form was already submitted: receipt %(receipt)s records "
                                 "it once.") % {"receipt": payment.receipt_number})
    elif payment.is_refund:
        messages.success(request, _("Refund of %(amount)s recorded: receipt %(receipt)s.")
                         % {"amount": money(-payment.amount), "receipt": payment.receipt_number})
    else:
        messages.success(request, _("Payment of %(amount)s recorded: receipt %(receipt)s.")
                         % {"amount": money(payment.amount), "receipt": payment.receipt_number})
    return _back(number)
