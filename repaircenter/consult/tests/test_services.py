"""The consult services: answers go through the outbox, one answer per question, presence and
the hand-over of a chat question when nobody is online, and the outbox's own rule that a message
is about an order or answers a question."""

import datetime
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from repaircenter.consult import services
from repaircenter.consult.models import (
    AdviceRequest,
    AdviceStatus,
    ChatMessage,
    ChatThread,
    ConsultantPresence,
)
from repaircenter.core.models import CenterSettings
from repaircenter.notifications import outbox
from repaircenter.notifications.models import Message
from repaircenter.orders.models import Status

from .conftest import set_online

pytestmark = pytest.mark.django_db


def ask(**changes) -> AdviceRequest:
    data = {"name": "Sam Ortiz", "phone": "", "email": "sam@example.com",
            "reply_channel": "email", "equipment": "Laptop Dell XPS 13",
            "question": "The fan is loud. Worth cleaning?"}
    return services.ask(**{**data, **changes})


# --- the text -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "kept"), [
    ("  hello  ", "hello"),
    ("line one\r\nline two\rline three", "line one\nline two\nline three"),
    ("tab\tkept, bell\x07 and NUL\x00 gone", "tab\tkept, bell and NUL gone"),
    ("<b>not markup</b>", "<b>not markup</b>"),  # stored as typed; escaped when shown
])
def test_clean_text(raw, kept):
    assert services.clean_text(raw, limit=100) == kept


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01", None])
def test_clean_text_refuses_nothing_to_say(raw):
    with pytest.raises(services.BadText, match="Write a message first."):
        services.clean_text(raw, limit=100)


def test_clean_text_refuses_too_long_and_says_by_how_much():
    with pytest.raises(services.BadText, match="That is 11 characters; a message may have at "
                                               "most 10"):
        services.clean_text("x" * 11, limit=10)


# --- answers ---------------------------------------------------------------------------------


def test_an_answer_is_queued_in_the_outbox_to_the_asker(consultant):
    center = CenterSettings.load()
    center.name = "Fix-It Corner"
    center.save()
    advice = ask()
    services.answer_advice(advice=advice, user=consultant,
                           answer="Yes: a cleaning and new paste usually cure it.")
    advice.refresh_from_db()
    assert (advice.status, advice.answered_by) == (AdviceStatus.ANSWERED, consultant)
    assert advice.answer == "Yes: a cleaning and new paste usually cure it."
    [message] = Message.objects.all()
    assert (message.advice, message.order, message.customer) == (advice, None, None)
    assert (message.event, message.channel, message.recipient, message.status) == (
        "advice_answered", "email", "sam@example.com", "queued"
    )
    assert message.subject == "Your question to Fix-It Corner"
    assert message.body.startswith("Hello Sam Ortiz,")
    assert "You asked: The fan is loud. Worth cleaning?" in message.body
    assert "Yes: a cleaning and new paste usually cure it." in message.body


def test_an_answer_by_text_goes_to_the_phone(consultant):
    advice = ask(reply_channel="sms", phone="+447911123456", email="")
    services.answer_advice(advice=advice, user=consultant, answer="Bring it in.")
    message = Message.objects.get()
    assert (message.channel, message.recipient) == ("sms", "+447911123456")
    assert message.body.endswith(": Bring it in.")


def test_a_question_is_answered_once(consultant, manager):
    advice = ask()
    services.answer_advice(advice=advice, user=consultant, answer="First answer.")
    stale = AdviceRequest.objects.get(pk=advice.pk)
    with pytest.raises(services.AlreadyDone, match="Connie answered this question at"):
        services.answer_advice(advice=stale, user=manager, answer="Second answer.")
    advice.refresh_from_db()
    assert (advice.answer, advice.answered_by) == ("First answer.", consultant)
    assert Message.objects.count() == 1


def test_a_dismissed_question_cannot_be_answered(consultant):
    advice = ask()
    services.dismiss_advice(advice=advice, user=consultant)
    assert AdviceRequest.objects.get().status == AdviceStatus.DISMISSED
    with pytest.raises(services.AlreadyDone, match="dismissed this question"):
        services.answer_advice(advice=advice, user=consultant, answer="Too late.")
    assert not Message.objects.exists()


def test_an_answer_that_no_channel_can_carry_is_refused_and_nothing_is_saved(
    consultant, settings
):
    settings.NOTIFICATION_CHANNELS = {"phone": settings.CHANNEL_CLASSES["call"]}
    advice = ask()
    with pytest.raises(services.BadText, match="No channel can reach the asker"):
        services.answer_advice(advice=advice, user=consultant, answer="Hello.")
    advice.refresh_from_db()
    assert (advice.status, advice.answer) == (AdviceStatus.OPEN, "")
    assert not Message.objects.exists()


