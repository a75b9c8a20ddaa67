"""The estimate editor, the findings form and the decision slip, through the staff pages.

A technician starts a draft from the order page, fills it from the price list and by hand,
gives the details and sends it; a sent estimate never changes; a revision replaces it, and a
decision on the replaced one is refused.
"""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes, send_new_estimate, write_estimate
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import (
    EquipmentKind,
    Estimate,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    Order,
    OrderEvent,
    PriceListEntry,
    Status,
)
from repaircenter.orders.workflow import Actor

SENT_CANNOT_CHANGE = "has been sent and can no longer change"
NOT_OFFERED = "That price-list entry is not offered for this equipment."


def errors(response) -> list[str]:
    return [text for level, text in flashes(response) if level == "error"]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def editor_url(order: Order) -> str:
    return reverse("staff:estimate", args=[order.number])


def order_url(order: Order) -> str:
    return reverse("staff:order", args=[order.number])


def url(name: str, order: Order, *args) -> str:
    return reverse(f"staff:{name}", args=[order.number, *args])


def post_and_follow(client, address: str, data=None, *, to: str):
    """POST, expect a redirect to `to`, and return the page it leads to."""
    response = client.post(address, data or {})
    assert response.status_code == 302, (response.status_code, response.content[:2000])
    assert response.url == to
    return client.get(response.url)


def get_and_follow(client, address: str, *, to: str):
    response = client.get(address)
    assert response.status_code == 302
    assert response.url == to
    return client.get(response.url)


def lines_of(estimate: Estimate) -> list[tuple]:
    return list(
        EstimateLine.objects.filter(estimate=estimate)
        .order_by("position", "pk")
        .values_list("line_kind", "description", "quantity", "unit_price")
    )


def draft_state(order: Order) -> tuple:
    """Everything an editor's request could change."""
    return (
        list(Estimate.objects.filter(order=order).order_by("number").values_list(
            "number", "status", "repair_days", "recommendation", "internal_notes",
            "required_to_finish")),
        list(EstimateLine.objects.filter(estimate__order=order).order_by("pk").values_list(
            "estimate_id", "description", "quantity", "unit_price")),
        Order.objects.values_list("status", "version").get(pk=order.pk),
        OrderEvent.objects.filter(order=order).count(),
        Message.objects.filter(order=order).count(),
    )


@pytest.fixture
def tech_client(client, technician):
    client.force_login(technician)
    return client


@pytest.fixture
def price_list(phone_kind):
    """Entries for phones, for every kind, one for laptops only, and one withdrawn."""
    laptop = EquipmentKind.objects.get_or_create(name="Laptop")[0]
    make = PriceListEntry.objects.create
    return {
        "phone": make(equipment_kind=phone_kind, line_kind="part", description="USB-C port",
                      unit_price=Decimal("18.50")),
        "every": make(equipment_kind=None, line_kind="work", description="Soldering, per hour",
                      unit_price=Decimal("40.00")),
        "laptop": make(equipment_kind=laptop, line_kind="part", description="Laptop hinge",
                       unit_price=Decimal("25.00")),
        "withdrawn": make(equipment_kind=phone_kind, line_kind="part",
                          description="Old battery model", unit_price=Decimal("9.00"),
                          active=False),
    }


@pytest.fixture
def diagnosing(make_order):
    return make_order(Status.DIAGNOSING)


@pytest.fixture
def draft(tech_client, diagnosing):
    """A draft started from the order page's button."""
    post_and_follow(tech_client, url("estimate_start", diagnosing), to=editor_url(diagnosing))
    return Estimate.objects.get(order=diagnosing)


# --- starting a draft ------------------------------------------------------------------------


def test_the_order_page_offers_to_write_the_estimate_and_starts_one_draft(
    tech_client, diagnosing
):
    page = text_of(tech_client.get(order_url(diagnosing)))
    assert f'action="{url("estimate_start", diagnosing)}"' in page
    assert "Write the estimate" in page

    editor = post_and_follow(tech_client, url("estimate_start", diagnosing),
                             to=editor_url(diagnosing))
    assert editor.status_code == 200
    draft = Estimate.objects.get(order=diagnosing)
    assert (draft.status, draft.kind, draft.number) == (
        EstimateStatus.DRAFT, EstimateKind.MAIN, 1,
    )
    assert f"Estimate {draft.display_number}" in text_of(editor)
    assert "No lines yet" in text_of(editor)

    # A second click (another tab) opens the same draft, not a second one.
    post_and_follow(tech_client, url("estimate_start", diagnosing), to=editor_url(diagnosing))
    assert Estimate.objects.filter(order=diagnosing).count() == 1
    # The order page now continues the draft.
    page = text_of(tech_client.get(order_url(diagnosing)))
    assert f"Draft {draft.display_number} in progress." in page
    assert f'href="{editor_url(diagnosing)}"' in page


