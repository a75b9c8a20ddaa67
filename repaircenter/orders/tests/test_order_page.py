"""The staff order page: the order, its customer and equipment, its history, and its actions."""

import html
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from repaircenter.accounts.roles import Role
from repaircenter.conftest import send_new_estimate, take_in, write_estimate
from repaircenter.notifications import delivery
from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.orders import workflow
from repaircenter.orders.models import (
    EquipmentPhoto,
    EventChannel,
    Order,
    PendingSupplement,
    Status,
)
from repaircenter.orders.workflow import TRANSITIONS, Actor

R, T, C, K, M = (
    Role.RECEPTIONIST, Role.TECHNICIAN, Role.CONSULTANT, Role.CASHIER, Role.MANAGER,
)

# Who may do what in each state, read from the spec's "life of an order", independently of
# workflow.TRANSITIONS: {state: {role: {action, ...}}}; roles not named may do nothing.
SPEC_ACTIONS = {
    Status.RECEIVED: {T: {"start_diagnosis"}, R: {"refuse"}},
    Status.DIAGNOSING: {T: {"send_estimate", "declare_not_repairable"}, R: {"refuse"}},
    Status.AWAITING_DECISION: {T: {"revise_estimate"}, R: {"approve", "refuse"}},
    Status.APPROVED: {T: {"start_repair"}, R: {"refuse"}},
    # Waiting for parts: the system moves it on when they arrive; the customer may still refuse.
    Status.WAITING_FOR_PARTS: {R: {"refuse"}},
    Status.REPAIRING: {T: {"finish_works", "send_supplement"}},
    Status.TESTING: {T: {"pass_test", "fail_test"}},
    Status.READY_REPAIRED: {R: {"issue"}},
    Status.READY_UNREPAIRED: {R: {"issue"}},
    Status.DISPOSAL_DUE: {R: {"issue"}, M: {"confirm_disposal"}},
    Status.ISSUED: {},
    Status.DISPOSED: {},
    # Awaiting a decision on a supplementary estimate written during the repair: the repair has
    # started, so the whole repair can no longer be refused, only the supplement.
    PendingSupplement.OPTIONAL: {
        T: {"revise_estimate"}, R: {"approve_supplement", "refuse_supplement"},
    },
    PendingSupplement.REQUIRED: {
        T: {"revise_estimate"}, R: {"approve_supplement", "refuse_required_supplement"},
    },
}
# Every situation of an order the pages distinguish: each state, and the two supplements.
SITUATIONS = [*Status.values, PendingSupplement.OPTIONAL, PendingSupplement.REQUIRED]


@pytest.fixture
def make_situation(make_order, technician):
    """An order in a state, or awaiting a decision on an optional or required supplement."""

    def make(situation: str) -> Order:
        if situation in Status.values:
            return make_order(situation)
        order = make_order(Status.REPAIRING)
        send_new_estimate(
            order, technician, lines=(("Replace the battery", "1", "30.00"),),
            required_to_finish=situation == PendingSupplement.REQUIRED,
        )
        assert (order.status, order.pending_supplement) == (Status.AWAITING_DECISION, situation)
        return order

    return make


def spec_actions(status: str, role: str) -> set[str]:
    allowed = SPEC_ACTIONS[status]
    names = set(allowed.get(role, set()))
    if role == M:  # the manager may do what the receptionist and the technician may
        names |= allowed.get(R, set()) | allowed.get(T, set())
    return names


def order_url(order: Order) -> str:
    return reverse("staff:order", args=[order.number])


def action_url(order: Order, name: str) -> str:
    return reverse("staff:order_action", args=[order.number, name])


def actions_section(content: str) -> str:
    return content.split('<section class="actions">', 1)[1].split("</section>", 1)[0]


def history_items(content: str) -> list[str]:
    timeline = content.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    return [html.unescape(item) for item in timeline.split("<li>")[1:]]


