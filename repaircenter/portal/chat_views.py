"""The chat as the visitor sees it: on the public site (the thread is found by a cookie) and on
an order's page (the order's thread). The page asks for new messages every CHAT_POLL_SECONDS;
everything lives in the database, so any web worker can answer any request.

A message is sent by fetch() and answered with JSON; without JavaScript the form posts and the
page comes back with the message in it (it just does not update by itself).
"""

import contextlib
import secrets
import uuid

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from repaircenter.consult import services as consult
from repaircenter.consult.forms import ChatMessageForm, after_id
from repaircenter.consult.models import ChatThread
from repaircenter.core.ratelimit import rate_limit
from repaircenter.orders.models import Order

from .chat_box import chat_fields
from .csrf import order_page_csrf
from .forms import ContactFields
from .order_views import order_page_with_error, order_view, page_url
from .views import TOO_MANY, render_public

CHAT_COOKIE = "repaircenter_chat"
CHAT_COOKIE_DAYS = 90

poll_limit = rate_limit("chat-poll", limit="CHAT_POLLS_PER_MINUTE", per=60, page=TOO_MANY)
post_limit = rate_limit("chat-post", limit="CHAT_MESSAGES_PER_MINUTE", per=60, page=TOO_MANY)


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _status_html(request, thread: ChatThread | None, *, order: Order | None) -> tuple[str, str]:
    """The chat's state, and its notice as HTML unless the page says it shows that state
    already (most polls: the notice is not rendered for nothing)."""
    online = consult.consultants_online()
    state, passed_on = consult.chat_state(thread, online=online)
    if state == request.GET.get("state"):
        return state, ""
    html = render_to_string("portal/_chat_status.html", {
        "chat_state": state, "passed_on": passed_on, "order": order,
        "contact_form": ContactFields(),
    }, request=request)
    return state, html


def chat_answer(request, thread: ChatThread | None, *, order: Order | None = None,
                status: int = 200, error: str = "") -> JsonResponse:
    """The messages after the page's last one, and what the chat says about who answers."""
    messages = consult.messages_after(thread, after_id(request))
    state, status_html = _status_html(request, thread, order=order)
    return JsonResponse({
        "messages": render_to_string("consult/_chat_messages.html",
                                     {"chat_messages": messages, "viewer": "visitor"}),
        "state": state,
        "status": status_html,
        "key": str(uuid.uuid4()),  # for the next message the page sends
        "error": error,
    }, status=status)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _post_message(request, thread_for) -> tuple[ChatThread | None, str]:
    """Store the visitor's message in the thread `thread_for()` finds or starts. Returns the
    thread and what was wrong ("" when the message was stored)."""
    form = ChatMessageForm(request.POST)
    if not form.is_valid():
        return None, _first_error(form)
    thread = thread_for()
    try:
        consult.post_visitor_message(thread=thread, body=form.cleaned_data["body"],
                                     client_key=form.cleaned_data["key"])
    except consult.BadText as problem:
        return thread, problem.message
    return thread, ""


# --- on the public site ------------------------------------------------------------------------


def _visitor_token(request) -> str:
    token = request.COOKIES.get(CHAT_COOKIE, "")
    return token if 30 <= len(token) <= 64 else ""


def _set_cookie(response, token: str):
    response.set_cookie(
        CHAT_COOKIE, token, max_age=CHAT_COOKIE_DAYS * 86400, path="/chat/",
        secure=settings.HTTPS, httponly=True, samesite="Lax",
    )
    return response


def _site_page(request, *, form=None, contact_form=None, error="", status=200):
    thread = consult.site_thread(_visitor_token(request))
    state, passed_on = consult.chat_state(thread, online=consult.consultants_online())
    messages = consult.messages_after(thread, 0)
    return render_public(request, "portal/chat.html", {
        "chat_messages": messages,
        "chat_state": state,
        "passed_on": passed_on,
        "chat_fields": chat_fields(form),
        "chat_error": error,
        "contact_form": contact_form or ContactFields(),
        "chat_poll_url": reverse("portal:chat_poll"),
        "chat_send_url": reverse("portal:chat_send"),
        "poll_seconds": settings.CHAT_POLL_SECONDS,
    }, status=status)


@never_cache
@require_GET
def chat(request):
    return _site_page(request)


@never_cache
@require_GET
@poll_limit
def chat_poll(request):
    thread = consult.site_thread(_visitor_token(request))
    return chat_answer(request, thread)


@require_POST
@post_limit
def chat_send(request):
    token = _visitor_token(request) or secrets.token_urlsafe(32)
    thread, error = _post_message(request, lambda: consult.open_site_thread(token))
    if wants_json(request):
        response = chat_answer(request, thread, status=400 if error else 200, error=error)
    elif error:
        response = _site_page(request, form=ChatMessageForm(request.POST), error=error,
                              status=400)
    else:
        response = HttpResponseRedirect(reverse("portal:chat") + "#chat", status=303)
    return _set_cookie(response, token)


@require_POST
@post_limit
def chat_contact(request):
    """No consultant online: the visitor says where the answer should go."""
    thread = consult.site_thread(_visitor_token(request))
    form = ContactFields(request.POST)
    if thread is None:
        return HttpResponseRedirect(reverse("portal:chat"), status=303)
    if not form.is_valid():
        return _site_page(request, contact_form=form, status=400)
    data = form.cleaned_data
    try:
        consult.leave_contact(thread=thread, name=data["name"], phone=data["phone"],
                              email=data["email"], reply_channel=data["reply_channel"])
    except consult.BadText as problem:
        return _site_page(request, contact_form=form, error=problem.message, status=400)
    return HttpResponseRedirect(reverse("portal:chat") + "#chat", status=303)


# --- on an order's page ----------------------------------------------------------------------


@never_cache
@require_GET
@order_view(scope="chat-poll", limit="CHAT_POLLS_PER_MINUTE")
def order_chat_poll(request, order: Order):
    thread = ChatThread.objects.filter(order=order).first()
    return chat_answer(request, thread, order=order)


@order_page_csrf
@require_POST
@order_view(scope="chat-post", limit="CHAT_MESSAGES_PER_MINUTE")
def order_chat_send(request, order: Order):
    thread, error = _post_message(request, lambda: consult.open_order_thread(order))
    if wants_json(request):
        return chat_answer(request, thread, order=order, status=400 if error else 200,
                           error=error)
    if error:
        return order_page_with_error(request, order, error)
    return HttpResponseRedirect(page_url(order, "chat"), status=303)


@order_page_csrf
@require_POST
@order_view(scope="chat-post", limit="CHAT_MESSAGES_PER_MINUTE")
def order_chat_pass_on(request, order: Order):
    """No consultant online: the customer passes the question on, to be answered by message."""
    thread = ChatThread.objects.filter(order=order).first()
    if thread is not None:
        # Nothing asked yet (BadText): the page shows the chat as it is.
        with contextlib.suppress(consult.BadText):
            consult.pass_on_order_question(thread=thread)
    return HttpResponseRedirect(page_url(order, "chat"), status=303)
