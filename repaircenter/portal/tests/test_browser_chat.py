"""The live chat in two browsers at once: a visitor on a phone asks on the public site, a
consultant answers from the inbox on a desktop, and each sees the other's message appear within
three seconds, without reloading. Then the same on an order's page, with the order beside the
chat in the consultant's view."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import DESKTOP, log_in
from repaircenter.orders.models import Status

from .test_browser_order_page import PHONE, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREE_SECONDS = 3_000  # ms: how soon a message must show on the other side


def mark_page(page) -> None:
    """A flag on this very document: still there later means the page was never reloaded."""
    page.evaluate("window.notReloaded = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.notReloaded === true")


def test_a_visitor_asks_and_a_consultant_answers_from_the_inbox(
    live_server, consultant, shots, new_page
):
    desk = new_page(DESKTOP)
    log_in(desk, consultant.username)
    desk.goto(reverse("consult:inbox"))  # the inbox open: a consultant is online
    expect(desk.get_by_role("heading", level=1)).to_have_text("Chats and questions")
    mark_page(desk)

    visitor = new_page(PHONE)
    complaints = watch_console(visitor)
    visitor.goto(reverse("portal:chat"))
    expect(visitor.locator("[data-chat-status]")).to_contain_text("A consultant is online")
    mark_page(visitor)
    visitor.get_by_label("Your message").fill("Hello! Do you replace Kindle screens?")
    visitor.get_by_role("button", name="Send").click()
    log = visitor.locator("[data-chat-log]")
    expect(log).to_contain_text("Hello! Do you replace Kindle screens?")
    expect(visitor.get_by_label("Your message")).to_have_value("")

    # The inbox list refreshes itself: the chat appears without a reload.
    waiting = desk.locator("#inbox-list table").first
    expect(waiting).to_contain_text("Hello! Do you replace Kindle screens?", timeout=5_000)
    assert_not_reloaded(desk)
    desk.screenshot(path=shots / "consult-inbox.png", full_page=True)
    waiting.get_by_role("link").first.click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Chat with a visitor of the site")
    mark_page(desk)
    desk.get_by_label("Your answer").fill("Yes: about 60 GBP, done the same day.")
    desk.get_by_role("button", name="Send").click()
    expect(desk.locator("[data-chat-log]")).to_contain_text("about 60 GBP")

    # The visitor sees the answer, within three seconds and without reloading.
    expect(log).to_contain_text("Yes: about 60 GBP, done the same day.", timeout=THREE_SECONDS)
    expect(log.locator(".chat-consultant")).to_contain_text("Connie, consultant")
    assert_not_reloaded(visitor)
    visitor.screenshot(path=shots / "portal-phone-chat.png", full_page=True)

    # And the consultant sees the visitor's next message the same way.
    visitor.get_by_label("Your message").fill("Great, I will come tomorrow.")
    visitor.get_by_label("Your message").press("Enter")  # Enter sends
    expect(desk.locator("[data-chat-log]")).to_contain_text(
        "Great, I will come tomorrow.", timeout=THREE_SECONDS
    )
    assert_not_reloaded(desk)
    desk.screenshot(path=shots / "consult-thread-visitor.png", full_page=True)
    assert complaints == []


def test_a_customer_asks_on_the_order_page_and_the_consultant_sees_the_order(
    live_server, consultant, make_order, shots, new_page
):
    order = make_order(Status.AWAITING_DECISION)
    desk = new_page(DESKTOP)
    log_in(desk, consultant.username)
    desk.goto(reverse("consult:inbox"))

    customer = new_page(PHONE)
    customer.goto(reverse("portal:order", args=[order.link_token]) + "#chat")
    mark_page(customer)
    chat = customer.locator("#chat")
    chat.get_by_label("Your message").fill("Is the 45 GBP with the part included?")
    chat.get_by_role("button", name="Send").click()
    expect(chat.locator("[data-chat-log]")).to_contain_text("with the part included?")

    row = desk.locator("#inbox-list tr", has_text="Alice Brown")
    expect(row).to_contain_text(order.display_number, timeout=5_000)
    row.get_by_role("link").click()
    beside = desk.locator("aside.order-beside")
    expect(beside).to_contain_text(order.display_number)
    expect(beside).to_contain_text("Replace the charging port")
    desk.get_by_label("Your answer").fill("Yes, the part and the work: 45 GBP in total.")
    desk.get_by_role("button", name="Send").click()
    desk.screenshot(path=shots / "consult-thread-order.png", full_page=True)

    expect(chat.locator("[data-chat-log]")).to_contain_text(
        "45 GBP in total.", timeout=THREE_SECONDS
    )
    assert_not_reloaded(customer)
    chat.screenshot(path=shots / "portal-phone-order-chat.png")


def test_with_nobody_online_the_chat_says_so_and_asks_where_to_answer(
    live_server, shots, new_page
):
    visitor = new_page(PHONE)
    visitor.goto(reverse("portal:chat"))
    status = visitor.locator("[data-chat-status]")
    expect(status).to_contain_text("No consultant is online right now")
    visitor.get_by_label("Your message").fill("My dishwasher shows E24.")
    visitor.get_by_role("button", name="Send").click()
    expect(status).to_contain_text("Tell us where to send the answer")
    status.get_by_label("Your name").fill("Pat")
    status.get_by_role("textbox", name="Email").fill("pat@example.com")
    status.get_by_role("button", name="Send my question to a consultant").click()
    expect(status).to_contain_text("Your question has been passed on")
    expect(visitor.locator("[data-chat-log]")).to_contain_text("passed on")
    expect(visitor).to_have_url(re.compile(r"/chat/#chat$"))
    visitor.screenshot(path=shots / "portal-phone-chat-passed-on.png", full_page=True)
