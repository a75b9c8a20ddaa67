"""The consultants' inbox at /staff/consult/: who may open it, what it lists first, a chat with
the order beside it, answering and dismissing questions, and pinned query counts."""

import datetime
import io
import uuid

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from repaircenter.conftest import flashes
from repaircenter.consult import services
from repaircenter.consult.models import AdviceRequest, AdviceStatus, ChatMessage, ChatThread
from repaircenter.notifications.models import Message
from repaircenter.orders.models import Status

from .conftest import set_online

pytestmark = pytest.mark.django_db

INBOX = reverse("consult:inbox")


def ask(name="Sam Ortiz", question="Is it worth repairing?", when=None) -> AdviceRequest:
    advice = services.ask(name=name, phone="", email="sam@example.com", reply_channel="email",
                          equipment="Laptop", question=question)
    if when is not None:
        AdviceRequest.objects.filter(pk=advice.pk).update(created_at=when)
        advice.refresh_from_db()
    return advice


def chat(token: str, *bodies: str, when=None) -> ChatThread:
    thread = services.open_site_thread(token)
    for body in bodies:
        services.post_visitor_message(thread=thread, body=body, now=when)
    thread.refresh_from_db()
    return thread


@pytest.fixture
def staff(client, consultant):
    client.force_login(consultant)
    return client


def urls_of(advice: AdviceRequest, thread: ChatThread) -> dict[str, str]:
    return {
        "inbox": INBOX,
        "list": reverse("consult:inbox_list"),
        "thread": reverse("consult:thread", args=[thread.pk]),
        "thread_poll": reverse("consult:thread_poll", args=[thread.pk]),
        "advice": reverse("consult:advice", args=[advice.pk]),
        "photo": reverse("consult:advice_photo", args=[advice.pk]),
    }


POSTS = ("thread_reply", "advice_answer", "advice_dismiss")


def test_strangers_are_sent_to_log_in_and_other_roles_are_forbidden(
    client, users_by_role, make_order
):
    advice, thread = ask(), chat("t" * 43, "Hello")
    gets = urls_of(advice, thread)
    posts = {
        "thread_reply": reverse("consult:thread_reply", args=[thread.pk]),
        "advice_answer": reverse("consult:advice_answer", args=[advice.pk]),
        "advice_dismiss": reverse("consult:advice_dismiss", args=[advice.pk]),
    }
    for url in gets.values():
        assert client.get(url).status_code == 302
    for url in posts.values():
        assert client.post(url, {"body": "x", "answer": "x"}).status_code == 302
    for role in ("receptionist", "technician", "cashier"):
        client.force_login(users_by_role[role])
        for url in gets.values():
            assert client.get(url).status_code == 403, (role, url)
        for url in posts.values():
            assert client.post(url, {"body": "x", "answer": "x"}).status_code == 403, url
    assert AdviceRequest.objects.get().status == AdviceStatus.OPEN
    assert ChatMessage.objects.count() == 1
    for role in ("consultant", "manager"):
        client.force_login(users_by_role[role])
        assert client.get(INBOX).status_code == 200


def test_waiting_items_come_first_oldest_first_then_the_answered(staff, consultant, make_order):
    now = timezone.now()
    answered = chat("a" * 43, "Old and answered", when=now - datetime.timedelta(hours=5))
    services.reply(thread=answered, user=consultant, body="Done")
    newest = ask(name="Newest Asker", when=now - datetime.timedelta(minutes=1))
    oldest = chat("b" * 43, "Waiting the longest", when=now - datetime.timedelta(hours=2))
    order = make_order(Status.AWAITING_DECISION)
    middle = services.open_order_thread(order)
    services.post_visitor_message(thread=middle, body="About my order",
                                  now=now - datetime.timedelta(minutes=30))

    content = staff.get(INBOX).content.decode()
    waiting, recent = content.split("Answered lately", 1)
    order_of = [waiting.index(text) for text in
                ("Waiting the longest", "About my order", "Newest Asker")]
    assert order_of == sorted(order_of)
    assert f"{order.display_number} · Phone Samsung Galaxy S23" in waiting
    assert "Alice Brown" in waiting
    assert "Old and answered" not in waiting
    assert "Done" in recent  # the last message of the answered chat
    assert reverse("consult:advice", args=[newest.pk]) in waiting
    assert reverse("consult:thread", args=[oldest.pk]) in waiting


def test_the_list_refreshes_itself(staff):
    content = staff.get(INBOX).content.decode()
    assert f'hx-get="{reverse("consult:inbox_list")}"' in content
    assert 'hx-trigger="every 3s"' in content
    fragment = staff.get(reverse("consult:inbox_list"))
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()


def test_having_the_inbox_open_counts_as_online(staff, consultant):
    assert not services.consultants_online()
    staff.get(reverse("consult:inbox_list"))
    assert services.consultants_online()


