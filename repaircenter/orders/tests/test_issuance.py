"""Issuance (workflow.issue) and its panel on the order page: the balance, the pickup code and
its lock, the lost original, and the documents handed over."""

import html

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes, pay_balance
from repaircenter.documents.models import DocumentKind
from repaircenter.orders import workflow
from repaircenter.orders.credentials import PICKUP_ALPHABET
from repaircenter.orders.models import Order, OrderEvent, Status
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    return next(ch for ch in PICKUP_ALPHABET if ch != code[0]) + code[1:]


def state(order) -> tuple:
    row = Order.objects.get(pk=order.pk)
    return row.status, row.version


def kinds(order) -> list[str]:
    return sorted(order.documents.values_list("kind", flat=True))


def test_issue_with_a_balance_is_refused(make_order, receptionist, cashier):
    order = make_order(Status.READY_REPAIRED)
    before = state(order)
    with pytest.raises(workflow.Refused) as raised:
        workflow.issue(order=order, actor=Actor.staff(receptionist),
                       pickup_code=order._pickup_code)
    assert "not fully paid: 45.00 GBP is still due" in raised.value.message
    assert state(order) == before
    assert Order.objects.get(pk=order.pk).pickup_failures == 0  # the code was not even tried
    pay_balance(order, cashier)
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=order._pickup_code)
    assert state(order)[0] == Status.ISSUED


def test_issue_of_a_repaired_order_hands_over_the_certificate_and_warranty(
    make_order, receptionist, cashier
):
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, cashier)
    workflow.issue(order=order, actor=Actor.staff(receptionist), pickup_code=order._pickup_code)
    assert kinds(order) == sorted([
        DocumentKind.INTAKE_ORDER, DocumentKind.ESTIMATE, DocumentKind.RECEIPT,
        DocumentKind.COMPLETION_CERTIFICATE, DocumentKind.WARRANTY_CARD,
    ])
    event = OrderEvent.objects.filter(order=order, action="issue").get()
    assert event.evidence == {"original": "pickup code presented"}


def test_five_wrong_codes_lock_issuance_until_a_manager_unlocks(
    make_order, receptionist, manager, cashier
):
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, cashier)
    desk = Actor.staff(receptionist)
    for attempt in range(1, 5):
        with pytest.raises(workflow.Refused) as raised:
            workflow.issue(order=order, actor=desk, pickup_code=wrong(order._pickup_code))
        assert f"{5 - attempt} more wrong code" in raised.value.message
    with pytest.raises(workflow.Refused) as raised:
        workflow.issue(order=order, actor=desk, pickup_code="AAAAA-AAAAA")
    assert "is now locked" in raised.value.message
    assert Order.objects.get(pk=order.pk).pickup_failures == 5
    # Locked: even the right code is refused, and not counted again.
    with pytest.raises(workflow.Refused) as raised:
        workflow.issue(order=order, actor=desk, pickup_code=order._pickup_code)
    assert "locked after 5 wrong pickup codes" in raised.value.message
    assert Order.objects.get(pk=order.pk).pickup_failures == 5
    actions = list(OrderEvent.objects.filter(order=order).order_by("pk")
                   .values_list("action", flat=True))
    assert actions[-6:] == ["pickup_code_wrong"] * 5 + ["issuance_locked"]

    with pytest.raises(workflow.NotAllowed):
        workflow.unlock_issuance(order=order, actor=desk, note="Checked")
    with pytest.raises(workflow.Refused):
        workflow.unlock_issuance(order=order, actor=Actor.staff(manager), note=" ")
    workflow.unlock_issuance(order=order, actor=Actor.staff(manager),
                             note="Saw her passport; she mistyped from a blurred copy")
    event = OrderEvent.objects.filter(order=order).latest("pk")
    assert (event.action, event.actor) == ("issuance_unlocked", manager)
    workflow.issue(order=Order.objects.get(pk=order.pk), actor=desk,
                   pickup_code=order._pickup_code)
    row = Order.objects.get(pk=order.pk)
    assert (row.status, row.pickup_failures) == (Status.ISSUED, 0)


def test_unlocking_an_order_that_is_not_locked_is_refused(make_order, manager):
    order = make_order(Status.READY_REPAIRED)
    with pytest.raises(workflow.Refused):
        workflow.unlock_issuance(order=order, actor=Actor.staff(manager), note="Just in case")