def test_no_estimate_can_be_started_on_a_received_order(tech_client, make_order):
    order = make_order(Status.RECEIVED)
    page = post_and_follow(tech_client, url("estimate_start", order), to=editor_url(order))
    assert errors(page) == [
        f"Order {order.display_number} is received: no estimate can be written now."
    ]
    assert "No estimate can be written for this order now." in text_of(page)
    assert not Estimate.objects.filter(order=order).exists()


# --- the price list --------------------------------------------------------------------------


def test_the_price_list_offers_the_orders_kind_and_every_kind_only(
    tech_client, diagnosing, draft, price_list
):
    page = text_of(tech_client.get(editor_url(diagnosing)))
    offered = re.findall(r'/estimate/\d+/price-list/(\d+)/', page)
    assert sorted(map(int, offered)) == sorted(
        [price_list["phone"].pk, price_list["every"].pk]
    )
    assert "USB-C port · 18.50 GBP" in page
    assert "Soldering, per hour · 40.00 GBP" in page
    assert "Laptop hinge" not in page
    assert "Old battery model" not in page


def test_one_click_on_the_price_list_adds_its_line(tech_client, diagnosing, draft, price_list):
    for key in ("phone", "every"):
        page = post_and_follow(
            tech_client,
            url("estimate_add_from_price_list", diagnosing, draft.pk, price_list[key].pk),
            to=editor_url(diagnosing),
        )
        assert errors(page) == []
    assert lines_of(draft) == [
        ("part", "USB-C port", Decimal("1.00"), Decimal("18.50")),
        ("work", "Soldering, per hour", Decimal("1.00"), Decimal("40.00")),
    ]
    assert set(draft.lines.values_list("price_list_entry", flat=True)) == {
        price_list["phone"].pk, price_list["every"].pk,
    }
    page = text_of(page)
    assert re.search(r'id="estimate-total">\s*58\.50 GBP', page)


@pytest.mark.parametrize("key", ["laptop", "withdrawn"])
def test_an_entry_not_offered_is_refused_even_if_posted(
    tech_client, diagnosing, draft, price_list, key
):
    before = draft_state(diagnosing)
    page = post_and_follow(
        tech_client,
        url("estimate_add_from_price_list", diagnosing, draft.pk, price_list[key].pk),
        to=editor_url(diagnosing),
    )
    assert errors(page) == [NOT_OFFERED]
    assert draft_state(diagnosing) == before


def test_an_unknown_price_list_entry_is_refused(tech_client, diagnosing, draft, price_list):
    before = draft_state(diagnosing)
    missing = max(e.pk for e in price_list.values()) + 100
    page = post_and_follow(
        tech_client, url("estimate_add_from_price_list", diagnosing, draft.pk, missing),
        to=editor_url(diagnosing),
    )
    assert errors(page) == [NOT_OFFERED]
    assert draft_state(diagnosing) == before


# --- lines typed by hand ---------------------------------------------------------------------

GOOD_LINE = {"line_kind": "work", "description": "Clean the board", "quantity": "1.5",
             "unit_price": "30.00"}


