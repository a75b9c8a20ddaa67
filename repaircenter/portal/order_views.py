"""The customer's order page at /o/<token>/, and the decisions taken on it.

Whoever holds the link sees the order: there is no login. Unknown and revoked links get the
same 404 page, which says to call the center. Approving and refusing each show a confirmation
page first (a GET, which changes nothing) whose button POSTs with the CSRF token; the decision
goes through the same workflow functions as the staff's, with the channel "order page" and the
browser's address and user agent as evidence.
"""

import hmac
from functools import wraps

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from repaircenter.consult.forms import ChatMessageForm
from repaircenter.core.ratelimit import client_address, hit, rate_limit, too_many_requests
from repaircenter.customers.services import update_contacts
from repaircenter.documents.issuing import open_pdf
from repaircenter.orders import workflow
from repaircenter.orders.models import EstimateKind, EventChannel, Order
from repaircenter.orders.workflow import Actor, DecisionPeriodOver, EstimateReplaced

from . import selectors
from .chat_box import chat_fields
from .csrf import order_page_csrf
from .forms import DecisionForm, DocumentUnlockForm, RefusalForm
from .views import TOO_MANY, limited, render_public
from .wording import wording

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
            # The customer's own language, whatever the browser asks for.
            language = getattr(order, "order", order).customer.language
            translation.activate(language)
            request.LANGUAGE_CODE = language
            return view(request, order, *args, **kwargs)

        return wrapped

    return decorator


def page_url(order: Order, anchor: str = "") -> str:
    return reverse("portal:order", args=[order.link_token]) + (f"#{anchor}" if anchor else "")


def page_context(page: selectors.CustomerPage, **extra) -> dict:
    """The order page's template names: the page's, its plural sentences, and `extra`."""
    return {**page.as_context(), "wording": wording(page), **extra}


@require_GET
@order_view(selectors.customer_page)
def order_page(request, page: selectors.CustomerPage):
    return render_public(request, "portal/order.html",
                         page_context(page, chat_fields=chat_fields()))


def order_page_with_error(request, order: Order, error: str):
    """The page again with what was wrong with the chat message (sent without JavaScript)."""
    page = selectors.customer_page(order.link_token)
    context = page_context(page, chat_error=error,
                           chat_fields=chat_fields(ChatMessageForm(request.POST)))
    return render_public(request, "portal/order.html", context, status=400)


# The documents behind the link show the customer's name, phone, serial and IMEI in full (they
# are the papers the customer signed and keeps): the link alone does not open them. The browser
# is asked once a day for the last four digits of the phone on the order, and remembers the
# answer in a signed cookie bound to this link (replacing the link forgets it).
DOCUMENTS_COOKIE_SALT = "repaircenter.portal-documents"
DOCUMENTS_UNLOCKED_FOR = 24 * 3600  # seconds
DOCUMENT_TRIES_PER_HOUR = 10  # per address
DOCUMENT_TRIES_PER_DAY = 30  # per order, whoever tries


def _documents_cookie(order: Order) -> str:
    return f"rc_documents_{order.pk}"


def _documents_unlocked(request, order: Order) -> bool:
    value = request.get_signed_cookie(_documents_cookie(order), default=None,
                                      salt=DOCUMENTS_COOKIE_SALT, max_age=DOCUMENTS_UNLOCKED_FOR)
    return value is not None and value == order.portal_token_digest[:16]


def _phone_ends_with(order: Order, digits: str) -> bool:
    phone = "".join(ch for ch in str(order.customer.phone) if ch.isdigit())
    return len(phone) >= 4 and hmac.compare_digest(phone[-4:], digits.strip())


@order_page_csrf
@require_http_methods(["GET", "POST"])
@order_view()
def document(request, order: Order, pk: int):
    """One of the order's documents as the PDF issued, once the browser has given the last four
    digits of the phone on the order; anything else is the link's 404 page."""
    issued = selectors.document_of(order, pk)
    if issued is None:
        return render_public(request, "portal/link_not_found.html", status=404)
    if request.method == "POST":
        return _unlock_documents(request, order, issued)
    if not _documents_unlocked(request, order):
        return _ask_for_digits(request, order, issued, DocumentUnlockForm())
    try:
        handle = open_pdf(issued)
    except FileNotFoundError:
        return render_public(request, "portal/link_not_found.html", status=404)
    response = FileResponse(handle, content_type="application/pdf", filename=issued.filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _ask_for_digits(request, order: Order, issued, form, status: int = 200):
    return render_public(request, "portal/document_unlock.html",
                         {"order": order, "document": issued, "form": form}, status=status)


def _unlock_documents(request, order: Order, issued):
    refused = limited(request, "document-digits", DOCUMENT_TRIES_PER_HOUR, 3600)
    if refused:
        return refused
    if not hit("document-digits-order", str(order.pk), limit=DOCUMENT_TRIES_PER_DAY,
               per=24 * 3600):
        return too_many_requests(request, 24 * 3600, TOO_MANY)
    form = DocumentUnlockForm(request.POST)
    if not form.is_valid():
        return _ask_for_digits(request, order, issued, form, status=400)
    if not _phone_ends_with(order, form.cleaned_data["digits"]):
        form.add_error("digits", _("These are not the last four digits of the phone number on "
                                   "the order. Check them, or call us."))
        return _ask_for_digits(request, order, issued, form, status=400)
    response = HttpResponseRedirect(
        reverse("portal:document", args=[order.link_token, issued.pk]))
    response.set_signed_cookie(
        _documents_cookie(order), order.portal_token_digest[:16], salt=DOCUMENTS_COOKIE_SALT,
        max_age=DOCUMENTS_UNLOCKED_FOR, path=reverse("portal:order", args=[order.link_token]),
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
    return response


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
        "center": current.center,
        "decision_days_left": selectors.days_left(current.decision_due, current.center), **extra,
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


@order_page_csrf
@require_http_methods(["POST"])
@order_view()
def language(request, order: Order):
    """The switch on the order page: the customer's language from now on, for the page, their
    messages and the documents made after."""
    chosen = request.POST.get("language", "")
    if chosen in dict(settings.LANGUAGES) and chosen != order.customer.language:
        update_contacts(customer=order.customer, language=chosen)
    return HttpResponseRedirect(page_url(order))
