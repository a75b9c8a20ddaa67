"""Every change to advice requests and chats: questions, answers, hand-overs, presence.

Views and the portal call these; each checks who acts and the text, and writes what belongs
together in one transaction (an answer, its chat message and its outbox row).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Concat, Now
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import Role
from repaircenter.core.files import delete_unless_held
from repaircenter.customers.channels import CHANNELS
from repaircenter.notifications.outbox import queue_advice_answer, usable_channels
from repaircenter.orders.models import Order

from .models import (
    ANSWER_MAX,
    QUESTION_MAX,
    REPLY_CHANNELS,
    AdviceRequest,
    AdviceSource,
    AdviceStatus,
    ChatAuthor,
    ChatMessage,
    ChatThread,
    ConsultantPresence,
)

CONSULT_ROLES = frozenset({Role.CONSULTANT, Role.MANAGER})
# Everything below a space except the line break and the tab: invisible, and PostgreSQL refuses
# the NUL character in text.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ConsultError(Exception):
    """A change that was refused; the message says why, in words for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(ConsultError):
    pass


class BadText(ConsultError):
    pass


class AlreadyDone(ConsultError):
    """Someone else answered or dismissed the question first."""


def clean_text(text: str, *, limit: int) -> str:
    """The text as stored: line breaks normalised, control characters dropped, no blank ends."""
    text = CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise BadText(_("Write a message first."))
    if len(text) > limit:
        raise BadText(
            _("That is %(length)d characters; a message may have at most %(limit)d. Split it in "
              "two.") % {"length": len(text), "limit": limit}
        )
    return text


def _require_consultant(user: User) -> None:
    if not user.has_role(*CONSULT_ROLES):
        raise NotAllowed(_("Only consultants and managers answer questions."))


# --- who is online ---------------------------------------------------------------------------


def _save_presence(presence: ConsultantPresence, fields: list[str]) -> None:
    """Insert the consultant's presence row, or update `fields` of it: one upsert."""
    ConsultantPresence.objects.bulk_create(
        [presence], update_conflicts=True, unique_fields=["user"], update_fields=fields,
    )


def mark_present(user: User, now: datetime.datetime | None = None) -> None:
    """The consultant has the inbox open now (whether away or not stays as it was)."""
    _save_presence(ConsultantPresence(user=user, last_seen=now or timezone.now()), ["last_seen"])


def set_away(user: User, away: bool) -> None:
    """The consultant steps away (visitors no longer count them as online, though the inbox
    stays open) or is back (online at once)."""
    _save_presence(ConsultantPresence(user=user, last_seen=timezone.now(), away=away),
                   ["last_seen", "away"])


def is_away(user: User) -> bool:
    return ConsultantPresence.objects.filter(user=user, away=True).exists()


def present_consultants(now: datetime.datetime | None = None):
    """The consultants online: seen lately, not away, still active (a page may ask whether any
    are with its own query, as `Exists(present_consultants())`). Without `now`, "lately" is
    by the database's clock, so that the statement is the same on every request and can be
    compiled once (core/statements.py)."""
    idle = datetime.timedelta(minutes=settings.CHAT_IDLE_MINUTES)
    since = Now() - idle if now is None else now - idle
    return ConsultantPresence.objects.filter(last_seen__gte=since, away=False,
                                             user__is_active=True)


def consultants_online(now: datetime.datetime | None = None) -> bool:
    return present_consultants(now).exists()


class ChatState:
    """What the visitor's side of a chat says about who will answer."""

    ONLINE = "online"  # a consultant is online and answers here
    OFFLINE = "offline"  # nobody online, nothing waiting
    WAITING = "waiting"  # nobody online, and the visitor's question waits: pass it on?
    PASSED_ON = "passed_on"  # the question became an advice request; the answer comes by message