def test_a_custom_line_is_added_with_an_exact_total(tech_client, diagnosing, draft):
    page = post_and_follow(
        tech_client, url("estimate_add_line", diagnosing, draft.pk), GOOD_LINE,
        to=editor_url(diagnosing),
    )
    assert errors(page) == []
    assert lines_of(draft) == [("work", "Clean the board", Decimal("1.50"), Decimal("30.00"))]
    post_and_follow(
        tech_client, url("estimate_add_line", diagnosing, draft.pk),
        {"line_kind": "part", "description": "Thermal paste", "quantity": "3",
         "unit_price": "0.10"},
        to=editor_url(diagnosing),
    )
    draft = Estimate.objects.get(pk=draft.pk)
    assert draft.total == Decimal("45.30")  # 45.00 + 0.30, exactly
    assert isinstance(draft.total, Decimal)
    assert re.search(r'id="estimate-total">\s*45\.30 GBP', text_of(tech_client.get(
        editor_url(diagnosing))))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "abc", "Enter a quantity, e.g. 1 or 2.5."),
        ("quantity", "0", "Ensure this value is greater than or equal to 0.01."),
        ("quantity", "-1", "Ensure this value is greater than or equal to 0.01."),
        ("quantity", "10000", "Ensure this value is less than or equal to 9999."),
        ("quantity", "1.234", "Ensure that there are no more than 2 decimal places."),
        ("quantity", "NaN", "Enter a quantity, e.g. 1 or 2.5."),
        ("unit_price", "-5", "Ensure this value is greater than or equal to 0."),
        ("unit_price", "1000001", "Ensure this value is less than or equal to 1000000."),
        # A comma is not read as a decimal point (nor dropped as a thousands separator): the
        # technician is told how to write the amount.
        ("unit_price", "12,50", "Enter an amount, e.g. 45.00."),
        ("unit_price", "Infinity", "Enter an amount, e.g. 45.00."),
        ("unit_price", "", "This field is required."),
        ("description", "", "This field is required."),
        ("description", "   ", "This field is required."),
        ("line_kind", "gift", "Select a valid choice."),
    ],
)
def test_a_bad_line_is_refused_with_a_clear_error_and_nothing_saved(
    tech_client, diagnosing, draft, field, value, message
):
    before = draft_state(diagnosing)
    response = tech_client.post(
        url("estimate_add_line", diagnosing, draft.pk), {**GOOD_LINE, field: value}
    )
    assert response.status_code == 400
    page = text_of(response)
    # The error is shown next to the field, in the add-line form, which keeps what was typed.
    add_form = page.split('id="add-line"', 1)[1].split("</form>", 1)[0]
    shown = re.findall(r'<small class="error" role="alert">(.*?)</small>', add_form)
    assert len(shown) == 1 and shown[0].startswith(message), shown
    assert f'name="{field}"' in add_form
    if field != "line_kind" and value.strip():
        assert f'value="{value}"' in add_form
    assert draft_state(diagnosing) == before


def test_a_line_is_changed(tech_client, diagnosing, draft):
    write_estimate(diagnosing, draft.created_by)
    line = draft.lines.get()
    page = post_and_follow(
        tech_client, url("estimate_update_line", diagnosing, draft.pk, line.pk),
        {"line_kind": "work", "description": "Replace the port (genuine part)",
         "quantity": "2", "unit_price": "39.90"},
        to=editor_url(diagnosing),
    )
    assert errors(page) == []
    assert lines_of(draft) == [
        ("work", "Replace the port (genuine part)", Decimal("2.00"), Decimal("39.90")),
    ]
    assert re.search(r'id="estimate-total">\s*79\.80 GBP', text_of(page))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "abc", "Quantity: Enter a quantity, e.g. 1 or 2.5."),
        ("unit_price", "12,50", "Unit price: Enter an amount, e.g. 45.00."),
        ("unit_price", "-5", "Unit price: Ensure this value is greater than or equal to 0."),
        ("description", "", "Description: This field is required."),
    ],
)
def test_a_bad_change_of_a_line_is_refused_and_the_line_kept(
    tech_client, diagnosing, draft, field, value, message
):
    write_estimate(diagnosing, draft.created_by)
    line = draft.lines.get()
    before = draft_state(diagnosing)
    data = {"line_kind": "work", "description": "Changed", "quantity": "2", "unit_price": "10"}
    page = post_and_follow(
        tech_client, url("estimate_update_line", diagnosing, draft.pk, line.pk),
        {**data, field: value}, to=editor_url(diagnosing),
    )
    assert errors(page) == [f"Line not changed. {message}"]
    assert draft_state(diagnosing) == before


def test_a_line_is_removed(tech_client, diagnosing, draft):
    write_estimate(diagnosing, draft.created_by,
                   lines=[("Keep me", "1", "10.00"), ("Remove me", "1", "5.00")])
    gone = draft.lines.get(description="Remove me")
    page = post_and_follow(
        tech_client, url("estimate_remove_line", diagnosing, draft.pk, gone.pk),
        to=editor_url(diagnosing),
    )
    assert errors(page) == []
    assert [d for _, d, _, _ in lines_of(draft)] == ["Keep me"]
    assert "Remove me" not in text_of(page)


