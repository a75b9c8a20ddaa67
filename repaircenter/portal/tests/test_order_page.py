"""The customer's order page, GET /o/<token>/: what it shows in each state, the personal data
it keeps back, and a query count that does not grow with the order's history."""

import dataclasses
import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from repaircenter.billing import services as billing
from repaircenter.billing.models import PaymentMethod
from repaircenter.centers.models import Center
from repaircenter.conftest import send_new_estimate, write_estimate
from repaircenter.consult.models import (
    AdviceRequest,
    AdviceStatus,
    ChatAuthor,
    ChatMessage,
    ChatThread,
)
from repaircenter.core import ratelimit
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.intake_records import ConditionResult
from repaircenter.orders.models import ConditionCheck, EventChannel, Order, Status
from repaircenter.orders.workflow import Actor
from repaircenter.portal import selectors

from .conftest import order_url, visible_text

pytestmark = pytest.mark.django_db

# What the status reads like to the customer, in each state.
STATUS_WORDS = {
    Status.RECEIVED: "Received, waiting for diagnostics",
    Status.DIAGNOSING: "Diagnostics under way",
    Status.AWAITING_DECISION: "Waiting for your decision",
    Status.APPROVED: "Approved, the repair starts soon",
    Status.REPAIRING: "Being repaired",
    Status.TESTING: "Repaired, being tested",
    Status.READY_REPAIRED: "Repaired and ready to collect",
    Status.READY_UNREPAIRED: "Ready to collect, not repaired",
    Status.ISSUED: "Collected",
    Status.DISPOSAL_DUE: "Storage period ended",
    Status.DISPOSED: "Disposed of",
}


def progress(text: str) -> str:
    return text.split("Progress", 1)[1].split("Your equipment", 1)[0]


@pytest.mark.parametrize("status", list(STATUS_WORDS))
def test_every_state_has_a_page_with_the_status_in_words_and_what_happens_next(
    client, make_order, status
):
    order = make_order(status)
    response = client.get(order_url(order))
    assert response.status_code == 200
    text = visible_text(response)
    assert f"Order {order.display_number}" in text
    assert "Phone · Samsung Galaxy S23" in text
    assert STATUS_WORDS[status] in text
    assert "What happens next" in text
    assert "Received at the center" in progress(text)


@pytest.mark.parametrize("status", list(STATUS_WORDS))
def test_the_page_shows_the_initials_and_a_masked_phone_never_the_full_ones(
    client, make_order, status
):
    order = make_order(status)
    content = client.get(order_url(order)).content.decode()
    text = visible_text(client.get(order_url(order)))
    assert "A. B. · +44•••••••101" in text
    assert "Alice" not in content and "Brown" not in content
    assert "2079460101" not in content and "alice@example.com" not in content
    assert "R5CW31ABCDE" not in content  # the serial number is not needed here either


def test_the_estimate_with_its_lines_recommendation_deadline_and_buttons(
    client, make_order, technician, settings
):
    order = make_order(Status.DIAGNOSING)
    send_new_estimate(
        order, technician,
        lines=(("Replace the charging port", "1", "45.00"), ("Port flex cable", "2", "9.50")),
        recommendation="Worth it: the battery is healthy.",
        internal_notes="Customer haggles; do not discount.",
    )
    order.refresh_from_db()
    response = client.get(order_url(order))
    text = visible_text(response)
    content = response.content.decode()

    assert "Your decision is needed" in text
    due = timezone.localtime(order.decision_due)
    assert f"Please decide by {due.day} {due:%B %Y}" in text
    days = (due.date() - timezone.localdate()).days
    assert f"({days} days left)" in text
    estimate = text.split("The estimate", 1)[1].split("Payment", 1)[0]
    assert "Replace the charging port" in estimate and "45.00" in estimate
    assert "Port flex cable" in estimate and "2 × 9.50" in estimate and "19.00" in estimate
    assert "Total 64.00" in estimate
    assert "about 2 working days once approved" in estimate
    assert "Worth it: the battery is healthy." in estimate
    assert "haggles" not in content  # internal notes stay inside
    # The buttons lead to confirmation pages; nothing on this page posts a decision.
    assert f'href="{order_url(order, "approve")}"' in content
    assert f'href="{order_url(order, "refuse")}"' in content
    assert 'action="' + order_url(order, "approve") not in content
    assert "decide by" in progress(text)


