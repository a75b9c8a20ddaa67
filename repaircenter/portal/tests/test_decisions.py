"""Approving and refusing on the customer's order page: /o/<token>/approve/ and /refuse/.

Each shows a confirmation page on GET (which changes nothing) and acts on POST with the CSRF
token, through workflow.approve / workflow.refuse with the channel "order page" and the
browser's address and user agent as evidence. Every refusal leaves the order as it was.
"""

import datetime
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from repaircenter.conftest import send_new_estimate
from repaircenter.notifications.models import Message
from repaircenter.orders import workflow
from repaircenter.orders.models import (
    ActorKind,
    Estimate,
    EstimateStatus,
    Order,
    OrderEvent,
    Status,
    UnrepairedReason,
)
from repaircenter.orders.workflow import Actor

from .conftest import order_url, snapshot, visible_text

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148"


@pytest.fixture
def awaiting(make_order):
    return make_order(Status.AWAITING_DECISION)


def form_data(order: Order, **extra) -> dict:
    """What the confirmation page posts: the estimate it showed and the order's version."""
    order.refresh_from_db()
    current = workflow.current_estimate(order)
    data = {"version": order.version}
    if current is not None:
        data["estimate_id"] = current.pk
    return {**data, **extra}


def post(client, order, name, data, **headers):
    return client.post(order_url(order, name), data, HTTP_USER_AGENT=BROWSER,
                        REMOTE_ADDR="198.51.100.23", **headers)


def last_event(order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order).latest("pk")


# --- the confirmation step -------------------------------------------------------------------


def test_a_get_to_approve_shows_the_confirmation_and_changes_nothing(client, awaiting):
    before = snapshot(awaiting)
    response = client.get(order_url(awaiting, "approve"))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Approve the repair?" in text
    assert "Replace the charging port" in text
    assert "Yes, approve for 45.00 GBP" in text
    content = response.content.decode()
    assert '<form method="post"' in content and "csrfmiddlewaretoken" in content
    estimate = workflow.current_estimate(awaiting)
    assert f'name="estimate_id" value="{estimate.pk}"' in content
    assert snapshot(awaiting) == before


def test_a_get_to_refuse_shows_what_refusing_means_and_changes_nothing(
    client, awaiting, phone_kind
):
    before = snapshot(awaiting)
    text = visible_text(client.get(order_url(awaiting, "refuse")))
    assert "Refuse the repair?" in text
    assert "The equipment is not repaired, and it will be ready for you to collect." in text
    assert "Your reason (optional)" in text
    assert snapshot(awaiting) == before


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_not_allowed(client, awaiting, method):
    before = snapshot(awaiting)
    assert getattr(client, method)(order_url(awaiting, "approve")).status_code == 405
    assert snapshot(awaiting) == before


# --- approving --------------------------------------------------------------------------------


def test_approving_records_the_decision_with_the_order_page_as_channel_and_evidence(
    client, awaiting
):
    estimate = workflow.current_estimate(awaiting)
    response = post(client, awaiting, "approve", form_data(awaiting))
    assert response.status_code == 303
    assert response["Location"] == order_url(awaiting) + "#next"

    awaiting.refresh_from_db()
    assert awaiting.status == Status.APPROVED
    event = last_event(awaiting)
    assert (event.action, event.actor_kind, event.actor, event.channel) == (
        "approve", ActorKind.CUSTOMER, None, "order_page"
    )
    assert event.evidence == {"ip": "198.51.100.23", "user_agent": BROWSER,
                              "estimate": estimate.display_number}
    assert Estimate.objects.get(pk=estimate.pk).status == EstimateStatus.APPROVED

    text = visible_text(client.get(response["Location"]))
    assert "You approved on this page on" in text
    assert "The repair starts soon" in text


def test_the_staff_order_page_shows_the_approval_from_the_order_page(
    client, awaiting, receptionist
):
    post(client, awaiting, "approve", form_data(awaiting))
    staff = Client()
    staff.force_login(receptionist)
    history = staff.get(reverse("staff:order", args=[awaiting.number])).content.decode()
    history = html.unescape(history.split("History</h2>", 1)[1])  # whichever engine escaped it
    assert "Repair approved" in history
    assert "Customer (Customer's order page)" in history
    assert "198.51.100.23" in history and "iPhone" in history


def test_the_same_approval_posted_twice_is_recorded_once(client, awaiting):
    data = form_data(awaiting)
    assert post(client, awaiting, "approve", data).status_code == 303
    after_first = snapshot(awaiting)
    again = post(client, awaiting, "approve", data)
    assert again.status_code == 409
    assert "The order changed in the meantime" in visible_text(again)
    assert "Approved, the repair starts soon" in visible_text(again)
    assert snapshot(awaiting) == after_first
    assert OrderEvent.objects.filter(order=awaiting, action="approve").count() == 1


