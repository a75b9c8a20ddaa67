"""The manager's disposal list (/staff/disposal/), its confirmation and the disposal act."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from repaircenter.accounts.roles import Role
from repaircenter.conftest import flashes, pay_balance
from repaircenter.notifications import delivery
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import DisposalAct, Order, Status
from repaircenter.orders.workflow import Actor

LIST = reverse("staff:disposal")
CONFIRM = reverse("staff:confirm_disposal")
# the due orders, their messages, the recent acts (the session is a signed cookie; the user's row
# with their roles and the centers the person works in are kept: accounts/backends.py,
# orders/workplace.py)
LIST_QUERIES = 3


@pytest.fixture
def boss(client, manager):
    client.force_login(manager)
    assert client.get(reverse("staff:home")).status_code == 200  # the idle clock is stored
    return client


def row_numbers(content: str) -> list[str]:
    body = content.split('<table class="striped disposal-list">')[1].split("</table>")[0]
    return re.findall(r">(R-\d{6})</a>", body)


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.TECHNICIAN, Role.CONSULTANT,
                                  Role.CASHIER])
def test_only_managers_see_the_list_confirm_and_read_acts(client, make_order, users_by_role,
                                                          role, manager):
    order = make_order(Status.DISPOSAL_DUE)
    act = workflow.confirm_disposals(numbers=[make_order(Status.DISPOSAL_DUE).number],
                                     actor=Actor.staff(manager), method="recycled")
    client.force_login(users_by_role[role])
    assert client.get(LIST).status_code == 403
    assert client.post(CONFIRM, {"orders": [order.number], "method": "recycled"}
                       ).status_code == 403
    assert client.get(reverse("staff:disposal_act", args=[act.number])).status_code == 403
    order.refresh_from_db()
    assert order.status == Status.DISPOSAL_DUE


def test_strangers_are_sent_to_log_in(client):
    for response in (client.get(LIST), client.post(CONFIRM, {})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_list_oldest_first_with_shelf_days_over_and_messages(boss, make_order, receptionist,
                                                                 django_assert_num_queries):
    older, newer = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    Order.objects.filter(pk=newer.pk).update(
        storage_due=older.storage_due + datetime.timedelta(days=1))
    workflow.set_storage_location(order=older, actor=Actor.staff(receptionist), location="a3")
    delivery.run_round()  # the console channel delivers the ready notices and warnings
    make_order(Status.READY_REPAIRED)  # not due: not listed

    with django_assert_num_queries(LIST_QUERIES):
        page = boss.get(LIST)
    content = page.content.decode()
    assert row_numbers(content) == [older.display_number, newer.display_number]
    first_row = content.split(f">{older.display_number}</a>")[1].split("</tr>")[0]
    assert "<strong>A3</strong>" in first_row
    assert re.search(r"\d+ days over", first_row)
    assert "Disposal warning" in first_row and "Ready for collection, repaired" in first_row
    assert "Delivered" in first_row

    for _ in range(6):
        make_order(Status.DISPOSAL_DUE)
    delivery.run_round()
    with django_assert_num_queries(LIST_QUERIES):
        page = boss.get(LIST)
    assert len(row_numbers(page.content.decode())) == 8


def test_an_order_that_cannot_go_shows_why_and_has_no_box(boss, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    Order.objects.filter(pk=order.pk).update(storage_due=order.storage_due.replace(year=2999))
    content = boss.get(LIST).content.decode()
    row = content.split(f">{order.display_number}</a>")[1].split("</tr>")[0]
    assert "its storage period has not run out" in row
    assert f'name="orders" value="{order.number}"' not in content


def test_confirming_makes_the_act_and_shows_it(boss, make_order, manager):
    first, second, third = (make_order(Status.DISPOSAL_DUE) for _ in range(3))
    response = boss.post(CONFIRM, {"orders": [first.number, third.number], "method": "scrapped",
                                   "note": "Crushed on site"}, follow=True)
    act = DisposalAct.objects.get()
    assert response.redirect_chain == [(reverse("staff:disposal_act", args=[act.number]), 302)]
    content = response.content.decode()
    assert "Disposal act DA-000001: 2 orders disposed of. Print the act and sign it." in content
    assert '<div class="doc-number">DA-000001</div>' in content
    assert "Crushed on site" in content
    assert first.display_number in content and third.display_number in content
    assert second.display_number not in content
    assert "Scrapped" in content
    assert [o.status for o in Order.objects.order_by("number")] == [
        Status.DISPOSED, Status.DISPOSAL_DUE, Status.DISPOSED]
    # The list shows the act, and no longer the two orders.
    content = boss.get(LIST).content.decode()
    assert row_numbers(content) == [second.display_number]
    assert "DA-000001" in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "recycled"}, "Tick the orders to dispose of."),
        ({"orders": ["1"], "method": ""}, "Choose how the equipment is disposed of."),
        ({"orders": ["1"], "method": "burnt"}, "Select a valid choice."),
        ({"orders": ["1; DROP"], "method": "recycled"}, "The list of orders was damaged"),
    ],
)
def test_bad_input_is_told_and_nothing_changes(boss, make_order, data, message):
    order = make_order(Status.DISPOSAL_DUE)
    response = boss.post(CONFIRM, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.DISPOSAL_DUE
    assert DisposalAct.objects.count() == 0


def test_an_order_collected_meanwhile_is_refused_with_its_reason(boss, make_order,
                                                                 receptionist, manager):
    due, collected = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    pay_balance(collected, manager)
    workflow.issue(order=collected, actor=Actor.staff(receptionist),
                   pickup_code=collected._pickup_code)
    response = boss.post(CONFIRM, {"orders": [due.number, collected.number],
                                   "method": "recycled"}, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    [(level, text)] = flashes(response)
    assert level == "error"
    assert text.startswith("Nothing was disposed of.")
    assert f"{collected.display_number} is issued" in text
    due.refresh_from_db()
    assert due.status == Status.DISPOSAL_DUE


def test_a_repeated_submission_disposes_once(boss, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    data = {"orders": [order.number], "method": "recycled"}
    assert boss.post(CONFIRM, data, follow=True).status_code == 200  # the act, and its notice
    response = boss.post(CONFIRM, data, follow=True)
    [(level, text)] = flashes(response)
    assert level == "error" and "is disposed, not due for disposal" in text
    assert DisposalAct.objects.count() == 1


def test_get_is_not_allowed_on_confirm_and_unknown_acts_are_404(boss):
    assert boss.get(CONFIRM).status_code == 405
    assert boss.get(reverse("staff:disposal_act", args=[42])).status_code == 404


# --- saying exactly what became of the disposal warning -----------------------------------------


def warning_row(content: str, order) -> str:
    return content.split(f">{order.display_number}</a>")[1].split("</tr>")[0]


def test_a_warning_still_queued_is_not_called_a_warning_given(boss, make_order):
    """The warning written when the order fell due and not yet sent: the list and the act say
    the customer has not been warned; none of them says the customer was warned."""
    queued, delivered = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    delivery.run_round()  # the console channel delivers every message queued so far
    Message.objects.filter(order=queued, event="disposal_warning").update(
        status="queued", sent_at=None, delivered_at=None)

    content = boss.get(LIST).content.decode()
    assert "the customer was warned" not in content
    assert ("not sent yet: the customer has not been warned"
            in html.unescape(warning_row(content, queued)))
    assert "Disposal warning delivered on" in warning_row(content, delivered)

    response = boss.post(CONFIRM, {"orders": [queued.number, delivered.number],
                                   "method": "recycled"}, follow=True)
    act = html.unescape(response.content.decode())
    assert "the customer was warned" not in act
    queued_part = act.split(queued.display_number)[1].split(delivered.display_number)[0]
    assert "not sent yet: the customer has not been warned" in queued_part
    assert "Disposal warning delivered on" in act.split(delivered.display_number)[1]


@pytest.mark.parametrize(("status", "said"), [
    ("sent", "no word that it arrived"),
    ("failed", "Disposal warning failed"),
])
def test_a_warning_sent_or_failed_is_told_as_such(boss, make_order, status, said):
    order = make_order(Status.DISPOSAL_DUE)
    delivery.run_round()
    Message.objects.filter(order=order, event="disposal_warning").update(
        status=status, delivered_at=None)
    assert said in html.unescape(warning_row(boss.get(LIST).content.decode(), order))


def test_no_warning_on_record_is_told(boss, make_order):
    order = make_order(Status.DISPOSAL_DUE)
    Message.objects.filter(order=order, event="disposal_warning").delete()
    assert "No disposal warning on record" in html.unescape(
        warning_row(boss.get(LIST).content.decode(), order))