def test_a_chat_on_an_order_shows_the_order_beside_it(staff, make_order):
    order = make_order(Status.AWAITING_DECISION)
    thread = services.open_order_thread(order)
    services.post_visitor_message(thread=thread, body="Can you do it cheaper?")
    content = staff.get(reverse("consult:thread", args=[thread.pk])).content.decode()
    assert "Chat with Alice Brown" in content
    assert "Can you do it cheaper?" in content
    beside = content.split('<aside class="order-beside">', 1)[1].split("</aside>", 1)[0]
    assert reverse("staff:order", args=[order.number]) in beside
    assert "Awaiting decision" in beside
    assert "Replace the charging port" in beside and "45.00" in beside
    assert "Does not charge" in beside


def test_a_reply_from_the_thread_page_reaches_the_visitor(staff, consultant):
    set_online(consultant)
    thread = chat("c" * 43, "Hello?")
    url = reverse("consult:thread_reply", args=[thread.pk])
    response = staff.post(url, {"body": "Hello, how can I help?", "key": str(uuid.uuid4())},
                          HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "Hello, how can I help?" in response.json()["messages"]
    reply = ChatMessage.objects.latest("pk")
    assert (reply.author, reply.user) == ("consultant", consultant)
    thread.refresh_from_db()
    assert thread.waiting_since is None

    no_js = staff.post(url, {"body": "   "}, follow=True)
    assert flashes(no_js) == [("error", "Write a message first.")]


def test_the_thread_poll_returns_what_is_new(staff, consultant):
    thread = chat("d" * 43, "First", "Second")
    first_id = thread.messages.order_by("pk").first().pk
    answer = staff.get(reverse("consult:thread_poll", args=[thread.pk]), {"after": first_id})
    assert answer.status_code == 200
    html = answer.json()["messages"]
    assert "Second" in html and "First" not in html
    assert "Visitor" in html


def test_answering_a_question_from_its_page(staff, consultant):
    advice = ask(question="<b>Loud fan</b> — worth it?")
    page = staff.get(reverse("consult:advice", args=[advice.pk])).content.decode()
    assert "&lt;b&gt;Loud fan&lt;/b&gt;" in page  # shown as text
    assert "It goes out to sam@example.com" in page

    response = staff.post(reverse("consult:advice_answer", args=[advice.pk]),
                          {"answer": "Yes, a cleaning is worth it."}, follow=True)
    assert flashes(response) == [
        ("success", "Answer saved; it goes out to sam@example.com.")
    ]
    advice.refresh_from_db()
    assert advice.status == AdviceStatus.ANSWERED
    assert Message.objects.filter(advice=advice).count() == 1
    assert "Yes, a cleaning is worth it." in response.content.decode()

    again = staff.post(reverse("consult:advice_answer", args=[advice.pk]),
                       {"answer": "Another answer."}, follow=True)
    assert [level for level, _ in flashes(again)] == ["error"]
    assert "answered this question" in flashes(again)[0][1]
    assert Message.objects.filter(advice=advice).count() == 1


def test_an_empty_answer_is_refused(staff):
    advice = ask()
    response = staff.post(reverse("consult:advice_answer", args=[advice.pk]), {"answer": ""})
    assert response.status_code == 400
    assert "Write a message first." in response.content.decode()
    assert AdviceRequest.objects.get().status == AdviceStatus.OPEN


def test_dismissing_a_question(staff, consultant):
    advice = ask(question="Buy cheap watches!!!")
    response = staff.post(reverse("consult:advice_dismiss", args=[advice.pk]), follow=True)
    assert response.redirect_chain[-1][0] == INBOX
    assert flashes(response) == [("success",
                                  "Dismissed: the question leaves the inbox unanswered.")]
    advice.refresh_from_db()
    assert (advice.status, advice.answered_by) == (AdviceStatus.DISMISSED, consultant)
    assert not Message.objects.exists()
    waiting = staff.get(INBOX).content.decode().split("Answered lately", 1)[0]
    assert "Buy cheap watches" not in waiting


def test_a_question_from_a_chat_is_answered_in_its_chat(staff):
    thread = chat("e" * 43, "Nobody online?")
    advice = services.leave_contact(thread=thread, name="Pat", phone="", email="p@example.com",
                                    reply_channel="email")
    response = staff.get(reverse("consult:advice", args=[advice.pk]))
    assert response.status_code == 302
    assert response.url == reverse("consult:thread", args=[thread.pk])
    page = staff.get(response.url).content.decode()
    assert "your answer also goes by Email to p@example.com" in page


def test_the_photo_is_for_staff_only(staff, client, consultant):
    advice = ask()
    url = reverse("consult:advice_photo", args=[advice.pk])
    assert staff.get(url).status_code == 404  # none sent
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG")
    advice.photo.save("q.jpg", ContentFile(out.getvalue()))
    response = staff.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert Client().get(url).status_code == 302


def test_the_staff_home_counts_what_waits_for_consultants(client, consultant, technician):
    ask()
    chat("f" * 43, "Hello")
    client.force_login(consultant)
    content = client.get(reverse("staff:home")).content.decode()
    assert "Chats and questions waiting" in content
    assert '<span class="count">2</span>Chats and questions waiting' in content
    client.force_login(technician)
    assert "Chats and questions waiting" not in client.get(reverse("staff:home")).content.decode()


# --- away ---------------------------------------------------------------------------------------


def test_a_consultant_who_steps_away_is_not_online_though_the_inbox_stays_open(
    staff, consultant
):
    staff.get(INBOX)
    assert services.consultants_online()
    response = staff.post(reverse("consult:away"), {"away": "1"})
    assert response.status_code == 303 and response.url == INBOX
    assert not services.consultants_online()
    # The open inbox keeps polling: still away, and the page says so.
    staff.get(reverse("consult:inbox_list"))
    assert not services.consultants_online()
    page = staff.get(INBOX)
    assert not services.consultants_online()
    assert "You are away" in page.content.decode()
    assert services.chat_state(None, online=services.consultants_online())[0] == "offline"

    staff.post(reverse("consult:away"), {"away": "0"})
    assert services.consultants_online()
    assert ("success", "You are back: visitors see that a consultant answers.") in flashes(
        staff.get(INBOX))


def test_one_consultant_away_leaves_the_chat_to_another_online(staff, consultant, manager):
    set_online(manager)
    staff.post(reverse("consult:away"), {"away": "1"})
    assert services.consultants_online()  # the manager answers chats too


def test_only_consultants_switch_away_and_only_by_post(client, staff, technician):
    assert staff.get(reverse("consult:away")).status_code == 405
    client.force_login(technician)
    assert client.post(reverse("consult:away"), {"away": "1"}).status_code == 403
    assert not services.is_away(technician)


# --- query counts -----------------------------------------------------------------------------

# The presence upsert; whether the consultant is away; waiting chats, waiting questions, recent
# chats, recent questions. (The session is a signed cookie, the user's row with their roles is
# kept a minute after the first request (accounts/backends.py), and so are the centers the
# person works in (orders/workplace.py).)
INBOX_QUERIES = 6
# the presence upsert; the thread with its order, customer, equipment and kind; the order's
# estimates; their lines; the messages; the question passed on, if any.
THREAD_QUERIES = 6


def test_the_inbox_query_count_does_not_grow(staff, consultant, make_order,
                                             django_assert_num_queries):
    ask()
    chat("g" * 43, "One")
    services.open_order_thread(make_order())
    staff.get(INBOX)
    with django_assert_num_queries(INBOX_QUERIES):
        assert staff.get(INBOX).status_code == 200
    for n in range(8):
        ask(name=f"Asker {n}")
        chat(f"{n}" * 43, f"Chat {n}", "and more")
        services.post_visitor_message(thread=services.open_order_thread(make_order()),
                                      body=f"Order chat {n}")
    with django_assert_num_queries(INBOX_QUERIES):
        content = staff.get(INBOX).content.decode()
    assert "Asker 7" in content and "Order chat 7" in content


def test_the_thread_query_count_does_not_grow(staff, consultant, make_order, technician,
                                              django_assert_num_queries):
    from repaircenter.conftest import send_new_estimate

    order = make_order(Status.AWAITING_DECISION)
    thread = services.open_order_thread(order)
    services.post_visitor_message(thread=thread, body="First")
    url = reverse("consult:thread", args=[thread.pk])
    staff.get(url)
    with django_assert_num_queries(THREAD_QUERIES):
        staff.get(url)
    for n in range(15):
        services.post_visitor_message(thread=thread, body=f"Question {n}")
        services.reply(thread=thread, user=consultant, body=f"Answer {n}")
    send_new_estimate(order, technician, lines=(("Extra", "1", "5.00"),))
    with django_assert_num_queries(THREAD_QUERIES):
        content = staff.get(url).content.decode()
    assert "Answer 14" in content and "Extra" in content


def test_the_staff_order_page_leads_consultants_to_the_orders_chat(client, consultant,
                                                                    technician, make_order):
    order = make_order(Status.RECEIVED)
    url = reverse("staff:order", args=[order.number])
    client.force_login(consultant)
    assert "wrote in the chat" not in client.get(url).content.decode()
    thread = services.open_order_thread(order)
    services.post_visitor_message(thread=thread, body="Hi")
    page = client.get(url).content.decode()
    assert "The customer wrote in the chat on their order page." in page
    assert reverse("consult:thread", args=[thread.pk]) in page
    client.force_login(technician)
    page = client.get(url).content.decode()
    assert "The customer wrote in the chat" in page
    assert reverse("consult:thread", args=[thread.pk]) not in page