def test_wrong_codes_are_counted_per_order(make_order, receptionist, cashier):
    one, other = make_order(Status.READY_REPAIRED), make_order(Status.READY_REPAIRED)
    for order in (one, other):
        pay_balance(order, cashier)
    for _ in range(3):
        with pytest.raises(workflow.Refused):
            workflow.issue(order=one, actor=Actor.staff(receptionist),
                           pickup_code=wrong(one._pickup_code))
    assert Order.objects.get(pk=one.pk).pickup_failures == 3
    assert Order.objects.get(pk=other.pk).pickup_failures == 0


@pytest.mark.parametrize(
    "status", [Status.RECEIVED, Status.APPROVED, Status.REPAIRING, Status.TESTING,
               Status.ISSUED, Status.DISPOSED],
)
def test_issue_from_a_wrong_state_is_refused(make_order, receptionist, status):
    order = make_order(status)
    before = state(order)
    with pytest.raises(workflow.WrongState) as raised:
        workflow.issue(order=order, actor=Actor.staff(receptionist),
                       pickup_code=order._pickup_code)
    assert order.display_number in raised.value.message
    assert state(order) == before


@pytest.mark.parametrize("role", ["technician", "cashier", "consultant"])
def test_issue_by_a_role_that_may_not_is_refused(request, make_order, cashier, role):
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, cashier)
    before = state(order)
    with pytest.raises(workflow.NotAllowed):
        workflow.issue(order=order, actor=Actor.staff(request.getfixturevalue(role)),
                       pickup_code=order._pickup_code)
    assert state(order) == before
    assert Order.objects.get(pk=order.pk).pickup_failures == 0


# --- the panel on the order page ------------------------------------------------------------


def panel(client, order) -> str:
    content = client.get(reverse("staff:order", args=[order.number])).content.decode()
    return html.unescape(content.split('<details class="issuance"', 1)[1].split("</details>\n")[0])


def test_the_panel_says_what_is_due_and_focuses_the_code(client, make_order, receptionist,
                                                         cashier):
    order = make_order(Status.READY_REPAIRED)
    client.force_login(receptionist)
    text = panel(client, order)
    assert "Not fully paid: 45.00 GBP is still due" in text
    assert "autofocus" not in text
    pay_balance(order, cashier)
    text = panel(client, order)
    assert "Not fully paid" not in text
    assert ' open>' in text.split("\n")[0] or text.startswith(" open>")
    assert 'data-pickup-code autofocus' in text


def test_the_panel_of_a_locked_order(client, make_order, receptionist, manager, cashier):
    order = make_order(Status.READY_UNREPAIRED)
    pay_balance(order, cashier)
    Order.objects.filter(pk=order.pk).update(pickup_failures=5)
    client.force_login(receptionist)
    text = panel(client, order)
    assert "Issuance is locked after 5 wrong pickup codes" in text
    assert reverse("staff:unlock_issuance", args=[order.number]) not in text
    assert client.post(reverse("staff:unlock_issuance", args=[order.number]),
                       {"note": "x"}).status_code == 403
    client.force_login(manager)
    assert reverse("staff:unlock_issuance", args=[order.number]) in panel(client, order)
    response = client.post(reverse("staff:unlock_issuance", args=[order.number]),
                           {"note": "Checked her driving licence"})
    page = client.get(response.url)
    assert flashes(page) == [
        ("success", "Issuance unlocked: the pickup code can be tried again.")]
    assert Order.objects.get(pk=order.pk).pickup_failures == 0
    assert "Issuance unlocked by a manager" in html.unescape(page.content.decode())


def test_a_wrong_code_typed_in_the_panel_is_counted_on_the_page(client, make_order,
                                                                receptionist, cashier):
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, cashier)
    client.force_login(receptionist)
    response = client.post(reverse("staff:order_action", args=[order.number, "issue"]),
                           {"version": order.version, "pickup_code": wrong(order._pickup_code)})
    page = client.get(response.url)
    assert "4 more wrong codes lock issuance" in flashes(page)[0][1]
    assert "1 wrong pickup code typed so far." in panel(client, order)
    assert "Wrong pickup code typed" in html.unescape(page.content.decode())