def chat_state(
    thread: ChatThread | None, *, online: bool, maybe_passed_on: bool = True
) -> tuple[str, AdviceRequest | None]:
    """The state of the visitor's chat, and the advice request it was passed on as, if any.
    `maybe_passed_on=False`: the caller knows the thread has no open request (no query)."""
    if thread is not None and maybe_passed_on:
        passed_on = AdviceRequest.objects.filter(thread=thread, status=AdviceStatus.OPEN).first()
        if passed_on is not None:
            return ChatState.PASSED_ON, passed_on
    if online:
        return ChatState.ONLINE, None
    if thread is not None and thread.waiting_since is not None:
        return ChatState.WAITING, None
    return ChatState.OFFLINE, None


# --- threads ---------------------------------------------------------------------------------


def visitor_digest(token: str) -> str:
    """The cookie's token is the visitor's key to their chat; only its digest is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def site_thread(token: str) -> ChatThread | None:
    if not token:
        return None
    return ChatThread.objects.filter(visitor_digest=visitor_digest(token)).first()


def _get_or_create(**lookup) -> ChatThread:
    thread = ChatThread.objects.filter(**lookup).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            return ChatThread.objects.create(**lookup)
    except IntegrityError:  # two first messages at once: the other one made it
        return ChatThread.objects.get(**lookup)


def open_site_thread(token: str) -> ChatThread:
    return _get_or_create(visitor_digest=visitor_digest(token))


def open_order_thread(order: Order) -> ChatThread:
    return _get_or_create(order=order)


def _existing(thread: ChatThread, client_key: uuid.UUID | None) -> ChatMessage | None:
    if client_key is None:
        return None
    return ChatMessage.objects.filter(thread=thread, client_key=client_key).first()


def _add_message(thread: ChatThread, **fields) -> ChatMessage:
    """A new message, or the one already stored under the same client key (a repeated post)."""
    key = fields.get("client_key")
    existing = _existing(thread, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ChatMessage.objects.create(thread=thread, **fields)
    except IntegrityError:
        if key is None:
            raise
        return ChatMessage.objects.get(thread=thread, client_key=key)


def messages_after(thread: ChatThread | None, after: int, *, limit: int = 200) -> list[ChatMessage]:
    """The thread's messages after the id `after`, oldest first (the newest `limit` at most)."""
    if thread is None:
        return []
    newest = (
        ChatMessage.objects.filter(thread=thread, pk__gt=after)
        .select_related("user", "thread")
        .order_by("-pk")[:limit]
    )
    return list(reversed(newest))


