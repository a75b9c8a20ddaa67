"""The chat on an order's page: the customer writes to the consultants, who see the order beside
it; with no consultant online the question is passed on to be answered by text or email."""

import re
import uuid

import pytest

from repaircenter.consult import services
from repaircenter.consult.forms import ChatMessageForm
from repaircenter.consult.models import AdviceRequest, ChatAuthor, ChatMessage, ChatThread
from repaircenter.consult.tests.conftest import set_online
from repaircenter.notifications.models import Message
from repaircenter.orders.models import Status

from .conftest import order_url, visible_text

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def order(make_order):
    return make_order(Status.AWAITING_DECISION)


def say(client, order, body, **extra):
    return client.post(order_url(order, "order_chat_send"),
                       {"body": body, "key": str(uuid.uuid4()), "after": 0}, **JSON, **extra)


def poll(client, order, after=0):
    return client.get(order_url(order, "order_chat_poll"), {"after": after}, **JSON)


def test_the_customer_asks_and_sees_the_answer(client, order, consultant):
    set_online(consultant)
    answer = say(client, order, "Is the battery included in the price?").json()
    assert answer["state"] == "online"
    thread = ChatThread.objects.get()
    assert thread.order == order and thread.visitor_digest == ""
    assert thread.waiting_since is not None

    services.reply(thread=thread, user=consultant, body="No, the battery is 39 GBP more.")
    messages = poll(client, order).json()["messages"]
    assert "Is the battery included in the price?" in messages
    assert "No, the battery is 39 GBP more." in messages
    assert "Connie, consultant" in messages
    assert "You" in messages
    text = visible_text(client.get(order_url(order)))
    assert "No, the battery is 39 GBP more." in text


def test_another_orders_link_does_not_see_this_chat(client, order, make_order, consultant):
    set_online(consultant)
    say(client, order, "Private question about my order")
    other = make_order(Status.RECEIVED)
    assert "Private question" not in poll(client, other).json()["messages"]
    assert "Private question" not in client.get(order_url(other)).content.decode()
    assert ChatThread.objects.count() == 1


def test_without_javascript_the_message_is_posted_and_shown(client, order, consultant):
    set_online(consultant)
    response = client.post(order_url(order, "order_chat_send"), {"body": "No-JS question"})
    assert response.status_code == 303
    assert response.url == order_url(order) + "#chat"
    assert "No-JS question" in visible_text(client.get(order_url(order)))
    bad = client.post(order_url(order, "order_chat_send"), {"body": "x" * 1001})
    assert bad.status_code == 400
    assert "at most 1000 characters" in visible_text(bad)


def test_each_page_gets_the_chat_box_as_django_draws_it_with_a_new_key(client, order):
    # The empty box is drawn once and kept (portal/chat_box.py); each page needs its own key.
    pages = [client.get(order_url(order)).content.decode() for _ in range(2)]
    keys = [re.search(r'name="key" value="([^"]+)"', page).group(1) for page in pages]
    assert keys[0] != keys[1]
    assert all(uuid.UUID(key).version == 4 for key in keys)
    form = ChatMessageForm(initial={"key": keys[1]})
    assert str(form["key"]) in pages[1] and str(form["body"]) in pages[1]
    assert '<label for="id_body" class="visually-hidden">Your message</label>' in pages[1]
    # Sent back with what was wrong: the box holds what the customer wrote.
    bad = client.post(order_url(order, "order_chat_send"), {"body": "too long " * 200})
    assert bad.status_code == 400
    assert "too long too long" in bad.content.decode()


def test_with_no_consultant_online_the_question_is_passed_on_by_text(client, order):
    answer = say(client, order, "When will it be ready?").json()
    assert answer["state"] == "passed_on"
    assert "The answer will come by text message to the number ending 101" in answer["status"]
    advice = AdviceRequest.objects.get()
    assert (advice.order, advice.reply_channel, str(advice.phone), advice.name) == (
        order, "sms", "+442079460101", "Alice Brown"
    )
    assert advice.question == "When will it be ready?"
    assert ChatMessage.objects.filter(author=ChatAuthor.SYSTEM).count() == 1


def test_the_answer_to_a_question_passed_on_goes_by_text_and_into_the_chat(
    client, order, consultant
):
    say(client, order, "When will it be ready?")
    thread = ChatThread.objects.get()
    services.reply(thread=thread, user=consultant, body="By Friday, if you approve today.")
    advice = AdviceRequest.objects.get()
    assert advice.status == "answered" and advice.answered_by == consultant
    [message] = Message.objects.filter(advice=advice)
    assert (message.channel, message.recipient, message.order, message.customer) == (
        "sms", "+442079460101", None, order.customer
    )
    assert "By Friday, if you approve today." in message.body
    assert "By Friday" in poll(client, order).json()["messages"]
    thread.refresh_from_db()
    assert thread.waiting_since is None


def test_a_question_left_waiting_can_be_passed_on_from_the_page(client, order, consultant):
    set_online(consultant)
    say(client, order, "Hello, anyone there?")
    set_online(consultant, minutes_ago=30)  # the consultant left without answering
    page = client.get(order_url(order))
    assert "Pass my question on" in visible_text(page)
    response = client.post(order_url(order, "order_chat_pass_on"))
    assert response.status_code == 303 and response.url == order_url(order) + "#chat"
    assert AdviceRequest.objects.get().question == "Hello, anyone there?"
    client.post(order_url(order, "order_chat_pass_on"))  # twice: still one
    assert AdviceRequest.objects.count() == 1


def test_passing_on_with_nothing_asked_does_nothing(client, order):
    assert client.post(order_url(order, "order_chat_pass_on")).status_code == 303
    assert not AdviceRequest.objects.exists()


# The rate limit's count; the order by its link; its thread; the messages after the page's
# last; whether a consultant is online; the question passed on, if any.
POLL_QUERIES = 6


def test_a_poll_costs_the_same_few_queries_however_long_the_chat(
    client, order, consultant, django_assert_num_queries
):
    set_online(consultant)
    say(client, order, "First")
    with django_assert_num_queries(POLL_QUERIES):
        assert poll(client, order).status_code == 200
    thread = ChatThread.objects.get()
    for n in range(60):
        services.reply(thread=thread, user=consultant, body=f"Answer {n}")
    last = ChatMessage.objects.latest("pk").pk
    with django_assert_num_queries(POLL_QUERIES):
        assert "Answer 59" in poll(client, order).json()["messages"]
    with django_assert_num_queries(POLL_QUERIES):
        assert poll(client, order, after=last).json()["messages"].strip() == ""
