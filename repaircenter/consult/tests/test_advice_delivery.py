"""The consultant's answer reaches the asker through the outbox and the real worker: by email
to a real SMTP server (aiosmtpd), by text to the stand-in provider; a refused address falls
back to the other channel, and a failure shows in the staff queue like any other message.

Transactional, as the other delivery tests: the worker sends from threads with their own
database connections.
"""

import pytest
from django.test import Client
from django.urls import reverse

from repaircenter.consult.models import AdviceRequest
from repaircenter.core.models import CenterSettings
from repaircenter.notifications import delivery
from repaircenter.notifications.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

QUESTION = "My laptop fan is loud even when idle. Is a cleaning worth it?"
ANSWER = "Yes. Dust and dried paste cause most of it; a clean takes a day and costs 45 GBP."


def ask_by_form(**changes) -> AdviceRequest:
    """Through the public form, as a visitor asks."""
    data = {"name": "Zoë Brontë", "reply_channel": "email", "email": "zoe@example.com",
            "phone": "", "equipment": "Laptop", "question": QUESTION,
            "form_key": "6f1c1f5e-6a53-4c6e-9d4e-3f0f2d3b9a11", **changes}
    response = Client().post(reverse("portal:advice"), data)
    assert response.status_code == 302, response.content[:500]
    return AdviceRequest.objects.get()


def answer_from_the_inbox(consultant, advice):
    staff = Client()
    staff.force_login(consultant)
    response = staff.post(reverse("consult:advice_answer", args=[advice.pk]), {"answer": ANSWER})
    assert response.status_code == 303


def test_the_answer_is_delivered_by_email_through_a_real_smtp_server(smtp_server, consultant):
    center = CenterSettings.load()
    center.name, center.phone = "Fix-It Corner", "020 7946 0000"
    center.save()
    advice = ask_by_form()
    answer_from_the_inbox(consultant, advice)

    assert delivery.run_round() == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["zoe@example.com"]
    email = smtp_server.parsed()
    assert email["Subject"] == "Your question to Fix-It Corner"
    plain = email.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain.startswith("Hello Zoë Brontë,")
    assert f"You asked: {QUESTION}" in plain
    assert ANSWER in plain
    assert "020 7946 0000" in plain  # the center's signature
    message = Message.objects.get()
    assert (message.status, message.advice_id, message.order_id) == ("delivered", advice.pk,
                                                                     None)
    assert [r.outcome for r in message.records.all()] == ["delivered"]


def test_a_refused_address_falls_back_to_a_text(smtp_server, sms_provider, consultant):
    smtp_server.refuse.add("zoe@example.com")
    advice = ask_by_form(phone="07911 123456")
    answer_from_the_inbox(consultant, advice)

    delivery.run_round()
    email, text = Message.objects.order_by("pk")
    assert (email.channel, email.status) == ("email", "failed")
    assert "550" in email.last_answer
    assert (text.channel, text.recipient, text.replaces_id) == ("sms", "+447911123456",
                                                                email.pk)
    assert text.status == "sent"  # handed to the provider, which reports delivery later
    [sent] = sms_provider.accepted.values()
    assert sent["to"] == "+447911123456"
    assert ANSWER in sent["text"]


def test_an_answer_that_fails_everywhere_waits_in_the_staff_queue(smtp_server, consultant):
    smtp_server.refuse.add("zoe@example.com")
    advice = ask_by_form()
    answer_from_the_inbox(consultant, advice)
    delivery.run_round()
    message = Message.objects.get()
    assert message.status == "failed"

    staff = Client()
    staff.force_login(consultant)
    page = staff.get(reverse("notifications:attention")).content.decode()
    row = page.split(f'id="message-{message.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Zoë Brontë" in row and "Advice answered" in row
    assert reverse("consult:advice", args=[advice.pk]) in row

    # The asker's address is corrected on the question; sending again goes there.
    AdviceRequest.objects.filter(pk=advice.pk).update(email="zoe.b@example.com")
    staff.post(reverse("notifications:requeue", args=[message.pk]))
    delivery.run_round()
    message.refresh_from_db()
    assert (message.status, message.recipient) == ("delivered", "zoe.b@example.com")
    assert smtp_server.envelopes[-1].rcpt_tos == ["zoe.b@example.com"]
