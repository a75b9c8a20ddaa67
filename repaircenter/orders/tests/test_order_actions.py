"""The buttons of the staff order page: POST staff:order_action."""

import html

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes, mark_all_done, pay_balance
from repaircenter.orders import workflow
from repaircenter.orders.credentials import format_pickup_code
from repaircenter.orders.models import EventChannel, Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

CONFLICT = "was changed by someone else"


def action_url(order: Order, name: str) -> str:
    return reverse("staff:order_action", args=[order.number, name])


def post_action(client, order: Order, name: str, **data):
    """Submit the action's form as the order page draws it, and follow to the order page."""
    data.setdefault("version", order.version)
    response = client.post(action_url(order, name), data)
    assert response.status_code == 302, response.content
    assert response.url == reverse("staff:order", args=[order.number])
    return client.get(response.url)


def snapshot(order: Order) -> tuple:
    order = Order.objects.get(pk=order.pk)
    return order.status, order.version, OrderEvent.objects.filter(order=order).count()


def assert_refused(page, order: Order, before: tuple, *words: str) -> str:
    """The page shows one error containing `words`, and the order is as it was."""
    errors = [text for level, text in flashes(page) if level == "error"]
    assert len(errors) == 1, flashes(page)
    for word in words:
        assert word in errors[0], errors[0]
    assert not [text for level, text in flashes(page) if level == "success"]
    assert snapshot(order) == before
    return errors[0]


def last_event(order: Order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order).latest("at", "pk")


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def make_ready(make_order, technician, cashier):
    """An order in `status` with what the next step needs: in repair every agreed line done,
    ready orders paid in full."""

    def make(status):
        order = make_order(status)
        if status == Status.REPAIRING:
            mark_all_done(order, technician)
        if status in (Status.READY_REPAIRED, Status.READY_UNREPAIRED, Status.DISPOSAL_DUE):
            pay_balance(order, cashier)
        return order

    return make


# --- success ---------------------------------------------------------------------------------


def test_an_allowed_action_moves_the_order_and_says_so(client, technician, make_order):
    order = make_order(Status.RECEIVED)
    status, version, events = snapshot(order)

    page = post_action(as_user(client, technician), order, "start_diagnosis", note="On the bench")

    assert flashes(page) == [("success", "Take for diagnostics: done.")]
    order.refresh_from_db()
    assert (order.status, order.version) == (Status.DIAGNOSING, version + 1)
    assert order.technician == technician
    event = last_event(order)
    assert OrderEvent.objects.filter(order=order).count() == events + 1
    assert (event.action, event.from_status, event.to_status) == (
        "start_diagnosis", Status.RECEIVED, Status.DIAGNOSING,
    )
    assert (event.actor, event.channel, event.note) == (
        technician, EventChannel.STAFF, "On the bench",
    )
    # The page drawn after the change offers the next steps, with the new version; sending
    # the estimate is a link to its editor, not a button of the order page.
    content = page.content.decode()
    assert f'name="version" value="{order.version}"' in content
    assert f'href="{reverse("staff:estimate", args=[order.number])}"' in content
    assert action_url(order, "send_estimate") not in content


@pytest.mark.parametrize(
    ("status", "name", "role", "data", "target"),
    [
        (Status.APPROVED, "start_repair", "technician", {}, Status.REPAIRING),
        (Status.REPAIRING, "finish_works", "technician", {}, Status.TESTING),
        (Status.DIAGNOSING, "refuse", "receptionist",
         {"channel": "in_person", "signed_slip": "on", "note": "Will buy a new one"},
         Status.READY_UNREPAIRED),
        (Status.APPROVED, "refuse", "manager",
         {"channel": "phone", "said": "Changed my mind", "note": "Changed her mind"},
         Status.READY_UNREPAIRED),
    ],
)
def test_other_actions_move_the_order(
    client, make_ready, users_by_role, status, name, role, data, target
):
    order = make_ready(status)
    page = post_action(as_user(client, users_by_role[role]), order, name, **data)
    assert [level for level, _ in flashes(page)] == ["success"]
    order.refresh_from_db()
    assert order.status == target
    assert last_event(order).action == name


# --- refusals: stale version, role, state ----------------------------------------------------


def test_a_stale_version_changes_nothing(client, technician, make_ready):
    order = make_ready(Status.REPAIRING)
    drawn_version = order.version
    # Meanwhile a colleague finishes the works and the test fails: same state, new version.
    colleague = Actor.staff(technician)
    workflow.finish_works(order=order, actor=colleague)
    workflow.record_test(order=order, actor=colleague, passed=False, note="Overheats")
    before = snapshot(order)
    assert before[0] == Status.REPAIRING

    page = post_action(
        as_user(client, technician), order, "finish_works", version=drawn_version, note="Done"
    )

    assert_refused(page, order, before, CONFLICT, order.display_number)


