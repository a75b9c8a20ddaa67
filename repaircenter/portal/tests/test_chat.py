"""The chat on the public site, /chat/: the visitor's thread is found by a cookie (only its
digest is stored), messages are plain text with a length limit, and when no consultant is
online the chat says so and the question becomes an advice request."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from repaircenter.consult import services
from repaircenter.consult.models import (
    AdviceRequest,
    AdviceSource,
    AdviceStatus,
    ChatAuthor,
    ChatMessage,
    ChatThread,
)
from repaircenter.consult.tests.conftest import set_online
from repaircenter.core import ratelimit
from repaircenter.portal.chat_views import CHAT_COOKIE

from .conftest import visible_text

pytestmark = pytest.mark.django_db

CHAT = reverse("portal:chat")
SEND = reverse("portal:chat_send")
POLL = reverse("portal:chat_poll")
CONTACT = reverse("portal:chat_contact")
JSON = {"HTTP_ACCEPT": "application/json"}


def say(client, body, key=None, **extra):
    data = {"body": body, "key": str(key or uuid.uuid4()), "after": 0}
    return client.post(SEND, data, **JSON, **extra)


def poll(client, after=0):
    response = client.get(POLL, {"after": after}, **JSON)
    assert response.status_code == 200
    return response.json()


def bodies(answer) -> list[str]:
    return [part.split("</div>")[0].strip()
            for part in answer["messages"].split('<div class="chat-body">')[1:]]


def test_opening_the_chat_starts_nothing(client, db):
    response = client.get(CHAT)
    assert response.status_code == 200
    assert CHAT_COOKIE not in response.cookies
    assert not ChatThread.objects.exists()
    assert "No consultant is online right now" in visible_text(response)


def test_the_first_message_starts_a_thread_tied_to_the_visitor_by_a_cookie(client, consultant):
    set_online(consultant)
    response = say(client, "Hello, do you fix Kindle screens?")
    assert response.status_code == 200
    cookie = response.cookies[CHAT_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/chat/" and cookie["samesite"] == "Lax"
    assert len(cookie.value) >= 40
    thread = ChatThread.objects.get()
    assert thread.order is None
    assert thread.visitor_digest == services.visitor_digest(cookie.value)
    assert cookie.value not in thread.visitor_digest  # only the digest is kept
    assert thread.waiting_since is not None
    answer = response.json()
    assert bodies(answer) == ["Hello, do you fix Kindle screens?"]
    assert answer["state"] == "online"
    assert uuid.UUID(answer["key"])  # the key for the next message


def test_the_visitor_sees_the_consultants_answer_and_another_visitor_sees_nothing(
    client, consultant
):
    set_online(consultant)
    say(client, "Hello?")
    thread = ChatThread.objects.get()
    first = poll(client)
    last_id = int(first["messages"].rsplit('data-id="', 1)[1].split('"', 1)[0])

    services.reply(thread=thread, user=consultant, body="Yes, bring it in: about 40 GBP.")
    answer = poll(client, after=last_id)
    assert bodies(answer) == ["Yes, bring it in: about 40 GBP."]
    assert "Connie, consultant" in answer["messages"]
    assert poll(client, after=last_id + 1)["messages"].strip() == ""

    stranger = Client()
    assert poll(stranger)["messages"].strip() == ""
    forged = Client()
    forged.cookies[CHAT_COOKIE] = "x" * 43
    assert poll(forged)["messages"].strip() == ""
    assert "Hello?" not in forged.get(CHAT).content.decode()


def test_without_javascript_the_form_posts_and_the_page_shows_the_message(client, consultant):
    set_online(consultant)
    response = client.post(SEND, {"body": "Plain form post", "key": str(uuid.uuid4())})
    assert response.status_code == 303 and response.url == CHAT + "#chat"
    assert "Plain form post" in visible_text(client.get(CHAT))


def test_messages_are_plain_text_shown_escaped(client, consultant):
    set_online(consultant)
    say(client, '<script>alert("x")</script> <b>bold</b>\r\nsecond line\x07')
    stored = ChatMessage.objects.get().body
    assert stored == '<script>alert("x")</script> <b>bold</b>\nsecond line'
    page = client.get(CHAT).content.decode()
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;<br>" \
           "second line" in page
    refused = say(client, "a NUL\x00 in it")
    assert refused.status_code == 400
    assert refused.json()["error"] == "Null characters are not allowed."


@pytest.mark.parametrize(("body", "error"), [
    ("", "Write a message first."),
    ("   \n  ", "Write a message first."),
    ("x" * 1001, "A message may have at most 1000 characters; this one has 1001."),
])
def test_empty_and_too_long_messages_are_refused(client, consultant, body, error):
    set_online(consultant)
    response = say(client, body)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not ChatMessage.objects.exists()
    no_js = client.post(SEND, {"body": body})
    assert no_js.status_code == 400
    assert error in visible_text(no_js)


def test_a_message_posted_twice_is_kept_once(client, consultant):
    set_online(consultant)
    key = uuid.uuid4()
    say(client, "Are you open on Saturday?", key=key)
    again = say(client, "Are you open on Saturday?", key=key)
    assert again.status_code == 200
    assert ChatMessage.objects.count() == 1


def test_with_no_consultant_online_the_question_becomes_an_advice_request(client, db):
    say(client, "My washing machine shows E24.")
    answer = say(client, "It drains slowly too.").json()
    assert answer["state"] == "waiting"
    assert "Tell us where to send the answer" in answer["status"]
    assert not AdviceRequest.objects.exists()  # not until the visitor says where to answer

    response = client.post(CONTACT, {"name": "Pat", "reply_channel": "email",
                                     "email": "pat@example.com", "phone": ""})
    assert response.status_code == 303
    advice = AdviceRequest.objects.get()
    assert (advice.source, advice.status, advice.email, advice.name) == (
        AdviceSource.CHAT, AdviceStatus.OPEN, "pat@example.com", "Pat"
    )
    assert advice.question == "My washing machine shows E24.\n\nIt drains slowly too."
    assert advice.thread == ChatThread.objects.get()
    notice = ChatMessage.objects.filter(author=ChatAuthor.SYSTEM).get()
    assert "passed on" in notice.body and "by email" in notice.body
    status = poll(client)
    assert status["state"] == "passed_on"
    assert "The answer will come by email" in status["status"]

    # A later message joins the question passed on; sending the contact again changes nothing.
    say(client, "Model WAT28400GB.")
    client.post(CONTACT, {"name": "Pat", "reply_channel": "email", "email": "pat@example.com"})
    advice.refresh_from_db()
    assert advice.question.endswith("\n\nModel WAT28400GB.")
    assert AdviceRequest.objects.count() == 1


def test_the_contact_form_checks_the_address_for_the_channel(client, db):
    say(client, "Hello?")
    response = client.post(CONTACT, {"name": "Pat", "reply_channel": "sms", "phone": ""})
    assert response.status_code == 400
    assert "Give the mobile number the text should go to." in visible_text(response)
    assert not AdviceRequest.objects.exists()


def test_the_contact_form_without_a_thread_does_nothing(client, db):
    response = client.post(CONTACT, {"name": "Pat", "reply_channel": "email",
                                     "email": "pat@example.com"})
    assert response.status_code == 303
    assert not AdviceRequest.objects.exists()


def test_a_poll_from_a_page_that_shows_the_state_already_gets_no_notice(client, consultant):
    set_online(consultant)
    answer = client.get(POLL, {"after": 0, "state": "online"}, **JSON).json()
    assert (answer["state"], answer["status"]) == ("online", "")
    changed = client.get(POLL, {"after": 0, "state": "offline"}, **JSON).json()
    assert "A consultant is online" in changed["status"]


def test_the_chat_says_whether_a_consultant_is_online(client, consultant):
    assert poll(client)["state"] == "offline"
    set_online(consultant)
    assert poll(client)["state"] == "online"
    assert "A consultant is online" in poll(client)["status"]
    set_online(consultant, minutes_ago=5.5)
    assert poll(client)["state"] == "offline"


def test_too_many_messages_from_one_address_get_429(client, consultant, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    set_online(consultant)
    settings.CHAT_MESSAGES_PER_MINUTE = 3
    statuses = [say(client, f"Message {n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert ChatMessage.objects.count() == 3
    settings.CHAT_POLLS_PER_MINUTE = 2
    assert [client.get(POLL, **JSON).status_code for _ in range(3)] == [200, 200, 429]