def test_a_line_of_another_estimate_or_order_is_404(tech_client, diagnosing, draft, make_order):
    other = make_order(Status.AWAITING_DECISION)
    foreign_line = other.estimates.get().lines.get()
    before = draft_state(other)
    for address in (
        url("estimate_update_line", diagnosing, draft.pk, foreign_line.pk),
        url("estimate_remove_line", diagnosing, draft.pk, foreign_line.pk),
        url("estimate_add_line", diagnosing, other.estimates.get().pk),
        url("estimate_details", other, draft.pk),
    ):
        assert tech_client.post(address, GOOD_LINE).status_code == 404, address
    assert draft_state(other) == before


# --- the details -----------------------------------------------------------------------------


def test_details_are_validated_and_saved(tech_client, diagnosing, draft):
    details = {"repair_days": "0", "recommendation": "Worth it: the rest is like new.",
               "internal_notes": "Port from supplier B"}
    before = draft_state(diagnosing)
    response = tech_client.post(url("estimate_details", diagnosing, draft.pk), details)
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 1." in text_of(response)
    assert draft_state(diagnosing) == before

    post_and_follow(tech_client, url("estimate_details", diagnosing, draft.pk),
                    {**details, "repair_days": "3"}, to=editor_url(diagnosing))
    draft.refresh_from_db()
    assert (draft.repair_days, draft.recommendation, draft.internal_notes) == (
        3, "Worth it: the rest is like new.", "Port from supplier B",
    )
    # The main estimate is never "required to finish": that is for supplements.
    post_and_follow(tech_client, url("estimate_details", diagnosing, draft.pk),
                    {**details, "repair_days": "3", "required_to_finish": "on"},
                    to=editor_url(diagnosing))
    draft.refresh_from_db()
    assert draft.required_to_finish is False


# --- sending ---------------------------------------------------------------------------------


def ready_draft(order, user) -> Estimate:
    return write_estimate(order, user, lines=[("Replace the charging port", "1", "45.00"),
                                              ("Clean the board", "0.5", "30.00")], repair_days=3)


def test_sending_moves_the_order_and_queues_the_message(tech_client, technician, diagnosing):
    draft = ready_draft(diagnosing, technician)
    diagnosing.refresh_from_db()
    page = post_and_follow(
        tech_client, url("estimate_send", diagnosing, draft.pk),
        {"version": diagnosing.version}, to=order_url(diagnosing),
    )
    assert flashes(page) == [("success", f"Estimate {draft.display_number} sent to the customer.")]
    diagnosing.refresh_from_db()
    draft.refresh_from_db()
    assert diagnosing.status == Status.AWAITING_DECISION
    assert diagnosing.decision_due is not None and diagnosing.decision_due == draft.decision_due
    assert (draft.status, draft.sent_by) == (EstimateStatus.SENT, technician)
    message = Message.objects.get(order=diagnosing, event="estimate_ready")
    assert message.status == "queued"
    assert "60.00 GBP" in message.body  # 45.00 + 0.5 × 30.00
    event = OrderEvent.objects.filter(order=diagnosing).latest("at", "pk")
    assert (event.action, event.actor, event.evidence["estimate"]) == (
        "send_estimate", technician, draft.display_number,
    )
    assert draft.display_number in text_of(page)
    assert "Print the decision slip" in text_of(page)


@pytest.fixture
def sent(tech_client, technician, diagnosing, price_list):
    draft = ready_draft(diagnosing, technician)
    diagnosing.refresh_from_db()
    post_and_follow(tech_client, url("estimate_send", diagnosing, draft.pk),
                    {"version": diagnosing.version}, to=order_url(diagnosing))
    draft.refresh_from_db()
    assert draft.status == EstimateStatus.SENT
    return draft