def test_a_stale_version_of_another_state_that_allows_the_action(
    client, receptionist, technician, make_order
):
    order = make_order(Status.RECEIVED)
    drawn_version = order.version
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))  # refusal still allowed
    before = snapshot(order)
    page = post_action(
        as_user(client, receptionist), order, "refuse", version=drawn_version, channel="phone",
        said="No, thank you", note="Too old to repair",
    )
    assert_refused(page, order, before, CONFLICT)


@pytest.mark.parametrize(
    ("status", "name", "role", "data"),
    [
        (Status.RECEIVED, "start_diagnosis", "receptionist", {}),
        (Status.RECEIVED, "start_diagnosis", "consultant", {}),
        (Status.RECEIVED, "start_diagnosis", "cashier", {}),
        (Status.REPAIRING, "finish_works", "receptionist", {}),
        (Status.REPAIRING, "finish_works", "cashier", {}),
        (Status.READY_REPAIRED, "issue", "technician", {"pickup_code": "ABCDE-FGHJK"}),
        (Status.DISPOSAL_DUE, "confirm_disposal", "receptionist", {"note": "Recycled"}),
        (Status.AWAITING_DECISION, "approve", "technician", {"channel": "phone"}),
        (Status.AWAITING_DECISION, "refuse", "cashier", {"channel": "phone"}),
    ],
)
def test_a_role_not_allowed_changes_nothing(
    client, make_order, users_by_role, status, name, role, data
):
    order = make_order(status)
    before = snapshot(order)
    page = post_action(as_user(client, users_by_role[role]), order, name, **data)
    assert_refused(page, order, before, "Your role does not allow")


@pytest.mark.parametrize(
    ("status", "state_text", "name", "data"),
    [
        (Status.RECEIVED, "received", "declare_not_repairable", {"note": "Water damage"}),
        (Status.DIAGNOSING, "diagnosing", "start_repair", {}),
        (Status.REPAIRING, "repairing", "issue", {"pickup_code": "ABCDE-FGHJK"}),
        (Status.TESTING, "stress test", "start_diagnosis", {}),
        (Status.ISSUED, "issued", "finish_works", {}),
        (Status.REPAIRING, "repairing", "refuse", {"channel": "phone"}),
        (Status.RECEIVED, "received", "approve", {"channel": "email"}),
        (Status.TESTING, "stress test", "issue",
         {"id_document_type": "Passport", "id_document_number": "123", "statement": "Lost"}),
        (Status.READY_REPAIRED, "ready for collection (repaired)", "confirm_disposal",
         {"note": "Too early"}),
    ],
)
def test_an_action_the_state_does_not_allow_names_the_state(
    client, make_order, manager, status, state_text, name, data
):
    order = make_order(status)
    before = snapshot(order)
    page = post_action(as_user(client, manager), order, name, **data)
    assert_refused(page, order, before, f"is {state_text}", order.display_number)


# --- decisions need a channel, and keep the evidence -----------------------------------------

# What each channel's form of the order page sends, and what the event keeps of it.
CHANNEL_FORMS = {
    "phone": (
        {"said": "Mrs Brown: yes, go ahead\nup to £80", "call_time": "2024-03-05T14:05"},
        {"said": "Mrs Brown: yes, go ahead\nup to £80", "call_time": "2024-03-05T14:05:00"},
    ),
    "email": (
        {"email_text": "From: alice@example.com\n\nPlease go ahead."},
        {"email_text": "From: alice@example.com\n\nPlease go ahead."},
    ),
    "in_person": ({"signed_slip": "on"}, {"signed_slip": True}),
}


@pytest.mark.parametrize("name", ["approve", "refuse"])
@pytest.mark.parametrize("channel", ["phone", "email", "in_person"])
def test_a_decision_records_its_channel_and_evidence(
    client, receptionist, make_order, name, channel
):
    order = make_order(Status.AWAITING_DECISION)
    estimate = order.estimates.get()
    sent, kept = CHANNEL_FORMS[channel]
    page = post_action(
        as_user(client, receptionist), order, name, channel=channel, note="Called her back",
        estimate_id=estimate.pk, **sent,
    )
    assert [level for level, _ in flashes(page)] == ["success"]
    order.refresh_from_db()
    assert order.status == {"approve": Status.APPROVED, "refuse": Status.READY_UNREPAIRED}[name]
    event = last_event(order)
    assert (event.action, event.channel, event.actor) == (name, channel, receptionist)
    call_time = kept.get("call_time")
    evidence = dict(event.evidence)
    if call_time:  # stored in the center's zone, as the form's local time was read
        assert evidence.pop("call_time").startswith(call_time)
        kept = {k: v for k, v in kept.items() if k != "call_time"}
    assert evidence == {**kept, "estimate": estimate.display_number}
    assert event.note == "Called her back"


