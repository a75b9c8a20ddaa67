"""The consultants' inbox: chats and advice requests, unanswered first; a chat on an order shows
the order beside it. Opening any of these pages counts as being online for the chat."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from repaircenter.accounts.permissions import role_required
from repaircenter.notifications.outbox import advice_channels
from repaircenter.orders.dues import amount_due

from . import selectors, services
from .forms import AnswerForm, ReplyForm, after_id
from .services import CONSULT_ROLES

ROLES = tuple(CONSULT_ROLES)


@never_cache
@require_GET
@role_required(*ROLES)
def inbox(request):
    services.mark_present(request.user)
    waiting, recent = selectors.inbox()
    return render(request, "consult/inbox.html", {
        "waiting": waiting, "recent": recent, "idle_minutes": settings.CHAT_IDLE_MINUTES,
        "away": services.is_away(request.user),
    })


@require_POST
@role_required(*ROLES)
def away(request):
    """The consultant's switch: away (the chat says nobody is online) or back."""
    stepping_away = request.POST.get("away") == "1"
    services.set_away(request.user, stepping_away)
    if stepping_away:
        messages.info(request, _("You are away: visitors see that nobody is online, and their "
                                 "questions wait here to be answered by message."))
    else:
        messages.success(request, _("You are back: visitors see that a consultant answers."))
    return HttpResponseRedirect(reverse("consult:inbox"), status=303)


@never_cache
@require_GET
@role_required(*ROLES)
def inbox_list(request):
    """The list alone, which the inbox page asks for every few seconds."""
    services.mark_present(request.user)
    waiting, recent = selectors.inbox()
    return render(request, "consult/_inbox_list.html", {"waiting": waiting, "recent": recent})


# --- a chat ----------------------------------------------------------------------------------


def _thread_context(request, thread, *, form=None) -> dict:
    order = thread.order
    return {
        "thread": thread,
        "order": order,
        "estimates": list(order.estimates.all()) if order else [],
        "amount_due": amount_due(order) if order else None,
        "chat_messages": services.messages_after(thread, 0, limit=selectors.THREAD_HISTORY),
        "open_advice": selectors.open_advice(thread),
        "reply_form": form or ReplyForm(initial={"key": uuid.uuid4()}),
        "poll_seconds": settings.CHAT_POLL_SECONDS,
    }


@never_cache
@require_GET
@role_required(*ROLES)
def thread(request, pk: int):
    services.mark_present(request.user)
    chat = selectors.thread_page(pk)
    return render(request, "consult/thread.html", _thread_context(request, chat))


def _staff_answer(request, chat, *, status: int = 200, error: str = "") -> JsonResponse:
    messages_ = services.messages_after(chat, after_id(request))
    return JsonResponse({
        "messages": render_to_string("consult/_chat_messages.html", {
            "chat_messages": messages_, "viewer": "staff", "user": request.user,
        }),
        "key": str(uuid.uuid4()),
        "error": error,
    }, status=status)


@never_cache
@require_GET
@role_required(*ROLES)
def thread_poll(request, pk: int):
    services.mark_present(request.user)
    chat = selectors.thread_page(pk)
    return _staff_answer(request, chat)


@require_POST
@role_required(*ROLES)
def thread_reply(request, pk: int):
    chat = selectors.thread_page(pk)
    form = ReplyForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.reply(thread=chat, user=request.user, body=form.cleaned_data["body"],
                           client_key=form.cleaned_data["key"])
        except services.ConsultError as problem:
            error = problem.message
    else:
        error = next(iter(form.errors.values()))[0]
    if "application/json" in request.headers.get("Accept", ""):
        return _staff_answer(request, chat, status=400 if error else 200, error=error)
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(reverse("consult:thread", args=[pk]) + "#reply", status=303)


# --- a question from the advice form ---------------------------------------------------------


def _advice_context(advice, form=None) -> dict:
    channels = advice_channels(advice)
    return {
        "advice": advice,
        "form": form or AnswerForm(),
        "answer_channel": channels[0] if channels else "",
        "messages_sent": list(advice.messages.all()),
    }


@never_cache
@require_GET
@role_required(*ROLES)
def advice(request, pk: int):
    services.mark_present(request.user)
    question = selectors.advice_page(pk)
    if question.thread_id:  # asked in a chat: answered there, with the conversation in view
        return HttpResponseRedirect(reverse("consult:thread", args=[question.thread_id]))
    return render(request, "consult/advice.html", _advice_context(question))


@require_POST
@role_required(*ROLES)
def advice_answer(request, pk: int):
    question = selectors.advice_page(pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return render(request, "consult/advice.html", _advice_context(question, form),
                      status=400)
    try:
        services.answer_advice(advice=question, user=request.user,
                               answer=form.cleaned_data["answer"])
    except services.AlreadyDone as problem:
        messages.error(request, problem.message)
    except services.ConsultError as problem:
        form.add_error("answer", problem.message)
        return render(request, "consult/advice.html", _advice_context(question, form),
                      status=400)
    else:
        messages.success(request, _sent_text(question))
    return HttpResponseRedirect(reverse("consult:advice", args=[pk]), status=303)


def _sent_text(question) -> str:
    return _("Answer saved; it goes out to %(to)s.") % {"to": question.reply_address}


@require_POST
@role_required(*ROLES)
def advice_dismiss(request, pk: int):
    question = selectors.advice_page(pk)
    try:
        services.dismiss_advice(advice=question, user=request.user)
    except services.ConsultError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, _("Dismissed: the question leaves the inbox unanswered."))
    return HttpResponseRedirect(reverse("consult:inbox"), status=303)


@require_GET
@role_required(*ROLES)
def advice_photo(request, pk: int):
    question = selectors.advice_page(pk)
    if not question.photo:
        raise Http404
    try:
        handle = question.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