def test_a_sent_estimate_never_changes_through_the_editor(
    tech_client, diagnosing, sent, price_list
):
    line = sent.lines.first()
    lines = lines_of(sent)
    before = draft_state(diagnosing)
    attempts = {
        "add": (url("estimate_add_line", diagnosing, sent.pk), GOOD_LINE),
        "price list": (url("estimate_add_from_price_list", diagnosing, sent.pk,
                           price_list["phone"].pk), {}),
        "update": (url("estimate_update_line", diagnosing, sent.pk, line.pk),
                   {"line_kind": "work", "description": "Cheaper", "quantity": "1",
                    "unit_price": "1.00"}),
        "remove": (url("estimate_remove_line", diagnosing, sent.pk, line.pk), {}),
        "details": (url("estimate_details", diagnosing, sent.pk),
                    {"repair_days": "9", "recommendation": "Changed"}),
        "discard": (url("estimate_discard", diagnosing, sent.pk), {}),
    }
    for what, (address, data) in attempts.items():
        page = post_and_follow(tech_client, address, data, to=editor_url(diagnosing))
        assert errors(page) == [
            f"Estimate {sent.display_number} has been sent and can no longer change. "
            "Write a new one to replace it."
        ], what
        assert lines_of(sent) == lines, what
        assert draft_state(diagnosing) == before, what
    # Sending it again is refused too.
    page = post_and_follow(tech_client, url("estimate_send", diagnosing, sent.pk),
                           {"version": Order.objects.get(pk=diagnosing.pk).version},
                           to=editor_url(diagnosing))
    assert len(errors(page)) == 1
    assert draft_state(diagnosing) == before


@pytest.mark.parametrize(
    ("lines", "repair_days", "message"),
    [
        ((), 3, "Add at least one line before sending the estimate."),
        ((("Replace the port", "1", "45.00"),), None,
         "Give the expected repair time in working days."),
    ],
)
def test_an_incomplete_draft_is_not_sent(
    tech_client, technician, diagnosing, lines, repair_days, message
):
    draft = write_estimate(diagnosing, technician, lines=lines, repair_days=repair_days)
    diagnosing.refresh_from_db()
    before = draft_state(diagnosing)
    page = post_and_follow(tech_client, url("estimate_send", diagnosing, draft.pk),
                           {"version": diagnosing.version}, to=editor_url(diagnosing))
    assert errors(page) == [message]
    assert draft_state(diagnosing) == before


def test_a_stale_version_sends_nothing(tech_client, technician, receptionist, diagnosing):
    draft = ready_draft(diagnosing, technician)
    drawn = Order.objects.get(pk=diagnosing.pk).version
    # Meanwhile the receptionist reprints the customer's copy: same state, a new version.
    workflow.reissue_pickup_code(order=diagnosing, actor=Actor.staff(receptionist))
    before = draft_state(diagnosing)
    page = post_and_follow(tech_client, url("estimate_send", diagnosing, draft.pk),
                           {"version": drawn}, to=editor_url(diagnosing))
    [error] = errors(page)
    assert "was changed by someone else" in error and diagnosing.display_number in error
    assert draft_state(diagnosing) == before
    assert Estimate.objects.get(pk=draft.pk).status == EstimateStatus.DRAFT


def test_sending_after_the_order_moved_on_names_its_state(
    tech_client, technician, receptionist, diagnosing
):
    draft = ready_draft(diagnosing, technician)
    drawn = Order.objects.get(pk=diagnosing.pk).version
    workflow.refuse(order=diagnosing, actor=Actor.staff(receptionist), channel="phone",
                    evidence={"said": "No"}, note="Bought a new one")
    before = draft_state(diagnosing)
    page = post_and_follow(tech_client, url("estimate_send", diagnosing, draft.pk),
                           {"version": drawn}, to=editor_url(diagnosing))
    [error] = errors(page)
    assert "ready for collection (unrepaired)" in error
    assert draft_state(diagnosing) == before


@pytest.mark.parametrize("version", [None, "", "abc"])
def test_a_send_without_a_version_is_400(tech_client, technician, diagnosing, version):
    draft = ready_draft(diagnosing, technician)
    before = draft_state(diagnosing)
    data = {} if version is None else {"version": version}
    assert tech_client.post(url("estimate_send", diagnosing, draft.pk), data).status_code == 400
    assert draft_state(diagnosing) == before


def test_a_draft_is_discarded(tech_client, diagnosing, draft):
    page = post_and_follow(tech_client, url("estimate_discard", diagnosing, draft.pk),
                           to=editor_url(diagnosing))
    assert errors(page) == []
    assert not Estimate.objects.filter(order=diagnosing).exists()


# --- who may use the editor ------------------------------------------------------------------


def editor_addresses(order: Order, estimate: Estimate, line: EstimateLine, entry) -> list:
    return [
        ("get", editor_url(order)),
        ("post", url("estimate_start", order)),
        ("post", url("estimate_details", order, estimate.pk)),
        ("post", url("estimate_add_line", order, estimate.pk)),
        ("post", url("estimate_add_from_price_list", order, estimate.pk, entry.pk)),
        ("post", url("estimate_update_line", order, estimate.pk, line.pk)),
        ("post", url("estimate_remove_line", order, estimate.pk, line.pk)),
        ("post", url("estimate_discard", order, estimate.pk)),
        ("post", url("estimate_send", order, estimate.pk)),
        ("post", url("findings", order)),
    ]