def message_rows(content: str) -> list[str]:
    """The rows of the table of messages to the customer."""
    table = content.split("Messages to the customer</h2>", 1)[1].split("</table>", 1)[0]
    return [html.unescape(row) for row in table.split("<tbody>", 1)[1].split("<tr")[1:]]


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- what the page shows ---------------------------------------------------------------------


def test_the_page_shows_the_order_customer_equipment_and_history(
    client, receptionist, technician, customer
):
    order = take_in(receptionist, customer, serial="R5CW31ABCDE", imei="490154203237518").order
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician), note="Port corroded")
    client.force_login(receptionist)

    response = client.get(order_url(order))

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    for text in [
        order.display_number, "Diagnosing",
        "Alice Brown", "020 7946 0101", "alice@example.com",
        "Phone", "Samsung", "Galaxy S23", "R5CW31ABCDE", "490154203237518",
        "Scratched back", "Case", "Does not charge",
        "Rita",  # received by
        "Tom",  # the technician
    ]:
        assert text in content, text
    items = history_items(response.content.decode())
    assert len(items) == order.events.count() == 2
    assert "— → Received" in items[0] and "Rita" in items[0]
    assert "Received → Diagnosing" in items[1] and "Tom" in items[1]
    assert "Port corroded" in items[1]


def test_one_history_line_per_event_including_those_that_keep_the_state(
    client, receptionist, make_order
):
    order = make_order(Status.AWAITING_DECISION)
    workflow.replace_portal_link(order=order, actor=Actor.staff(receptionist))
    client.force_login(receptionist)
    items = history_items(client.get(order_url(order)).content.decode())
    assert len(items) == order.events.count() == 4
    # The last one kept the state: no "from → to" on its line, but who did it.
    assert "→" not in items[-1] and "Rita" in items[-1]


@pytest.mark.parametrize(
    ("channel", "evidence", "shown"),
    [
        (EventChannel.EMAIL, {"email_text": "Yes, go ahead <b>please</b>"},
         ["(Email)", "The customer's email: Yes, go ahead <b>please</b>"]),
        (EventChannel.PHONE, {"said": "Go ahead <b>please</b>"},
         ["(Telephone)", "The customer said: “Go ahead <b>please</b>”"]),
        (EventChannel.IN_PERSON, {"signed_slip": True},
         ["(In person)", "Signed the printed decision slip"]),
    ],
)
def test_decision_evidence_shows_in_the_history(
    client, receptionist, make_order, channel, evidence, shown
):
    order = make_order(Status.AWAITING_DECISION)
    estimate = order.estimates.get()
    workflow.approve(
        order=order, actor=Actor.staff(receptionist), channel=channel, evidence=evidence,
    )
    client.force_login(receptionist)
    response = client.get(order_url(order))
    items = history_items(response.content.decode())
    for text in [*shown, f"Estimate {estimate.display_number}", "Repair approved", "Rita"]:
        assert text in items[-1], (text, items[-1])
    # The customer's words are text, not markup.
    assert "<b>please</b>" not in response.content.decode()


def test_the_call_time_of_a_telephone_decision_is_readable(client, receptionist, make_order):
    order = make_order(Status.AWAITING_DECISION)
    workflow.approve(
        order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
        evidence={"said": "Yes", "call_time": "2024-03-05T14:05:00+00:00"},
    )
    client.force_login(receptionist)
    items = history_items(client.get(order_url(order)).content.decode())
    assert "2024-03-0514:05" not in items[-1]
    assert re.search(r"05 Mar 2024 14:05|2024-03-05 14:05", items[-1]), items[-1]


def test_overdue_diagnostics_are_flagged(client, receptionist, make_order):
    order = make_order(Status.RECEIVED)
    client.force_login(receptionist)
    assert "diagnostics overdue" not in client.get(order_url(order)).content.decode()
    Order.objects.filter(pk=order.pk).update(diagnosis_due="2000-01-03")
    assert "diagnostics overdue" in client.get(order_url(order)).content.decode()