def test_a_draft_estimate_is_never_shown(client, make_order, technician):
    order = make_order(Status.AWAITING_DECISION)
    write_estimate(order, technician, lines=(("Secret draft line", "1", "999.00"),))
    content = client.get(order_url(order)).content.decode()
    assert "Secret draft line" not in content and "999.00" not in content


def test_after_the_deadline_the_page_offers_no_approval(client, make_order):
    order = make_order(Status.AWAITING_DECISION)
    order.__class__.objects.filter(pk=order.pk).update(
        decision_due=timezone.now() - datetime.timedelta(hours=1)
    )
    content = client.get(order_url(order)).content.decode()
    assert "The time to decide has ended" in visible_text(client.get(order_url(order)))
    assert f'href="{order_url(order, "approve")}"' not in content
    assert f'href="{order_url(order, "refuse")}"' in content  # refusing is still taken


def test_approved_shows_the_expected_end_of_the_repair_and_the_way_to_withdraw(
    client, make_order
):
    order = make_order(Status.APPROVED)
    text = visible_text(client.get(order_url(order)))
    assert "we expect it to be finished by" in text
    assert "Works you approved" in text and "Replace the charging port" in text
    assert "you can still refuse the repair" in text
    assert "expected by" in progress(text)


def test_ready_shows_the_balance_the_storage_deadline_and_the_days_left(client, make_order):
    order = make_order(Status.READY_REPAIRED)
    text = visible_text(client.get(order_url(order)))
    assert "Balance due 45.00" in text
    assert "We keep equipment for six months from the day our message" in text  # not reached

    reached = timezone.now() - datetime.timedelta(days=10)
    workflow.start_storage_clock(order=order, reached_at=reached, channel=EventChannel.SMS)
    order.refresh_from_db()
    text = visible_text(client.get(order_url(order)))
    due = timezone.localtime(order.storage_due)
    left = (due.date() - timezone.localdate()).days
    assert f"We keep it until {due.day} {due:%B %Y} · {left} days left" in text
    assert "Bring the paper intake order" in text or "paper intake order" in text


def test_what_was_paid_and_what_is_left(client, make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    for amount in ("20.00", "25.00"):
        billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal(amount),
                               method=PaymentMethod.CASH, idempotency_key=uuid.uuid4())
        text = visible_text(client.get(order_url(order)))
    page = selectors.customer_page(order.link_token)
    assert (page.charged, page.paid, page.balance) == (Decimal("45.00"), Decimal("45.00"), 0)
    assert "Total 45.00 GBP Paid 45.00 GBP Balance due none: paid in full" in text


def test_returned_unrepaired_shows_the_diagnostics_fee_as_the_balance(
    client, make_order, phone_kind
):
    phone_kind.diagnostics_fee = Decimal("15.00")
    phone_kind.save()
    order = make_order(Status.READY_UNREPAIRED)
    text = visible_text(client.get(order_url(order)))
    assert "The repair was refused" in text
    assert "Balance due 15.00 GBP (diagnostics fee)" in text
    assert "Repair" not in progress(text).replace("Ready to collect, not repaired", "")


def test_after_a_decision_on_this_page_it_says_so(client, make_order):
    order = make_order(Status.AWAITING_DECISION)
    workflow.approve(order=order, actor=Actor.customer(), channel=EventChannel.ORDER_PAGE,
                     evidence={"ip": "192.0.2.1", "user_agent": "Test"})
    text = visible_text(client.get(order_url(order)))
    assert "You approved on this page on" in text
    assert "The repair starts soon" in text
    assert "Your decision is needed" not in text


def test_a_supplement_explains_what_refusing_it_means(client, make_order, technician):
    order = make_order(Status.REPAIRING)
    send_new_estimate(order, technician, lines=(("Replace the battery", "1", "39.00"),),
                      required_to_finish=False)
    text = visible_text(client.get(order_url(order)))
    assert "Extra work needs your decision" in text
    assert "If you refuse, we finish the works you already approved" in text
    assert "If you approve the extra work 39.00 GBP more" in text


