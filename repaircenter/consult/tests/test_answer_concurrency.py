"""Two consultants answer the same question at the same moment, each on their own database
connection: one answer is stored and one message queued; the other is told who answered."""

import pytest

from repaircenter.conftest import race
from repaircenter.consult import services
from repaircenter.consult.models import AdviceRequest, AdviceStatus, ChatMessage
from repaircenter.notifications.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 5


def test_two_answers_at_once_one_is_sent(separate_connections, consultant, manager):
    for n in range(ROUNDS):
        advice = services.ask(name=f"Asker {n}", phone="", email="a@example.com",
                              reply_channel="email", equipment="", question="Worth it?")

        def answer(user, text):
            def prepare():
                page = AdviceRequest.objects.get(pk=advice.pk)
                return lambda: services.answer_advice(advice=page, user=user, answer=text)
            return prepare

        results = race(answer(consultant, "Yes."), answer(manager, "No."))
        assert [r == "ok" for r in results].count(True) == 1, results
        [lost] = [r for r in results if r != "ok"]
        assert isinstance(lost, services.AlreadyDone), repr(lost)
        winner, text = ((consultant, "Yes."), (manager, "No."))[results.index("ok")]
        assert str(winner) in lost.message
        advice.refresh_from_db()
        assert (advice.status, advice.answered_by, advice.answer) == (
            AdviceStatus.ANSWERED, winner, text
        )
        [message] = Message.objects.filter(advice=advice)
        assert text in message.body


def test_a_reply_and_the_hand_over_at_once_leave_one_open_question_at_most(
    separate_connections, consultant
):
    """The visitor's two tabs pass the same question on at once: one advice request."""
    for n in range(ROUNDS):
        thread = services.open_site_thread(f"{n}" * 43)
        services.post_visitor_message(thread=thread, body="Hello?")

        def leave_contact():
            return lambda: services.leave_contact(
                thread=thread, name="Pat", phone="", email="p@example.com",
                reply_channel="email",
            )

        results = race(leave_contact, leave_contact)
        assert results == ["ok", "ok"], results
        assert AdviceRequest.objects.filter(thread=thread).count() == 1
        assert ChatMessage.objects.filter(thread=thread, author="system").count() == 1