@pytest.mark.parametrize("role", ["receptionist", "cashier", "consultant"])
def test_other_roles_get_403_on_every_editor_address(
    client, request, technician, diagnosing, price_list, role
):
    draft = ready_draft(diagnosing, technician)
    line = draft.lines.first()
    before = draft_state(diagnosing)
    findings = Order.objects.get(pk=diagnosing.pk).findings
    client.force_login(request.getfixturevalue(role))
    data = {**GOOD_LINE, "version": diagnosing.version, "repair_days": "5",
            "findings": "Changed"}
    for method, address in editor_addresses(diagnosing, draft, line, price_list["phone"]):
        response = getattr(client, method)(address, data if method == "post" else None)
        assert response.status_code == 403, (role, address)
    assert draft_state(diagnosing) == before
    assert Order.objects.get(pk=diagnosing.pk).findings == findings
    # Nor is the order page's button to write one shown to them.
    page = client.get(order_url(diagnosing)).content.decode()
    assert url("estimate_start", diagnosing) not in page


def test_anonymous_is_sent_to_log_in(client, technician, diagnosing, price_list):
    draft = ready_draft(diagnosing, technician)
    line = draft.lines.first()
    before = draft_state(diagnosing)
    addresses = editor_addresses(diagnosing, draft, line, price_list["phone"])
    addresses.append(("get", url("decision_slip", diagnosing)))
    for method, address in addresses:
        response = getattr(client, method)(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("login")), address
    assert draft_state(diagnosing) == before


def test_a_manager_may_write_the_estimate(client, manager, diagnosing, price_list):
    client.force_login(manager)
    post_and_follow(client, url("estimate_start", diagnosing), to=editor_url(diagnosing))
    draft = Estimate.objects.get(order=diagnosing)
    post_and_follow(client, url("estimate_add_from_price_list", diagnosing, draft.pk,
                                price_list["every"].pk), to=editor_url(diagnosing))
    assert len(lines_of(draft)) == 1


# --- a revision replaces the estimate the customer has ---------------------------------------


def test_a_revision_replaces_the_sent_estimate_and_a_decision_on_the_old_one_is_refused(
    client, tech_client, technician, receptionist, make_order
):
    order = make_order(Status.AWAITING_DECISION)
    old = order.estimates.get()
    old_lines = lines_of(old)
    page = text_of(tech_client.get(order_url(order)))
    assert "Revise the estimate" in page

    post_and_follow(tech_client, url("estimate_start", order), to=editor_url(order))
    revision = Estimate.objects.get(order=order, status=EstimateStatus.DRAFT)
    assert revision.number == 2
    # A copy of the estimate it will replace: lines, repair time and recommendation.
    assert lines_of(revision) == old_lines
    assert (revision.repair_days, revision.recommendation) == (
        old.repair_days, old.recommendation,
    )
    line = revision.lines.get()
    post_and_follow(tech_client, url("estimate_update_line", order, revision.pk, line.pk),
                    {"line_kind": "work", "description": line.description, "quantity": "1",
                     "unit_price": "39.00"}, to=editor_url(order))
    assert lines_of(old) == old_lines  # the sent one did not move
    order.refresh_from_db()
    post_and_follow(tech_client, url("estimate_send", order, revision.pk),
                    {"version": order.version}, to=order_url(order))

    old.refresh_from_db()
    revision.refresh_from_db()
    order.refresh_from_db()
    assert old.status == EstimateStatus.REPLACED
    assert (revision.status, revision.replaces) == (EstimateStatus.SENT, old)
    assert order.status == Status.AWAITING_DECISION
    assert OrderEvent.objects.filter(order=order).latest("at", "pk").action == "revise_estimate"

    # The order page shows only the revision as the estimate awaiting the decision, and the
    # decision forms name it.
    client.force_login(receptionist)
    page = text_of(client.get(order_url(order)))
    current = page.split('<section id="estimate">', 1)[1].split("<details>", 1)[0]
    assert revision.display_number in current and old.display_number not in current
    assert "39.00 GBP" in current and "45.00 GBP" not in current
    assert f'name="estimate_id" value="{revision.pk}"' in page
    assert f'name="estimate_id" value="{old.pk}"' not in page
    assert "Replaced by a later estimate" in page  # in the list of all estimates

    # A decision POSTed on the replaced estimate (an old tab) is refused, naming the current.
    before = draft_state(order)
    response = client.post(
        reverse("staff:order_action", args=[order.number, "approve"]),
        {"version": order.version, "channel": "phone", "said": "Yes, go ahead",
         "estimate_id": old.pk},
    )
    assert response.status_code == 302
    page = client.get(response.url)
    [error] = errors(page)
    assert "no longer the one awaiting a decision" in error
    assert f"({revision.display_number})" in error
    assert draft_state(order) == before
    assert Estimate.objects.get(pk=old.pk).status == EstimateStatus.REPLACED
    assert Estimate.objects.get(pk=revision.pk).status == EstimateStatus.SENT


