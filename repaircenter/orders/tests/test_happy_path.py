"""An order's whole life through the staff pages, as the people at the counter and the bench
would click it: the happy path (with a failed stress test on the way), and the way back
unrepaired, with the diagnostics fee charged and not charged."""

import html
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from repaircenter.conftest import flashes, write_estimate
from repaircenter.core.models import CenterSettings
from repaircenter.documents.issuing import ensure_pdf, file_sha256
from repaircenter.documents.models import DocumentKind
from repaircenter.notifications.models import Message
from repaircenter.orders.dues import stored_balance_due
from repaircenter.orders.models import EquipmentKind, LineDone, Order, Status, StressTest

pytestmark = pytest.mark.django_db

PICKUP_CODE = re.compile(r'<div class="pickup-code">\s*([A-Z0-9]{5}-[A-Z0-9]{5})\s*</div>')


def as_(client, user):
    client.force_login(user)
    return client


def order_page(client, order):
    return client.get(reverse("staff:order", args=[order.number]))


def act(client, order, name, **data):
    order.refresh_from_db()
    response = client.post(reverse("staff:order_action", args=[order.number, name]),
                           {"version": order.version, **data})
    assert response.status_code == 302, response.content
    page = client.get(response.url)
    assert [level for level, _ in flashes(page)] == ["success"], flashes(page)
    order.refresh_from_db()
    return page


def post(client, url, data, *, expect="success"):
    response = client.post(url, data)
    assert response.status_code == 302, response.content
    page = client.get(response.url.split("#")[0])
    assert [level for level, _ in flashes(page)] == [expect], flashes(page)
    return page


def pay(client, order, amount, method="card", **extra):
    return post(client, reverse("staff:take_payment", args=[order.number]),
                {"idempotency_key": uuid.uuid4(), "amount": amount, "method": method, **extra})


def test_the_happy_path(client, receptionist, technician, cashier, phone_kind):
    # Intake: the receptionist fills the form; the customer's copy carries the pickup code.
    response = as_(client, receptionist).post(reverse("staff:intake"), {
        "phone": "020 7946 0101", "name": "Alice Brown", "email": "alice@example.com",
        "channel_1": "sms", "channel_2": "email", "kind": phone_kind.pk, "brand": "Samsung",
        "model": "Galaxy S23", "serial_number": "R5CW31ABCDE", "imei": "490154203237518",
        "condition": "Scratched back", "accessories": "Case", "fault": "Does not charge",
        "intake_key": uuid.uuid4(),
    })
    assert response.status_code == 200
    [code] = PICKUP_CODE.findall(response.content.decode())
    order = Order.objects.get()
    assert order.status == Status.RECEIVED

    # Diagnostics and the estimate, sent from the editor.
    act(as_(client, technician), order, "start_diagnosis")
    draft = write_estimate(order, technician, lines=(("Replace the charging port", "1", "30.00"),
                                                     ("USB-C charging port", "1", "18.50")))
    response = client.post(reverse("staff:estimate_send", args=[order.number, draft.pk]),
                           {"version": order.version})
    assert flashes(client.get(response.url))[0][0] == "success"
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DECISION

    # The customer approves by telephone; the cashier takes a prepayment for the part.
    act(as_(client, receptionist), order, "approve", channel="phone", said="Yes, go ahead",
        estimate_id=draft.pk)
    assert order.status == Status.APPROVED
    page = pay(as_(client, cashier), order, "18.50", note="Prepayment for the part")
    assert "Payment of 18.50 GBP recorded" in flashes(page)[0][1]
    assert stored_balance_due(order) == Decimal("30.00")

    # The repair: each agreed line marked done, one with the part's serial number.
    act(as_(client, technician), order, "start_repair")
    lines = list(draft.lines.order_by("position"))
    for line, serials in zip(lines, ["", "USBC-2231"]):
        post(client, reverse("staff:line_done", args=[order.number, line.pk]),
             {"part_serials": serials})
    act(client, order, "finish_works")
    assert order.status == Status.TESTING

    # A failed stress test sends it back to repair; repaired again, it passes.
    test_url = reverse("staff:stress_test", args=[order.number])
    run = {"procedure": "Charge from 5 % to 100 % on the bench charger",
           "duration_minutes": "120", "measurements": "Port 34 °C"}
    post(client, test_url, {**run, "version": order.version, "result": "failed",
                            "note": "Stops charging at 40 %"}, expect="warning")
    order.refresh_from_db()
    assert order.status == Status.REPAIRING
    assert LineDone.objects.filter(line__in=lines).count() == 2  # the lines stay done
    act(client, order, "finish_works", note="Reseated the flex cable")
    post(client, test_url, {**run, "version": order.version, "result": "passed",
                            "note": "Charged to 100 % in 95 minutes"})
    order.refresh_from_db()
    assert order.status == Status.READY_REPAIRED
    assert list(StressTest.objects.filter(order=order).values_list("passed", flat=True)) == [
        False, True]
    assert Message.objects.filter(order=order, event="ready_repaired").count() == 1

    # The final payment, then issuance on the pickup code typed from the customer's copy.
    page = pay(as_(client, cashier), order, "30.00", method="cash")
    assert stored_balance_due(order) == 0
    page = act(as_(client, receptionist), order, "issue", pickup_code=code.lower())
    assert order.status == Status.ISSUED

    # The customer receives the completion certificate, the receipts and the warranty card.
    documents = {kind: list(order.documents.filter(kind=kind)) for kind in DocumentKind.values}
    assert len(documents[DocumentKind.COMPLETION_CERTIFICATE]) == 1
    assert len(documents[DocumentKind.RECEIPT]) == 2
    assert len(documents[DocumentKind.WARRANTY_CARD]) == 1
    for docs in documents.values():
        for doc in docs:
            assert file_sha256(ensure_pdf(doc)) == doc.sha256
    content = html.unescape(page.content.decode())
    section = content.split('<section id="documents">', 1)[1].split("</section>", 1)[0]
    for kind in ("Completion certificate", "Payment receipt", "Warranty card"):
        assert kind in section
    history = content.split('<ol class="timeline">', 1)[1]
    for label in ("Payment received", "Agreed line done", "Stress test failed",
                  "Stress test passed", "Handed over to the customer"):
        assert label in history, label


