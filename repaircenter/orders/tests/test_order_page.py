"""The staff order page: the order, its customer and equipment, its history, and its actions."""

import html
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from repaircenter.accounts.roles import Role
from repaircenter.conftest import take_in
from repaircenter.orders import workflow
from repaircenter.orders.models import EquipmentPhoto, EventChannel, Order, Status
from repaircenter.orders.workflow import TRANSITIONS, Actor

R, T, C, K, M = (
    Role.RECEPTIONIST, Role.TECHNICIAN, Role.CONSULTANT, Role.CASHIER, Role.MANAGER,
)

# Who may do what in each state, read from the spec's "life of an order", independently of
# workflow.TRANSITIONS: {state: {role: {action, ...}}}; roles not named may do nothing.
SPEC_ACTIONS = {
    Status.RECEIVED: {T: {"start_diagnosis"}, R: {"refuse"}},
    Status.DIAGNOSING: {T: {"send_estimate", "declare_not_repairable"}, R: {"refuse"}},
    Status.AWAITING_DECISION: {R: {"approve", "refuse"}},
    Status.APPROVED: {T: {"start_repair"}, R: {"refuse"}},
    Status.REPAIRING: {T: {"finish_works"}},
    Status.TESTING: {T: {"pass_test", "fail_test"}},
    Status.READY_REPAIRED: {R: {"issue"}},
    Status.READY_UNREPAIRED: {R: {"issue"}},
    Status.DISPOSAL_DUE: {R: {"issue"}, M: {"confirm_disposal"}},
    Status.ISSUED: {},
    Status.DISPOSED: {},
}


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


def test_decision_evidence_shows_in_the_history(client, receptionist, make_order):
    order = make_order(Status.AWAITING_DECISION)
    workflow.approve(
        order=order, actor=Actor.staff(receptionist), channel=EventChannel.EMAIL,
        evidence={"text": "Yes, go ahead <b>please</b>"},
    )
    client.force_login(receptionist)
    response = client.get(order_url(order))
    items = history_items(response.content.decode())
    assert "Evidence: Yes, go ahead <b>please</b>" in items[-1]
    assert "(Email)" in items[-1]
    # The customer's words are text, not markup.
    assert "<b>please</b>" not in response.content.decode()


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


@pytest.mark.parametrize("status", Status.values)
def test_the_table_matches_the_spec(make_order, users_by_role, status):
    order = make_order(status)
    for role, user in users_by_role.items():
        allowed = {t.name for t in workflow.allowed_transitions(order, Actor.staff(user))}
        assert allowed == spec_actions(status, role), (status, role)


@pytest.mark.parametrize("status", Status.values)
def test_the_buttons_are_exactly_the_allowed_transitions(
    client, make_order, users_by_role, status
):
    order = make_order(status)
    for role, user in users_by_role.items():
        client.force_login(user)
        response = client.get(order_url(order))
        assert response.status_code == 200
        section = actions_section(response.content.decode())
        expected = workflow.allowed_transitions(order, Actor.staff(user))

        for name in TRANSITIONS:
            shown = f'action="{action_url(order, name)}"' in section
            assert shown == (name in {t.name for t in expected}), (status, role, name)
        forms = re.findall(r'<form method="post" action="([^"]+)"', section)
        assert forms == [action_url(order, t.name) for t in expected], (status, role)
        buttons = re.findall(r'<button type="submit"[^>]*>([^<]*)</button>', section)
        buttons = [html.unescape(b) for b in buttons]
        assert buttons == [str(t.label) for t in expected], (status, role)
        # Each form carries the version it was drawn from.
        assert section.count(f'name="version" value="{order.version}"') == len(expected)
        if not expected:
            assert "Nothing for your role to do on this order now." in section
        client.logout()


def test_only_a_manager_is_offered_issue_without_the_original(
    client, make_order, receptionist, manager
):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(receptionist)
    assert 'name="identity_document"' not in client.get(order_url(order)).content.decode()
    client.force_login(manager)
    assert 'name="identity_document"' in client.get(order_url(order)).content.decode()


# --- the query count does not grow with the history and the photos ---------------------------

# session, user, the user's groups (roles), the order with its customer, equipment, kind,
# technician and receiver, its events with their actors, its photos.
ORDER_PAGE_QUERIES = 6


def test_query_count_is_the_same_with_more_events_and_photos(
    client, make_order, receptionist, manager, django_assert_num_queries
):
    order = make_order(Status.DIAGNOSING)
    other = make_order(Status.TESTING)  # other orders' rows change nothing
    client.force_login(manager)
    assert client.get(order_url(order)).status_code == 200  # the idle clock is stored now

    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        small = client.get(order_url(order))
    assert len(history_items(small.content.decode())) == 2

    for index in range(20):
        actor = receptionist if index % 2 else manager
        workflow.replace_portal_link(order=order, actor=Actor.staff(actor))
    for index in range(5):
        EquipmentPhoto.objects.create(order=order, image=ContentFile(small_png(), f"{index}.png"))
    for _ in range(10):
        make_order(Status.RECEIVED)
    assert other.events.count() > 1

    with django_assert_num_queries(ORDER_PAGE_QUERIES):
        large = client.get(order_url(order))
    content = large.content.decode()
    assert len(history_items(content)) == 22
    assert content.count(f'src="/staff/orders/{order.number}/photos/') == 5


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
