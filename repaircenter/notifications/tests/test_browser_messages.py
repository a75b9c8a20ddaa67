"""The message pages as staff use them, in Debian's Chromium driven by Playwright: a receptionist
works through the calls to make, a manager edits an SMS text in the admin and watches its
segment count, and a failed message is dealt with on the attention page.

Screenshots go to $SCREENSHOT_DIR when it is set, else to the test's tmp_path:
    SCREENSHOT_DIR=docs/screenshots pytest repaircenter/notifications/tests/test_browser_messages.py
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from repaircenter.conftest import DESKTOP, TABLET, log_in, take_in
from repaircenter.customers.models import Customer
from repaircenter.notifications import delivery
from repaircenter.notifications.models import Event, Message, MessageTemplate
from repaircenter.orders.models import Status

from .test_staff_pages import REFUSING

# The flush after each live-server test would also delete the roles and equipment kinds that the
# data migrations made; serialized_rollback puts them back before each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def both_sizes(page: Page, shots, name: str) -> None:
    """A full-page screenshot at desktop size and at tablet size."""
    page.screenshot(path=shots / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.screenshot(path=shots / f"{name}-tablet.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def page_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


# --- calls to make -------------------------------------------------------------------------------


@pytest.fixture
def two_calls(customer, receptionist):
    """Two customers who asked to be telephoned, each with an order just received; the worker
    has put both notices in the calls to make."""
    customer.preferred_channels = ["phone"]
    customer.save()
    bob = Customer.objects.create(
        name="Robert Ellingham-Whitcombe", phone="+442079460202", email="bob@example.com",
        preferred_channels=["phone", "sms"],
    )
    alice_order = take_in(receptionist, customer).order
    bob_order = take_in(receptionist, bob, serial="R5CW31ZZZZZ").order
    delivery.run_round()
    alice_call = Message.objects.get(order=alice_order, channel="phone")
    bob_call = Message.objects.get(order=bob_order, channel="phone")
    assert alice_call.status == bob_call.status == "sent"
    return alice_call, bob_call


def test_a_receptionist_works_through_the_calls_to_make(receptionist, two_calls, shots,
                                                        new_page):
    alice_call, bob_call = two_calls
    page = new_page()
    log_in(page, receptionist.username)

    # The home page card counts the calls and leads to them.
    card = page.get_by_role("link", name=re.compile("Calls to make"))
    expect(card).to_contain_text("2")
    page.screenshot(path=shots / "home-with-message-cards.png", full_page=True)
    card.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calls to make (2)")
    tasks = page.locator("article.call-task")
    expect(tasks).to_have_count(2)
    alice = page.locator(f"#call-{alice_call.pk}")
    bob = page.locator(f"#call-{bob_call.pk}")
    expect(alice.get_by_role("link", name="020 7946 0101")).to_have_attribute(
        "href", "tel:+442079460101"
    )
    expect(alice).to_contain_text("Alice Brown")
    expect(alice.locator("blockquote.script")).to_contain_text(
        f"about order {alice_call.order.display_number}"
    )
    expect(bob).to_contain_text("Robert Ellingham-Whitcombe")
    for task in (alice, bob):
        for outcome in ("Reached", "No answer", "Wrong number"):
            expect(task.get_by_role("button", name=outcome)).to_be_visible()
    both_sizes(page, shots, "calls-to-make")
    page.set_viewport_size(TABLET)
    assert page_overflow(page) == 0  # the calls fit a tablet held upright
    page.set_viewport_size(DESKTOP)

    # Alice answers.
    alice.get_by_role("textbox", name="Note").fill("Will pick it up on Friday")
    alice.get_by_role("button", name="Reached").click()
    expect(page.locator(".flash-success")).to_have_text("Call recorded for +442079460101.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calls to make (1)")
    expect(tasks).to_have_count(1)
    expect(page.locator(f"#call-{alice_call.pk}")).to_have_count(0)
    page.screenshot(path=shots / "calls-to-make-after-reached.png", full_page=True)

    # Bob does not.
    bob.get_by_role("button", name="No answer").click()
    expect(page.locator(".flash-success")).to_have_text("Call recorded for +442079460202.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calls to make (0)")
    expect(tasks).to_have_count(0)
    expect(page.get_by_text("No calls to make.")).to_be_visible()
    both_sizes(page, shots, "calls-to-make-empty")

    alice_call.refresh_from_db()
    bob_call.refresh_from_db()
    assert alice_call.status == "delivered"
    assert alice_call.records.get(kind="call").answer == "Reached — Will pick it up on Friday"
    assert bob_call.status == "queued" and bob_call.attempt_count == 1

    # The order page tells the story of Alice's call.
    page.goto(reverse("staff:order", args=[alice_call.order.number]))
    row = page.locator(f"#message-{alice_call.pk}")
    expect(row).to_contain_text("Send attempt: Sent")
    expect(row).to_contain_text("Call: Delivered (Rita)")
    expect(row.locator(".badge")).to_have_text("Delivered")
    page.screenshot(path=shots / "order-messages.png", full_page=True)


# --- the template editor -------------------------------------------------------------------------


@pytest.fixture
def admin_manager(manager):
    manager.is_staff = True
    manager.save()
    return manager


LONG_TEXT = (
    "{{ center.name }}: we have your {{ order.equipment }}, order {{ order.number }}. We will "
    "send the estimate by {{ order.diagnosis_due }}. Follow it here: {{ order.link }}"
)


def test_a_manager_makes_an_sms_text_longer_and_sees_two_segments(admin_manager, make_order,
                                                                  shots, new_page):
    order = make_order(Status.RECEIVED)
    sms = MessageTemplate.objects.get(event="order_received", channel="sms")
    page = new_page()
    log_in(page, admin_manager.username)
    page.goto("/admin/notifications/messagetemplate/?channel__exact=sms")
    page.locator("#result_list").get_by_role("link", name="Order received").click()
    page.screenshot(path=shots / "admin-template-sms.png", full_page=True)

    expect(page.locator("#template-preview")).to_contain_text(
        f"As the customer of order {order.display_number} would receive it:"
    )
    expect(page.locator("#sms-segments")).to_contain_text("This text is 1 segment")

    page.get_by_label("Text").fill(LONG_TEXT)
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.get_by_label("Text")).to_have_value(LONG_TEXT)
    segments = page.locator("#sms-segments")
    expect(segments).to_contain_text("This text is 2 segments (GSM-7")
    expect(segments).to_contain_text("Each segment is charged")
    expect(page.locator("#template-preview")).to_contain_text("We will send the estimate by")
    page.screenshot(path=shots / "admin-template-sms-two-segments.png", full_page=True)
    sms.refresh_from_db()
    assert sms.body == LONG_TEXT


def test_the_template_list_shows_segment_counts(admin_manager, shots, new_page):
    """What the manager can open while the change page is broken: the list, with its counts."""
    page = new_page()
    log_in(page, admin_manager.username)
    page.goto("/admin/notifications/messagetemplate/?channel__exact=sms")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(Event))  # one SMS template per event
    expect(page.locator("#result_list thead")).to_contain_text("SMS segments")
    expect(rows.first.locator("td.field-sms_segments")).to_have_text(
        re.compile(r"^\d segments? \(GSM-7")
    )
    expect(page.get_by_role("combobox", name="Action")).to_contain_text(
        "Restore the built-in text"
    )
    expect(page.get_by_role("link", name=re.compile("^Add message template"))).to_have_count(0)
    page.screenshot(path=shots / "admin-templates-list.png", full_page=True)


# --- messages needing attention ------------------------------------------------------------------


@pytest.fixture
def failed_ready_notice(customer, make_order, settings):
    """A ready order whose SMS the provider refused; the customer has no other channel."""
    settings.NOTIFICATION_CHANNELS = {**settings.NOTIFICATION_CHANNELS, "sms": REFUSING}
    customer.preferred_channels = ["sms"]
    customer.save()
    order = make_order(Status.READY_REPAIRED)
    delivery.run_round()
    notices = Message.objects.filter(order=order)
    assert set(notices.values_list("status", flat=True)) == {"failed"}
    # The older notices were dealt with at the counter; the ready notice is left.
    notice = notices.get(event="ready_repaired")
    for older in notices.exclude(pk=notice.pk):
        delivery.mark_handled(older, order.received_by, "Told at the counter")
    return notice


def test_a_failed_ready_notice_is_dealt_with_on_the_attention_page(
    receptionist, failed_ready_notice, shots, new_page
):
    notice = failed_ready_notice
    order = notice.order
    page = new_page()
    log_in(page, receptionist.username)
    card = page.get_by_role("link", name=re.compile("Messages needing attention"))
    expect(card).to_contain_text("1")  # the failed notice…
    expect(page.locator(".queue-cards")).to_contain_text(
        "and 1 ready order whose customer was not reached"  # …and the order nobody reached
    )
    card.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Messages needing attention")
    failed = page.locator(f"#message-{notice.pk}")
    expect(failed).to_contain_text(order.display_number)
    expect(failed).to_contain_text("Ready for collection, repaired")
    expect(failed).to_contain_text("422 invalid destination number")
    unreached = page.locator(f"#order-{order.number}")
    expect(unreached).to_contain_text("Alice Brown")
    expect(unreached.get_by_role("button", name="Add to calls to make")).to_be_visible()
    both_sizes(page, shots, "attention")

    # "Dealt with" without a note: the browser asks for one, nothing is sent.
    failed.get_by_role("button", name="Dealt with").click()
    expect(page.locator(".flash")).to_have_count(0)
    note = failed.get_by_role("textbox", name="How was the customer told?")
    assert note.evaluate("input => input.validity.valueMissing")

    # The receptionist puts a call in the list instead, then records the failed SMS as handled.
    unreached.get_by_role("button", name="Add to calls to make").click()
    expect(page.locator(".flash-success")).to_have_text("Added to the calls to make.")
    expect(unreached).to_contain_text("Call waiting")
    note = page.locator(f"#message-{notice.pk}").get_by_role(
        "textbox", name="How was the customer told?"
    )
    note.fill("Number is wrong; calling the landline instead")
    page.locator(f"#message-{notice.pk}").get_by_role("button", name="Dealt with").click()
    expect(page.locator(".flash-success")).to_have_text("Marked as dealt with.")
    expect(page.locator(f"#message-{notice.pk}")).to_have_count(0)
    expect(page.get_by_text("No failed messages.")).to_be_visible()
    both_sizes(page, shots, "attention-dealt-with")

    notice.refresh_from_db()
    assert notice.handled_by == receptionist
    assert Message.objects.filter(order=order, channel="phone", status="queued").count() == 1


def test_the_attention_page_fits_a_tablet(receptionist, failed_ready_notice, new_page):
    page = new_page(TABLET)
    log_in(page, receptionist.username)
    page.goto(reverse("notifications:attention"))
    expect(page.locator(f"#message-{failed_ready_notice.pk}")).to_be_visible()
    assert page_overflow(page) == 0