@transaction.atomic
def post_visitor_message(
    *,
    thread: ChatThread,
    body: str,
    client_key: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> ChatMessage:
    """A message from the visitor or the customer. While no consultant is online it joins the
    question already handed over, or, on an order's page, becomes an advice request to the
    order's customer (a visitor of the public site is asked for a phone or email first)."""
    body = clean_text(body, limit=settings.CHAT_MESSAGE_MAX)
    now = now or timezone.now()
    repeated = _existing(thread, client_key)
    if repeated is not None:
        return repeated
    message = _add_message(thread, author=ChatAuthor.VISITOR, body=body, at=now,
                           client_key=client_key)
    ChatThread.objects.filter(pk=thread.pk).update(
        last_message_at=now, waiting_since=Coalesce(F("waiting_since"), Value(now))
    )
    handed_over = AdviceRequest.objects.filter(thread=thread, status=AdviceStatus.OPEN)
    if handed_over.update(question=Concat(F("question"), Value("\n\n" + body))):
        return message
    if thread.order_id and not consultants_online(now):
        _hand_over_for_order(thread, now)
    return message


def _unanswered_question(thread: ChatThread) -> str:
    """The visitor's messages since the last answer, as one question."""
    last_answer = (
        ChatMessage.objects.filter(thread=thread, author=ChatAuthor.CONSULTANT)
        .order_by("-pk").values_list("pk", flat=True).first()
    ) or 0
    texts = ChatMessage.objects.filter(
        thread=thread, author=ChatAuthor.VISITOR, pk__gt=last_answer
    ).order_by("pk").values_list("body", flat=True)
    return "\n\n".join(texts)[-QUESTION_MAX * 2:]


def _hand_over_for_order(thread: ChatThread, now: datetime.datetime) -> AdviceRequest | None:
    order = Order.objects.select_related("customer").get(pk=thread.order_id)
    customer = order.customer
    channel = next((c for c in usable_channels(customer) if c in REPLY_CHANNELS), None)
    if channel is None:
        return None  # it waits in the inbox; the customer sees the answer on the page
    return _hand_over(thread, name=customer.name, phone=str(customer.phone),
                      email=customer.email, reply_channel=channel, order=order, now=now)


def _hand_over(thread, *, name, phone, email, reply_channel, order, now) -> AdviceRequest:
    question = _unanswered_question(thread)
    if not question:
        raise BadText(_("Write your question in the chat first."))
    try:
        with transaction.atomic():
            advice = AdviceRequest.objects.create(
                source=AdviceSource.CHAT, thread=thread, order=order, name=name, phone=phone,
                email=email, reply_channel=reply_channel, question=question, created_at=now,
            )
    except IntegrityError:  # the visitor's other tab handed it over a moment ago
        return AdviceRequest.objects.get(thread=thread, status=AdviceStatus.OPEN)
    _add_message(thread, author=ChatAuthor.SYSTEM, at=now, body=_(
        "No consultant is online just now, so your question has been passed on. The answer "
        "will come by %(channel)s as soon as a consultant is back, and it will show here too."
    ) % {"channel": channel_words(reply_channel)})
    return advice


def channel_words(channel: str) -> str:
    """How a sentence names the channel: "by text message", "by email"."""
    return str(CHANNELS[channel].in_sentence)


@transaction.atomic
def leave_contact(
    *, thread: ChatThread, name: str, phone: str, email: str, reply_channel: str,
    now: datetime.datetime | None = None,
) -> AdviceRequest:
    """A visitor of the public site, with no consultant online, says where to send the answer:
    their unanswered messages become an advice request. Repeating it changes nothing."""
    open_request = AdviceRequest.objects.filter(thread=thread, status=AdviceStatus.OPEN).first()
    if open_request is not None:
        return open_request
    return _hand_over(thread, name=name, phone=phone, email=email, reply_channel=reply_channel,
                      order=None, now=now or timezone.now())


@transaction.atomic
def pass_on_order_question(
    *, thread: ChatThread, now: datetime.datetime | None = None
) -> AdviceRequest | None:
    """The customer, told that no consultant is online, passes the question on from the order
    page: it goes to the order's customer by their SMS or email. None if neither reaches them."""
    open_request = AdviceRequest.objects.filter(thread=thread, status=AdviceStatus.OPEN).first()
    if open_request is not None:
        return open_request
    return _hand_over_for_order(thread, now or timezone.now())


@transaction.atomic
def reply(
    *,
    thread: ChatThread,
    user: User,
    body: str,
    client_key: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> ChatMessage:
    """A consultant's answer in a chat. If the question was handed over as an advice request,
    this answers it: the answer goes by SMS or email as well."""
    _require_consultant(user)
    body = clean_text(body, limit=ANSWER_MAX)
    now = now or timezone.now()
    repeated = _existing(thread, client_key)
    if repeated is not None:
        return repeated
    handed_over = AdviceRequest.objects.filter(thread=thread, status=AdviceStatus.OPEN).first()
    if handed_over is not None:
        answer_advice(advice=handed_over, user=user, answer=body, client_key=client_key, now=now)
        return ChatMessage.objects.filter(thread=thread).latest("pk")
    message = _add_message(thread, author=ChatAuthor.CONSULTANT, user=user, body=body, at=now,
                           client_key=client_key)
    ChatThread.objects.filter(pk=thread.pk).update(last_message_at=now, waiting_since=None)
    mark_present(user, now)
    return message


# --- advice ----------------------------------------------------------------------------------


@transaction.atomic
def ask(
    *,
    name: str,
    phone: str,
    email: str,
    reply_channel: str,
    equipment: str,
    question: str,
    photo=None,
    form_key: uuid.UUID | None = None,
) -> AdviceRequest:
    """A question from the advice form. The same form posted twice makes one request."""
    question = clean_text(question, limit=QUESTION_MAX)
    if form_key is not None:
        existing = AdviceRequest.objects.filter(form_key=form_key).first()
        if existing is not None:
            return existing
    advice = AdviceRequest(
        name=name, phone=phone, email=email, reply_channel=reply_channel,
        equipment=equipment, question=question, photo=photo, form_key=form_key,
        source=AdviceSource.FORM,
    )
    try:
        with transaction.atomic():
            advice.save()  # the photo is written first, then the row committed
            return advice
    except BaseException as error:
        # No row: no photo either.
        if advice.photo and advice.photo._committed:
            delete_unless_held([advice.photo.name], lambda names: set(
                AdviceRequest.objects.filter(photo__in=names).values_list("photo", flat=True)))
        if not isinstance(error, IntegrityError) or form_key is None:
            raise
        return AdviceRequest.objects.get(form_key=form_key)


def _already_done(advice: AdviceRequest) -> AlreadyDone:
    current = AdviceRequest.objects.select_related("answered_by").get(pk=advice.pk)
    when = timezone.localtime(current.answered_at).strftime("%H:%M") if current.answered_at else ""
    if current.status == AdviceStatus.ANSWERED:
        text = _("%(who)s answered this question at %(when)s; nothing was sent again.")
    else:
        text = _("%(who)s dismissed this question at %(when)s; nothing was sent.")
    return AlreadyDone(text % {"who": current.answered_by, "when": when})


@transaction.atomic
def answer_advice(
    *,
    advice: AdviceRequest,
    user: User,
    answer: str,
    client_key: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> AdviceRequest:
    """The consultant's answer: stored, queued in the outbox to the asker, and written in the
    chat the question came from; all or nothing. A question answered already is not answered
    twice."""
    _require_consultant(user)
    answer = clean_text(answer, limit=ANSWER_MAX)
    now = now or timezone.now()
    if not AdviceRequest.objects.filter(pk=advice.pk, status=AdviceStatus.OPEN).update(
        status=AdviceStatus.ANSWERED, answer=answer, answered_by=user, answered_at=now
    ):
        raise _already_done(advice)
    advice.status, advice.answer, advice.answered_by, advice.answered_at = (
        AdviceStatus.ANSWERED, answer, user, now
    )
    queued = queue_advice_answer(advice=advice)
    if queued is None and advice.thread_id is None:
        raise BadText(
            _("No channel can reach the asker: %(channel)s is switched off. Nothing was saved.")
            % {"channel": advice.get_reply_channel_display()}
        )
    if advice.thread_id:
        _add_message(advice.thread, author=ChatAuthor.CONSULTANT, user=user, body=answer, at=now,
                     client_key=client_key)
        ChatThread.objects.filter(pk=advice.thread_id).update(
            last_message_at=now, waiting_since=None
        )
    mark_present(user, now)
    return advice


@transaction.atomic
def dismiss_advice(
    *, advice: AdviceRequest, user: User, now: datetime.datetime | None = None
) -> AdviceRequest:
    """A question left unanswered on purpose (spam, a duplicate): it leaves the inbox."""
    _require_consultant(user)
    now = now or timezone.now()
    if not AdviceRequest.objects.filter(pk=advice.pk, status=AdviceStatus.OPEN).update(
        status=AdviceStatus.DISMISSED, answered_by=user, answered_at=now
    ):
        raise _already_done(advice)
    if advice.thread_id:
        ChatThread.objects.filter(pk=advice.thread_id).update(waiting_since=None)
    advice.status, advice.answered_by, advice.answered_at = AdviceStatus.DISMISSED, user, now
    return advice