def test_a_decision_on_this_page_is_still_said_after_a_supplement_lapsed(
    client, make_order, technician
):
    """The lapse of a supplement is no answer to the estimate the customer approved here."""
    order = make_order(Status.AWAITING_DECISION)
    workflow.approve(order=order, actor=Actor.customer(), channel=EventChannel.ORDER_PAGE,
                     evidence={"ip": "192.0.2.1"})
    workflow.start_repair(order=order, actor=Actor.staff(technician))
    send_new_estimate(order, technician, lines=(("Replace the battery", "1", "39.00"),))
    Order.objects.filter(pk=order.pk).update(
        decision_due=timezone.now() - datetime.timedelta(minutes=1))
    order.refresh_from_db()
    workflow.lapse_decision(order=order)
    text = visible_text(client.get(order_url(order)))
    assert "Being repaired" in text and "You approved on this page on" in text


def test_the_page_object_of_a_supplement_awaiting_a_decision(make_order, technician):
    order = make_order(Status.REPAIRING)
    supplement = send_new_estimate(order, technician, lines=(("Battery", "1", "39.00"),))
    page = selectors.customer_page(order.link_token)
    assert (page.order.pk, page.estimate.pk) == (order.pk, supplement.pk)
    assert page.is_supplement and page.decision_open and not page.can_withdraw
    assert [e.kind for e in page.agreed] == ["main"]
    assert page.balance == page.charged == Decimal("45.00") and page.refund == -page.balance
    assert set(page.as_context()) == {field.name for field in dataclasses.fields(page)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.balance = Decimal("0.00")


def test_no_page_object_for_an_unknown_or_replaced_link(make_order, receptionist):
    order = make_order(Status.RECEIVED)
    old = order.link_token
    workflow.replace_portal_link(order=order, actor=Actor.staff(receptionist))
    assert selectors.customer_page(old) is None
    assert selectors.customer_page("x" * 32) is None and selectors.customer_page("") is None
    assert selectors.customer_page(order.link_token).order.pk == order.pk


# --- the query count --------------------------------------------------------------------------

# The rate limit's count (one upsert); the order with its customer, equipment, kind and chat
# thread, and whether the order has transfers, condition checks or a chat question passed on,
# what was paid, its events' and its chat messages' count and last id, and whether a
# consultant is online; its estimates; their lines; its documents. Its timeline's events
# and its chat's messages are kept once read (selectors.timeline_events, chat_log.py): reading
# them anew is one query more each. (The center's contacts are the order's center, read with
# the order.) The transfers, the condition checks and the question passed on are read only by
# the pages of the orders that have them, one query each.
ORDER_PAGE_QUERIES = 5


def chat_with(order, consultant, count: int) -> None:
    thread, _ = ChatThread.objects.get_or_create(order=order)
    for n in range(count):
        ChatMessage.objects.create(
            thread=thread, body=f"Message {n}",
            author=ChatAuthor.VISITOR if n % 2 else ChatAuthor.CONSULTANT,
            user=None if n % 2 else consultant,
        )


def test_the_query_count_does_not_grow_with_events_messages_documents_or_chat(
    client, make_order, technician, consultant, cashier, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)  # one window throughout
    order = make_order(Status.AWAITING_DECISION)
    chat_with(order, consultant, 1)
    with django_assert_num_queries(ORDER_PAGE_QUERIES + 2):  # the events read, the chat drawn
        assert client.get(order_url(order)).status_code == 200  # (and the window's first count)

    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        small = client.get(order_url(order))
    assert visible_text(small).count("Replace the charging port") == 1

    documents_before = order.documents.count()
    lines = tuple((f"Work {n}", "1", f"{n}.00") for n in range(1, 9))
    for _ in range(4):  # four revisions: events, estimates, lines, documents, outbox messages
        send_new_estimate(order, technician, lines=lines)
    chat_with(order, consultant, 40)
    workflow.approve(order=order, actor=Actor.customer(), channel=EventChannel.ORDER_PAGE,
                     evidence={"ip": "192.0.2.1"})
    for n in range(3):  # three prepayments, each with its receipt
        billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("10.00"),
                               method=PaymentMethod.CASH, idempotency_key=uuid.uuid4())
    assert Message.objects.filter(order=order).count() == 6  # received, five estimates
    assert order.events.count() > 6
    assert order.documents.count() == documents_before + 4 + 3

    with django_assert_num_queries(ORDER_PAGE_QUERIES + 3):  # the holidays; new events, messages
        client.get(order_url(order))
    with django_assert_num_queries(ORDER_PAGE_QUERIES + 1):  # approved: the holidays too
        large = client.get(order_url(order))
    text = visible_text(large)
    assert "Work 8" in text and "Message 39" in text and "Connie, consultant" in text
    assert "Paid 30.00 GBP" in text and "Payment receipt" in text