@pytest.mark.parametrize("role", ["receptionist", "technician", "cashier"])
def test_only_consultants_and_managers_answer(request, role):
    advice = ask()
    with pytest.raises(services.NotAllowed):
        services.answer_advice(advice=advice, user=request.getfixturevalue(role), answer="Hi")
    with pytest.raises(services.NotAllowed):
        services.dismiss_advice(advice=advice, user=request.getfixturevalue(role))
    assert AdviceRequest.objects.get().status == AdviceStatus.OPEN


def test_a_failed_email_falls_back_to_a_text_when_the_asker_gave_a_phone(consultant):
    advice = ask(phone="+447911123456")
    services.answer_advice(advice=advice, user=consultant, answer="Bring it in.")
    email = Message.objects.get()
    Message.objects.filter(pk=email.pk).update(status="failed")
    fallback = outbox.queue_next_channel(email)
    assert (fallback.channel, fallback.recipient, fallback.replaces) == (
        "sms", "+447911123456", email
    )
    assert fallback.advice == advice
    fallback.status = "failed"
    assert outbox.queue_next_channel(fallback) is None  # both channels tried


# --- the outbox's rule ------------------------------------------------------------------------


def test_the_database_refuses_a_message_about_nothing(customer, make_order):
    base = {"event": "order_received", "channel": "sms", "recipient": "+442079460101",
            "body": "x"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(customer=customer, **base)  # neither an order nor a question
    order = make_order()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(order=order, **base)  # an order's message has its customer
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(order=order, customer=customer, advice=ask(), **base)


def test_the_database_refuses_a_question_without_the_address_to_answer_to():
    with pytest.raises(IntegrityError), transaction.atomic():
        AdviceRequest.objects.create(name="X", question="Q?", reply_channel="sms", phone="",
                                     email="x@example.com", source="form")


# --- chats -------------------------------------------------------------------------------------


def test_a_thread_waits_from_the_visitors_first_unanswered_message(consultant):
    set_online(consultant)
    thread = services.open_site_thread("a" * 43)
    first = timezone.now() - datetime.timedelta(minutes=3)
    services.post_visitor_message(thread=thread, body="One", now=first)
    services.post_visitor_message(thread=thread, body="Two")
    thread.refresh_from_db()
    assert thread.waiting_since == first
    services.reply(thread=thread, user=consultant, body="Answer")
    thread.refresh_from_db()
    assert thread.waiting_since is None
    services.post_visitor_message(thread=thread, body="Three")
    thread.refresh_from_db()
    assert thread.waiting_since > first


def test_one_thread_per_visitor_and_per_order(make_order):
    token = "b" * 43
    assert services.open_site_thread(token) == services.open_site_thread(token)
    assert services.site_thread(token) == services.open_site_thread(token)
    assert services.site_thread("c" * 43) is None
    order = make_order()
    assert services.open_order_thread(order) == services.open_order_thread(order)
    assert ChatThread.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatThread.objects.create()  # neither an order nor a visitor


def test_a_reply_with_the_same_key_is_kept_once(consultant):
    thread = services.open_site_thread("d" * 43)
    key = uuid.uuid4()
    first = services.reply(thread=thread, user=consultant, body="Hi", client_key=key)
    again = services.reply(thread=thread, user=consultant, body="Hi", client_key=key)
    assert first == again and ChatMessage.objects.count() == 1


def test_on_an_order_with_nobody_online_a_customer_who_takes_only_calls_waits_in_the_inbox(
    make_order, customer
):
    customer.preferred_channels = ["phone"]
    customer.save()
    order = make_order(Status.RECEIVED)
    thread = services.open_order_thread(order)
    services.post_visitor_message(thread=thread, body="Hello?")
    assert not AdviceRequest.objects.exists()  # no text or email to answer by
    thread.refresh_from_db()
    assert services.chat_state(thread, online=False)[0] == services.ChatState.WAITING


# --- presence --------------------------------------------------------------------------------


def test_online_while_the_inbox_was_open_within_the_idle_minutes(consultant, settings):
    settings.CHAT_IDLE_MINUTES = 5
    assert not services.consultants_online()
    services.mark_present(consultant)
    services.mark_present(consultant)  # an upsert: still one row
    assert ConsultantPresence.objects.count() == 1
    assert services.consultants_online()
    later = timezone.now() + datetime.timedelta(minutes=5, seconds=1)
    assert not services.consultants_online(now=later)
    consultant.is_active = False
    consultant.save()
    assert not services.consultants_online()