def test_photos_are_shown_through_the_staff_view(client, receptionist, make_order):
    order = make_order(Status.RECEIVED)
    photo = EquipmentPhoto.objects.create(order=order, image=ContentFile(small_png(), "a.png"))
    client.force_login(receptionist)
    photo_url = reverse("staff:photo", args=[order.number, photo.pk])
    assert f'src="{photo_url}"' in client.get(order_url(order)).content.decode()
    response = client.get(photo_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == small_png()


def test_unknown_order_is_404(client, receptionist, make_order):
    order = make_order(Status.RECEIVED)
    client.force_login(receptionist)
    assert client.get(reverse("staff:order", args=[order.number + 1])).status_code == 404


# --- the actions offered: exactly those the role may take in the state -----------------------


@pytest.mark.parametrize("situation", SITUATIONS)
def test_the_table_matches_the_spec(make_situation, users_by_role, situation):
    order = make_situation(situation)
    for role, user in users_by_role.items():
        allowed = {t.name for t in workflow.allowed_transitions(order, Actor.staff(user))}
        assert allowed == spec_actions(situation, role), (situation, role)


CHANNELS = [("phone", "Telephone"), ("email", "Email"), ("in_person", "In person")]
# What each channel's form asks for, besides the version, channel, estimate and note.
CHANNEL_INPUTS = {
    "phone": ['<textarea name="said" rows="2" required>', 'name="call_time"'],
    "email": ['<textarea name="email_text" rows="4" required>'],
    "in_person": ["<canvas", 'name="signature_data"', 'name="signed_slip"'],
}


def page_forms(section: str) -> list[tuple[str, str | None, str]]:
    """(action, channel or None, the form's HTML) of every form in the section, in order."""
    found = []
    for chunk in section.split("<form ")[1:]:
        form = chunk.split("</form>", 1)[0]
        action = re.search(r'action="([^"]+)"', form).group(1)
        channel = re.search(r'name="channel" value="([^"]*)"', form)
        found.append((action, channel.group(1) if channel else None, form))
    return found


@pytest.mark.parametrize("situation", SITUATIONS)
def test_the_buttons_are_exactly_the_allowed_transitions(
    client, make_situation, users_by_role, situation
):
    """A plain action is one form; a decision is three, one per channel the customer used, in
    a <details> named by the action; sending an estimate is a link to the editor."""
    order = make_situation(situation)
    current = order.estimates.filter(status="sent").order_by("-number").first()
    editor_url = reverse("staff:estimate", args=[order.number])
    for role, user in users_by_role.items():
        client.force_login(user)
        response = client.get(order_url(order))
        assert response.status_code == 200
        section = actions_section(response.content.decode())
        expected = workflow.allowed_transitions(order, Actor.staff(user))

        for name in TRANSITIONS:
            shown = f'action="{action_url(order, name)}"' in section
            is_form = name in {
                t.name for t in expected if "estimate" not in t.needs and "test" not in t.needs
            }
            assert shown == is_form, (situation, role, name)

        want_forms, want_buttons, want_links = [], [], []
        for t in expected:
            if "estimate" in t.needs:
                want_links.append((editor_url, f"{t.label}…"))
            elif "test" in t.needs:
                # Passed or failed: one form of its own, further down the page.
                if t.name == "pass_test":
                    want_links.append(("#stress-test", "Record the stress test…"))
            elif "channel" in t.needs:
                for channel, label in CHANNELS:
                    want_forms.append((action_url(order, t.name), channel))
                    want_buttons.append(f"{t.label} · {label}")
            else:
                want_forms.append((action_url(order, t.name), None))
                want_buttons.append(str(t.label))
        forms = page_forms(section)
        assert [(a, c) for a, c, _ in forms] == want_forms, (situation, role)
        buttons = re.findall(r'<button type="submit"[^>]*>([^<]*)</button>', section)
        assert [html.unescape(b) for b in buttons] == want_buttons, (situation, role)
        links = re.findall(r'<a href="([^"]+)" role="button"[^>]*>([^<]*)</a>', section)
        assert [(a, html.unescape(t)) for a, t in links] == want_links, (situation, role)
        # Each form carries the version it was drawn from.
        assert section.count(f'name="version" value="{order.version}"') == len(want_forms)

        for action, channel, form in forms:
            if channel is None:
                continue
            # A decision form names the estimate the page showed, and asks for its evidence.
            if current is not None:
                assert f'name="estimate_id" value="{current.pk}"' in form
            for needed in CHANNEL_INPUTS[channel]:
                assert needed in form, (situation, role, channel, needed)
        decisions = [t for t in expected if "channel" in t.needs]
        summaries = re.findall(
            r'<details class="decision">\s*<summary role="button"[^>]*>([^<]*)</summary>', section
        )
        assert [html.unescape(s) for s in summaries] == [str(t.label) for t in decisions]
        if not expected:
            assert "Nothing for your role to do on this order now." in section
        client.logout()


def test_only_a_manager_is_offered_issue_without_the_original(
    client, make_order, receptionist, manager
):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(receptionist)
    page = client.get(order_url(order)).content.decode()
    for field in ("id_document_type", "id_document_number", "statement"):
        assert f'name="{field}"' not in page
    client.force_login(manager)
    page = client.get(order_url(order)).content.decode()
    for field in ("id_document_type", "id_document_number", "statement"):
        assert f'name="{field}"' in page


# --- the query count does not grow with the history, the photos, estimates and messages ------

# the order with its customer,
# equipment, kind, technician and receiver, whether it has any of the parts most orders lack
# (orders/selectors.SELDOM_PARTS) and the count and last id of its events and of its documents
# (each drawn once for them: staff/history.py, staff/order_documents.py); its estimates with who
# sent them, their lines with who marked them done, its messages with the count and last id of
# their delivery records (the table of messages is drawn once for them:
# staff/customer_messages.py). (The session is a signed cookie; the user's row with their roles
# and the centers the person works in are kept: accounts/backends.py, orders/workplace.py.)
# + 2: the device's other orders and their agreed lines (orders/warranty.py: history).
ORDER_PAGE_QUERIES = 4 + 2
# Each of those seldom parts the order has is read in one statement more, however many rows:
# its photos, its condition checklist (and, when it has photos, those: + 1 more), its stress
# tests, its transfers between centers, the warranty claims on it, its payments with who took
# them and their receipts.
SELDOM_PART = 1
# The first view after an event was added reads the events with their actors to draw them.
HISTORY_DRAWN = 1
# The first view after a message was added or changed (its state, a delivery record) reads the
# messages' records with who made them to draw the table.
MESSAGES_DRAWN = 1
# The first view after a document was issued reads the documents to draw their table.
DOCUMENTS_DRAWN = 1


def test_query_count_is_the_same_with_more_events_photos_estimates_and_messages(
    client, make_order, receptionist, technician, manager, django_assert_num_queries
):
    order = make_order(Status.AWAITING_DECISION)
    other = make_order(Status.TESTING)  # other orders' rows change nothing
    client.force_login(manager)
    assert client.get(order_url(order)).status_code == 200  # the idle clock is stored now

    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        small = client.get(order_url(order))
    content = small.content.decode()
    assert len(history_items(content)) == 3
    assert content.count("<tr><td>Work</td>") == 2  # the current estimate, and in all estimates
    assert order.messages.count() == 2
    assert len(message_rows(content)) == 2

    for index in range(20):
        actor = receptionist if index % 2 else manager
        workflow.replace_portal_link(order=order, actor=Actor.staff(actor))
    for index in range(5):
        EquipmentPhoto.objects.create(order=order, image=ContentFile(small_png(), f"{index}.png"))
    many_lines = tuple((f"Work {n}", "1", f"{n}.00") for n in range(1, 13))
    for _ in range(3):  # three revisions of 12 lines each replace the first estimate
        send_new_estimate(order, technician, lines=many_lines)
    write_estimate(order, technician, lines=many_lines)  # and a draft of a fourth
    for _ in range(10):
        make_order(Status.RECEIVED)
    assert other.events.count() > 1
    assert order.estimates.count() == 5
    assert Message.objects.filter(order=order).count() == 5
    delivery.run_round()  # every message gets its delivery record
    assert DeliveryRecord.objects.filter(message__order=order).count() == 5

    # it has photos now (and each estimate sent was issued as a document)
    with django_assert_num_queries(ORDER_PAGE_QUERIES + SELDOM_PART + HISTORY_DRAWN
                                   + MESSAGES_DRAWN + DOCUMENTS_DRAWN):
        large = client.get(order_url(order))
    content = large.content.decode()
    assert len(history_items(content)) == 26
    # the history, the messages and the documents drawn are kept
    with django_assert_num_queries(ORDER_PAGE_QUERIES + SELDOM_PART):
        again = client.get(order_url(order)).content.decode()
    assert history_items(again) == history_items(content)
    assert content.count(f'src="/staff/orders/{order.number}/photos/') == 5
    # A revision starts as a copy of the estimate it replaces: 1, 13, 25, 37 lines, and the
    # draft 49. The page shows the current one (37), then the four sent ones, not the draft.
    sizes = [e.lines.count() for e in order.estimates.order_by("number")]
    assert sizes == [1, 13, 25, 37, 49]
    assert content.count("<tr><td>Work</td>") == 37 + (1 + 13 + 25 + 37)
    rows = message_rows(content)
    assert len(rows) == 5
    assert sum("Estimate ready" in row for row in rows) == 4
    assert sum("Send attempt: Delivered" in row for row in rows) == 5


def test_the_page_reads_no_documents_issued_text(client, make_order, cashier, manager):
    """The documents and the payments' receipts are listed by number and date: the text each
    was issued with (kilobytes of HTML) is read for its own page and PDF only."""
    import uuid
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from repaircenter.billing import services as billing

    order = make_order(Status.TESTING)
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("5.00"),
                           method="cash", idempotency_key=uuid.uuid4(), note="Part")
    assert order.documents.count() >= 2 and order.payments.count() == 1
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        content = client.get(order_url(order)).content.decode()
    read = [q["sql"] for q in queries.captured_queries if '"documents_document"' in q["sql"]]
    assert len(read) >= 2  # the documents, and the payments with their receipts
    assert not any('"documents_document"."html"' in sql for sql in read)
    receipt = order.payments.get().receipt
    assert receipt.display_number in content