@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_a_decision_without_a_channel_is_refused(client, receptionist, make_order, name):
    order = make_order(Status.AWAITING_DECISION)
    before = snapshot(order)
    page = post_action(
        as_user(client, receptionist), order, name, said="She said yes", note="Reason"
    )
    assert_refused(page, order, before, "telephone, email or in person")


@pytest.mark.parametrize("name", ["approve", "refuse"])
@pytest.mark.parametrize("channel", ["order_page", "staff", "system", "api", "sms"])
def test_a_decision_on_another_channel_is_rejected(
    client, receptionist, make_order, name, channel
):
    order = make_order(Status.AWAITING_DECISION)
    before = snapshot(order)
    response = as_user(client, receptionist).post(
        action_url(order, name),
        {"version": order.version, "channel": channel, "said": "Yes", "note": "Reason"},
    )
    assert response.status_code == 400
    assert snapshot(order) == before


# --- notes that are required -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "role", "target"),
    [
        (Status.DIAGNOSING, "declare_not_repairable", "technician", Status.READY_UNREPAIRED),
        (Status.DISPOSAL_DUE, "confirm_disposal", "manager", Status.DISPOSED),
    ],
)
def test_a_note_is_required(client, make_order, users_by_role, status, name, role, target):
    order = make_order(status)
    staff = as_user(client, users_by_role[role])
    before = snapshot(order)

    for blank in ["", "   \n  "]:
        page = post_action(staff, order, name, note=blank)
        assert_refused(page, order, before)

    page = post_action(staff, order, name, note="Two hours at full load, 71 °C at most")
    assert [level for level, _ in flashes(page)] == ["success"]
    order.refresh_from_db()
    assert order.status == target
    assert last_event(order).note == "Two hours at full load, 71 °C at most"


# --- issue: the pickup code, or a manager and an identity document ----------------------------


@pytest.mark.parametrize("status", [Status.READY_REPAIRED, Status.READY_UNREPAIRED])
def test_issue_with_a_wrong_pickup_code_is_refused(client, receptionist, make_ready, status):
    order = make_ready(status)
    status, version, events = snapshot(order)
    wrong = "ABCDEFGHJK" if order._pickup_code != "ABCDEFGHJK" else "KJHGFEDCBA"
    page = post_action(as_user(client, receptionist), order, "issue", pickup_code=wrong)
    # Refused, and counted: the history says so, the state and version stay.
    assert_refused(page, order, (status, version, events + 1), "does not match",
                   "4 more wrong codes lock issuance")
    assert last_event(order).action == "pickup_code_wrong"


def test_issue_with_no_code_and_no_document_is_refused(client, receptionist, make_ready):
    order = make_ready(Status.READY_REPAIRED)
    before = snapshot(order)
    page = post_action(as_user(client, receptionist), order, "issue")
    assert_refused(page, order, before, "pickup code")


@pytest.mark.parametrize(
    "typed", [lambda c: c, lambda c: format_pickup_code(c), lambda c: format_pickup_code(c).lower()]
)
def test_issue_with_the_right_pickup_code(client, receptionist, make_ready, typed):
    order = make_ready(Status.READY_REPAIRED)
    page = post_action(
        as_user(client, receptionist), order, "issue", pickup_code=typed(order._pickup_code)
    )
    assert flashes(page) == [("success", "Issue to the customer: done.")]
    order.refresh_from_db()
    assert order.status == Status.ISSUED
    assert order.issued_at is not None
    assert last_event(order).evidence == {"original": "pickup code presented"}


def test_issue_of_equipment_due_for_disposal_with_the_code(client, receptionist, make_ready):
    order = make_ready(Status.DISPOSAL_DUE)
    post_action(as_user(client, receptionist), order, "issue", pickup_code=order._pickup_code)
    order.refresh_from_db()
    assert order.status == Status.ISSUED


def test_a_manager_may_issue_on_an_identity_document(client, manager, make_ready):
    order = make_ready(Status.READY_UNREPAIRED)
    page = post_action(
        as_user(client, manager), order, "issue", id_document_type=" Passport ",
        id_document_number="123456789 ", statement="I lost the paper in the move.",
    )
    assert [level for level, _ in flashes(page)] == ["success"]
    order.refresh_from_db()
    assert order.status == Status.ISSUED
    event = [e for e in order.events.all() if e.action == "issue"][0]
    assert event.evidence == {
        "original": "lost", "identity_document_type": "Passport",
        "identity_document_number": "123456789", "statement": "I lost the paper in the move.",
    }
    assert event.actor == manager
    text = html.unescape(page.content.decode())
    assert "Identity document: Passport 123456789" in text
    assert "“I lost the paper in the move.”" in text