def test_an_approval_after_the_deadline_is_refused_and_changes_nothing(client, awaiting):
    Order.objects.filter(pk=awaiting.pk).update(
        decision_due=timezone.now() - datetime.timedelta(minutes=1)
    )
    data = form_data(awaiting)
    before = snapshot(awaiting)
    response = post(client, awaiting, "approve", data)
    assert response.status_code == 409
    text = visible_text(response)
    assert "The time to decide has ended" in text
    assert "Nothing was changed." in text
    assert snapshot(awaiting) == before
    # The confirmation page says so too, with no button to press.
    page = client.get(order_url(awaiting, "approve"))
    assert "The time to decide has ended" in visible_text(page)
    assert "<form" not in page.content.decode().split("<main", 1)[1]


def test_a_refusal_after_the_deadline_is_still_taken(client, awaiting):
    Order.objects.filter(pk=awaiting.pk).update(
        decision_due=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert post(client, awaiting, "refuse", form_data(awaiting)).status_code == 303
    awaiting.refresh_from_db()
    assert awaiting.status == Status.READY_UNREPAIRED


def test_an_approval_of_a_replaced_estimate_is_refused_and_changes_nothing(
    client, awaiting, technician
):
    old = form_data(awaiting)  # the confirmation page was opened on the first estimate
    send_new_estimate(awaiting, technician, lines=(("Replace the port and cable", "1", "60.00"),))
    old["version"] = Order.objects.get(pk=awaiting.pk).version  # only the estimate is stale
    before = snapshot(awaiting)
    response = post(client, awaiting, "approve", old)
    assert response.status_code == 409
    text = visible_text(response)
    assert "This estimate has been replaced" in text
    assert "R-000001/E2" in text and "105.00" in text  # a revision starts from a copy
    assert snapshot(awaiting) == before


def test_an_estimate_of_another_order_is_refused_and_changes_nothing(client, make_order):
    mine, theirs = make_order(Status.AWAITING_DECISION), make_order(Status.AWAITING_DECISION)
    data = form_data(mine, estimate_id=workflow.current_estimate(theirs).pk)
    before, before_theirs = snapshot(mine), snapshot(theirs)
    response = post(client, mine, "approve", data)
    assert response.status_code == 409
    assert snapshot(mine) == before and snapshot(theirs) == before_theirs


def test_a_page_opened_before_the_order_changed_is_refused(client, awaiting, receptionist):
    data = form_data(awaiting)
    # Meanwhile the customer's copy is reprinted at the counter: the version moves on.
    workflow.reissue_pickup_code(order=awaiting, actor=Actor.staff(receptionist))
    before = snapshot(awaiting)
    response = post(client, awaiting, "approve", data)
    assert response.status_code == 409
    assert snapshot(awaiting) == before


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(awaiting):
    strict = Client(enforce_csrf_checks=True)
    before = snapshot(awaiting)
    for name in ("approve", "refuse"):
        response = post(strict, awaiting, name, form_data(awaiting))
        assert response.status_code == 403
        assert "Please try again" in visible_text(response)
    assert snapshot(awaiting) == before


def test_with_the_csrf_token_from_the_confirmation_page_it_works(awaiting):
    strict = Client(enforce_csrf_checks=True)
    token = csrf_token_of(strict, order_url(awaiting, "approve"))
    response = post(strict, awaiting, "approve", form_data(awaiting, csrfmiddlewaretoken=token))
    assert response.status_code == 303
    assert Order.objects.get(pk=awaiting.pk).status == Status.APPROVED


def csrf_token_of(client, url) -> str:
    page = client.get(url).content.decode()
    return page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_the_null_origin_that_no_referrer_makes_browsers_send_is_taken_with_the_token(
    awaiting
):
    """Under `Referrer-Policy: no-referrer` a browser posts with `Origin: null`; the token
    decides. A real other origin is refused, and elsewhere a null origin is refused too."""
    strict = Client(enforce_csrf_checks=True)
    token = csrf_token_of(strict, order_url(awaiting, "approve"))
    before = snapshot(awaiting)
    forged = post(strict, awaiting, "approve", form_data(awaiting, csrfmiddlewaretoken=token),
                  HTTP_ORIGIN="https://evil.example")
    assert forged.status_code == 403
    without_token = post(strict, awaiting, "approve", form_data(awaiting),
                         HTTP_ORIGIN="null")
    assert without_token.status_code == 403
    assert snapshot(awaiting) == before
    ok = post(strict, awaiting, "approve", form_data(awaiting, csrfmiddlewaretoken=token),
              HTTP_ORIGIN="null")
    assert ok.status_code == 303
    assert Order.objects.get(pk=awaiting.pk).status == Status.APPROVED

    token = csrf_token_of(strict, reverse("portal:advice"))
    elsewhere = strict.post(reverse("portal:advice"), {"csrfmiddlewaretoken": token},
                            HTTP_ORIGIN="null")
    assert elsewhere.status_code == 403


def test_an_incomplete_form_is_refused_and_changes_nothing(client, awaiting):
    before = snapshot(awaiting)
    response = post(client, awaiting, "approve", {"estimate_id": "x"})
    assert response.status_code == 400
    assert "The form arrived incomplete" in visible_text(response)
    assert snapshot(awaiting) == before


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.REPAIRING, Status.READY_REPAIRED])
def test_nothing_to_approve_in_other_states(client, make_order, status):
    order = make_order(status)
    assert "Nothing to approve" in visible_text(client.get(order_url(order, "approve")))
    before = snapshot(order)
    response = post(client, order, "approve", {"version": order.version, "estimate_id": 1})
    assert response.status_code == 409
    assert snapshot(order) == before