def test_a_correction_issued_after_the_documents_were_drawn_shows_at_once(client, make_order,
                                                                         manager):
    """The table of documents is kept once drawn (staff/order_documents.py); a document issued
    later, here a correction, is listed on the next view and the one it replaces is marked."""
    from repaircenter.documents.issuing import issue_document

    order = make_order(Status.RECEIVED)
    client.force_login(manager)
    intake_copy = order.documents.get()
    first = client.get(order_url(order)).content.decode()
    assert intake_copy.display_number in first and "(replaced)" not in first
    correction = issue_document(kind=intake_copy.kind, title=intake_copy.title, context={},
                                orders=[order], issued_by=manager, replaces=intake_copy,
                                correction="The serial number was misread.")
    page = client.get(order_url(order)).content.decode()
    section = page.split('id="documents"')[1].split("</section>")[0]
    assert correction.display_number in section
    rows = section.split("<tr")[2:]  # after the head's
    replaced = [row for row in rows if "(replaced)" in row]
    corrected = [row for row in rows if "(correction)" in row]
    assert len(replaced) == 1 and intake_copy.display_number in replaced[0]
    assert len(corrected) == 1 and correction.display_number in corrected[0]


def test_refusal_and_disposal_ask_for_confirmation_and_others_do_not(client, make_order, manager):
    client.force_login(manager)
    received = make_order(Status.RECEIVED)
    page = client.get(reverse("staff:order", args=[received.number])).content.decode()
    refuse_form = page.split(f'action="{action_url(received, "refuse")}"')[1].split(">")[0]
    assert "data-confirm=" in refuse_form
    start_form = page.split(f'action="{action_url(received, "start_diagnosis")}"')[1]
    assert "data-confirm=" not in start_form.split(">")[0]
    due = make_order(Status.DISPOSAL_DUE)
    page = client.get(reverse("staff:order", args=[due.number])).content.decode()
    dispose_form = page.split(f'action="{action_url(due, "confirm_disposal")}"')[1].split(">")[0]
    assert "cannot be undone" in dispose_form