def test_the_query_count_is_the_same_in_the_states_that_show_the_most(
    client, make_order, consultant, django_assert_num_queries, monkeypatch
):
    """Approved and repairing also work out the expected end of the repair (the holidays)."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    for status in (Status.APPROVED, Status.REPAIRING):
        order = make_order(status)
        chat_with(order, consultant, 3)
        client.get(order_url(order))  # the events read, the chat's messages drawn, and kept
        with django_assert_num_queries(ORDER_PAGE_QUERIES + 1):
            assert client.get(order_url(order)).status_code == 200


def test_the_chat_kept_as_drawn_shows_a_new_message_at_once(client, make_order, consultant):
    order = make_order(Status.AWAITING_DECISION)
    chat_with(order, consultant, 2)
    assert "Message 1" in visible_text(client.get(order_url(order)))
    ChatMessage.objects.create(thread=order.chat_thread, body="Ready on Friday",
                               author=ChatAuthor.CONSULTANT, user=consultant)
    text = visible_text(client.get(order_url(order)))
    assert "Message 1" in text and "Ready on Friday" in text
    ChatMessage.objects.filter(body="Ready on Friday").delete()
    assert "Ready on Friday" not in visible_text(client.get(order_url(order)))


def test_the_events_kept_once_read_show_a_new_decision_at_once(client, make_order):
    order = make_order(Status.AWAITING_DECISION)
    assert "You approved on this page" not in visible_text(client.get(order_url(order)))
    workflow.approve(order=order, actor=Actor.customer(), channel=EventChannel.ORDER_PAGE,
                     evidence={"ip": "192.0.2.1"})
    page = selectors.customer_page(order.link_token)
    assert page.last_decision.action == "approve"
    assert [s.state for s in page.steps if s.name == "decision"] == ["done"]
    assert "You approved on this page" in visible_text(client.get(order_url(order)))


def test_transfers_condition_checks_and_a_question_passed_on_cost_a_query_only_when_there(
    client, make_order, technician, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    order = make_order(Status.APPROVED)
    # The holidays (approved: the repair's end is expected), the events read; no chat (no
    # thread: its messages are not read).
    with django_assert_num_queries(ORDER_PAGE_QUERIES + 1 + 1):
        page = visible_text(client.get(order_url(order)))
    assert "Condition when you handed it in" not in page and "on its way" not in page

    ConditionCheck.objects.create(order=order, label="Screen", position=1,
                                  result=ConditionResult.DAMAGED, note="Cracked corner")
    workshop = Center.objects.create(name="Workshop", number_prefix="WS", workshop_only=True,
                                     time_zone="Europe/London")
    workflow.send_transfer(order=order, actor=Actor.staff(technician), to_center=workshop,
                           seal="SEAL-0042")
    # Nobody online: the question is passed on (its thread and an advice request).
    client.post(order_url(order, "order_chat_send"),
                {"body": "When will it be ready?", "key": str(uuid.uuid4()), "after": 0})
    assert AdviceRequest.objects.filter(order=order, status=AdviceStatus.OPEN).exists()

    client.get(order_url(order))  # the new events read, the chat's messages drawn, and kept
    with django_assert_num_queries(ORDER_PAGE_QUERIES + 1 + 3):  # the holidays; one each
        page = visible_text(client.get(order_url(order)))
    assert "Condition when you handed it in" in page and "Cracked corner" in page
    assert "on its way to Workshop" in page
    assert "has been passed on to our consultants" in page


# --- what the page is made of ----------------------------------------------------------------

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # a script without src
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle=", re.IGNORECASE),
    re.compile(r"\son[a-z]+=", re.IGNORECASE),  # onclick=, onload=…
    re.compile(r"javascript:", re.IGNORECASE),
]


@pytest.mark.parametrize("status", list(STATUS_WORDS))
def test_no_inline_script_or_style_that_the_policy_would_block(client, make_order, status):
    order = make_order(status)
    urls = [order_url(order), order_url(order, "approve"), order_url(order, "refuse")]
    for url in urls:
        content = client.get(url).content.decode()
        for pattern in INLINE:
            assert not pattern.search(content), (url, pattern.pattern)


def test_staff_pages_are_not_linked_from_the_order_page(client, make_order):
    order = make_order(Status.AWAITING_DECISION)
    content = client.get(order_url(order)).content.decode()
    assert reverse("staff:order", args=[order.number]) not in content