# --- the findings ----------------------------------------------------------------------------


def test_a_technician_saves_the_findings(tech_client, technician, diagnosing):
    page = post_and_follow(tech_client, url("findings", diagnosing),
                           {"findings": "  Charging port corroded; battery at 71 %.  "},
                           to=order_url(diagnosing))
    assert flashes(page) == [("success", "Findings saved.")]
    diagnosing.refresh_from_db()
    assert diagnosing.findings == "Charging port corroded; battery at 71 %."
    event = OrderEvent.objects.filter(order=diagnosing).latest("at", "pk")
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "findings_recorded", technician, Status.DIAGNOSING, Status.DIAGNOSING,
    )
    assert "Charging port corroded; battery at 71 %." in text_of(page)
    # The editor shows them to whoever writes the estimate.
    assert "Charging port corroded" in text_of(tech_client.get(editor_url(diagnosing)))


def test_a_receptionist_may_not_write_findings(client, receptionist, diagnosing):
    client.force_login(receptionist)
    before = draft_state(diagnosing)
    response = client.post(url("findings", diagnosing), {"findings": "Looks broken"})
    assert response.status_code == 403
    assert Order.objects.get(pk=diagnosing.pk).findings == ""
    assert draft_state(diagnosing) == before
    # The page shows the findings as text, with no form.
    assert url("findings", diagnosing) not in client.get(order_url(diagnosing)).content.decode()


def test_findings_outside_diagnostics_and_repair_are_refused(tech_client, make_order):
    order = make_order(Status.RECEIVED)
    before = draft_state(order)
    page = post_and_follow(tech_client, url("findings", order), {"findings": "Too early"},
                           to=order_url(order))
    assert errors(page) == ["Findings are written during diagnostics or the repair."]
    assert Order.objects.get(pk=order.pk).findings == ""
    assert draft_state(order) == before
    assert url("findings", order) not in page.content.decode()


# --- the decision slip -----------------------------------------------------------------------


def test_the_decision_slip_shows_the_current_estimate(client, receptionist, technician,
                                                      make_order):
    order = make_order(Status.AWAITING_DECISION)
    send_new_estimate(
        order, technician,
        lines=[("Replace the screen", "1", "120.00"), ("Screen protector", "2", "4.95")],
        repair_days=4, recommendation="Worth repairing; the battery is still good.",
        internal_notes="Supplier: PartsCo",
    )
    current = order.estimates.get(status=EstimateStatus.SENT)
    client.force_login(receptionist)
    response = client.get(url("decision_slip", order))
    assert response.status_code == 200
    page = text_of(response)
    assert f"Estimate {current.display_number}" in page
    for text in ["Replace the screen", "120.00 GBP", "Screen protector", "9.90 GBP",
                 # the revision starts from the first estimate's line
                 "Replace the charging port", "45.00 GBP",
                 "174.90 GBP", "Worth repairing; the battery is still good.",
                 "Expected repair time: 4 working days after approval.",
                 "Alice Brown", order.display_number, "Customer's signature"]:
        assert text in page, text
    assert "Supplier: PartsCo" not in page  # internal notes are not for the customer
    assert "R-000001/E1" not in page


def test_the_decision_slip_without_an_estimate_goes_back_with_a_message(
    client, receptionist, make_order
):
    order = make_order(Status.DIAGNOSING)
    client.force_login(receptionist)
    page = get_and_follow(client, url("decision_slip", order), to=order_url(order))
    assert errors(page) == ["No estimate is awaiting the customer's decision."]