def test_query_count_is_the_same_with_more_lines_done_tests_payments_and_documents(
    client, make_order, technician, cashier, manager, django_assert_num_queries
):
    import uuid
    from decimal import Decimal

    from repaircenter.billing import services as billing

    order = make_order(Status.TESTING)
    client.force_login(cashier)
    assert client.get(order_url(order)).status_code == 200

    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        small = client.get(order_url(order)).content.decode()
    assert small.count('class="line-done"') == 1
    assert order.documents.count() == 2
    messages_before = order.messages.count()

    tech = Actor.staff(technician)
    for _ in range(4):  # four failed runs, each back to repair and finished again
        workflow.record_test(order=order, actor=tech, passed=False, note="Overheats")
        workflow.finish_works(order=order, actor=tech)
    workflow.record_test(order=order, actor=tech, passed=True, note="Stable")
    for index in range(6):
        billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("5.00"),
                               method="cash", idempotency_key=uuid.uuid4(), note=f"Part {index}")
    billing.record_refund(order=order, actor=Actor.staff(manager), amount=Decimal("2.00"),
                          method="cash", reason="Rounding", idempotency_key=uuid.uuid4())
    assert order.documents.count() == 2 + 7

    # it has stress tests and payments now (and a message more: its equipment is ready; and
    # the receipts)
    assert order.messages.count() > messages_before
    with django_assert_num_queries(ORDER_PAGE_QUERIES + 2 * SELDOM_PART + HISTORY_DRAWN
                                   + MESSAGES_DRAWN + DOCUMENTS_DRAWN):
        large = client.get(order_url(order)).content.decode()
    assert large.count("badge-fail") == 4 and large.count("badge-pass") == 1
    assert large.count("RC-0000") >= 7
    assert '<td class="num" id="balance">17.00 GBP</td>' in large
    # the history, the messages and the documents drawn are kept
    with django_assert_num_queries(ORDER_PAGE_QUERIES + 2 * SELDOM_PART):
        again = client.get(order_url(order)).content.decode()
    assert again.count("RC-0000") == large.count("RC-0000")


def test_the_act_of_a_disposed_order_is_read_when_it_has_one(client, make_order, manager,
                                                             technician):
    """The disposal act is read only for an order that has one (orders/selectors.order_page):
    the disposed order's page still names it, and links to it for the manager."""
    order = Order.objects.select_related("disposal_act").get(pk=make_order(Status.DISPOSED).pk)
    act = order.disposal_act
    assert act is not None
    client.force_login(manager)
    content = client.get(order_url(order)).content.decode()
    assert act.display_number in content
    assert reverse("staff:disposal_act", args=[act.number]) in content
    client.force_login(technician)
    content = client.get(order_url(order)).content.decode()
    assert act.display_number in content
    assert reverse("staff:disposal_act", args=[act.number]) not in content