@pytest.mark.parametrize("charged", [True, False], ids=["fee charged", "fee not charged"])
def test_returned_unrepaired(client, receptionist, technician, cashier, phone_kind, charged):
    """Refused after diagnostics. With the regulation charging the diagnostics fee, it is paid
    and its receipt handed over with the certificate; without, nothing is due and there is no
    receipt. Never a warranty card."""
    EquipmentKind.objects.filter(pk=phone_kind.pk).update(diagnostics_fee=Decimal("15.00"))
    CenterSettings.objects.update_or_create(pk=1, defaults={"charge_diagnostics": charged})
    response = as_(client, receptionist).post(reverse("staff:intake"), {
        "phone": "020 7946 0102", "name": "Ben Carter", "channel_1": "sms",
        "kind": phone_kind.pk, "brand": "Google", "model": "Pixel 7", "serial_number": "2A19",
        "condition": "Cracked", "fault": "Green lines", "intake_key": uuid.uuid4(),
    })
    [code] = PICKUP_CODE.findall(response.content.decode())
    order = Order.objects.get()
    act(as_(client, technician), order, "start_diagnosis")
    write_estimate(order, technician, lines=(("Replace the screen", "1", "164.00"),))
    response = client.post(
        reverse("staff:estimate_send", args=[order.number, order.estimates.get().pk]),
        {"version": order.version})
    assert flashes(client.get(response.url))[0][0] == "success"
    act(as_(client, receptionist), order, "refuse", channel="phone", said="Too dear",
        note="Buying a new phone")
    assert order.status == Status.READY_UNREPAIRED
    assert stored_balance_due(order) == (Decimal("15.00") if charged else 0)

    if charged:
        # Not paid: issuance is refused, saying what is due.
        response = client.post(reverse("staff:order_action", args=[order.number, "issue"]),
                               {"version": order.version, "pickup_code": code})
        page = client.get(response.url)
        assert "15.00 GBP is still due" in flashes(page)[0][1]
        pay(as_(client, cashier), order, "15.00", method="cash")
    else:
        content = order_page(as_(client, cashier), order).content.decode()
        assert "Take a payment" not in content  # nothing to pay
    act(as_(client, receptionist), order, "issue", pickup_code=code)
    assert order.status == Status.ISSUED
    kinds = sorted(order.documents.exclude(kind__in=["intake_order", "estimate"])
                   .values_list("kind", flat=True))
    assert kinds == (["completion_certificate", "receipt"] if charged
                     else ["completion_certificate"])
