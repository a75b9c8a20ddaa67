"""Staff pages about messages (calls to make, messages needing attention) and the SMS provider's
delivery reports."""

import hashlib
import hmac
import json
import time
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import CALLERS
from repaircenter.core.ratelimit import rate_limit
from repaircenter.orders.models import READY_STATES, Order, Status

from . import delivery, outbox
from .delivery import CallOutcome, MessageConflict
from .models import Message, MessageStatus
from .selectors import calls_to_make, failed_messages, unreached_ready_orders


class CallForm(forms.Form):
    outcome = forms.ChoiceField(choices=CallOutcome.CHOICES)
    note = forms.CharField(max_length=500, required=False, strip=True)


class HandledForm(forms.Form):
    note = forms.CharField(
        max_length=500, strip=True,
        error_messages={"required": _("Say how the customer was told, or why not.")},
    )


@never_cache
@require_GET
@role_required(*CALLERS)
def calls(request):
    page = Paginator(calls_to_make(), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/calls.html",
                  {"page": page, "outcomes": CallOutcome.CHOICES})


@require_POST
@role_required(*CALLERS)
def record_call(request, pk: int):
    message = get_object_or_404(Message.objects.select_related("order"), pk=pk, channel="phone")
    form = CallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what happened on the call."))
    else:
        try:
            delivery.record_call(message, form.cleaned_data["outcome"], request.user,
                                 form.cleaned_data["note"])
        except MessageConflict as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Call recorded for %(to)s.") % {"to": message.recipient})
    return HttpResponseRedirect(reverse("notifications:calls"))


@never_cache
@require_GET
@role_required(*CALLERS)
def attention(request):
    return render(request, "notifications/attention.html", {
        "failed": failed_messages()[:200],
        "unreached": unreached_ready_orders()[:200],
    })


@require_POST
@role_required(*CALLERS)
def requeue(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    try:
        delivery.requeue(message, request.user)
    except MessageConflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The message is queued to be sent again."))
    return HttpResponseRedirect(reverse("notifications:attention"))


@require_POST
@role_required(*CALLERS)
def handled(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    form = HandledForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["note"][0])
        return HttpResponseRedirect(reverse("notifications:attention"))
    try:
        delivery.mark_handled(message, request.user, form.cleaned_data["note"])
    except MessageConflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Marked as dealt with."))
    return HttpResponseRedirect(reverse("notifications:attention"))


@require_POST
@role_required(*CALLERS)
def call_customer(request, number: int):
    """Put a ready order's notice in the calls to make, for a customer nothing has reached."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    if order.status not in READY_STATES:
        messages.error(request, _("Only an order ready for collection needs this call."))
    elif order.customer_reached_at is not None:
        messages.info(request, _("The customer has been reached meanwhile; no call needed."))
    elif order.messages.filter(channel="phone", status__in=(
            MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)).exists():
        messages.info(request, _("A call to this customer is already waiting."))
    else:
        event = "ready_repaired" if order.status == Status.READY_REPAIRED else "ready_unrepaired"
        outbox.queue_customer_message(order=order, event=event, channel="phone")
        messages.success(request, _("Added to the calls to make."))
    return HttpResponseRedirect(reverse("notifications:attention"))


# --- the SMS provider's delivery reports ------------------------------------------------------

REPORT_MAX_AGE = 300  # seconds: an older signed report is a replay


def _signature_ok(request) -> bool:
    """Header `X-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the shared
    secret; the time must be within five minutes."""
    secret = settings.SMS_REPORT_SECRET
    if not secret:
        return False
    parts = dict(
        item.split("=", 1) for item in request.headers.get("X-Signature", "").split(",")
        if "=" in item
    )
    try:
        sent_at = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - sent_at) > REPORT_MAX_AGE:
        return False
    expected = hmac.new(
        secret.encode(), f"{sent_at}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _error(status: int, text: str) -> JsonResponse:
    return JsonResponse({"error": text}, status=status)


@csrf_exempt  # the provider cannot hold a CSRF token; the HMAC signature authenticates it
@require_POST
@rate_limit("sms-report", limit=600, per=60)
def sms_report(request):
    if not _signature_ok(request):
        return _error(403, "bad or missing signature")
    try:
        report = json.loads(request.body)
        reference, status = str(report["reference"]), str(report["status"]).lower()
        answer = str(report.get("error") or report.get("detail") or "")[:500]
    except (ValueError, KeyError, TypeError):
        return _error(400, "expected JSON with reference and status")
    try:
        key = uuid.UUID(reference)
    except ValueError:
        return _error(404, "no such message")
    message = Message.objects.select_related("order").filter(key=key, channel="sms").first()
    if message is None:
        return _error(404, "no such message")
    return JsonResponse({"result": delivery.record_report(message, status, answer)})