# --- refusing ---------------------------------------------------------------------------------


def test_refusing_with_a_reason_returns_the_equipment_unrepaired(client, awaiting):
    response = post(client, awaiting, "refuse",
                    form_data(awaiting, reason="  Too expensive for an old phone.  "))
    assert response.status_code == 303
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.unrepaired_reason) == (
        Status.READY_UNREPAIRED, UnrepairedReason.REFUSED
    )
    event = last_event(awaiting)
    assert (event.action, event.channel, event.note) == (
        "refuse", "order_page", "Too expensive for an old phone."
    )
    assert event.evidence["ip"] == "198.51.100.23"
    assert Message.objects.filter(order=awaiting, event="ready_unrepaired").count() == 1
    text = visible_text(client.get(order_url(awaiting)))
    assert "You refused on this page on" in text
    assert "The repair was refused" in text


def test_refusing_without_a_reason_is_fine(client, awaiting):
    assert post(client, awaiting, "refuse", form_data(awaiting)).status_code == 303
    assert last_event(awaiting).note == ""


def test_a_reason_too_long_is_told_and_nothing_changes(client, awaiting):
    before = snapshot(awaiting)
    response = post(client, awaiting, "refuse", form_data(awaiting, reason="x" * 2001))
    assert response.status_code == 400
    assert "at most 2000 characters" in visible_text(response)
    assert snapshot(awaiting) == before


def test_after_approval_the_customer_may_still_refuse_until_the_repair_starts(
    client, make_order, technician
):
    approved = make_order(Status.APPROVED)
    assert "Refuse the repair?" in visible_text(client.get(order_url(approved, "refuse")))
    assert post(client, approved, "refuse", form_data(approved)).status_code == 303
    approved.refresh_from_db()
    assert approved.status == Status.READY_UNREPAIRED

    repairing = make_order(Status.REPAIRING)
    assert "Nothing to refuse" in visible_text(client.get(order_url(repairing, "refuse")))
    before = snapshot(repairing)
    assert post(client, repairing, "refuse", form_data(repairing)).status_code == 409
    assert snapshot(repairing) == before


# --- a supplementary estimate ----------------------------------------------------------------


@pytest.fixture
def supplement(make_order, technician):
    def make(required: bool) -> Order:
        order = make_order(Status.REPAIRING)
        send_new_estimate(order, technician, lines=(("Replace the battery", "1", "39.00"),),
                          required_to_finish=required)
        order.refresh_from_db()
        return order

    return make


def test_approving_a_supplement_continues_the_repair_with_it(client, supplement):
    order = supplement(required=False)
    assert "Approve the extra work?" in visible_text(client.get(order_url(order, "approve")))
    assert post(client, order, "approve", form_data(order)).status_code == 303
    order.refresh_from_db()
    assert order.status == Status.REPAIRING
    assert last_event(order).action == "approve_supplement"
    assert last_event(order).channel == "order_page"


@pytest.mark.parametrize(("required", "status", "action"), [
    (False, Status.REPAIRING, "refuse_supplement"),
    (True, Status.READY_UNREPAIRED, "refuse_required_supplement"),
])
def test_refusing_a_supplement_says_what_follows_and_does_it(
    client, supplement, required, status, action
):
    order = supplement(required=required)
    text = visible_text(client.get(order_url(order, "refuse")))
    if required:
        assert "The repair cannot be finished without this work" in text
    else:
        assert "We then finish the repair with the works you already approved" in text
    assert post(client, order, "refuse", form_data(order)).status_code == 303
    order.refresh_from_db()
    assert order.status == status
    assert last_event(order).action == action
