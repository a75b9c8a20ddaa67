"""The customer's order page at /o/<token>/, and the decisions taken on it.

Whoever holds the link sees the order: there is no login. Unknown and revoked links get the
same 404 page, which says to call the center. Approving and refusing each show a confirmation
page first (a GET, which changes nothing) whose button POSTs with the CSRF token; the decision
goes through the same workflow functions as the staff's, with the channel "order page" and the
browser's address and user agent as evidence.
"""

import uuid
from functools import wraps

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from repaircenter.consult.forms import ChatMessageForm
from repaircenter.core.ratelimit import client_address, rate_limit
from repaircenter.documents.issuing import open_pdf
from repaircenter.orders import workflow
from repaircenter.orders.models import EstimateKind, EventChannel, Order
from repaircenter.orders.workflow import Actor, DecisionPeriodOver, EstimateReplaced

from . import selectors
from .csrf import order_page_csrf
from .forms import DecisionForm, RefusalForm
from .views import TOO_MANY, limited, render_public

USER_AGENT_MAX = 400


def link_not_found(request):
    """The same page for a link that never existed and one that was replaced; an address that
    tries many links is refused for a while."""
    refused = limited(request, "order-link-miss", settings.PORTAL_UNKNOWN_LINKS_PER_HOUR, 3600)
    return refused or render_public(request, "portal/link_not_found.html", status=404)


def order_view(load=selectors.order_for_link, *, scope="order-page",
               limit="PORTAL_REQUESTS_PER_MINUTE"):
    """The view gets what `load` makes of the link (the order, or its page) instead of the
    token, within the address's rate limit; an unknown link gets the 404 page."""

    def decorator(view):
        @wraps(view)
        @rate_limit(scope, limit=limit, per=60, page=TOO_MANY)
        def wrapped(request, token: str, *args, **kwargs):
            order = load(token)
            if order is None:
                return link_not_found(request)
            return view(request, order, *args, **kwargs)

        return wrapped

    return decorator


def page_url(order: Order, anchor: str = "") -> str:
    return reverse("portal:order", args=[order.link_token]) + (f"#{anchor}" if anchor else "")


def chat_form() -> ChatMessageForm:
    """An empty chat box; its key makes a resent message count once."""
    return ChatMessageForm(initial={"key": uuid.uuid4()})


@require_GET
@order_view(selectors.customer_page)
def order_page(request, page: selectors.CustomerPage):
    context = {**page.as_context(), "chat_form": chat_form()}
    return render_public(request, "portal/order.html", context)


def order_page_with_error(request, order: Order, error: str):
    """The page again with what was wrong with the chat message (sent without JavaScript)."""
    page = selectors.customer_page(order.link_token)
    context = {**page.as_context(), "chat_error": error,
               "chat_form": ChatMessageForm(request.POST)}
    return render_public(request, "portal/order.html", context, status=400)


@require_GET
@order_view()
def document(request, order: Order, pk: int):
    """One of the order's documents as the PDF issued; anything else is the link's 404 page."""
    issued = selectors.document_of(order, pk)
    if issued is None:
        return render_public(request, "portal/link_not_found.html", status=404)
    try:
        handle = open_pdf(issued)
    except FileNotFoundError:
        return render_public(request, "portal/link_not_found.html", status=404)
    return FileResponse(handle, content_type="application/pdf", filename=issued.filename)


def _evidence(request) -> dict:
    return {
        "ip": client_address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    }


def _problem(request, order: Order, kind: str, **extra):
    """A decision that was not taken, and why, in words for the customer; nothing changed."""
    current = selectors.order_page(order.link_token) or order
    return render_public(request, "portal/decision_problem.html", {
        "order": current, "kind": kind, "estimate": current.current_estimate,
        "decision_days_left": selectors.days_left(current.decision_due), **extra,
    }, status=409 if kind != "incomplete" else 400)


def _confirmation(request, order: Order, template: str, form, status: int = 200):
    estimate = selectors.awaited_estimate(order)
    return render_public(request, template, {
        "order": order, "estimate": estimate, "form": form,
        "is_supplement": bool(estimate and estimate.kind == EstimateKind.SUPPLEMENT),
        "decision_open": workflow.decision_open(order),
        "can_withdraw": selectors.can_withdraw(order),
    }, status=status)


@order_page_csrf
@require_http_methods(["GET", "POST"])
@order_view(selectors.order_page)
def approve(request, order: Order):
    """GET: the estimate once more and a button that approves it. POST: approve."""
    if request.method == "GET":
        estimate = order.current_estimate
        initial = {"estimate_id": estimate.pk if estimate else None, "version": order.version}
        return _confirmation(request, order, "portal/approve.html", DecisionForm(initial=initial))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _problem(request, order, "incomplete")
    try:
        workflow.approve(
            order=order, actor=Actor.customer(), channel=EventChannel.ORDER_PAGE,
            evidence=_evidence(request), estimate_id=form.cleaned_data["estimate_id"],
            expected_version=form.cleaned_data["version"],
        )
    except EstimateReplaced:
        return _problem(request, order, "replaced")
    except DecisionPeriodOver:
        return _problem(request, order, "deadline")
    except workflow.WorkflowError:
        return _problem(request, order, "changed")
    return HttpResponseRedirect(page_url(order, "next"), status=303)


@order_page_csrf
@require_http_methods(["GET", "POST"])
@order_view(selectors.order_page)
def refuse(request, order: Order):
    """GET: what refusing means now, a box for the reason and a button. POST: refuse."""
    if request.method == "GET":
        estimate = order.current_estimate
        initial = {"estimate_id": estimate.pk if estimate else None, "version": order.version}
        return _confirmation(request, order, "portal/refuse.html", RefusalForm(initial=initial))
    form = RefusalForm(request.POST)
    if not form.is_valid():
        if "reason" in form.errors:
            return _confirmation(request, order, "portal/refuse.html", form, status=400)
        return _problem(request, order, "incomplete")
    try:
        workflow.refuse(
            order=order, actor=Actor.customer(), channel=EventChannel.ORDER_PAGE,
            evidence=_evidence(request), note=form.cleaned_data["reason"].strip(),
            estimate_id=form.cleaned_data["estimate_id"],
            expected_version=form.cleaned_data["version"],
        )
    except EstimateReplaced:
        return _problem(request, order, "replaced")
    except workflow.WorkflowError:
        return _problem(request, order, "changed")
    return HttpResponseRedirect(page_url(order, "next"), status=303)