@pytest.mark.parametrize("missing", ["id_document_type", "id_document_number", "statement"])
def test_without_the_original_every_field_is_required(client, manager, make_ready, missing):
    order = make_ready(Status.READY_REPAIRED)
    before = snapshot(order)
    data = {"id_document_type": "Passport", "id_document_number": "123", "statement": "Lost"}
    data[missing] = "  "
    page = post_action(as_user(client, manager), order, "issue", **data)
    assert_refused(page, order, before, "identity document's type and number", "statement")


def test_a_receptionist_may_not_issue_on_an_identity_document(client, receptionist, make_ready):
    order = make_ready(Status.READY_REPAIRED)
    before = snapshot(order)
    page = post_action(
        as_user(client, receptionist), order, "issue", id_document_type="Passport",
        id_document_number="123456789", statement="Lost it",
    )
    assert_refused(page, order, before, "Only a manager")


# --- what is not a button --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name"),
    [(Status.AWAITING_DECISION, "lapse_decision"), (Status.AWAITING_DECISION, "mark_disposal_due"),
     (Status.AWAITING_DECISION, "take_in"), (Status.AWAITING_DECISION, "no_such"),
     # The stress test is recorded with its own form (staff:stress_test), never by a button.
     (Status.TESTING, "pass_test"), (Status.TESTING, "fail_test")],
)
def test_system_only_unknown_and_stress_test_actions_are_404(
    client, manager, make_order, status, name
):
    order = make_order(status)
    before = snapshot(order)
    response = as_user(client, manager).post(action_url(order, name), {"version": order.version})
    assert response.status_code == 404
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (Status.DIAGNOSING, "send_estimate"),
        (Status.AWAITING_DECISION, "revise_estimate"),
        (Status.REPAIRING, "send_supplement"),
    ],
)
def test_estimate_actions_are_not_buttons_but_the_editor(
    client, technician, make_order, status, name
):
    """Sending an estimate is the editor's own form (staff:estimate_send); here it is 404."""
    order = make_order(status)
    before = snapshot(order)
    response = as_user(client, technician).post(
        action_url(order, name), {"version": order.version, "note": "x"}
    )
    assert response.status_code == 404
    assert snapshot(order) == before


def test_unknown_order_is_404(client, technician, make_order):
    order = make_order(Status.RECEIVED)
    response = as_user(client, technician).post(
        reverse("staff:order_action", args=[order.number + 1, "start_diagnosis"]), {"version": 1}
    )
    assert response.status_code == 404


def test_get_is_405(client, technician, make_order):
    order = make_order(Status.RECEIVED)
    before = snapshot(order)
    response = as_user(client, technician).get(
        action_url(order, "start_diagnosis"), {"version": order.version}
    )
    assert response.status_code == 405
    assert snapshot(order) == before


@pytest.mark.parametrize("version", [None, "", "abc", "0"])
def test_a_missing_or_bad_version_is_400(client, technician, make_order, version):
    order = make_order(Status.RECEIVED)
    before = snapshot(order)
    data = {"note": "x"} if version is None else {"version": version, "note": "x"}
    response = as_user(client, technician).post(action_url(order, "start_diagnosis"), data)
    assert response.status_code == 400
    assert snapshot(order) == before


# --- a double submission ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "role", "data"),
    [
        (Status.RECEIVED, "start_diagnosis", "technician", {}),
        (Status.AWAITING_DECISION, "approve", "receptionist",
         {"channel": "phone", "said": "Yes, go ahead"}),
        (Status.APPROVED, "start_repair", "technician", {"note": "On the bench"}),
    ],
)
def test_a_double_submission_acts_once(
    client, make_order, users_by_role, status, name, role, data
):
    order = make_order(status)
    staff = as_user(client, users_by_role[role])
    form = {"version": order.version, **data}
    events_before = OrderEvent.objects.filter(order=order).count()

    first = post_action(staff, order, name, **form)
    assert [level for level, _ in flashes(first)] == ["success"]
    after_first = snapshot(order)

    second = post_action(staff, order, name, **form)

    # Refused: the order moved on since the form was drawn. (The message names the order's new
    # state, which tells the person the first click did it.)
    new_state = Order.objects.get(pk=order.pk).get_status_display().lower()
    assert_refused(second, order, after_first, f"is {new_state}")
    assert OrderEvent.objects.filter(order=order, action=name).count() == (
        OrderEvent.objects.filter(order=order).count() - events_before
    ) == 1
